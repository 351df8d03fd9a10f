/**
 * Browser sessions of the web catalog. Signing in takes a registry token once; the browser then
 * holds only a random session id in an HttpOnly, SameSite=Strict cookie (Secure over https). The
 * database keeps the id's sha256, never the id or the token. A session ends at its expiry, at
 * sign-out, and when its token is revoked (a trigger deletes the rows) or expires; every request
 * re-reads the token, so permissions and scopes are the token's, as of now.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Permission } from '../../schema/registry';
import { now, type Caller } from '../auth';
import type { SqlDatabase, SqlExecutor } from '../storage/sql';

/** Sessions one token may hold at once; signing in again ends the oldest beyond it. */
export const MAX_SESSIONS_PER_TOKEN = 20;

const SESSION_ID_RE = /^[A-Za-z0-9_-]{43}$/;

export interface Session {
  caller: Caller;
  /** sha256 of the id, hex: what CSRF tokens of this session are bound to. */
  binding: string;
}

function hash(id: string): Buffer {
  return createHash('sha256').update(id).digest();
}

export class WebSessions {
  /** `hours`: how long a sign-in lasts at most (never past its token's own expiry). */
  constructor(
    private readonly db: SqlDatabase,
    private readonly hours: number,
  ) {}

  /**
   * Starts a session for a caller who just presented a valid token; returns the cookie value.
   * `record` runs in the same transaction (the admin log's entry for the sign-in).
   */
  async create(caller: Caller, record: (tx: SqlExecutor) => Promise<void> = async () => {}): Promise<{ id: string; expiresAt: Date }> {
    const id = randomBytes(32).toString('base64url');
    let expires = Date.now() + this.hours * 3600_000;
    if (caller.expiresAt !== null) expires = Math.min(expires, Date.parse(caller.expiresAt));
    const expiresAt = new Date(expires);
    await this.db.transaction(async (tx) => {
      const at = now();
      await tx.run('DELETE FROM web_sessions WHERE expires_at <= ?', [at]);
      await tx.run('INSERT INTO web_sessions (id_hash, token_id, created_at, expires_at) VALUES (?, ?, ?, ?)', [hash(id), caller.tokenId, at, expiresAt.toISOString()]);
      await tx.run(
        `DELETE FROM web_sessions WHERE token_id = ? AND id_hash NOT IN
           (SELECT id_hash FROM web_sessions WHERE token_id = ? ORDER BY created_at DESC, id_hash LIMIT ?)`,
        [caller.tokenId, caller.tokenId, MAX_SESSIONS_PER_TOKEN],
      );
      await record(tx);
    });
    return { id, expiresAt };
  }

  /** The session of a cookie value, if it is live and its token still valid; else undefined (and a dead row is removed). */
  async lookup(id: string | undefined): Promise<Session | undefined> {
    if (id === undefined || !SESSION_ID_RE.test(id)) return undefined;
    const idHash = hash(id);
    const row = await this.db.get<{ expires_at: string; token_id: string; permission: Permission; scopes: string | null; token_expires_at: string | null; revoked_at: string | null; last_used_at: string | null; user_id: number; user: string }>(
      `SELECT s.expires_at, t.id AS token_id, t.permission, t.scopes, t.expires_at AS token_expires_at, t.revoked_at, t.last_used_at, u.id AS user_id, u.name AS user
       FROM web_sessions s JOIN tokens t ON t.id = s.token_id JOIN users u ON u.id = t.user_id WHERE s.id_hash = ?`,
      [idHash],
    );
    if (!row) return undefined;
    const at = now();
    if (row.expires_at <= at || row.revoked_at !== null || (row.token_expires_at !== null && row.token_expires_at <= at)) {
      await this.db.run('DELETE FROM web_sessions WHERE id_hash = ?', [idHash]);
      return undefined;
    }
    return {
      caller: {
        userId: row.user_id,
        user: row.user,
        tokenId: row.token_id,
        permission: row.permission,
        scopes: row.scopes === null ? null : (JSON.parse(row.scopes) as string[]),
        expiresAt: row.token_expires_at,
        lastUsedAt: row.last_used_at,
      },
      binding: idHash.toString('hex'),
    };
  }

  /** Ends the session of a cookie value (sign-out). */
  async destroy(id: string | undefined): Promise<void> {
    if (id === undefined || !SESSION_ID_RE.test(id)) return;
    await this.db.run('DELETE FROM web_sessions WHERE id_hash = ?', [hash(id)]);
  }
}
