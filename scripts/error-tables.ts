/**
 * The error tables of docs/cli.md and docs/http-api.md, generated from schema/error-catalog.ts,
 * and the markers they live between. test/error-catalog.test.ts checks the docs hold them and
 * rewrites them under `npx vitest run test/error-catalog.test.ts --update`.
 */
import { ERRORS, ERROR_CODES, WARNINGS, type ErrorArea, type ErrorInfo, type WarningCode } from '../schema/error-catalog';

const AREAS: Record<ErrorArea, string> = {
  cli: 'The CLI',
  package: 'Skill packages: SKILL.md, skill.json, fixtures, paths (validate, pack, publish, install)',
  archive: 'Tarballs and zip archives (refused before anything is written)',
  verify: 'Verification: a case\'s failure in the report, and errors of the whole skill',
  run: '`skills run`, privacy and MCP calls',
  install: 'Installs, sources, the workspace and agent folders',
  servers: '`skills servers sync`, the tool index and MCP contracts',
  client: 'The registry client (what a registry answered, and the bounds of one command)',
  registry: 'The registry\'s answers',
  serve: '`skills serve` and its database',
};

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function begin(name: string): string {
  return `<!-- ${name}: generated from schema/error-catalog.ts; run \`npx vitest run test/error-catalog.test.ts --update\` after changing it -->`;
}

function end(name: string): string {
  return `<!-- /${name} -->`;
}

/** Every code by area, with exit status, HTTP status, meaning and default hint; then the warnings. */
export function cliErrorTable(): string {
  const lines: string[] = [];
  for (const [area, title] of Object.entries(AREAS) as [ErrorArea, string][]) {
    lines.push('', `**${title}**`, '', '| Code | Exit | HTTP | Meaning | Default hint |', '| --- | --- | --- | --- | --- |');
    for (const code of ERROR_CODES) {
      const entry: ErrorInfo = ERRORS[code];
      if (entry.area === area) lines.push(`| \`${code}\` | ${entry.exit} | ${entry.http ?? ''} | ${cell(entry.summary)} | ${cell(entry.hint)} |`);
    }
  }
  lines.push('', '**Warnings** (in `problems` or `warnings`; never a failure)', '', '| Code | Meaning | Default hint |', '| --- | --- | --- |');
  for (const code of Object.keys(WARNINGS) as WarningCode[]) lines.push(`| \`${code}\` | ${cell(WARNINGS[code].summary)} | ${cell(WARNINGS[code].hint)} |`);
  return lines.join('\n');
}

/** Every code the registry answers with, by status. */
export function httpErrorTable(): string {
  const answered = ERROR_CODES.flatMap((code) => {
    const entry: ErrorInfo = ERRORS[code];
    return entry.http === undefined ? [] : [{ code, status: entry.http, entry }];
  }).sort((a, b) => a.status - b.status);
  const lines = ['', '| Status | Code | Meaning |', '| --- | --- | --- |'];
  for (const { code, status, entry } of answered) lines.push(`| ${status} | \`${code}\` | ${cell(entry.summary)} |`);
  return lines.join('\n');
}

export const ERROR_TABLES = [
  { doc: 'docs/cli.md', name: 'error-codes', table: cliErrorTable },
  { doc: 'docs/http-api.md', name: 'http-error-codes', table: httpErrorTable },
] as const;

/** The generated block as it stands in a doc: the markers and the table. */
export function errorBlock(name: string, table: string): string {
  return `${begin(name)}\n${table}\n\n${end(name)}`;
}

/** The block named `name` in `doc` (undefined when the doc has none). */
export function findBlock(doc: string, name: string): string | undefined {
  const from = doc.indexOf(begin(name));
  const to = doc.indexOf(end(name), from);
  return from === -1 || to === -1 ? undefined : doc.slice(from, to + end(name).length);
}
