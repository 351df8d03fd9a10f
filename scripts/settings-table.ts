/**
 * The table of every registry setting in docs/configuration.md, generated from
 * registry-server/settings.ts, and the markers it lives between. test/registry-settings.test.ts
 * checks the doc holds it and rewrites it under `npx vitest run test/registry-settings.test.ts --update`.
 */
import { SETTING_ENTRIES, SETTINGS, type SettingEntry } from '../registry-server/settings';

export const SETTINGS_DOC = 'docs/configuration.md';
const NAME = 'settings';

const BEGIN = `<!-- ${NAME}: generated from registry-server/settings.ts; run \`npx vitest run test/registry-settings.test.ts --update\` after changing it -->`;
const END = `<!-- /${NAME} -->`;

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

const KiB = 1024;

/** 10485760 as `10485760 (10 MiB)`: bytes in a unit a person reads, when it is a round one. */
function bytes(n: number): string {
  for (const [size, unit] of [[KiB * KiB * KiB, 'GiB'], [KiB * KiB, 'MiB'], [KiB, 'KiB']] as const) {
    if (n >= size && n % size === 0) return `${n} (${n / size} ${unit})`;
  }
  return String(n);
}

function shownDefault(entry: SettingEntry): string {
  const { setting } = entry;
  if (setting.shownDefault !== undefined) return setting.shownDefault;
  if (typeof setting.default === 'number') return setting.unit === 'bytes' ? bytes(setting.default) : String(setting.default);
  return `\`${JSON.stringify(setting.default)}\``;
}

/** One table per section: key, variable, flag, type and range, default, unit, what it sets. */
export function settingsTable(): string {
  const lines: string[] = [];
  for (const section of Object.keys(SETTINGS)) {
    lines.push('', `### \`[${section}]\``, '', '| Key | Environment variable | Flag | Type and range | Default | Unit | What it sets |', '| --- | --- | --- | --- | --- | --- | --- |');
    for (const entry of SETTING_ENTRIES) {
      if (entry.section !== section) continue;
      const { setting } = entry;
      lines.push(`| \`${entry.name}\` | \`${entry.variable}\` | ${setting.flag ? `\`${setting.flag}\`` : ''} | ${cell(setting.expects)} | ${cell(shownDefault(entry))} | ${setting.unit} | ${cell(setting.about)} |`);
    }
  }
  return lines.join('\n');
}

/** The generated block as it stands in the doc: the markers and the table. */
export function settingsBlock(): string {
  return `${BEGIN}\n${settingsTable()}\n\n${END}`;
}

/** The block in `doc` (undefined when it has none). */
export function findSettingsBlock(doc: string): string | undefined {
  const from = doc.indexOf(BEGIN);
  const to = doc.indexOf(END, from);
  return from === -1 || to === -1 ? undefined : doc.slice(from, to + END.length);
}
