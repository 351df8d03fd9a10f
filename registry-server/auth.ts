/**
 * Users, teams, scopes and bearer tokens. A token is `skr_<id>_<secret>`: the id finds the row,
 * the secret is stored only as its sha256 and compared in constant time. Permissions are ordered
 * read < publish < admin; a token may also be limited to a list of scopes. A scoped token acts
 * only on skills in its scopes: accounts (users, teams, members, scopes, other users' tokens) need
 * an unscoped token.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { SkillsError } from '../schema/errors';
import { teamNameSchema, type Permission, type TokenInfo } from '../schema/registry';
import { recordAdminAction } from './admin-log';
import type { SqlDatabase, SqlExecutor } from './storage/sql';

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
const TOKEN_ID_RE = /^[A-Za-z0-9]{16}$/;

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
  constructor(private readonly db: SqlDatabase) {}

  /** Resolves an `Authorization: Bearer ...` header; undefined when there is none. */
  async authenticate(header: string | undefined): Promise<Caller | undefined> {
    if (header === undefined || header === '') return undefined;
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const parsed = match ? TOKEN_RE.exec(match[1] ?? '') : null;
    const invalid = () => new SkillsError('ETOKENINVALID', 'the token is not valid', { status: 401, hint: 'log in again with `skills login --token <token>`' });
    if (!parsed) throw invalid();
    const [, id, secret] = parsed;
    const row = await this.db.get<{ id: string; hash: Buffer; permission: Permission; scopes: string | null; expires_at: string | null; revoked_at: string | null; last_used_at: string | null; user_id: number; user: string }>(
      'SELECT t.id, t.hash, t.permission, t.scopes, t.expires_at, t.revoked_at, t.last_used_at, u.id AS user_id, u.name AS user FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.id = ?',
      [id ?? ''],
    );
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
  async touch(caller: Caller): Promise<void> {
    if (caller.lastUsedAt !== null && Date.now() - Date.parse(caller.lastUsedAt) < TOUCH_EVERY_MS) return;
    await this.db.run('UPDATE tokens SET last_used_at = ? WHERE id = ?', [now(), caller.tokenId]);
  }

  async issueToken(
    options: { userId: number; permission: Permission; scopes?: string[] | undefined; description?: string | undefined; expiresAt?: string | null | undefined },
    q: SqlExecutor = this.db,
  ): Promise<{ id: string; token: string }> {
    const id = randomBytes(12).toString('base64url').replace(/[^A-Za-z0-9]/g, '').padEnd(16, '0').slice(0, 16);
    const secret = randomBytes(32).toString('base64url');
    const expiresAt = options.expiresAt ?? null;
    await q.run('INSERT INTO tokens (id, user_id, hash, permission, scopes, description, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
      id,
      options.userId,
      sha256(secret),
      options.permission,
      options.scopes ? JSON.stringify(options.scopes) : null,
      options.description ?? null,
      now(),
      expiresAt,
    ]);
    return { id, token: `skr_${id}_${secret}` };
  }

  async listTokens(userId?: number): Promise<TokenInfo[]> {
    type Row = { id: string; user: string; permission: Permission; scopes: string | null; description: string | null; created_at: string; expires_at: string | null; revoked_at: string | null; last_used_at: string | null };
    const columns = 't.id, u.name AS user, t.permission, t.scopes, t.description, t.created_at, t.expires_at, t.revoked_at, t.last_used_at';
    const rows =
      userId === undefined
        ? await this.db.all<Row>(`SELECT ${columns} FROM tokens t JOIN users u ON u.id = t.user_id ORDER BY t.created_at, t.id`)
        : await this.db.all<Row>(`SELECT ${columns} FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.user_id = ? ORDER BY t.created_at, t.id`, [userId]);
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
  async tokenGrant(id: string): Promise<{ userId: number; permission: Permission; scopes: string[] | null } | undefined> {
    // Ids come from the URL: one of another shape names no token (and may hold what the database cannot take).
    if (!TOKEN_ID_RE.test(id)) return undefined;
    const row = await this.db.get<{ user_id: number; permission: Permission; scopes: string | null }>('SELECT user_id, permission, scopes FROM tokens WHERE id = ?', [id]);
    return row ? { userId: row.user_id, permission: row.permission, scopes: row.scopes === null ? null : (JSON.parse(row.scopes) as string[]) } : undefined;
  }

  async revokeToken(id: string, q: SqlExecutor = this.db): Promise<boolean> {
    return (await q.run('UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [now(), id])).changes === 1;
  }

  async userId(name: string, q: SqlExecutor = this.db): Promise<number | undefined> {
    return (await q.get<{ id: number }>('SELECT id FROM users WHERE name = ?', [name]))?.id;
  }

  async createUser(name: string, q: SqlExecutor = this.db): Promise<number> {
    return (await q.get<{ id: number }>('INSERT INTO users (name, created_at) VALUES (?, ?) RETURNING id', [name, now()]))?.id ?? 0;
  }

  async teamId(name: string, q: SqlExecutor = this.db): Promise<number | undefined> {
    if (!teamNameSchema.safeParse(name).success) return undefined;
    return (await q.get<{ id: number }>('SELECT id FROM teams WHERE name = ?', [name]))?.id;
  }

  async createTeam(name: string, ownerId: number, q: SqlExecutor = this.db): Promise<number> {
    const id = (await q.get<{ id: number }>('INSERT INTO teams (name, created_at) VALUES (?, ?) RETURNING id', [name, now()]))?.id ?? 0;
    await q.run("INSERT INTO team_members (team_id, user_id, role) VALUES (?, ?, 'owner')", [id, ownerId]);
    return id;
  }

  async setMember(teamId: number, userId: number, role: 'owner' | 'member', q: SqlExecutor = this.db): Promise<void> {
    await q.run('INSERT INTO team_members (team_id, user_id, role) VALUES (?, ?, ?) ON CONFLICT (team_id, user_id) DO UPDATE SET role = excluded.role', [teamId, userId, role]);
  }

  async role(teamId: number, userId: number, q: SqlExecutor = this.db): Promise<'owner' | 'member' | undefined> {
    return (await q.get<{ role: 'owner' | 'member' }>('SELECT role FROM team_members WHERE team_id = ? AND user_id = ?', [teamId, userId]))?.role;
  }

  teamsOf(userId: number): Promise<{ name: string; role: 'owner' | 'member' }[]> {
    return this.db.all<{ name: string; role: 'owner' | 'member' }>('SELECT t.name, m.role FROM team_members m JOIN teams t ON t.id = m.team_id WHERE m.user_id = ? ORDER BY t.name', [userId]);
  }

  async listTeams(): Promise<{ name: string; members: { user: string; role: string }[]; scopes: string[] }[]> {
    const teams = await this.db.all<{ id: number; name: string }>('SELECT id, name FROM teams ORDER BY name');
    const out: { name: string; members: { user: string; role: string }[]; scopes: string[] }[] = [];
    for (const t of teams) {
      out.push({
        name: t.name,
        members: await this.db.all<{ user: string; role: string }>('SELECT u.name AS user, m.role FROM team_members m JOIN users u ON u.id = m.user_id WHERE m.team_id = ? ORDER BY u.name', [t.id]),
        scopes: (await this.db.all<{ name: string }>('SELECT name FROM scopes WHERE team_id = ? ORDER BY name', [t.id])).map((s) => s.name),
      });
    }
    return out;
  }

  scope(name: string, q: SqlExecutor = this.db): Promise<ScopeRow | undefined> {
    return q.get<ScopeRow>('SELECT id, name, team_id, private FROM scopes WHERE name = ?', [name]);
  }

  async createScope(name: string, teamId: number, isPrivate: boolean, q: SqlExecutor = this.db): Promise<void> {
    await q.run('INSERT INTO scopes (name, team_id, private, created_at) VALUES (?, ?, ?, ?)', [name, teamId, isPrivate ? 1 : 0, now()]);
  }

  async listScopes(): Promise<{ name: string; team: string; private: boolean }[]> {
    return (await this.db.all<{ name: string; team: string; private: number }>('SELECT s.name, t.name AS team, s.private FROM scopes s JOIN teams t ON t.id = s.team_id ORDER BY s.name')).map((s) => ({
      name: s.name,
      team: s.team,
      private: s.private === 1,
    }));
  }

  /** A token's scope list allows this scope. */
  tokenAllows(caller: Caller, scope: string): boolean {
    return caller.scopes === null || caller.scopes.includes(scope);
  }

  async canRead(caller: Caller | undefined, scope: ScopeRow): Promise<boolean> {
    if (scope.private === 0) return true;
    if (!caller || !this.tokenAllows(caller, scope.name)) return false;
    return caller.permission === 'admin' || (await this.role(scope.team_id, caller.userId)) !== undefined;
  }

  async canPublish(caller: Caller, scope: ScopeRow): Promise<boolean> {
    if (!atLeast(caller, 'publish') || !this.tokenAllows(caller, scope.name)) return false;
    return caller.permission === 'admin' || (await this.role(scope.team_id, caller.userId)) !== undefined;
  }

  /**
   * On an empty database: the first user (`admin`) and an admin token, returned once. Several
   * processes starting at once on one database: the user's unique name lets one of them win.
   */
  async bootstrap(): Promise<{ user: string; token: string } | undefined> {
    const count = (await this.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM users'))?.n ?? 0;
    if (count > 0) return undefined;
    try {
      return await this.db.transaction(async (tx) => {
        const userId = await this.createUser('admin', tx);
        const { id, token } = await this.issueToken({ userId, permission: 'admin', description: 'created by skills serve on an empty database' }, tx);
        // The registry itself did these: no user, token or address.
        const registry = { userId: null, tokenId: null, address: null };
        await recordAdminAction(tx, registry, { action: 'user-create', target: 'admin', details: { by: 'the registry, on an empty database' } });
        await recordAdminAction(tx, registry, { action: 'token-create', target: id, details: { user: 'admin', permission: 'admin', scopes: null, expiresAt: null } });
        return { user: 'admin', token };
      });
    } catch (error) {
      if (this.db.isUniqueViolation(error)) return undefined;
      throw error;
    }
  }

  /**
   * Private scopes the caller may read (for search and scope lists): `'all'` for an unscoped admin,
   * else its teams' private scopes (an indexed lookup by user) or, for a scoped admin, the private
   * ones among its token's scopes; never more than the token's scopes allow.
   */
  async readablePrivateScopes(caller: Caller | undefined): Promise<ReadonlySet<string> | 'all'> {
    if (!caller) return new Set();
    if (isGlobalAdmin(caller)) return 'all';
    let names: string[];
    if (caller.permission === 'admin') {
      names = [];
      for (const name of caller.scopes ?? []) if ((await this.scope(name))?.private === 1) names.push(name);
    } else {
      names = (await this.db.all<{ name: string }>('SELECT s.name FROM team_members m JOIN scopes s ON s.team_id = m.team_id WHERE m.user_id = ? AND s.private = 1', [caller.userId])).map((s) => s.name);
    }
    return new Set(names.filter((name) => this.tokenAllows(caller, name)));
  }
}
