/** Skills, versions, tarballs, dist-tags and the search index in SQLite. */
import { createHash } from 'node:crypto';
import semver from 'semver';
import type { AuditSummary } from '../schema/audit-report';
import type { Manifest } from '../schema/manifest';
import type { InstallPackument, PackageKind, Packument, PackumentVersion, Provenance, RegistryDiscoveryEntry, SearchResult, TrustReason, VerificationSummary } from '../schema/registry';
import { tarballPath } from '../schema/registry';
import type { TrustLevel } from '../schema/trust';
import { now } from './auth';
import type Database from 'better-sqlite3';
import type { Db } from './db';
import { shownVersion, writeLatest } from './version-trust';
import { downloadSummary, utcDay } from './downloads';

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

export class SkillsStore {
  /** Serialised packuments by `name origin`; every write to a skill drops its entries. */
  readonly #packuments = new Map<string, { body: string; etag: string }>();

  constructor(private readonly db: Db) {}

  /** Prepared statements are compiled once and reused: preparing dominated the soak profile. */
  readonly #statements = new Map<string, Database.Statement>();

  private sql(text: string): Database.Statement {
    let statement = this.#statements.get(text);
    if (!statement) {
      if (this.#statements.size > 500) this.#statements.clear();
      statement = this.db.prepare(text);
      this.#statements.set(text, statement);
    }
    return statement;
  }

  #invalidate(name: string): void {
    for (const key of this.#packuments.keys()) if (key.startsWith(`${name} `)) this.#packuments.delete(key);
  }

  /** Drops the cached packuments of a skill whose derived data (download counts) changed. */
  invalidate(name: string): void {
    this.#invalidate(name);
  }

  /** The packument (or its install form) as JSON text with its ETag, cached until the skill changes. */
  packumentJson(skill: SkillRow, origin: string, isPrivate: boolean, form: 'full' | 'install' = 'full'): { body: string; etag: string } {
    // The full form carries download counts, whose last-week total moves with the day.
    const key = `${skill.name} ${origin} ${form}${form === 'full' ? ` ${utcDay(new Date())}` : ''}`;
    const cached = this.#packuments.get(key);
    if (cached) return cached;
    const body = JSON.stringify(form === 'install' ? this.installPackument(skill, origin) : this.packument(skill, origin, isPrivate));
    const entry = { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
    if (this.#packuments.size > 5000) this.#packuments.clear();
    this.#packuments.set(key, entry);
    return entry;
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
      downloads: downloadSummary((text) => this.sql(text), skill.id, utcDay(new Date())),
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

  /** Tarballs never change once published (deletion drops them), so reads are cached up to a byte budget. */
  readonly #tarballs = new Map<string, Buffer>();
  #tarballBytes = 0;

  tarball(skill: SkillRow, version: string): Buffer | undefined {
    const key = `${skill.name}@${version}`;
    const hit = this.#tarballs.get(key);
    if (hit) return hit;
    const bytes = this.#readTarball(skill, version);
    if (bytes && bytes.byteLength < 1024 * 1024) {
      if (this.#tarballBytes + bytes.byteLength > 64 * 1024 * 1024) {
        this.#tarballs.clear();
        this.#tarballBytes = 0;
      }
      this.#tarballs.set(key, bytes);
      this.#tarballBytes += bytes.byteLength;
    }
    return bytes;
  }

  #readTarball(skill: SkillRow, version: string): Buffer | undefined {
    const row = this.sql('SELECT t.bytes FROM versions v JOIN tarballs t ON t.version_id = v.id WHERE v.skill_id = ? AND v.version = ?').get(skill.id, version) as
      | { bytes: Buffer }
      | undefined;
    return row?.bytes;
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
    this.#invalidate(v.name);
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

  setDistTag(skill: SkillRow, tag: string, version: string): void {
    this.#invalidate(skill.name);
    this.db.transaction(() => {
      this.sql('INSERT INTO dist_tags (skill_id, tag, version) VALUES (?, ?, ?) ON CONFLICT (skill_id, tag) DO UPDATE SET version = excluded.version').run(skill.id, tag, version);
      this.sql('UPDATE skills SET updated_at = ? WHERE id = ?').run(now(), skill.id);
      if (tag === 'latest') this.refreshIndex(skill.id);
    })();
  }

  removeDistTag(skill: SkillRow, tag: string): boolean {
    this.#invalidate(skill.name);
    return this.db.transaction(() => {
      const changed = this.sql('DELETE FROM dist_tags WHERE skill_id = ? AND tag = ?').run(skill.id, tag).changes === 1;
      if (changed) this.sql('UPDATE skills SET updated_at = ? WHERE id = ?').run(now(), skill.id);
      return changed;
    })();
  }

  setYanked(skill: SkillRow, version: string, yanked: boolean): void {
    this.#invalidate(skill.name);
    this.db.transaction(() => {
      this.sql('UPDATE versions SET yanked = ? WHERE skill_id = ? AND version = ?').run(yanked ? 1 : 0, skill.id, version);
      this.sql('UPDATE skills SET updated_at = ? WHERE id = ?').run(now(), skill.id);
    })();
  }

  setDeprecated(skill: SkillRow, version: string, message: string | null): void {
    this.#invalidate(skill.name);
    this.db.transaction(() => {
      this.sql('UPDATE versions SET deprecated = ? WHERE skill_id = ? AND version = ?').run(message, skill.id, version);
      this.sql('UPDATE skills SET updated_at = ? WHERE id = ?').run(now(), skill.id);
    })();
  }

  publishedAt(skill: SkillRow, version: string): string | undefined {
    return (this.sql('SELECT published_at FROM versions WHERE skill_id = ? AND version = ?').get(skill.id, version) as { published_at: string } | undefined)?.published_at;
  }

  /** Removes a version (its name@version stays used forever); removes the skill with its last version. */
  deleteVersion(skill: SkillRow, version: string): void {
    this.#invalidate(skill.name);
    const cached = this.#tarballs.get(`${skill.name}@${version}`);
    if (cached) {
      this.#tarballs.delete(`${skill.name}@${version}`);
      this.#tarballBytes -= cached.byteLength;
    }
    this.db.transaction(() => {
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
    })();
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

  search(options: {
    query: string;
    scope?: string | undefined;
    server?: string | undefined;
    /** Only skills whose shown version has one of these levels; undefined for all. */
    trust?: readonly TrustLevel[] | undefined;
    limit: number;
    offset: number;
    readablePrivate: ReadonlySet<string> | 'all';
  }): { total: number; results: SearchResult[] } {
    const match = ftsQuery(options.query);
    const where: string[] = [];
    const params: unknown[] = [];
    if (match !== undefined) {
      where.push('skills_fts MATCH ?');
      params.push(match);
    }
    if (options.readablePrivate !== 'all') {
      const readable = [...options.readablePrivate];
      where.push(`(sc.private = 0${readable.length > 0 ? ` OR sc.name IN (${readable.map(() => '?').join(', ')})` : ''})`);
      params.push(...readable);
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
      const levels = [...new Set(options.trust)];
      where.push(`sl.trust IN (${levels.map(() => '?').join(', ')})`);
      params.push(...levels);
    }
    const from = `FROM skills_fts JOIN skills s ON s.id = skills_fts.rowid JOIN scopes sc ON sc.id = s.scope_id JOIN skill_latest sl ON sl.skill_id = s.id${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''}`;
    const total = (this.sql(`SELECT COUNT(*) AS n ${from}`).get(...params) as { n: number }).n;
    const rows = this.sql(
        `SELECT s.id, s.name, ${match !== undefined ? 'bm25(skills_fts, 10.0, 5.0, 3.0, 1.0)' : '0'} AS rank, sl.version, sl.trust
         ${from} ORDER BY rank, s.name LIMIT ? OFFSET ?`,
      )
      .all(...params, options.limit, options.offset) as { id: number; name: string; rank: number; version: string; trust: TrustLevel }[];
    const results = rows.map((r) => {
      const row = this.sql('SELECT manifest, description FROM versions WHERE skill_id = ? AND version = ?').get(r.id, r.version) as { manifest: string; description: string };
      const manifest = JSON.parse(row.manifest) as Manifest;
      return {
        name: r.name,
        version: r.version,
        description: row.description,
        keywords: manifest.keywords,
        servers: Object.keys(manifest.mcp),
        score: Math.round(-r.rank * 1000) / 1000,
        trust: r.trust,
      };
    });
    return { total, results };
  }

  /**
   * The entries of the well-known discovery index: every skill of a public scope, at its latest
   * version that is not yanked (the `latest` tag, else the highest stable, else the highest). A
   * plain skill that is only SKILL.md is listed as `skill-md` (the URL serves those bytes);
   * everything else as the `archive` of its tarball. Digests are stored columns, of those bytes.
   */
  discoveryEntries(origin: string): RegistryDiscoveryEntry[] {
    type Row = { skill_id: number; name: string; version: string; description: string; kind: PackageKind; file_count: number; trust: TrustLevel; tarball_sha256: string; skill_md_sha256: string };
    const columns = 's.id AS skill_id, s.name, v.version, v.description, v.kind, v.file_count, v.trust, v.tarball_sha256, v.skill_md_sha256';
    const tagged = this.sql(
      `SELECT ${columns} FROM skills s JOIN scopes sc ON sc.id = s.scope_id AND sc.private = 0
       JOIN dist_tags d ON d.skill_id = s.id AND d.tag = 'latest' JOIN versions v ON v.skill_id = s.id AND v.version = d.version AND v.yanked = 0`,
    ).all() as Row[];
    // Skills whose latest is yanked (or untagged): choose among their versions that are not.
    const others = this.sql(
      `SELECT ${columns} FROM skills s JOIN scopes sc ON sc.id = s.scope_id AND sc.private = 0 JOIN versions v ON v.skill_id = s.id AND v.yanked = 0
       WHERE NOT EXISTS (SELECT 1 FROM dist_tags d JOIN versions lv ON lv.skill_id = d.skill_id AND lv.version = d.version AND lv.yanked = 0 WHERE d.skill_id = s.id AND d.tag = 'latest')`,
    ).all() as Row[];
    const bySkill = new Map<number, Row[]>();
    for (const row of others) bySkill.set(row.skill_id, [...(bySkill.get(row.skill_id) ?? []), row]);
    const rows = [...tagged];
    for (const candidates of bySkill.values()) {
      const stable = candidates.filter((r) => semver.prerelease(r.version) === null);
      const pool = stable.length > 0 ? stable : candidates;
      const best = pool.reduce((a, b) => (semver.gt(b.version, a.version) ? b : a));
      rows.push(best);
    }
    const entries = rows.filter((r) => r.tarball_sha256 !== '' && r.skill_md_sha256 !== '').map((r): RegistryDiscoveryEntry => {
      const skillMd = r.kind === 'plain' && r.file_count === 1;
      return {
        name: r.name.slice(r.name.indexOf('/') + 1),
        type: skillMd ? 'skill-md' : 'archive',
        description: r.description,
        url: skillMd ? `${origin}/v1/skills/${r.name}/versions/${r.version}/skill.md` : `${origin}${tarballPath(r.name, r.version)}`,
        digest: `sha256:${skillMd ? r.skill_md_sha256 : r.tarball_sha256}`,
        package: r.name,
        version: r.version,
        trust: r.trust,
      };
    });
    return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.package < b.package ? -1 : a.package > b.package ? 1 : 0));
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
