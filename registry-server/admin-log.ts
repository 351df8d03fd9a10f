/**
 * The admin log (the `audit_log` table): every privileged action, written by the code that makes
 * the change, inside the same transaction, so a change that fails leaves no entry and one that
 * commits always has one. An entry says who (the user), when, with which token (its id, never the
 * token), from which address (the request's socket: no proxy header is trusted), what (the action
 * and its target) and details. Details and targets never hold a secret: writers pass none (no
 * token, password or session id), and every string is masked (maskSecrets) and clipped anyway, so
 * an entry stays small whatever a request carried.
 *
 * Read newest first (`at`, then `id`), a page at a time, by unscoped admins only
 * (routes/admin.ts, web/routes/admin.ts).
 */
import { SkillsError, maskSecrets } from '../schema/errors';
import { MAX_ADMIN_LOG_LIMIT, parseIsoTime } from '../schema/registry';
import type { SqlExecutor } from './storage/sql';

/** Who did it: null user and token for what the registry did by itself (the first admin on an empty database). */
export interface Actor {
  userId: number | null;
  tokenId: string | null;
  /** The client's address as the socket saw it; null when no request made the change. */
  address: string | null;
}

/** Every action the log records (docs/http-api.md lists them with their targets and details). */
export type AdminActionName =
  | 'user-create'
  | 'token-create'
  | 'token-revoke'
  | 'team-create'
  | 'team-member'
  | 'scope-create'
  | 'publish'
  | 'dist-tag'
  | 'dist-tag-rm'
  | 'yank'
  | 'unyank'
  | 'deprecate'
  | 'delete'
  | 'audit-allow'
  | 'audit-disallow'
  | 'web-sign-in';

export interface AdminAction {
  action: AdminActionName;
  target: string;
  details?: Record<string, unknown> | undefined;
}

/** Longest target kept (names and ids are far shorter). */
export const MAX_TARGET_CHARS = 300;
/** Longest string kept in details (a deprecation message is at most 1024). */
export const MAX_DETAIL_STRING_CHARS = 1024;
/** Largest details (their JSON text); larger ones are replaced by `{ "truncated": true, "chars": n }`. */
export const MAX_DETAILS_CHARS = 8192;
const MAX_DETAIL_ITEMS = 50;
const MAX_DETAIL_DEPTH = 4;
const MAX_ADDRESS_CHARS = 64;

export async function recordAdminAction(tx: SqlExecutor, actor: Actor, entry: AdminAction): Promise<void> {
  await tx.run('INSERT INTO audit_log (at, user_id, token_id, address, action, target, details) VALUES (?, ?, ?, ?, ?, ?, ?)', [
    new Date().toISOString(),
    actor.userId,
    actor.tokenId,
    actor.address === null ? null : clip(actor.address, MAX_ADDRESS_CHARS),
    entry.action,
    clip(maskSecrets(entry.target), MAX_TARGET_CHARS),
    entry.details === undefined ? null : boundedDetails(entry.details),
  ]);
}

/** The details as stored: strings masked and clipped, lists and depth bounded, the whole bounded. */
export function boundedDetails(details: Record<string, unknown>): string {
  const text = JSON.stringify(bound(details, 0));
  return text.length <= MAX_DETAILS_CHARS ? text : JSON.stringify({ truncated: true, chars: text.length });
}

function bound(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return clip(maskSecrets(value), MAX_DETAIL_STRING_CHARS);
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  if (depth >= MAX_DETAIL_DEPTH) return '…';
  if (Array.isArray(value)) return value.slice(0, MAX_DETAIL_ITEMS).map((v) => bound(v, depth + 1));
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).slice(0, MAX_DETAIL_ITEMS).map(([k, v]) => [clip(k, 64), bound(v, depth + 1)]));
  return null;
}

/** At most `max` UTF-16 units (a clipped text ends with …), never ending inside a surrogate pair. */
function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = /[\uD800-\uDBFF]/.test(text.charAt(max - 2)) ? max - 2 : max - 1;
  return `${text.slice(0, end)}…`;
}

/** One entry as the API and the web page show it. */
export interface AdminLogEntry {
  id: number;
  at: string;
  /** The user's name (null for the registry itself). */
  user: string | null;
  tokenId: string | null;
  address: string | null;
  action: string;
  target: string;
  details: unknown;
}

export interface AdminLogPage {
  entries: AdminLogEntry[];
  /** Pass as `before` for the next (older) page; null on the last page. */
  next: number | null;
}

export const DEFAULT_LOG_LIMIT = 50;

export interface AdminLogQuery {
  /** An ISO time (as toISOString writes it): entries at or after it. */
  since?: string | undefined;
  /** An entry id: entries older than it. */
  before?: number | undefined;
  limit: number;
}

/** A query's parameters, checked (EQUERYINVALID, 400): each is hostile until parsed. */
export function parseLogQuery(params: { since?: string | undefined; before?: string | undefined; limit?: string | undefined }): AdminLogQuery {
  const invalid = (message: string, hint?: string) => new SkillsError('EQUERYINVALID', message, { status: 400, ...(hint ? { hint } : {}) });
  let limit = DEFAULT_LOG_LIMIT;
  if (params.limit !== undefined && params.limit !== '') {
    const n = Number(params.limit);
    if (!/^\d{1,6}$/.test(params.limit) || n < 1 || n > MAX_ADMIN_LOG_LIMIT) throw invalid(`limit must be a whole number from 1 to ${MAX_ADMIN_LOG_LIMIT}, got "${params.limit.slice(0, 20)}"`, `ask for older entries page by page with before=<next>`);
    limit = n;
  }
  let before: number | undefined;
  if (params.before !== undefined && params.before !== '') {
    if (!/^[1-9]\d{0,14}$/.test(params.before)) throw invalid(`before must be an entry id (a positive whole number), got "${params.before.slice(0, 20)}"`, 'pass the "next" of the previous page');
    before = Number(params.before);
  }
  let since: string | undefined;
  if (params.since !== undefined && params.since !== '') {
    const at = parseIsoTime(params.since);
    if (at === undefined) throw invalid(`since must be an ISO 8601 time such as 2025-06-01 or 2025-06-01T12:00:00Z, got "${params.since.slice(0, 40)}"`);
    since = at;
  }
  return { since, before, limit };
}

interface LogRow {
  id: number;
  at: string;
  user: string | null;
  token_id: string | null;
  address: string | null;
  action: string;
  target: string;
  details: string | null;
}

/** A page of entries, newest first; EQUERYINVALID when `before` names no entry. */
export async function readAdminLog(db: SqlExecutor, query: AdminLogQuery): Promise<AdminLogPage> {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (query.since !== undefined) {
    where.push('l.at >= ?');
    params.push(query.since);
  }
  if (query.before !== undefined) {
    const cursor = await db.get<{ at: string }>('SELECT at FROM audit_log WHERE id = ?', [query.before]);
    if (cursor === undefined) throw new SkillsError('EQUERYINVALID', `before names no entry of the log (${query.before})`, { status: 400, hint: 'pass the "next" of the previous page' });
    where.push('(l.at, l.id) < (?, ?)');
    params.push(cursor.at, query.before);
  }
  const rows = await db.all<LogRow>(
    `SELECT l.id, l.at, u.name AS user, l.token_id, l.address, l.action, l.target, l.details
       FROM audit_log l LEFT JOIN users u ON u.id = l.user_id
       ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY l.at DESC, l.id DESC LIMIT ?`,
    [...params, query.limit + 1],
  );
  const shown = rows.slice(0, query.limit);
  return {
    entries: shown.map((r) => ({
      id: Number(r.id),
      at: r.at,
      user: r.user,
      tokenId: r.token_id,
      address: r.address,
      action: r.action,
      target: r.target,
      details: parseDetails(r.details),
    })),
    next: rows.length > query.limit ? Number(shown[shown.length - 1]?.id) : null,
  };
}

/** Details as stored; a row written by hand that is not JSON is shown as its text. */
function parseDetails(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
