/**
 * `skills registry log [--since <time|duration>] [--before <id>] [--limit n]`: the registry's admin
 * log (GET /v1/admin/log), newest first, for an unscoped admin token. `--since` takes an ISO time
 * or a duration back from now (30m, 24h, 7d, 2w), sent as the ISO time it names.
 */
import type { Command } from 'commander';
import pc from 'picocolors';
import { SkillsError } from '../../schema/errors';
import { adminLogPageSchema, MAX_ADMIN_LOG_LIMIT, parseIsoTime, type AdminLogEntryView } from '../../schema/registry';
import type { Run } from '../command';
import { parsePositiveInt, registryCommand, type RegistryFlag } from '../options';
import { table } from '../render';

interface LogOptions extends RegistryFlag {
  since?: string;
  before?: number;
  limit?: number;
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
/** Longest details text a row of the table shows (--json has them whole). */
const DETAILS_SHOWN = 100;

/** `--since`: an ISO time, or a duration back from `now` (`30m`, `24h`, `7d`, `2w`), as an ISO time. */
export function sinceTime(text: string, now = Date.now()): string {
  const duration = /^(\d{1,6})([smhdw])$/.exec(text.trim());
  if (duration) return new Date(now - Number(duration[1]) * (UNIT_MS[duration[2] ?? 's'] ?? 1000)).toISOString();
  const at = parseIsoTime(text.trim());
  if (at !== undefined) return at;
  throw new SkillsError('EUSAGE', `--since must be an ISO time or a duration, not "${text.slice(0, 40)}"`, {
    hint: 'e.g. --since 24h, --since 7d, --since 2025-06-01 or --since 2025-06-01T12:00:00Z (durations: s, m, h, d, w)',
  });
}

/** One line of a table cell: control characters (line breaks included) would break the table. */
function cell(text: string): string {
  return text.replace(/[\x00-\x1f\x7f-\x9f]/g, ' ');
}

function row(e: AdminLogEntryView): string[] {
  const details = e.details === null || e.details === undefined ? '' : JSON.stringify(e.details);
  return [
    String(e.id),
    cell(e.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z')),
    cell(e.user ?? '(registry)'),
    cell(e.tokenId ?? '-'),
    cell(e.address ?? '-'),
    cell(e.action),
    cell(e.target),
    cell(details.length > DETAILS_SHOWN ? `${details.slice(0, DETAILS_SHOWN - 1)}…` : details),
  ];
}

export function registerRegistryLog(group: Command, run: Run): void {
  const log = group
    .command('log')
    .description("read the registry's admin log, newest first: who did what, when, with which token, from which address (unscoped admin tokens only)")
    .option('--since <time>', 'entries at or after this ISO time, or this far back: 30m, 24h, 7d, 2w')
    .option('--before <id>', 'entries older than this entry (the "next" of the previous page)', parsePositiveInt)
    .option('--limit <n>', `entries per page, 1 to ${MAX_ADMIN_LOG_LIMIT} (default 50)`, parsePositiveInt);
  registryCommand<LogOptions>(log, run, async ({ registry, options }) => {
    const since = options.since === undefined ? undefined : sinceTime(options.since);
    if (options.limit !== undefined && options.limit > MAX_ADMIN_LOG_LIMIT) {
      throw new SkillsError('EUSAGE', `--limit is at most ${MAX_ADMIN_LOG_LIMIT}, not ${options.limit}`, { hint: 'read older entries page by page with --before <next>' });
    }
    const query = new URLSearchParams();
    if (since !== undefined) query.set('since', since);
    if (options.before !== undefined) query.set('before', String(options.before));
    if (options.limit !== undefined) query.set('limit', String(options.limit));
    const client = await registry();
    const page = await client.call(adminLogPageSchema, 'GET', `/v1/admin/log${query.size > 0 ? `?${query}` : ''}`);
    const lines = [page.entries.length > 0 ? table([['id', 'time (UTC)', 'user', 'token', 'address', 'action', 'target', 'details'], ...page.entries.map(row)]) : `no entries${since ? ` since ${since}` : ''}`];
    if (page.next !== null) {
      const again = [`--before ${page.next}`, ...(since ? [`--since ${since}`] : []), ...(options.limit ? [`--limit ${options.limit}`] : [])].join(' ');
      lines.push(pc.dim(`older entries: skills registry log ${again}`));
    }
    return { data: { registry: client.url, since: since ?? null, entries: page.entries, next: page.next }, human: lines.join('\n') };
  });
}
