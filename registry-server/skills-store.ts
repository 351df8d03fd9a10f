/**
 * The registry's metadata store: skills, versions, tarballs, dist-tags and the search index, over
 * the metadata database and the blob store. It owns the caches (packument bodies, tarballs, search
 * answers, the discovery index, scopes) and drops them as the change feed and its own writers say,
 * so a read here is where caching and freshness are decided. What it does not decide lives apart:
 * the documents (version-documents.ts), their ready bodies (packument-bodies.ts), the search
 * query and index (skill-search.ts), the new version's row (new-version.ts), its knobs
 * (store-options.ts).
 */
import semver from 'semver';
import type { AuditSummary } from '../schema/audit-report';
import type { Manifest } from '../schema/manifest';
import type { InstallPackument, Packument, PackumentVersion } from '../schema/registry';
import { SkillsError } from '../schema/errors';
import { now, type ScopeRow } from './auth';
import type { BlobStore } from './storage/blobs';
import type { ChangeFeed, Changed } from './storage/changes';
import type { SearchEngine } from './storage/search';
import { jsonList, type SqlDatabase, type SqlExecutor, type SqlTransaction } from './storage/sql';
import { DOWNLOAD_FLUSH_MS, downloadSummary, utcDay } from './downloads';

/** How old cached download counts may get while other processes' writes are announced (a lost announcement's worst case). */
export const ANNOUNCED_COUNTS_MAX_AGE_MS = 60_000;
import { ByteLru, type ByteLruStats } from './byte-lru';
import { DiscoveryIndex, type IndexBody } from './discovery-index';
import { bodyOf, type CachedBody, type PackumentEntry } from './packument-bodies';
import { indexSkill, matchesNothing, planSearch, type SearchAnswer, type SearchOptions } from './skill-search';
import { installPackumentDocument, packumentDocument, sortByVersion, VERSION_COLUMNS, versionDocument, type InstallVersionRow, type VersionRow } from './version-documents';
import { insertVersionRow, tagFor, type NewVersion } from './new-version';
import { DEFAULT_STORE_CACHE, type StoreBackends, type StoreCacheOptions } from './store-options';

export type { NewVersion } from './new-version';
export type { CachedBody } from './packument-bodies';
export { DEFAULT_STORE_CACHE, SEARCH_TOTAL_CAP, type StoreBackends, type StoreCacheOptions } from './store-options';
export type { SearchAnswer, SearchOptions } from './skill-search';

export interface SkillRow {
  id: number;
  name: string;
  scope_id: number;
  created_at: string;
  updated_at: string;
}

export interface CachedTarball {
  bytes: Buffer;
  etag: string;
  skill: { id: number; name: string };
}

/** What a cache entry costs besides its bytes (key, object, map slot), for the byte bound. */
const ENTRY_OVERHEAD = 256;

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
  /** Scope rows by name, once found: a scope is never changed or removed once created. */
  readonly #scopes = new Map<string, ScopeRow>();
  /**
   * Moves with every change this process learns of. A read that fills a cache notes it before its
   * queries and keeps its answer only if it has not moved since: an answer read around a write
   * (here or in another process) is sent, never kept.
   */
  #generation = 0;
  readonly db: SqlDatabase;
  readonly #blobs: BlobStore;
  readonly #changes: ChangeFeed;
  readonly #search: SearchEngine;

  constructor(backends: StoreBackends, cache: Partial<StoreCacheOptions> = {}) {
    const options = { ...DEFAULT_STORE_CACHE, ...cache };
    this.db = backends.db;
    this.#blobs = backends.blobs;
    this.#changes = backends.changes;
    this.#search = backends.search;
    this.#packuments = new ByteLru(options.packumentCacheBytes);
    this.#tarballs = new ByteLru(options.tarballCacheBytes);
    this.#searches = new ByteLru(options.searchCacheBytes);
    this.#searchTotalCap = options.searchTotalCap;
    this.#discovery = new DiscoveryIndex(this.db);
    this.#changes.subscribe((changed) => this.#learned(changed));
    this.#changes.subscribeDownloads((names) => {
      for (const name of names) this.invalidate(name);
    });
  }

  /** What another process (or another connection) changed, as the change feed tells it. */
  #learned(changed: Changed): void {
    this.#generation++;
    if (changed === 'all') {
      this.#packuments.clear();
      this.#tarballs.clear();
      this.#discovery.clear();
      this.#scopes.clear();
      this.#searches.clear();
      return;
    }
    for (const name of changed) {
      this.#packuments.deleteGroup(name);
      this.#tarballs.deleteGroup(name);
    }
    this.#discovery.clear();
    this.#searches.clear();
  }

  /** Before serving from a cache: every change committed before this request is known here. */
  async #fresh(): Promise<void> {
    await this.#changes.fresh();
  }

  /**
   * A skill changed: drop every cached body derived from it. Called by every writer, before and
   * after its transaction (see #generation for reads that overlap it).
   */
  #changed(skill: { id: number; name: string }): void {
    this.#generation++;
    this.#packuments.deleteGroup(skill.name);
    this.#discovery.changed(skill.id);
    this.#searches.clear();
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
  async cachedPackument(name: string, origin: string, isPrivate: boolean, form: 'full' | 'install'): Promise<CachedBody | undefined> {
    await this.#fresh();
    const key = this.#packumentKey(name, origin, isPrivate, form);
    const entry = this.#packuments.get(key);
    return entry ? this.#currentDownloads(key, name, entry) : undefined;
  }

  /**
   * The packument (or its install form) ready to send, cached until the skill changes. Called after
   * cachedPackument missed: its own look (another request may have filled it since) is not counted.
   */
  async packumentBody(skill: SkillRow, origin: string, isPrivate: boolean, form: 'full' | 'install' = 'full'): Promise<CachedBody> {
    await this.#fresh();
    const key = this.#packumentKey(skill.name, origin, isPrivate, form);
    const cached = this.#packuments.get(key, false);
    if (cached) return this.#currentDownloads(key, skill.name, cached);
    const generation = this.#downloadsGen.get(skill.name) ?? 0;
    const seen = this.#generation;
    let entry: PackumentEntry;
    if (form === 'install') entry = bodyOf(JSON.stringify(await this.installPackument(skill, origin)), undefined);
    else {
      const { downloads: _counts, ...rest } = await this.packument(skill, origin, isPrivate);
      // `downloads` is the packument's last field: the rest is kept apart so counts can change alone.
      entry = bodyOf(JSON.stringify(rest).slice(0, -1), { skillId: skill.id, json: JSON.stringify(await this.#downloads(skill.id)), generation, at: Date.now() });
    }
    this.#keep(key, skill.name, entry, seen);
    return entry;
  }

  #downloads(skillId: number): Promise<Packument['downloads']> {
    return downloadSummary(this.db, skillId, utcDay(new Date()));
  }

  /** A cached full packument with its download counts brought up to date if they were written since. */
  async #currentDownloads(key: string, name: string, entry: PackumentEntry): Promise<PackumentEntry> {
    const generation = this.#downloadsGen.get(name) ?? 0;
    // Counts this process wrote are known at once, and so are those another registry process on
    // the same database announces after writing them (every DOWNLOAD_FLUSH_MS; the feed's
    // announceDownloads, outside the change feed: a busy catalog writes thousands a minute). Without
    // announcements, or should one be lost, cached counts are read again once they are old.
    const at = Date.now();
    const maxAge = this.#changes.announcesDownloads ? ANNOUNCED_COUNTS_MAX_AGE_MS : DOWNLOAD_FLUSH_MS;
    if (!entry.counts || (entry.counts.generation === generation && at - entry.counts.at < maxAge)) return entry;
    const seen = this.#generation;
    const json = JSON.stringify(await this.#downloads(entry.counts.skillId));
    const next = json === entry.counts.json ? { ...entry, counts: { ...entry.counts, generation, at } } : bodyOf(entry.head, { skillId: entry.counts.skillId, json, generation, at });
    this.#keep(key, name, next, seen);
    return next;
  }

  #keep(key: string, name: string, entry: PackumentEntry, seen: number): void {
    if (seen === this.#generation) this.#packuments.set(key, name, entry, entry.body.byteLength + (entry.gzip?.byteLength ?? 0) + entry.head.length + key.length + ENTRY_OVERHEAD);
  }


  /** The scope named `name` (the same row as Auth.scope), remembered once found. */
  async scope(name: string): Promise<ScopeRow | undefined> {
    await this.#fresh();
    const known = this.#scopes.get(name);
    if (known) return known;
    const seen = this.#generation;
    const row = await this.db.get<ScopeRow>('SELECT id, name, team_id, private FROM scopes WHERE name = ?', [name]);
    if (row && seen === this.#generation) {
      if (this.#scopes.size >= 10_000) this.#scopes.clear();
      this.#scopes.set(name, row);
    }
    return row;
  }

  skill(name: string, q: SqlExecutor = this.db): Promise<SkillRow | undefined> {
    return q.get<SkillRow>('SELECT id, name, scope_id, created_at, updated_at FROM skills WHERE name = ?', [name]);
  }

  async versionUsed(name: string, version: string): Promise<boolean> {
    return (await this.db.get('SELECT 1 AS used FROM used_versions WHERE name = ? AND version = ?', [name, version])) !== undefined;
  }

  async packument(skill: SkillRow, origin: string, isPrivate: boolean): Promise<Packument> {
    const rows = await this.db.all<VersionRow>(`SELECT ${VERSION_COLUMNS} FROM versions v LEFT JOIN users u ON u.id = v.published_by WHERE v.skill_id = ?`, [skill.id]);
    sortByVersion(rows);
    const audits = await this.#audits(rows.map((r) => r.id));
    const distTags = await this.distTags(skill.id);
    return packumentDocument(skill, rows, origin, isPrivate, audits, distTags, await downloadSummary(this.db, skill.id, utcDay(new Date())));
  }

  async installPackument(skill: SkillRow, origin: string): Promise<InstallPackument> {
    const rows = await this.db.all<InstallVersionRow>(
      'SELECT version, integrity, digest, manifest, file_count, unpacked_size, size, yanked, deprecated, kind, trust FROM versions WHERE skill_id = ?',
      [skill.id],
    );
    sortByVersion(rows);
    return installPackumentDocument(skill.name, rows, origin, await this.distTags(skill.id));
  }

  async version(skill: SkillRow, version: string, origin: string): Promise<PackumentVersion | undefined> {
    const row = await this.db.get<VersionRow>(`SELECT ${VERSION_COLUMNS} FROM versions v LEFT JOIN users u ON u.id = v.published_by WHERE v.skill_id = ? AND v.version = ?`, [skill.id, version]);
    if (!row) return undefined;
    return versionDocument(skill.name, row, origin, (await this.#audits([row.id])).get(row.id));
  }

  /** The audit summaries of versions, by version id (none for versions published before audits). */
  async #audits(versionIds: readonly number[]): Promise<Map<number, AuditSummary>> {
    if (versionIds.length === 0) return new Map();
    const rows = await this.db.all<{ version_id: number; summary: string }>(`SELECT version_id, summary FROM version_audits WHERE version_id IN ${jsonList(this.db, 'int')}`, [JSON.stringify(versionIds)]);
    return new Map(rows.map((r) => [r.version_id, JSON.parse(r.summary) as AuditSummary]));
  }

  async tarball(skill: SkillRow, version: string): Promise<Buffer | undefined> {
    return ((await this.cachedTarball(skill.name, version)) ?? (await this.tarballBody(skill, version)))?.bytes;
  }

  /** A cached tarball of `name@version` (with its skill's id, for download counts), if there is one. */
  async cachedTarball(name: string, version: string): Promise<CachedTarball | undefined> {
    await this.#fresh();
    return this.#tarballs.get(`${name}@${version}`);
  }

  /** A tarball's bytes with a strong ETag (its sha512 integrity: the bytes never change); called after cachedTarball missed (its look is not counted again). */
  async tarballBody(skill: SkillRow, version: string): Promise<CachedTarball | undefined> {
    await this.#fresh();
    const key = `${skill.name}@${version}`;
    const hit = this.#tarballs.get(key, false);
    if (hit) return hit;
    const seen = this.#generation;
    const row = await this.db.get<{ integrity: string; tarball_sha256: string }>('SELECT integrity, tarball_sha256 FROM versions WHERE skill_id = ? AND version = ?', [skill.id, version]);
    if (!row) return undefined;
    const bytes = await this.#blobs.get(row.tarball_sha256);
    if (!bytes) throw new SkillsError('EBLOBMISSING', `the tarball of ${key} is missing from the blob store (${this.#blobs.description})`, { status: 500 });
    const entry: CachedTarball = { bytes, etag: `"${row.integrity}"`, skill: { id: skill.id, name: skill.name } };
    if (seen === this.#generation) this.#tarballs.set(key, skill.name, entry, bytes.byteLength + key.length + ENTRY_OVERHEAD);
    return entry;
  }

  async skillMd(skill: SkillRow, version: string): Promise<string | undefined> {
    return (await this.db.get<{ skill_md: string }>('SELECT skill_md FROM versions WHERE skill_id = ? AND version = ?', [skill.id, version]))?.skill_md;
  }

  async distTags(skillId: number, q: SqlExecutor = this.db): Promise<Record<string, string>> {
    const rows = await q.all<{ tag: string; version: string }>('SELECT tag, version FROM dist_tags WHERE skill_id = ? ORDER BY tag', [skillId]);
    return Object.fromEntries(rows.map((r) => [r.tag, r.version]));
  }

  /**
   * Stores a tarball in the blob store, before the version row that names it (see insertVersion):
   * a crash between the two leaves an unnamed blob, which the next publish of the same bytes reuses.
   */
  saveTarball(sha256: string, bytes: Uint8Array): Promise<void> {
    return this.#blobs.put(sha256, bytes);
  }

  /** Inserts a new version inside `tx`; returns the tag set. Throws on a used version (unique violation). */
  async insertVersion(tx: SqlTransaction, v: NewVersion): Promise<string> {
    let touched: { id: number; name: string } | undefined;
    try {
      return await this.#insertVersion(tx, v, (skill) => {
        touched = skill;
        this.#changed(skill);
      });
    } finally {
      if (touched) this.#changed(touched);
    }
  }

  async #insertVersion(tx: SqlTransaction, v: NewVersion, touch: (skill: { id: number; name: string }) => void): Promise<string> {
    await tx.lock(v.name);
    const at = now();
    await tx.run('INSERT INTO used_versions (name, version) VALUES (?, ?)', [v.name, v.version]);
    let skill = await this.skill(v.name, tx);
    if (!skill) {
      const inserted = await tx.get<{ id: number }>('INSERT INTO skills (name, scope_id, created_at, updated_at) VALUES (?, ?, ?, ?) RETURNING id', [v.name, v.scopeId, at, at]);
      skill = { id: inserted?.id ?? 0, name: v.name, scope_id: v.scopeId, created_at: at, updated_at: at };
    } else {
      await tx.run('UPDATE skills SET updated_at = ? WHERE id = ?', [at, skill.id]);
    }
    touch(skill);
    await insertVersionRow(tx, skill.id, v, at);
    const tag = tagFor(v, (await this.distTags(skill.id, tx)).latest);
    if (tag !== undefined) await tx.run('INSERT INTO dist_tags (skill_id, tag, version) VALUES (?, ?, ?) ON CONFLICT (skill_id, tag) DO UPDATE SET version = excluded.version', [skill.id, tag, v.version]);
    await this.refreshIndex(tx, skill.id);
    await this.#changes.record(tx, [skill.name]);
    return tag ?? 'none';
  }

  /** Points the search index and server list at the version `latest` names (else the highest). */
  refreshIndex(tx: SqlExecutor, skillId: number): Promise<void> {
    return indexSkill(tx, this.#search, skillId, async () => (await this.distTags(skillId, tx)).latest);
  }

  /** Runs one writer's statements inside `tx`, dropping what the skill's caches hold before and after them. */
  async #write<T>(tx: SqlTransaction, skill: { id: number; name: string }, fn: () => Promise<T>): Promise<T> {
    this.#changed(skill);
    try {
      await tx.lock(skill.name);
      const result = await fn();
      await this.#changes.record(tx, [skill.name]);
      return result;
    } finally {
      this.#changed(skill);
    }
  }

  setDistTag(tx: SqlTransaction, skill: SkillRow, tag: string, version: string): Promise<void> {
    return this.#write(tx, skill, async () => {
      await tx.run('INSERT INTO dist_tags (skill_id, tag, version) VALUES (?, ?, ?) ON CONFLICT (skill_id, tag) DO UPDATE SET version = excluded.version', [skill.id, tag, version]);
      await tx.run('UPDATE skills SET updated_at = ? WHERE id = ?', [now(), skill.id]);
      if (tag === 'latest') await this.refreshIndex(tx, skill.id);
    });
  }

  removeDistTag(tx: SqlTransaction, skill: SkillRow, tag: string): Promise<boolean> {
    return this.#write(tx, skill, async () => {
      const changed = (await tx.run('DELETE FROM dist_tags WHERE skill_id = ? AND tag = ?', [skill.id, tag])).changes === 1;
      if (changed) await tx.run('UPDATE skills SET updated_at = ? WHERE id = ?', [now(), skill.id]);
      return changed;
    });
  }

  setYanked(tx: SqlTransaction, skill: SkillRow, version: string, yanked: boolean): Promise<void> {
    return this.#write(tx, skill, async () => {
      await tx.run('UPDATE versions SET yanked = ? WHERE skill_id = ? AND version = ?', [yanked ? 1 : 0, skill.id, version]);
      await tx.run('UPDATE skills SET updated_at = ? WHERE id = ?', [now(), skill.id]);
    });
  }

  setDeprecated(tx: SqlTransaction, skill: SkillRow, version: string, message: string | null): Promise<void> {
    return this.#write(tx, skill, async () => {
      await tx.run('UPDATE versions SET deprecated = ? WHERE skill_id = ? AND version = ?', [message, skill.id, version]);
      await tx.run('UPDATE skills SET updated_at = ? WHERE id = ?', [now(), skill.id]);
    });
  }

  async publishedAt(skill: SkillRow, version: string): Promise<string | undefined> {
    return (await this.db.get<{ published_at: string }>('SELECT published_at FROM versions WHERE skill_id = ? AND version = ?', [skill.id, version]))?.published_at;
  }

  /**
   * Removes a version (its name@version stays used forever); removes the skill with its last
   * version. Returns the digest of its tarball when no other version names those bytes, for the
   * caller to remove from the blob store once the transaction has committed.
   */
  async deleteVersion(tx: SqlTransaction, skill: SkillRow, version: string): Promise<string | undefined> {
    this.#tarballs.delete(`${skill.name}@${version}`);
    const unnamed = await this.#write(tx, skill, async () => {
      const digest = (await tx.get<{ tarball_sha256: string }>('SELECT tarball_sha256 FROM versions WHERE skill_id = ? AND version = ?', [skill.id, version]))?.tarball_sha256;
      await tx.run('DELETE FROM versions WHERE skill_id = ? AND version = ?', [skill.id, version]);
      await tx.run('DELETE FROM dist_tags WHERE skill_id = ? AND version = ?', [skill.id, version]);
      const named = digest === undefined || (await tx.get('SELECT 1 AS named FROM versions WHERE tarball_sha256 = ?', [digest])) !== undefined;
      const remaining = (await tx.all<{ version: string }>('SELECT version FROM versions WHERE skill_id = ?', [skill.id])).map((r) => r.version);
      if (remaining.length === 0) {
        await this.#search.remove(tx, skill.id);
        await tx.run('DELETE FROM skill_latest WHERE skill_id = ?', [skill.id]);
        await tx.run('DELETE FROM skill_servers WHERE skill_id = ?', [skill.id]);
        await tx.run('DELETE FROM skills WHERE id = ?', [skill.id]);
        return named ? undefined : digest;
      }
      if ((await this.distTags(skill.id, tx)).latest === undefined) {
        const stable = remaining.filter((v) => semver.prerelease(v) === null);
        const next = semver.rsort(stable.length > 0 ? stable : remaining)[0];
        if (next) await tx.run("INSERT INTO dist_tags (skill_id, tag, version) VALUES (?, 'latest', ?)", [skill.id, next]);
      }
      await tx.run('UPDATE skills SET updated_at = ? WHERE id = ?', [now(), skill.id]);
      await this.refreshIndex(tx, skill.id);
      return named ? undefined : digest;
    });
    // After the statements as well: a read between cannot keep it (see #generation).
    this.#tarballs.delete(`${skill.name}@${version}`);
    return unnamed;
  }

  /** Removes a blob no version names any more (after the deleting transaction committed); a failure leaves it, unnamed and harmless. */
  async dropBlob(digest: string): Promise<void> {
    if ((await this.db.get('SELECT 1 AS named FROM versions WHERE tarball_sha256 = ?', [digest])) !== undefined) return;
    await this.#blobs.delete(digest);
  }

  /** Versions of a skill with their dependencies and yanked flag, as the resolver takes them. */
  async resolvable(skill: SkillRow): Promise<{ version: string; dependencies: Record<string, string>; yanked: boolean; unpackedSize: number }[]> {
    const rows = await this.db.all<{ version: string; yanked: number; manifest: string; unpacked_size: number }>('SELECT version, yanked, manifest, unpacked_size FROM versions WHERE skill_id = ?', [skill.id]);
    return rows.map((r) => ({
      version: r.version,
      dependencies: (JSON.parse(r.manifest) as Manifest).dependencies,
      yanked: r.yanked === 1,
      unpackedSize: r.unpacked_size,
    }));
  }

  /** Versions of a skill with their yanked flag (for dependency resolution). */
  async versionsOf(skill: SkillRow): Promise<{ version: string; yanked: boolean }[]> {
    const rows = await this.db.all<{ version: string; yanked: number }>('SELECT version, yanked FROM versions WHERE skill_id = ?', [skill.id]);
    return rows.map((r) => ({ version: r.version, yanked: r.yanked === 1 }));
  }

  /** Ranked search (see skill-search.ts), its answers kept until the next write. */
  async search(options: SearchOptions): Promise<SearchAnswer> {
    if (matchesNothing(options)) return { total: 0, totalCapped: false, results: [] };
    await this.#fresh();
    const { key, run } = await planSearch(this.db, this.#search, options, this.#searchTotalCap);
    const known = this.#searches.get(key);
    if (known) return known;
    const seen = this.#generation;
    const answer = await run();
    if (seen === this.#generation) this.#searches.set(key, '', answer, key.length + JSON.stringify(answer).length + ENTRY_OVERHEAD);
    return answer;
  }

  /** The discovery index for `origin`, as sent (gzip when the client takes it), kept built between writes. */
  async discoveryBody(origin: string, gzip: boolean): Promise<IndexBody> {
    await this.#fresh();
    return this.#discovery.body(origin, gzip);
  }


  /** Runs `fn` in one transaction, so a change and its admin-log entry (admin-log.ts) land together. */
  atomically<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }
}
