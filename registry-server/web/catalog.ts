/**
 * What the catalog's pages read from the database, beyond the JSON API's own queries: recently
 * published skills, search with a trust filter, a skill's version list and files, its dependents,
 * a scope's skills and team. Every list takes the private scopes the reader may see and never
 * returns a skill of another private scope.
 */
import semver from 'semver';
import type { Manifest } from '../../schema/manifest';
import type { TrustLevel } from '../../schema/trust';
import type { SearchEngine } from '../storage/search';
import type { SqlDatabase, SqlValue } from '../storage/sql';
import { isTrustLevel } from './extras';

export type Readable = ReadonlySet<string> | 'all';

export interface SkillSummary {
  name: string;
  version: string;
  description: string;
  servers: string[];
  trust: TrustLevel | undefined;
  private: boolean;
  publishedAt: string;
}

export interface VersionListing {
  version: string;
  publishedAt: string;
  yanked: boolean;
  deprecated: string | null;
  trust: TrustLevel | undefined;
}

export interface SearchOptions {
  query: string;
  scope?: string | undefined;
  server?: string | undefined;
  trust?: TrustLevel | undefined;
  limit: number;
  offset: number;
  readable: Readable;
}

interface VersionRow {
  version: string;
  description: string;
  manifest: string;
  published_at: string;
  trust?: unknown;
}

const PUBLIC_SERVERS_TTL_MS = 60_000;

function readableWhere(readable: Readable, params: SqlValue[]): string {
  if (readable === 'all') return '1 = 1';
  const names = [...readable];
  params.push(...names);
  return `(sc.private = 0${names.length > 0 ? ` OR sc.name IN (${names.map(() => '?').join(', ')})` : ''})`;
}

export class CatalogData {
  #publicServers: { at: number; names: string[] } | undefined;

  constructor(
    private readonly db: SqlDatabase,
    private readonly searchEngine: SearchEngine,
  ) {}

  #summary(name: string, isPrivate: boolean, row: VersionRow): SkillSummary {
    let servers: string[] = [];
    try {
      servers = Object.keys((JSON.parse(row.manifest) as Manifest).mcp ?? {});
    } catch {
      servers = [];
    }
    return { name, version: row.version, description: row.description, servers, trust: isTrustLevel(row.trust) ? row.trust : undefined, private: isPrivate, publishedAt: row.published_at };
  }

  /** The summary of each skill at its `latest` version (else its highest). */
  async #summaries(rows: { id: number; name: string; private: number; latest: string | null }[]): Promise<SkillSummary[]> {
    const out: SkillSummary[] = [];
    for (const r of rows) {
      let version = r.latest;
      if (version === null) {
        const all = (await this.db.all<{ version: string }>('SELECT version FROM versions WHERE skill_id = ?', [r.id])).map((v) => v.version);
        version = semver.rsort(all)[0] ?? null;
      }
      if (version === null) continue;
      const row = await this.db.get<VersionRow>('SELECT v.version, v.description, v.manifest, v.published_at, v.trust FROM versions v WHERE v.skill_id = ? AND v.version = ?', [r.id, version]);
      if (row) out.push(this.#summary(r.name, r.private === 1, row));
    }
    return out;
  }

  async skillCount(readable: Readable): Promise<number> {
    const params: SqlValue[] = [];
    const where = readableWhere(readable, params);
    return (await this.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM skills s JOIN scopes sc ON sc.id = s.scope_id WHERE ${where}`, params))?.n ?? 0;
  }

  /** Skills by their most recent publish (yanked versions aside), newest first. */
  async recent(readable: Readable, limit: number): Promise<SkillSummary[]> {
    const params: SqlValue[] = [];
    const where = readableWhere(readable, params);
    const rows = await this.db.all<VersionRow & { name: string; private: number }>(
      `SELECT s.name, sc.private, v.version, v.description, v.manifest, v.published_at, v.trust
       FROM versions v JOIN skills s ON s.id = v.skill_id JOIN scopes sc ON sc.id = s.scope_id
       WHERE v.yanked = 0 AND ${where} ORDER BY v.published_at DESC LIMIT ?`,
      [...params, limit * 4],
    );
    const seen = new Set<string>();
    const out: SkillSummary[] = [];
    for (const row of rows) {
      if (seen.has(row.name)) continue;
      seen.add(row.name);
      out.push(this.#summary(row.name, row.private === 1, row));
      if (out.length >= limit) break;
    }
    return out;
  }

  async search(options: SearchOptions): Promise<{ total: number; results: SkillSummary[] }> {
    const match = this.searchEngine.match(options.query);
    const params: SqlValue[] = [];
    const where = [readableWhere(options.readable, params)];
    if (match !== undefined) {
      where.unshift(match.where);
      params.unshift(...match.params);
    }
    if (options.scope !== undefined) {
      where.push('sc.name = ?');
      params.push(options.scope);
    }
    if (options.server !== undefined) {
      where.push('EXISTS (SELECT 1 FROM skill_servers ss WHERE ss.skill_id = s.id AND ss.server = ?)');
      params.push(options.server);
    }
    if (options.trust !== undefined) {
      where.push('EXISTS (SELECT 1 FROM skill_latest sl WHERE sl.skill_id = s.id AND sl.trust = ?)');
      params.push(options.trust);
    }
    const from = match !== undefined ? `FROM ${match.from} JOIN scopes sc ON sc.id = s.scope_id` : 'FROM skills s JOIN scopes sc ON sc.id = s.scope_id';
    const filter = `${from} WHERE ${where.join(' AND ')}`;
    const total = (await this.db.get<{ n: number }>(`SELECT COUNT(*) AS n ${filter}`, params))?.n ?? 0;
    const rows = await this.db.all<{ id: number; name: string; private: number; latest: string | null; rank: number }>(
      `SELECT s.id, s.name, sc.private, (SELECT d.version FROM dist_tags d WHERE d.skill_id = s.id AND d.tag = 'latest') AS latest, ${match !== undefined ? match.rank : '0'} AS rank
       ${filter} ORDER BY rank, s.name LIMIT ? OFFSET ?`,
      [...params, options.limit, options.offset],
    );
    return { total, results: await this.#summaries(rows) };
  }

  /** Every version of a skill, highest first. */
  async versions(skillId: number): Promise<VersionListing[]> {
    const rows = await this.db.all<{ version: string; published_at: string; yanked: number; deprecated: string | null; trust?: unknown }>(
      'SELECT v.version, v.published_at, v.yanked, v.deprecated, v.trust FROM versions v WHERE v.skill_id = ?',
      [skillId],
    );
    rows.sort((a, b) => semver.rcompare(a.version, b.version));
    return rows.map((r) => ({ version: r.version, publishedAt: r.published_at, yanked: r.yanked === 1, deprecated: r.deprecated, trust: isTrustLevel(r.trust) ? r.trust : undefined }));
  }

  /** The files of a version as published (path and size), sorted by path. */
  async files(skillId: number, version: string): Promise<{ path: string; size: number }[] | undefined> {
    const row = await this.db.get<{ files: string }>('SELECT files FROM versions WHERE skill_id = ? AND version = ?', [skillId, version]);
    if (!row) return undefined;
    const files = JSON.parse(row.files) as { path: string; size: number }[];
    return files.map((f) => ({ path: f.path, size: f.size })).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** Skills whose latest version depends on `name`, that the reader may see. */
  async dependents(name: string, readable: Readable, limit: number): Promise<{ names: { name: string; version: string }[]; more: boolean }> {
    const params: SqlValue[] = [name];
    const where = readableWhere(readable, params);
    const rows = await this.db.all<{ name: string; version: string }>(
      `SELECT s.name, v.version FROM skill_dependencies sd JOIN versions v ON v.id = sd.version_id JOIN skills s ON s.id = v.skill_id
       JOIN dist_tags d ON d.skill_id = s.id AND d.tag = 'latest' AND d.version = v.version JOIN scopes sc ON sc.id = s.scope_id
       WHERE sd.dependency = ? AND ${where} ORDER BY s.name LIMIT ?`,
      [...params, limit + 1],
    );
    return { names: rows.slice(0, limit), more: rows.length > limit };
  }

  async scopeSkills(scopeId: number, isPrivate: boolean, limit: number, offset: number): Promise<{ total: number; results: SkillSummary[] }> {
    const total = (await this.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM skills WHERE scope_id = ?', [scopeId]))?.n ?? 0;
    const rows = await this.db.all<{ id: number; name: string; latest: string | null }>(
      `SELECT s.id, s.name, (SELECT d.version FROM dist_tags d WHERE d.skill_id = s.id AND d.tag = 'latest') AS latest
       FROM skills s WHERE s.scope_id = ? ORDER BY s.name LIMIT ? OFFSET ?`,
      [scopeId, limit, offset],
    );
    return { total, results: await this.#summaries(rows.map((r) => ({ ...r, private: isPrivate ? 1 : 0 }))) };
  }

  async team(teamId: number): Promise<{ name: string; members: { user: string; role: string }[] } | undefined> {
    const team = await this.db.get<{ name: string }>('SELECT name FROM teams WHERE id = ?', [teamId]);
    if (!team) return undefined;
    const members = await this.db.all<{ user: string; role: string }>('SELECT u.name AS user, m.role FROM team_members m JOIN users u ON u.id = m.user_id WHERE m.team_id = ? ORDER BY m.role DESC, u.name LIMIT 200', [teamId]);
    return { name: team.name, members };
  }

  /** MCP servers used by public skills, most used first (suggestions for the filter). */
  async publicServers(): Promise<string[]> {
    const at = Date.now();
    if (this.#publicServers && at - this.#publicServers.at < PUBLIC_SERVERS_TTL_MS) return this.#publicServers.names;
    const names = (
      await this.db.all<{ server: string }>(
        `SELECT ss.server, COUNT(*) AS n FROM skill_servers ss JOIN skills s ON s.id = ss.skill_id JOIN scopes sc ON sc.id = s.scope_id
         WHERE sc.private = 0 GROUP BY ss.server ORDER BY n DESC, ss.server LIMIT 50`,
      )
    ).map((r) => r.server);
    this.#publicServers = { at, names };
    return names;
  }
}
