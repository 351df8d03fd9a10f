/**
 * What the catalog's pages read from the database, beyond the JSON API's own queries: recently
 * published skills, search with a trust filter, a skill's version list and files, its dependents,
 * a scope's skills and team. Every list takes the private scopes the reader may see and never
 * returns a skill of another private scope.
 */
import semver from 'semver';
import type { Manifest } from '../../schema/manifest';
import type { TrustLevel } from '../../schema/trust';
import type { Db } from '../db';
import { ftsQuery } from '../skills-store';
import { statements, type Sql } from '../statements';
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

function readableWhere(readable: Readable, params: unknown[]): string {
  if (readable === 'all') return '1';
  const names = [...readable];
  params.push(...names);
  return `(sc.private = 0${names.length > 0 ? ` OR sc.name IN (${names.map(() => '?').join(', ')})` : ''})`;
}

export class CatalogData {
  private readonly sql: Sql;
  #publicServers: { at: number; names: string[] } | undefined;

  constructor(db: Db) {
    this.sql = statements(db, 200);
  }

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
  #summaries(rows: { id: number; name: string; private: number; latest: string | null }[]): SkillSummary[] {
    const out: SkillSummary[] = [];
    for (const r of rows) {
      let version = r.latest;
      if (version === null) {
        const all = (this.sql('SELECT version FROM versions WHERE skill_id = ?').all(r.id) as { version: string }[]).map((v) => v.version);
        version = semver.rsort(all)[0] ?? null;
      }
      if (version === null) continue;
      const row = this.sql(`SELECT v.version, v.description, v.manifest, v.published_at, v.trust FROM versions v WHERE v.skill_id = ? AND v.version = ?`).get(r.id, version) as VersionRow | undefined;
      if (row) out.push(this.#summary(r.name, r.private === 1, row));
    }
    return out;
  }

  skillCount(readable: Readable): number {
    const params: unknown[] = [];
    const where = readableWhere(readable, params);
    return (this.sql(`SELECT COUNT(*) AS n FROM skills s JOIN scopes sc ON sc.id = s.scope_id WHERE ${where}`).get(...params) as { n: number }).n;
  }

  /** Skills by their most recent publish (yanked versions aside), newest first. */
  recent(readable: Readable, limit: number): SkillSummary[] {
    const params: unknown[] = [];
    const where = readableWhere(readable, params);
    const rows = this.sql(
      `SELECT s.name, sc.private, v.version, v.description, v.manifest, v.published_at, v.trust
       FROM versions v JOIN skills s ON s.id = v.skill_id JOIN scopes sc ON sc.id = s.scope_id
       WHERE v.yanked = 0 AND ${where} ORDER BY v.published_at DESC LIMIT ?`,
    ).all(...params, limit * 4) as (VersionRow & { name: string; private: number })[];
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

  search(options: SearchOptions): { total: number; results: SkillSummary[] } {
    const match = ftsQuery(options.query);
    const params: unknown[] = [];
    const where = [readableWhere(options.readable, params)];
    if (match !== undefined) {
      where.push('skills_fts MATCH ?');
      params.push(match);
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
    const from = match !== undefined ? 'FROM skills_fts JOIN skills s ON s.id = skills_fts.rowid JOIN scopes sc ON sc.id = s.scope_id' : 'FROM skills s JOIN scopes sc ON sc.id = s.scope_id';
    const filter = `${from} WHERE ${where.join(' AND ')}`;
    const total = (this.sql(`SELECT COUNT(*) AS n ${filter}`).get(...params) as { n: number }).n;
    const rows = this.sql(
      `SELECT s.id, s.name, sc.private, (SELECT d.version FROM dist_tags d WHERE d.skill_id = s.id AND d.tag = 'latest') AS latest
       ${filter} ORDER BY ${match !== undefined ? 'bm25(skills_fts, 10.0, 5.0, 3.0, 1.0), ' : ''}s.name LIMIT ? OFFSET ?`,
    ).all(...params, options.limit, options.offset) as { id: number; name: string; private: number; latest: string | null }[];
    return { total, results: this.#summaries(rows) };
  }

  /** Every version of a skill, highest first. */
  versions(skillId: number): VersionListing[] {
    const rows = this.sql(`SELECT v.version, v.published_at, v.yanked, v.deprecated, v.trust FROM versions v WHERE v.skill_id = ?`).all(skillId) as {
      version: string;
      published_at: string;
      yanked: number;
      deprecated: string | null;
      trust?: unknown;
    }[];
    rows.sort((a, b) => semver.rcompare(a.version, b.version));
    return rows.map((r) => ({ version: r.version, publishedAt: r.published_at, yanked: r.yanked === 1, deprecated: r.deprecated, trust: isTrustLevel(r.trust) ? r.trust : undefined }));
  }

  /** The files of a version as published (path and size), sorted by path. */
  files(skillId: number, version: string): { path: string; size: number }[] | undefined {
    const row = this.sql('SELECT files FROM versions WHERE skill_id = ? AND version = ?').get(skillId, version) as { files: string } | undefined;
    if (!row) return undefined;
    const files = JSON.parse(row.files) as { path: string; size: number }[];
    return files.map((f) => ({ path: f.path, size: f.size })).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** Skills whose latest version depends on `name`, that the reader may see. */
  dependents(name: string, readable: Readable, limit: number): { names: { name: string; version: string }[]; more: boolean } {
    const params: unknown[] = [name];
    const where = readableWhere(readable, params);
    const rows = this.sql(
      `SELECT s.name, v.version FROM skill_dependencies sd JOIN versions v ON v.id = sd.version_id JOIN skills s ON s.id = v.skill_id
       JOIN dist_tags d ON d.skill_id = s.id AND d.tag = 'latest' AND d.version = v.version JOIN scopes sc ON sc.id = s.scope_id
       WHERE sd.dependency = ? AND ${where} ORDER BY s.name LIMIT ?`,
    ).all(...params, limit + 1) as { name: string; version: string }[];
    return { names: rows.slice(0, limit), more: rows.length > limit };
  }

  scopeSkills(scopeId: number, isPrivate: boolean, limit: number, offset: number): { total: number; results: SkillSummary[] } {
    const total = (this.sql('SELECT COUNT(*) AS n FROM skills WHERE scope_id = ?').get(scopeId) as { n: number }).n;
    const rows = this.sql(
      `SELECT s.id, s.name, ? AS private, (SELECT d.version FROM dist_tags d WHERE d.skill_id = s.id AND d.tag = 'latest') AS latest
       FROM skills s WHERE s.scope_id = ? ORDER BY s.name LIMIT ? OFFSET ?`,
    ).all(isPrivate ? 1 : 0, scopeId, limit, offset) as { id: number; name: string; private: number; latest: string | null }[];
    return { total, results: this.#summaries(rows) };
  }

  team(teamId: number): { name: string; members: { user: string; role: string }[] } | undefined {
    const team = this.sql('SELECT name FROM teams WHERE id = ?').get(teamId) as { name: string } | undefined;
    if (!team) return undefined;
    const members = this.sql('SELECT u.name AS user, m.role FROM team_members m JOIN users u ON u.id = m.user_id WHERE m.team_id = ? ORDER BY m.role DESC, u.name LIMIT 200').all(teamId) as {
      user: string;
      role: string;
    }[];
    return { name: team.name, members };
  }

  /** MCP servers used by public skills, most used first (suggestions for the filter). */
  publicServers(): string[] {
    const at = Date.now();
    if (this.#publicServers && at - this.#publicServers.at < PUBLIC_SERVERS_TTL_MS) return this.#publicServers.names;
    const names = (
      this.sql(
        `SELECT ss.server, COUNT(*) AS n FROM skill_servers ss JOIN skills s ON s.id = ss.skill_id JOIN scopes sc ON sc.id = s.scope_id
         WHERE sc.private = 0 GROUP BY ss.server ORDER BY n DESC, ss.server LIMIT 50`,
      ).all() as { server: string }[]
    ).map((r) => r.server);
    this.#publicServers = { at, names };
    return names;
  }
}
