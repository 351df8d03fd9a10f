/**
 * Users, teams, scopes and bearer tokens. A token is `skr_<id>_<secret>`: the id finds the row,
 * the secret is stored only as its sha256 and compared in constant time. Permissions are ordered
 * read < publish < admin; a token may also be limited to a list of scopes. A scoped token acts
 * only on skills in its scopes: accounts (users, teams, members, scopes, other users' tokens) need
 * an unscoped token.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { SkillsError } from '../schema/errors';
import type { Permission, TokenInfo } from '../schema/registry';
import type { Db } from './db';
import { statements, type Sql } from './statements';

export interface Caller {
  userId: number;
  user: string;
  tokenId: string;
  permission: Permission;
  scopes: string[] | null;
  expiresAt: string | null;
  lastUsedAt: string | null;
}

export interface ScopeRow {
  id: number;
  name: string;
  team_id: number;
  private: number;
}

const RANK: Record<Permission, number> = { read: 0, publish: 1, admin: 2 };
const TOKEN_RE = /^skr_([A-Za-z0-9]{16})_([A-Za-z0-9_-]{43})$/;

export function atLeast(caller: Caller | undefined, permission: Permission): boolean {
  return caller !== undefined && RANK[caller.permission] >= RANK[permission];
}

/** An admin token without scope limits: the only kind that manages users, teams and scopes. */
export function isGlobalAdmin(caller: Caller | undefined): boolean {
  return caller !== undefined && caller.permission === 'admin' && caller.scopes === null;
}

/**
 * Whether `caller` could mint a token with this permission and these scopes (null: unscoped):
 * never more permission, never a scope outside its own. Revocation uses the same rule.
 */
export function covers(caller: Caller, permission: Permission, scopes: readonly string[] | null): boolean {
  if (RANK[permission] > RANK[caller.permission]) return false;
  if (caller.scopes === null) return true;
  return scopes !== null && scopes.every((s) => caller.scopes?.includes(s) === true);
}

/** Last-used times are written at most this often per token, so reads do not turn into writes. */
const TOUCH_EVERY_MS = 60_000;

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

export function now(): string {
  return new Date().toISOString();
}

export class Auth {
  constructor(private readonly db: Db) {
    this.sql = statements(db);
  }

  private readonly sql: Sql;

  /** Resolves an `Authorization: Bearer ...` header; undefined when there is none. */
  authenticate(header: string | undefined): Caller | undefined {
    if (header === undefined || header === '') return undefined;
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const parsed = match ? TOKEN_RE.exec(match[1] ?? '') : null;
    const invalid = () => new SkillsError('ETOKENINVALID', 'the token is not valid', { status: 401, hint: 'log in again with `skills login --token <token>`' });
    if (!parsed) throw invalid();
    const [, id, secret] = parsed;
    const row = this.sql('SELECT t.id, t.hash, t.permission, t.scopes, t.expires_at, t.revoked_at, t.last_used_at, u.id AS user_id, u.name AS user FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.id = ?')
      .get(id) as
      | { id: string; hash: Buffer; permission: Permission; scopes: string | null; expires_at: string | null; revoked_at: string | null; last_used_at: string | null; user_id: number; user: string }
      | undefined;
    const presented = sha256(secret ?? '');
    // Compare even when the id is unknown, so timing does not reveal which ids exist.
    const stored = row?.hash ?? Buffer.alloc(32);
    const equal = timingSafeEqual(presented, stored.length === 32 ? stored : Buffer.alloc(32));
    if (!row || !equal) throw invalid();
    if (row.revoked_at !== null) throw new SkillsError('ETOKENREVOKED', 'the token was revoked', { status: 401, hint: 'ask for a new token' });
    if (row.expires_at !== null && row.expires_at <= now()) throw new SkillsError('ETOKENEXPIRED', 'the token has expired', { status: 401, hint: 'ask for a new token' });
    return {
      userId: row.user_id,
      user: row.user,
      tokenId: row.id,
      permission: row.permission,
      scopes: row.scopes === null ? null : (JSON.parse(row.scopes) as string[]),
      expiresAt: row.expires_at,
      lastUsedAt: row.last_used_at,
    };
  }

  /** Records that a token was used for a request that succeeded (at most once a minute per token). */
  touch(caller: Caller): void {
    if (caller.lastUsedAt !== null && Date.now() - Date.parse(caller.lastUsedAt) < TOUCH_EVERY_MS) return;
    this.sql('UPDATE tokens SET last_used_at = ? WHERE id = ?').run(now(), caller.tokenId);
  }

  issueToken(options: { userId: number; permission: Permission; scopes?: string[] | undefined; description?: string | undefined; expiresAt?: string | null | undefined }): { id: string; token: string } {
    const id = randomBytes(12).toString('base64url').replace(/[^A-Za-z0-9]/g, '').padEnd(16, '0').slice(0, 16);
    const secret = randomBytes(32).toString('base64url');
    const expiresAt = options.expiresAt ?? null;
    this.sql('INSERT INTO tokens (id, user_id, hash, permission, scopes, description, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(id, options.userId, sha256(secret), options.permission, options.scopes ? JSON.stringify(options.scopes) : null, options.description ?? null, now(), expiresAt);
    return { id, token: `skr_${id}_${secret}` };
  }

  listTokens(userId?: number): TokenInfo[] {
    const rows = (userId === undefined
      ? this.sql('SELECT t.*, u.name AS user FROM tokens t JOIN users u ON u.id = t.user_id ORDER BY t.created_at, t.id').all()
      : this.sql('SELECT t.*, u.name AS user FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.user_id = ? ORDER BY t.created_at, t.id').all(userId)) as {
      id: string;
      user: string;
      permission: Permission;
      scopes: string | null;
      description: string | null;
      created_at: string;
      expires_at: string | null;
      revoked_at: string | null;
      last_used_at: string | null;
    }[];
    return rows.map((r) => ({
      id: r.id,
      user: r.user,
      permission: r.permission,
      scopes: r.scopes === null ? null : (JSON.parse(r.scopes) as string[]),
      description: r.description,
      createdAt: r.created_at,
      expiresAt: r.expires_at,
      revokedAt: r.revoked_at,
      lastUsedAt: r.last_used_at,
    }));
  }

  /** Whose token this is, with what it may do (undefined when there is no such token). */
  tokenGrant(id: string): { userId: number; permission: Permission; scopes: string[] | null } | undefined {
    const row = this.sql('SELECT user_id, permission, scopes FROM tokens WHERE id = ?').get(id) as { user_id: number; permission: Permission; scopes: string | null } | undefined;
    return row ? { userId: row.user_id, permission: row.permission, scopes: row.scopes === null ? null : (JSON.parse(row.scopes) as string[]) } : undefined;
  }

  revokeToken(id: string): boolean {
    return this.sql('UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(now(), id).changes === 1;
  }

  userId(name: string): number | undefined {
    return (this.sql('SELECT id FROM users WHERE name = ?').get(name) as { id: number } | undefined)?.id;
  }

  createUser(name: string): number {
    return Number(this.sql('INSERT INTO users (name, created_at) VALUES (?, ?)').run(name, now()).lastInsertRowid);
  }

  teamId(name: string): number | undefined {
    return (this.sql('SELECT id FROM teams WHERE name = ?').get(name) as { id: number } | undefined)?.id;
  }

  createTeam(name: string, ownerId: number): number {
    const id = Number(this.sql('INSERT INTO teams (name, created_at) VALUES (?, ?)').run(name, now()).lastInsertRowid);
    this.sql("INSERT INTO team_members (team_id, user_id, role) VALUES (?, ?, 'owner')").run(id, ownerId);
    return id;
  }

  setMember(teamId: number, userId: number, role: 'owner' | 'member'): void {
    this.sql('INSERT INTO team_members (team_id, user_id, role) VALUES (?, ?, ?) ON CONFLICT (team_id, user_id) DO UPDATE SET role = excluded.role').run(teamId, userId, role);
  }

  role(teamId: number, userId: number): 'owner' | 'member' | undefined {
    return (this.sql('SELECT role FROM team_members WHERE team_id = ? AND user_id = ?').get(teamId, userId) as { role: 'owner' | 'member' } | undefined)?.role;
  }

  teamsOf(userId: number): { name: string; role: 'owner' | 'member' }[] {
    return this.sql('SELECT t.name, m.role FROM team_members m JOIN teams t ON t.id = m.team_id WHERE m.user_id = ? ORDER BY t.name').all(userId) as { name: string; role: 'owner' | 'member' }[];
  }

  listTeams(): { name: string; members: { user: string; role: string }[]; scopes: string[] }[] {
    const teams = this.sql('SELECT id, name FROM teams ORDER BY name').all() as { id: number; name: string }[];
    return teams.map((t) => ({
      name: t.name,
      members: this.sql('SELECT u.name AS user, m.role FROM team_members m JOIN users u ON u.id = m.user_id WHERE m.team_id = ? ORDER BY u.name').all(t.id) as { user: string; role: string }[],
      scopes: (this.sql('SELECT name FROM scopes WHERE team_id = ? ORDER BY name').all(t.id) as { name: string }[]).map((s) => s.name),
    }));
  }

  scope(name: string): ScopeRow | undefined {
    return this.sql('SELECT id, name, team_id, private FROM scopes WHERE name = ?').get(name) as ScopeRow | undefined;
  }

  createScope(name: string, teamId: number, isPrivate: boolean): void {
    this.sql('INSERT INTO scopes (name, team_id, private, created_at) VALUES (?, ?, ?, ?)').run(name, teamId, isPrivate ? 1 : 0, now());
  }

  listScopes(): { name: string; team: string; private: boolean }[] {
    return (this.sql('SELECT s.name, t.name AS team, s.private FROM scopes s JOIN teams t ON t.id = s.team_id ORDER BY s.name').all() as { name: string; team: string; private: number }[]).map((s) => ({
      name: s.name,
      team: s.team,
      private: s.private === 1,
    }));
  }

  /** A token's scope list allows this scope. */
  tokenAllows(caller: Caller, scope: string): boolean {
    return caller.scopes === null || caller.scopes.includes(scope);
  }

  canRead(caller: Caller | undefined, scope: ScopeRow): boolean {
    if (scope.private === 0) return true;
    if (!caller || !this.tokenAllows(caller, scope.name)) return false;
    return caller.permission === 'admin' || this.role(scope.team_id, caller.userId) !== undefined;
  }

  canPublish(caller: Caller, scope: ScopeRow): boolean {
    if (!atLeast(caller, 'publish') || !this.tokenAllows(caller, scope.name)) return false;
    return caller.permission === 'admin' || this.role(scope.team_id, caller.userId) !== undefined;
  }

  /** On an empty database: the first user (`admin`) and an admin token, returned once. */
  bootstrap(): { user: string; token: string } | undefined {
    const count = (this.sql('SELECT COUNT(*) AS n FROM users').get() as { n: number }).n;
    if (count > 0) return undefined;
    return this.db.transaction(() => {
      const userId = this.createUser('admin');
      const { token } = this.issueToken({ userId, permission: 'admin', description: 'created by skills serve on an empty database' });
      return { user: 'admin', token };
    })();
  }

  /**
   * Private scopes the caller may read (for search and scope lists): `'all'` for an unscoped admin,
   * else its teams' private scopes (an indexed lookup by user) or, for a scoped admin, the private
   * ones among its token's scopes; never more than the token's scopes allow.
   */
  readablePrivateScopes(caller: Caller | undefined): ReadonlySet<string> | 'all' {
    if (!caller) return new Set();
    if (isGlobalAdmin(caller)) return 'all';
    const names =
      caller.permission === 'admin'
        ? (caller.scopes ?? []).filter((name) => this.scope(name)?.private === 1)
        : (this.sql('SELECT s.name FROM team_members m JOIN scopes s ON s.team_id = m.team_id WHERE m.user_id = ? AND s.private = 1').all(caller.userId) as { name: string }[]).map((s) => s.name);
    return new Set(names.filter((name) => this.tokenAllows(caller, name)));
  }
}
