/**
 * The well-known discovery index (`/.well-known/agent-skills/index.json`), kept built: one entry
 * per public skill at its latest version that is not yanked, sorted by name then package. The
 * first request for an origin builds it whole; after that, a write to a skill marks only that
 * skill, and the next request re-reads it alone and re-compresses only the chunk of entries it
 * sits in (gzip-segments.ts), so a request after a write costs about as much as one without.
 */
import { randomBytes } from 'node:crypto';
import semver from 'semver';
import type { PackageKind, RegistryDiscoveryEntry } from '../schema/registry';
import { DISCOVERY_SCHEMA_URI, tarballPath } from '../schema/registry';
import type { TrustLevel } from '../schema/trust';
import { assembleGzip, segment, type GzipSegment } from './gzip-segments';
import { gzipEtag } from './http-cache';
import type { SqlExecutor } from './storage/sql';


interface Row {
  skill_id: number;
  name: string;
  version: string;
  description: string;
  kind: PackageKind;
  file_count: number;
  trust: TrustLevel;
  tarball_sha256: string;
  skill_md_sha256: string;
}

interface Entry {
  id: number;
  /** Sorts as the index lists entries: bare name, then package. */
  key: string;
  json: string;
}

interface Chunk {
  entries: Entry[];
  text: Buffer | undefined;
  gz: GzipSegment | undefined;
  /** Whether `text` was made as the first chunk (no leading comma). */
  first: boolean;
}

/** Entries per chunk: re-compressing one is cheap (~15 KB), and a 10,000-skill index has ~160. */
const CHUNK = 64;
/** Origins held at once (each a full copy); a request for another origin rebuilds. */
const MAX_ORIGINS = 4;
const enc = new TextEncoder();

const COLUMNS = 's.id AS skill_id, s.name, v.version, v.description, v.kind, v.file_count, v.trust, v.tarball_sha256, v.skill_md_sha256';

class OriginIndex {
  chunks: Chunk[] = [];
  readonly where = new Map<number, Chunk>();
  readonly dirty = new Set<number>();
  readonly salt = randomBytes(6).toString('base64url');
  generation = 0;
  gzip: Buffer | undefined;
  identity: Buffer | undefined;

  constructor(readonly origin: string) {}

  get etag(): string {
    return `"di-${this.salt}-${this.generation}"`;
  }

  remove(id: number): void {
    const chunk = this.where.get(id);
    if (!chunk) return;
    this.where.delete(id);
    const at = chunk.entries.findIndex((e) => e.id === id);
    if (at !== -1) chunk.entries.splice(at, 1);
    if (chunk.entries.length === 0) this.chunks.splice(this.chunks.indexOf(chunk), 1);
    else this.#touch(chunk);
    this.#changed();
  }

  upsert(entry: Entry): void {
    this.remove(entry.id);
    if (this.chunks.length === 0) this.chunks.push({ entries: [], text: undefined, gz: undefined, first: true });
    // The first chunk whose last entry sorts at or after this one (else the last chunk).
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const last = this.chunks[mid]?.entries.at(-1);
      if (last && last.key < entry.key) lo = mid + 1;
      else hi = mid;
    }
    const chunk = this.chunks[lo] as Chunk;
    const { entries } = chunk;
    let a = 0;
    let b = entries.length;
    while (a < b) {
      const mid = (a + b) >> 1;
      if ((entries[mid] as Entry).key <= entry.key) a = mid + 1;
      else b = mid;
    }
    entries.splice(a, 0, entry);
    this.where.set(entry.id, chunk);
    this.#touch(chunk);
    if (entries.length > 2 * CHUNK) {
      const moved = entries.splice(CHUNK);
      const next: Chunk = { entries: moved, text: undefined, gz: undefined, first: false };
      for (const e of moved) this.where.set(e.id, next);
      this.chunks.splice(lo + 1, 0, next);
    }
    this.#changed();
  }

  #touch(chunk: Chunk): void {
    chunk.text = undefined;
    chunk.gz = undefined;
  }

  #changed(): void {
    this.generation++;
    this.gzip = undefined;
    this.identity = undefined;
  }

  #text(chunk: Chunk, index: number): Buffer {
    const first = index === 0;
    if (!chunk.text || chunk.first !== first) {
      chunk.text = Buffer.from(enc.encode(`${first ? '' : ','}${chunk.entries.map((e) => e.json).join(',')}`));
      chunk.first = first;
      chunk.gz = undefined;
    }
    return chunk.text;
  }

  gzipBody(): Buffer {
    if (!this.gzip) {
      const parts = [PREFIX_GZ, ...this.chunks.map((c, i) => {
        const text = this.#text(c, i);
        c.gz ??= segment(text);
        return c.gz;
      }), SUFFIX_GZ];
      this.gzip = assembleGzip(parts);
    }
    return this.gzip;
  }

  identityBody(): Buffer {
    this.identity ??= Buffer.concat([PREFIX, ...this.chunks.map((c, i) => this.#text(c, i)), SUFFIX]);
    return this.identity;
  }
}

const PREFIX = Buffer.from(`{"$schema":${JSON.stringify(DISCOVERY_SCHEMA_URI)},"skills":[`);
const SUFFIX = Buffer.from(']}');
const PREFIX_GZ = segment(PREFIX);
const SUFFIX_GZ = segment(SUFFIX);

export interface IndexBody {
  body: Buffer;
  etag: string;
  encoding: 'gzip' | 'identity';
}

export class DiscoveryIndex {
  /** By origin, least recently used first. */
  readonly #origins = new Map<string, OriginIndex>();

  /** Moves with every change; a build that overlapped one is sent but not kept. */
  #generation = 0;
  /** The refresh in progress, so concurrent requests wait for one instead of each applying the same changes. */
  #refreshing: Promise<void> | undefined;

  constructor(private readonly db: SqlExecutor) {}

  /** A skill's entry may have changed (published, yanked, tagged, deleted...). */
  changed(skillId: number): void {
    this.#generation++;
    for (const index of this.#origins.values()) index.dirty.add(skillId);
  }

  /** Forget everything (the database was changed by another connection). */
  clear(): void {
    this.#generation++;
    this.#origins.clear();
  }

  async body(origin: string, gzip: boolean): Promise<IndexBody> {
    let index = this.#origins.get(origin);
    if (index) {
      this.#origins.delete(origin);
      this.#origins.set(origin, index);
      while (this.#refreshing) await this.#refreshing;
      if (index.dirty.size > 0) {
        const current = index;
        this.#refreshing = this.#refresh(current, origin).finally(() => {
          this.#refreshing = undefined;
        });
        await this.#refreshing;
      }
    } else {
      const seen = this.#generation;
      index = await this.#build(origin);
      if (seen === this.#generation) {
        this.#origins.set(origin, index);
        for (const [key] of this.#origins) {
          if (this.#origins.size <= MAX_ORIGINS) break;
          this.#origins.delete(key);
        }
      }
    }
    return gzip ? { body: index.gzipBody(), etag: gzipEtag(index.etag), encoding: 'gzip' } : { body: index.identityBody(), etag: index.etag, encoding: 'identity' };
  }

  async #refresh(index: OriginIndex, origin: string): Promise<void> {
    const ids = [...index.dirty];
    index.dirty.clear();
    for (const id of ids) {
      const row = await this.#row(id);
      if (row) index.upsert(toEntry(row, origin));
      else index.remove(id);
    }
  }


  async #build(origin: string): Promise<OriginIndex> {
    const index = new OriginIndex(origin);
    const tagged = await this.db.all<Row>(
      `SELECT ${COLUMNS} FROM skills s JOIN scopes sc ON sc.id = s.scope_id AND sc.private = 0
       JOIN dist_tags d ON d.skill_id = s.id AND d.tag = 'latest' JOIN versions v ON v.skill_id = s.id AND v.version = d.version AND v.yanked = 0`,
    );
    // Skills whose latest is yanked (or untagged): choose among their versions that are not.
    const others = await this.db.all<Row>(
      `SELECT ${COLUMNS} FROM skills s JOIN scopes sc ON sc.id = s.scope_id AND sc.private = 0 JOIN versions v ON v.skill_id = s.id AND v.yanked = 0
       WHERE NOT EXISTS (SELECT 1 FROM dist_tags d JOIN versions lv ON lv.skill_id = d.skill_id AND lv.version = d.version AND lv.yanked = 0 WHERE d.skill_id = s.id AND d.tag = 'latest')`,
    );
    const bySkill = new Map<number, Row[]>();
    for (const row of others) {
      const list = bySkill.get(row.skill_id);
      if (list) list.push(row);
      else bySkill.set(row.skill_id, [row]);
    }
    const rows = [...tagged];
    for (const candidates of bySkill.values()) rows.push(best(candidates));
    const entries = rows.filter(listed).map((r) => toEntry(r, origin));
    entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (let i = 0; i < entries.length; i += CHUNK) {
      const chunk: Chunk = { entries: entries.slice(i, i + CHUNK), text: undefined, gz: undefined, first: i === 0 };
      for (const e of chunk.entries) index.where.set(e.id, chunk);
      index.chunks.push(chunk);
    }
    return index;
  }

  /** One skill's row as the index lists it, or undefined when it is not listed. */
  async #row(skillId: number): Promise<Row | undefined> {
    const candidates = await this.db.all<Row>(
      `SELECT ${COLUMNS} FROM skills s JOIN scopes sc ON sc.id = s.scope_id AND sc.private = 0 JOIN versions v ON v.skill_id = s.id AND v.yanked = 0 WHERE s.id = ?`,
      [skillId],
    );
    if (candidates.length === 0) return undefined;
    const latest = (await this.db.get<{ version: string }>("SELECT version FROM dist_tags WHERE skill_id = ? AND tag = 'latest'", [skillId]))?.version;
    const row = candidates.find((r) => r.version === latest) ?? best(candidates);
    return listed(row) ? row : undefined;
  }
}

/** Among versions that are not yanked: the highest stable, else the highest. */
function best(candidates: readonly Row[]): Row {
  const stable = candidates.filter((r) => semver.prerelease(r.version) === null);
  const pool = stable.length > 0 ? stable : candidates;
  return pool.reduce((a, b) => (semver.gt(b.version, a.version) ? b : a));
}

/** Versions stored before the digests existed cannot be listed (the digest is the point). */
function listed(r: Row): boolean {
  return r.tarball_sha256 !== '' && r.skill_md_sha256 !== '';
}

function toEntry(r: Row, origin: string): Entry {
  const skillMd = r.kind === 'plain' && r.file_count === 1;
  const bare = r.name.slice(r.name.indexOf('/') + 1);
  const entry: RegistryDiscoveryEntry = {
    name: bare,
    type: skillMd ? 'skill-md' : 'archive',
    description: r.description,
    url: skillMd ? `${origin}/v1/skills/${r.name}/versions/${r.version}/skill.md` : `${origin}${tarballPath(r.name, r.version)}`,
    digest: `sha256:${skillMd ? r.skill_md_sha256 : r.tarball_sha256}`,
    package: r.name,
    version: r.version,
    trust: r.trust,
  };
  return { id: r.skill_id, key: `${bare}\u0000${r.name}`, json: JSON.stringify(entry) };
}
