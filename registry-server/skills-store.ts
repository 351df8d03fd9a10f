/** Skills, versions, tarballs, dist-tags and the search index in SQLite. */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import semver from 'semver';
import type { AuditSummary } from '../schema/audit-report';
import type { Manifest } from '../schema/manifest';
import type { InstallPackument, PackageKind, Packument, PackumentVersion, Provenance, RegistryDiscoveryEntry, SearchResult, TrustReason, VerificationSummary } from '../schema/registry';
import { tarballPath } from '../schema/registry';
import type { TrustLevel } from '../schema/trust';
import { now, type ScopeRow } from './auth';
import type { Db } from './db';
import { statements, type Sql } from './statements';
import { shownVersion, writeLatest } from './version-trust';
import { downloadSummary, utcDay } from './downloads';
import { ByteLru, type ByteLruStats } from './byte-lru';
import { DiscoveryIndex, type IndexBody } from './discovery-index';

export interface SkillRow {
  id: number;
  name: string;
  scope_id: number;
  created_at: string;
  updated_at: string;
}

interface VersionRow {
  id: number;
  version: string;
  integrity: string;
  digest: string;
  manifest: string;
  skill_md: string;
  description: string;
  file_count: number;
  unpacked_size: number;
  size: number;
  verification: string;
  published_by: string | null;
  published_at: string;
  yanked: number;
  deprecated: string | null;
  kind: PackageKind;
  trust: TrustLevel;
  trust_reasons: string;
  provenance: string | null;
}

/** The columns of a version row that `toVersion` reads. */
const VERSION_COLUMNS = `v.id, v.version, v.integrity, v.digest, v.manifest, v.skill_md, v.description, v.file_count, v.unpacked_size, v.size,
                v.verification, u.name AS published_by, v.published_at, v.yanked, v.deprecated, v.kind, v.trust, v.trust_reasons, v.provenance`;

export interface NewVersion {
  name: string;
  scopeId: number;
  version: string;
  manifest: Manifest;
  skillMd: string;
  body: string;
  description: string;
  integrity: string;
  digest: string;
  files: { path: string; size: number; sha256: string }[];
  unpackedSize: number;
  tarball: Uint8Array;
  verification: VerificationSummary;
  publishedBy: number;
  tag: string | undefined;
  kind: PackageKind;
  trust: TrustLevel;
  trustReasons: TrustReason[];
  provenance: Provenance | undefined;
  /** sha256 hex of the tarball bytes, and of SKILL.md exactly as `/skill.md` serves it. */
  tarballSha256: string;
  skillMdSha256: string;
}

/** A response body kept ready to send: the bytes, their gzip form when worth it, and an ETag. */
export interface CachedBody {
  body: Buffer;
  gzip: Buffer | undefined;
  etag: string;
}

/** A cached packument; a full one keeps its text without `downloads` to splice new counts in. */
interface PackumentEntry extends CachedBody {
  /** The JSON text up to (not including) the closing brace, or without `downloads` for the full form. */
  head: string;
  counts: { skillId: number; json: string; generation: number } | undefined;
}

function bodyOf(head: string, counts: PackumentEntry['counts']): PackumentEntry {
  const text = counts ? `${head},"downloads":${counts.json}}` : head;
  const body = Buffer.from(text, 'utf8');
  const hash = createHash('sha256').update(body).digest('base64url').slice(0, 27);
  return { body, gzip: body.byteLength >= GZIP_MIN_BYTES ? gzipSync(body, { level: 6 }) : undefined, etag: `"${hash}"`, head: counts ? head : '', counts };
}

export interface CachedTarball {
  bytes: Buffer;
  etag: string;
  skill: { id: number; name: string };
}

export interface StoreCacheOptions {
  /** Bytes of packument bodies (plain and gzipped) kept; least recently used go first. */
  packumentCacheBytes: number;
  /** Bytes of tarballs kept in memory. */
  tarballCacheBytes: number;
  /** Bytes of search answers kept until the next write (0: every search is ranked afresh). */
  searchCacheBytes: number;
  /** Search counts matches only this far (SEARCH_TOTAL_CAP by default; smaller in tests). */
  searchTotalCap: number;
}

export const DEFAULT_STORE_CACHE: StoreCacheOptions = { packumentCacheBytes: 64 * 1024 * 1024, tarballCacheBytes: 64 * 1024 * 1024, searchCacheBytes: 8 * 1024 * 1024, searchTotalCap: 1000 };

export interface SearchOptions {
  query: string;
  scope?: string | undefined;
  server?: string | undefined;
  /** Only skills whose shown version has one of these levels; undefined for all. */
  trust?: readonly TrustLevel[] | undefined;
  limit: number;
  offset: number;
  readablePrivate: ReadonlySet<string> | 'all';
}

export interface SearchAnswer {
  /** Exact when `totalCapped` is false; else a lower bound (matches were counted only up to the cap). */
  total: number;
  /** True when there are more matches than were counted: `total` is then "at least". */
  totalCapped: boolean;
  results: SearchResult[];
}

/** Bodies smaller than this are sent as they are: gzip would save little and cost a header. */
const GZIP_MIN_BYTES = 1024;
/** What a cache entry costs besides its bytes (key, object, map slot), for the byte bound. */
const ENTRY_OVERHEAD = 256;
/** Search counts matches only this far: `total` is exact up to it; beyond, it is a lower bound and `totalCapped` is true. */
export const SEARCH_TOTAL_CAP = DEFAULT_STORE_CACHE.searchTotalCap;

export class SkillsStore {
  /**
   * Packument bodies by everything they depend on (form, origin, private flag, skill, and the UTC
   * day for the full form's weekly download count), grouped by skill: every write to a skill drops
   * its group. Bounded by bytes.
   */
  readonly #packuments: ByteLru<PackumentEntry>;
  /** Per skill name: how many times its download counts were written (see invalidate). */
  readonly #downloadsGen = new Map<string, number>();
  /** Tarballs never change once published (deletion drops them), so reads are cached by bytes. */
  readonly #tarballs: ByteLru<CachedTarball>;
  readonly #discovery: DiscoveryIndex;
  /**
   * Search answers by everything they depend on (the match expression, the ids of the scopes
   * searched, which the caller's access decides, the filters and the page), all dropped by any
   * write: broad words rank every match, and the same few are asked again and again.
   */
  readonly #searches: ByteLru<SearchAnswer>;
  readonly #searchTotalCap: number;
  /** Prepared statements, compiled once and reused: preparing dominated the soak profile. */
  private readonly sql: Sql;
  /** Scope rows by name, once found: a scope is never changed or removed once created. */
  readonly #scopes = new Map<string, ScopeRow>();
  /** SQLite's data_version as last seen: it moves when another connection commits a change. */
  #dataVersion: number | undefined;
  /** Set once data_version was read in this turn of the event loop (see #fresh). */
  #checkedThisTurn = false;

  constructor(
    private readonly db: Db,
    cache: Partial<StoreCacheOptions> = {},
  ) {
    const options = { ...DEFAULT_STORE_CACHE, ...cache };
    this.#packuments = new ByteLru(options.packumentCacheBytes);
    this.#tarballs = new ByteLru(options.tarballCacheBytes);
    this.#searches = new ByteLru(options.searchCacheBytes);
    this.#searchTotalCap = options.searchTotalCap;
    this.sql = statements(db);
    this.#discovery = new DiscoveryIndex(this.sql);
  }

  /**
   * Before serving from a cache: if another connection (another registry process on the same
   * file, an operator's script) committed since we last looked, nothing cached can be trusted.
   * Our own writes do not move data_version; they drop what they change themselves.
   *
   * Read once per turn of the event loop, not per call: under load one turn serves many requests,
   * and the query cost ~10% of a cached GET. A commit by another process is seen from the next
   * turn, which no request can tell from having arrived a moment earlier.
   */
  #fresh(): void {
    if (this.#checkedThisTurn) return;
    this.#checkedThisTurn = true;
    setImmediate(() => {
      this.#checkedThisTurn = false;
    });
    const version = this.sql('PRAGMA data_version').pluck().get() as number;
    if (this.#dataVersion !== undefined && version !== this.#dataVersion) {
      this.#packuments.clear();
      this.#tarballs.clear();
      this.#discovery.clear();
      this.#scopes.clear();
      this.#searches.clear();
    }
    this.#dataVersion = version;
  }

  /**
   * A skill changed: drop every cached body derived from it. Called by every writer, before and
   * after its transaction; nothing is cached while a transaction is open (see #cacheable), so a
   * rolled-back change can never be served.
   */
  #changed(skill: { id: number; name: string }): void {
    this.#packuments.deleteGroup(skill.name);
    this.#discovery.changed(skill.id);
    this.#searches.clear();
  }

  #cacheable(): boolean {
    return !this.db.inTransaction;
  }

  /**
   * A skill's download counts changed (written by the counter). Its cached full packuments stay,
   * marked: the next read recomputes only their `downloads` field (the last one), so busy tarball
   * traffic does not force every packument to be rebuilt. The install form carries no counts.
   */
  invalidate(name: string): void {
    this.#downloadsGen.set(name, (this.#downloadsGen.get(name) ?? 0) + 1);
  }

  /** Sizes and hit counts of the caches (for tests and the bench). */
  cacheStats(): { packuments: ByteLruStats; tarballs: ByteLruStats; searches: ByteLruStats } {
    return { packuments: this.#packuments.stats(), tarballs: this.#tarballs.stats(), searches: this.#searches.stats() };
  }

  #packumentKey(name: string, origin: string, isPrivate: boolean, form: 'full' | 'install'): string {
    // The full form carries download counts, whose last-week total moves with the day.
    return `${form}\u0000${origin}\u0000${isPrivate ? 1 : 0}\u0000${name}${form === 'full' ? `\u0000${utcDay(new Date())}` : ''}`;
  }

  /**
   * The cached packument of `name`, if there is one. A hit needs no lookup of the skill: every
   * writer drops a skill's entries, deleting its last version included. The caller has checked
   * that it may read the scope.
   */
  cachedPackument(name: string, origin: string, isPrivate: boolean, form: 'full' | 'install'): CachedBody | undefined {
    this.#fresh();
    const key = this.#packumentKey(name, origin, isPrivate, form);
    const entry = this.#packuments.get(key);
    return entry ? this.#currentDownloads(key, name, entry) : undefined;
  }

  /** The packument (or its install form) ready to send, cached until the skill changes. */
  packumentBody(skill: SkillRow, origin: string, isPrivate: boolean, form: 'full' | 'install' = 'full'): CachedBody {
    this.#fresh();
    const key = this.#packumentKey(skill.name, origin, isPrivate, form);
    const cached = this.#packuments.get(key);
    if (cached) return this.#currentDownloads(key, skill.name, cached);
    const generation = this.#downloadsGen.get(skill.name) ?? 0;
    let entry: PackumentEntry;
    if (form === 'install') entry = bodyOf(JSON.stringify(this.installPackument(skill, origin)), undefined);
    else {
      const { downloads: _counts, ...rest } = this.packument(skill, origin, isPrivate);
      // `downloads` is the packument's last field: the rest is kept apart so counts can change alone.
      entry = bodyOf(JSON.stringify(rest).slice(0, -1), { skillId: skill.id, json: JSON.stringify(this.#downloads(skill.id)), generation });
    }
    this.#keep(key, skill.name, entry);
    return entry;
  }

  #downloads(skillId: number): Packument['downloads'] {
    return downloadSummary(this.sql, skillId, utcDay(new Date()));
  }

  /** A cached full packument with its download counts brought up to date if they were written since. */
  #currentDownloads(key: string, name: string, entry: PackumentEntry): PackumentEntry {
    const generation = this.#downloadsGen.get(name) ?? 0;
    if (!entry.counts || entry.counts.generation === generation) return entry;
    const json = JSON.stringify(this.#downloads(entry.counts.skillId));
    const next = json === entry.counts.json ? { ...entry, counts: { ...entry.counts, generation } } : bodyOf(entry.head, { skillId: entry.counts.skillId, json, generation });
    this.#keep(key, name, next);
    return next;
  }

  #keep(key: string, name: string, entry: PackumentEntry): void {
    if (this.#cacheable()) this.#packuments.set(key, name, entry, entry.body.byteLength + (entry.gzip?.byteLength ?? 0) + entry.head.length + key.length + ENTRY_OVERHEAD);
  }

  /** The packument (or its install form) as JSON text with its ETag. */
  packumentJson(skill: SkillRow, origin: string, isPrivate: boolean, form: 'full' | 'install' = 'full'): { body: string; etag: string } {
    const { body, etag } = this.packumentBody(skill, origin, isPrivate, form);
    return { body: body.toString('utf8'), etag };
  }

  /** The scope named `name` (the same row as Auth.scope), remembered once found. */
  scope(name: string): ScopeRow | undefined {
    this.#fresh();
    const known = this.#scopes.get(name);
    if (known) return known;
    const row = this.sql('SELECT id, name, team_id, private FROM scopes WHERE name = ?').get(name) as ScopeRow | undefined;
    if (row && this.#cacheable()) {
      if (this.#scopes.size >= 10_000) this.#scopes.clear();
      this.#scopes.set(name, row);
    }
    return row;
  }

  skill(name: string): SkillRow | undefined {
    return this.sql('SELECT id, name, scope_id, created_at, updated_at FROM skills WHERE name = ?').get(name) as SkillRow | undefined;
  }

  versionUsed(name: string, version: string): boolean {
    return this.sql('SELECT 1 FROM used_versions WHERE name = ? AND version = ?').get(name, version) !== undefined;
  }

  packument(skill: SkillRow, origin: string, isPrivate: boolean): Packument {
    const rows = this.sql(`SELECT ${VERSION_COLUMNS} FROM versions v LEFT JOIN users u ON u.id = v.published_by WHERE v.skill_id = ?`)
      .all(skill.id) as VersionRow[];
    rows.sort((a, b) => semver.compare(a.version, b.version));
    const versions: Record<string, PackumentVersion> = {};
    const time: Record<string, string> = { created: skill.created_at, modified: skill.updated_at };
    for (const row of rows) {
      versions[row.version] = this.toVersion(skill.name, row, origin);
      time[row.version] = row.published_at;
    }
    const distTags = this.distTags(skill.id);
    const latest = distTags.latest ?? rows.at(-1)?.version;
    return {
      name: skill.name,
      description: (latest ? versions[latest]?.description : undefined) ?? '',
      distTags,
      versions,
      time,
      private: isPrivate,
      downloads: downloadSummary(this.sql, skill.id, utcDay(new Date())),
    };
  }

  installPackument(skill: SkillRow, origin: string): InstallPackument {
    const rows = this.sql('SELECT version, integrity, digest, manifest, file_count, unpacked_size, size, yanked, deprecated, kind, trust FROM versions WHERE skill_id = ?')
      .all(skill.id) as { version: string; integrity: string; digest: string; manifest: string; file_count: number; unpacked_size: number; size: number; yanked: number; deprecated: string | null; kind: PackageKind; trust: TrustLevel }[];
    rows.sort((a, b) => semver.compare(a.version, b.version));
    const versions: InstallPackument['versions'] = {};
    for (const row of rows) {
      const manifest = JSON.parse(row.manifest) as Manifest;
      versions[row.version] = {
        version: row.version,
        dependencies: manifest.dependencies,
        mcp: manifest.mcp,
        dist: { tarball: `${origin}${tarballPath(skill.name, row.version)}`, integrity: row.integrity, digest: row.digest, fileCount: row.file_count, unpackedSize: row.unpacked_size, size: row.size },
        yanked: row.yanked === 1,
        deprecated: row.deprecated,
        kind: row.kind,
        trust: row.trust,
      };
    }
    return { name: skill.name, distTags: this.distTags(skill.id), versions };
  }

  version(skill: SkillRow, version: string, origin: string): PackumentVersion | undefined {
    const row = this.sql(`SELECT ${VERSION_COLUMNS} FROM versions v LEFT JOIN users u ON u.id = v.published_by WHERE v.skill_id = ? AND v.version = ?`)
      .get(skill.id, version) as VersionRow | undefined;
    return row ? this.toVersion(skill.name, row, origin) : undefined;
  }

  private toVersion(name: string, row: VersionRow, origin: string): PackumentVersion {
    return {
      name,
      version: row.version,
      description: row.description,
      manifest: JSON.parse(row.manifest) as Manifest,
      dist: {
        tarball: `${origin}${tarballPath(name, row.version)}`,
        integrity: row.integrity,
        digest: row.digest,
        fileCount: row.file_count,
        unpackedSize: row.unpacked_size,
        size: row.size,
      },
      skillMd: row.skill_md,
      publishedAt: row.published_at,
      publishedBy: row.published_by,
      yanked: row.yanked === 1,
      deprecated: row.deprecated,
      verification: JSON.parse(row.verification) as VerificationSummary,
      kind: row.kind,
      trust: row.trust,
      trustReasons: JSON.parse(row.trust_reasons) as TrustReason[],
      provenance: row.provenance === null ? null : (JSON.parse(row.provenance) as Provenance),
      ...this.#audit(row.id),
    };
  }

  /** The audit summary of a version (none for versions published before audits). */
  #audit(versionId: number): { audit?: AuditSummary } {
    const row = this.sql('SELECT summary FROM version_audits WHERE version_id = ?').get(versionId) as { summary: string } | undefined;
    return row ? { audit: JSON.parse(row.summary) as AuditSummary } : {};
  }

  tarball(skill: SkillRow, version: string): Buffer | undefined {
    return this.tarballBody(skill, version)?.bytes;
  }

  /** A cached tarball of `name@version` (with its skill's id, for download counts), if there is one. */
  cachedTarball(name: string, version: string): CachedTarball | undefined {
    this.#fresh();
    return this.#tarballs.get(`${name}@${version}`);
  }

  /** A tarball's bytes with a strong ETag (its sha512 integrity: the bytes never change). */
  tarballBody(skill: SkillRow, version: string): CachedTarball | undefined {
    this.#fresh();
    const key = `${skill.name}@${version}`;
    const hit = this.#tarballs.get(key);
    if (hit) return hit;
    const row = this.sql('SELECT v.integrity, t.bytes FROM versions v JOIN tarballs t ON t.version_id = v.id WHERE v.skill_id = ? AND v.version = ?').get(skill.id, version) as
      | { integrity: string; bytes: Buffer }
      | undefined;
    if (!row) return undefined;
    const entry: CachedTarball = { bytes: row.bytes, etag: `"${row.integrity}"`, skill: { id: skill.id, name: skill.name } };
    if (this.#cacheable()) this.#tarballs.set(key, skill.name, entry, row.bytes.byteLength + key.length + ENTRY_OVERHEAD);
    return entry;
  }

  skillMd(skill: SkillRow, version: string): string | undefined {
    return (this.sql('SELECT skill_md FROM versions WHERE skill_id = ? AND version = ?').get(skill.id, version) as { skill_md: string } | undefined)?.skill_md;
  }

  distTags(skillId: number): Record<string, string> {
    const rows = this.sql('SELECT tag, version FROM dist_tags WHERE skill_id = ? ORDER BY tag').all(skillId) as { tag: string; version: string }[];
    return Object.fromEntries(rows.map((r) => [r.tag, r.version]));
  }

  /** Inserts a new version in one transaction; returns the tag set. Throws on a used version (UNIQUE). */
  insertVersion(v: NewVersion): string {
    let touched: { id: number; name: string } | undefined;
    try {
      return this.#insertVersion(v, (skill) => {
        touched = skill;
        this.#changed(skill);
      });
    } finally {
      if (touched) this.#changed(touched);
    }
  }

  #insertVersion(v: NewVersion, touch: (skill: { id: number; name: string }) => void): string {
    return this.db.transaction(() => {
      const at = now();
      this.sql('INSERT INTO used_versions (name, version) VALUES (?, ?)').run(v.name, v.version);
      let skill = this.skill(v.name);
      if (!skill) {
        const id = Number(this.sql('INSERT INTO skills (name, scope_id, created_at, updated_at) VALUES (?, ?, ?, ?)').run(v.name, v.scopeId, at, at).lastInsertRowid);
        skill = { id, name: v.name, scope_id: v.scopeId, created_at: at, updated_at: at };
      } else {
        this.sql('UPDATE skills SET updated_at = ? WHERE id = ?').run(at, skill.id);
      }
      touch(skill);
      const versionId = Number(
        this.sql(
            `INSERT INTO versions (skill_id, version, integrity, digest, manifest, skill_md, description, files, file_count, unpacked_size, size,
                                   verification, published_by, published_at, kind, trust, trust_reasons, provenance, tarball_sha256, skill_md_sha256)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            skill.id,
            v.version,
            v.integrity,
            v.digest,
            JSON.stringify(v.manifest),
            v.skillMd,
            v.description,
            JSON.stringify(v.files),
            v.files.length,
            v.unpackedSize,
            v.tarball.byteLength,
            JSON.stringify(v.verification),
            v.publishedBy,
            at,
            v.kind,
            v.trust,
            JSON.stringify(v.trustReasons),
            v.provenance === undefined ? null : JSON.stringify(v.provenance),
            v.tarballSha256,
            v.skillMdSha256,
          ).lastInsertRowid,
      );
      this.sql('INSERT INTO tarballs (version_id, bytes) VALUES (?, ?)').run(versionId, Buffer.from(v.tarball.buffer, v.tarball.byteOffset, v.tarball.byteLength));
      const tags = this.distTags(skill.id);
      let tag = v.tag;
      if (tag === undefined) {
        const current = tags.latest;
        if (semver.prerelease(v.version)) tag = 'next';
        else if (current === undefined || semver.gt(v.version, current)) tag = 'latest';
      }
      if (tag !== undefined) this.sql('INSERT INTO dist_tags (skill_id, tag, version) VALUES (?, ?, ?) ON CONFLICT (skill_id, tag) DO UPDATE SET version = excluded.version').run(skill.id, tag, v.version);
      this.refreshIndex(skill.id);
      return tag ?? 'none';
    })();
  }

  /** Points the search index and server list at the version `latest` names (else the highest). */
  refreshIndex(skillId: number): void {
    const skill = this.sql('SELECT name FROM skills WHERE id = ?').get(skillId) as { name: string } | undefined;
    this.sql('DELETE FROM skills_fts WHERE rowid = ?').run(skillId);
    this.sql('DELETE FROM skill_servers WHERE skill_id = ?').run(skillId);
    const versions = skill ? (this.sql('SELECT version FROM versions WHERE skill_id = ?').all(skillId) as { version: string }[]).map((r) => r.version) : [];
    const chosen = shownVersion(versions, this.distTags(skillId).latest);
    writeLatest(this.db, skillId, chosen);
    if (!skill || chosen === undefined) return;
    const row = this.sql('SELECT manifest, skill_md, description FROM versions WHERE skill_id = ? AND version = ?').get(skillId, chosen) as {
      manifest: string;
      skill_md: string;
      description: string;
    };
    const manifest = JSON.parse(row.manifest) as Manifest;
    const bare = skill.name.slice(skill.name.indexOf('/') + 1);
    this.sql('INSERT INTO skills_fts (rowid, name, description, keywords, body) VALUES (?, ?, ?, ?, ?)')
      .run(skillId, `${skill.name} ${bare} ${bare.replace(/-/g, ' ')}`, row.description, manifest.keywords.join(' '), row.skill_md);
    for (const server of Object.keys(manifest.mcp)) this.sql('INSERT INTO skill_servers (skill_id, server) VALUES (?, ?)').run(skillId, server);
  }

  /** Runs one writer's transaction, dropping what the skill's caches hold before and after it. */
  #write<T>(skill: { id: number; name: string }, fn: () => T): T {
    this.#changed(skill);
    try {
      return this.db.transaction(fn)();
    } finally {
      this.#changed(skill);
    }
  }

  setDistTag(skill: SkillRow, tag: string, version: string): void {
    this.#write(skill, () => {
      this.sql('INSERT INTO dist_tags (skill_id, tag, version) VALUES (?, ?, ?) ON CONFLICT (skill_id, tag) DO UPDATE SET version = excluded.version').run(skill.id, tag, version);
      this.sql('UPDATE skills SET updated_at = ? WHERE id = ?').run(now(), skill.id);
      if (tag === 'latest') this.refreshIndex(skill.id);
    });
  }

  removeDistTag(skill: SkillRow, tag: string): boolean {
    return this.#write(skill, () => {
      const changed = this.sql('DELETE FROM dist_tags WHERE skill_id = ? AND tag = ?').run(skill.id, tag).changes === 1;
      if (changed) this.sql('UPDATE skills SET updated_at = ? WHERE id = ?').run(now(), skill.id);
      return changed;
    });
  }

  setYanked(skill: SkillRow, version: string, yanked: boolean): void {
    this.#write(skill, () => {
      this.sql('UPDATE versions SET yanked = ? WHERE skill_id = ? AND version = ?').run(yanked ? 1 : 0, skill.id, version);
      this.sql('UPDATE skills SET updated_at = ? WHERE id = ?').run(now(), skill.id);
    });
  }

  setDeprecated(skill: SkillRow, version: string, message: string | null): void {
    this.#write(skill, () => {
      this.sql('UPDATE versions SET deprecated = ? WHERE skill_id = ? AND version = ?').run(message, skill.id, version);
      this.sql('UPDATE skills SET updated_at = ? WHERE id = ?').run(now(), skill.id);
    });
  }

  publishedAt(skill: SkillRow, version: string): string | undefined {
    return (this.sql('SELECT published_at FROM versions WHERE skill_id = ? AND version = ?').get(skill.id, version) as { published_at: string } | undefined)?.published_at;
  }

  /** Removes a version (its name@version stays used forever); removes the skill with its last version. */
  deleteVersion(skill: SkillRow, version: string): void {
    this.#tarballs.delete(`${skill.name}@${version}`);
    this.#write(skill, () => {
      this.sql('DELETE FROM versions WHERE skill_id = ? AND version = ?').run(skill.id, version);
      this.sql('DELETE FROM dist_tags WHERE skill_id = ? AND version = ?').run(skill.id, version);
      const remaining = (this.sql('SELECT version FROM versions WHERE skill_id = ?').all(skill.id) as { version: string }[]).map((r) => r.version);
      if (remaining.length === 0) {
        this.sql('DELETE FROM skills_fts WHERE rowid = ?').run(skill.id);
        this.sql('DELETE FROM skills WHERE id = ?').run(skill.id);
        return;
      }
      if (this.distTags(skill.id).latest === undefined) {
        const stable = remaining.filter((v) => semver.prerelease(v) === null);
        const next = semver.rsort(stable.length > 0 ? stable : remaining)[0];
        if (next) this.sql("INSERT INTO dist_tags (skill_id, tag, version) VALUES (?, 'latest', ?)").run(skill.id, next);
      }
      this.sql('UPDATE skills SET updated_at = ? WHERE id = ?').run(now(), skill.id);
      this.refreshIndex(skill.id);
    });
    // After the commit as well: a read between cannot refill it (nothing is cached inside a transaction).
    this.#tarballs.delete(`${skill.name}@${version}`);
  }

  /** Versions of a skill with their dependencies and yanked flag, as the resolver takes them. */
  resolvable(skill: SkillRow): { version: string; dependencies: Record<string, string>; yanked: boolean; unpackedSize: number }[] {
    return (this.sql('SELECT version, yanked, manifest, unpacked_size FROM versions WHERE skill_id = ?').all(skill.id) as { version: string; yanked: number; manifest: string; unpacked_size: number }[]).map((r) => ({
      version: r.version,
      dependencies: (JSON.parse(r.manifest) as Manifest).dependencies,
      yanked: r.yanked === 1,
      unpackedSize: r.unpacked_size,
    }));
  }

  /** Versions of a skill with their yanked flag (for dependency resolution). */
  versionsOf(skill: SkillRow): { version: string; yanked: boolean }[] {
    return (this.sql('SELECT version, yanked FROM versions WHERE skill_id = ?').all(skill.id) as { version: string; yanked: number }[]).map((r) => ({
      version: r.version,
      yanked: r.yanked === 1,
    }));
  }

  /**
   * Ranked search: BM25 over name, description, keywords and SKILL.md (weights 10, 5, 3, 1), ties
   * by name. The ranked page is found in one statement (only matches the caller may read, and
   * that pass the filters); the shown rows are read in one more; the count stops at
   * SEARCH_TOTAL_CAP (it is skipped when the page shows every match).
   */
  search(options: SearchOptions): SearchAnswer {
    this.#fresh();
    const match = ftsQuery(options.query);
    const where: string[] = [];
    const params: unknown[] = [];
    if (match !== undefined) {
      where.push('skills_fts MATCH ?');
      params.push(match);
    }
    // The scopes the caller may read (and the one asked for), as ids: no join per match.
    const scopes = (this.sql('SELECT id, name, private FROM scopes').all() as { id: number; name: string; private: number }[]).filter(
      (sc) => (sc.private === 0 || options.readablePrivate === 'all' || options.readablePrivate.has(sc.name)) && (options.scope === undefined || sc.name === options.scope),
    );
    const scopeIds = JSON.stringify(scopes.map((sc) => sc.id).sort((x, y) => x - y));
    where.push('s.scope_id IN (SELECT value FROM json_each(?))');
    params.push(scopeIds);
    const key = JSON.stringify([match ?? null, scopeIds, options.server ?? null, options.trust ? [...new Set(options.trust)].sort() : null, options.limit, options.offset]);
    const known = this.#searches.get(key);
    if (known) return known;
    if (options.server !== undefined) {
      where.push('EXISTS (SELECT 1 FROM skill_servers ss WHERE ss.skill_id = s.id AND ss.server = ?)');
      params.push(options.server);
    }
    if (options.trust !== undefined) {
      where.push('sl.trust IN (SELECT value FROM json_each(?))');
      params.push(JSON.stringify([...new Set(options.trust)]));
    }
    const from =
      match !== undefined
        ? `FROM skills_fts JOIN skills s ON s.id = skills_fts.rowid${options.trust !== undefined ? ' JOIN skill_latest sl ON sl.skill_id = s.id' : ''}`
        : 'FROM skills s JOIN skill_latest sl ON sl.skill_id = s.id';
    const filtered = `${from} WHERE ${where.join(' AND ')}`;
    const page = this.sql(`SELECT s.id, s.name, ${match !== undefined ? 'bm25(skills_fts, 10.0, 5.0, 3.0, 1.0)' : '0'} AS rank ${filtered} ORDER BY rank, s.name LIMIT ? OFFSET ?`).all(
      ...params,
      options.limit,
      options.offset,
    ) as { id: number; name: string; rank: number }[];
    let total: number;
    let totalCapped = false;
    if (page.length > 0 && page.length < options.limit) total = options.offset + page.length;
    else if (page.length === 0 && options.offset === 0) total = 0;
    else {
      // One row past the cap tells "exactly the cap" from "more than were counted".
      const cap = this.#searchTotalCap;
      const counted = (this.sql(`SELECT COUNT(*) AS n FROM (SELECT 1 ${filtered} LIMIT ${cap + 1})`).get(...params) as { n: number }).n;
      totalCapped = counted > cap;
      total = page.length > 0 ? Math.max(options.offset + page.length, Math.min(counted, cap)) : Math.min(counted, cap);
    }
    const shown = new Map(
      (
        this.sql(
          `SELECT sl.skill_id, sl.version, sl.trust, v.description, v.manifest FROM skill_latest sl JOIN versions v ON v.skill_id = sl.skill_id AND v.version = sl.version
           WHERE sl.skill_id IN (SELECT value FROM json_each(?))`,
        ).all(JSON.stringify(page.map((r) => r.id))) as { skill_id: number; version: string; trust: TrustLevel; description: string; manifest: string }[]
      ).map((r) => [r.skill_id, r]),
    );
    const results: SearchResult[] = [];
    for (const r of page) {
      const row = shown.get(r.id);
      if (!row) continue;
      const manifest = JSON.parse(row.manifest) as Manifest;
      results.push({
        name: r.name,
        version: row.version,
        description: row.description,
        keywords: manifest.keywords,
        servers: Object.keys(manifest.mcp),
        score: Math.round(-r.rank * 1000) / 1000,
        trust: row.trust,
      });
    }
    const answer: SearchAnswer = { total, totalCapped, results };
    if (this.#cacheable()) this.#searches.set(key, '', answer, key.length + JSON.stringify(answer).length + ENTRY_OVERHEAD);
    return answer;
  }

  /** The discovery index for `origin`, as sent (gzip when the client takes it), kept built between writes. */
  discoveryBody(origin: string, gzip: boolean): IndexBody {
    this.#fresh();
    return this.#discovery.body(origin, gzip);
  }

  /** The entries of the well-known discovery index (see discovery-index.ts). */
  discoveryEntries(origin: string): RegistryDiscoveryEntry[] {
    this.#fresh();
    return this.#discovery.entries(origin);
  }

  /** Runs `fn` in one transaction (nesting as a savepoint), so a change and its audit entry land together. */
  atomically<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  audit(entry: { userId?: number | undefined; tokenId?: string | undefined; action: string; target: string; details?: unknown }): void {
    this.sql('INSERT INTO audit_log (at, user_id, token_id, action, target, details) VALUES (?, ?, ?, ?, ?, ?)')
      .run(now(), entry.userId ?? null, entry.tokenId ?? null, entry.action, entry.target, entry.details === undefined ? null : JSON.stringify(entry.details));
  }
}

/**
 * Turns free text into a safe FTS5 query: words only (FTS5 operators such as `"`, `*`, `NEAR(`,
 * `-` and column filters are treated as separators), each quoted, the last one as a prefix.
 * Undefined when nothing searchable is left (then everything matches).
 */
export function ftsQuery(text: string): string | undefined {
  const words = (text.normalize('NFKC').match(/[\p{L}\p{N}_]+/gu) ?? []).slice(0, 16);
  if (words.length === 0) return undefined;
  return words.map((w, i) => `"${w}"${i === words.length - 1 ? '*' : ''}`).join(' ');
}
