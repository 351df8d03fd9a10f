/**
 * Moving a registry (`skills registry migrate`): every row of a SQLite registry database, read in
 * one snapshot, into another registry database (a new SQLite file, or PostgreSQL), and every
 * tarball its versions name into the target's blob store.
 *
 * The source is opened read-only and read in one transaction, so a registry may keep serving and
 * writing it meanwhile (WAL): the copy is the database as it was when the migration began. The
 * target is written in batches, one transaction each, in the order foreign keys need, keeping
 * every id. A second run compares each batch with what the target holds and writes only the
 * difference (rows inserted with ON CONFLICT DO NOTHING, changed rows updated, rows the source no
 * longer has removed), so it resumes an interrupted run, brings a finished one up to the source's
 * newer state, and changes nothing on a complete target. A target holding data of anything else
 * (a user, skill, token or version the source does not have, or has under another name) is
 * refused before anything is written. The search index is rebuilt through the target's engine,
 * never copied: FTS5 tables mean nothing to another engine.
 */
import fs from 'node:fs';
import path from 'node:path';
import { inParallel } from '../../tarball/write';
import { isSkillsError, SkillsError } from '../../schema/errors';
import { openReadOnly, SCHEMA_VERSION, type Db } from '../db';
import { CHANGES_CHANNEL } from './postgres-changes';
import { sha256Hex } from './blob-checks';
import { BLOB_KEY, type BlobStore } from './blobs';
import { namedBlobCount, namedBlobs, versionNamed } from './named-blobs';
import { searchDocument, type SearchEngine } from './search';
import { SqliteDatabase } from './sqlite';
import type { SqlDatabase, SqlExecutor, SqlValue } from './sql';

/** Where a migration writes: a registry database at this schema version, its blob store and its search engine. */
export interface MigrationTarget {
  /** The target as messages and output show it: a path, or a URL without its password. */
  readonly description: string;
  readonly db: SqlDatabase;
  readonly blobs: BlobStore;
  readonly search: SearchEngine;
  /** The file, when the target is a SQLite file (a migration into its own source is refused). */
  readonly file?: string | undefined;
  close(): Promise<void>;
}

interface TablePlan {
  name: string;
  /** The primary key: batches are read and compared in its order. */
  key: readonly string[];
  /**
   * Set for the tables whose rows are things (a user, a skill, a token, a version...): the columns
   * that say which thing a row is. A target row whose key the source lacks, or holds with other
   * values in these columns, is data of something else, and the target is refused. Rows of the
   * other tables mirror the source's state and are brought to it.
   */
  identity?: readonly string[];
}

/** Every table of the schema (SCHEMA_VERSION) that is copied, parents before the rows that name them. */
export const MIGRATED_TABLES: readonly TablePlan[] = [
  { name: 'users', key: ['id'], identity: ['name'] },
  { name: 'teams', key: ['id'], identity: ['name'] },
  { name: 'team_members', key: ['team_id', 'user_id'] },
  { name: 'scopes', key: ['id'], identity: ['name'] },
  { name: 'tokens', key: ['id'], identity: ['user_id', 'hash'] },
  { name: 'skills', key: ['id'], identity: ['name'] },
  // The blobs these versions name are copied just before them (a version row never names a missing blob).
  { name: 'versions', key: ['id'], identity: ['skill_id', 'version', 'tarball_sha256'] },
  { name: 'used_versions', key: ['name', 'version'], identity: [] },
  { name: 'dist_tags', key: ['skill_id', 'tag'] },
  { name: 'skill_servers', key: ['skill_id', 'server'] },
  { name: 'skill_latest', key: ['skill_id'] },
  { name: 'web_sessions', key: ['id_hash'] },
  { name: 'downloads', key: ['version_id', 'day'] },
  { name: 'version_downloads', key: ['version_id'] },
  { name: 'skill_downloads', key: ['skill_id', 'day'] },
  { name: 'skill_dependencies', key: ['dependency', 'version_id'] },
  { name: 'version_audits', key: ['version_id'] },
  { name: 'audit_allowances', key: ['skill', 'rule', 'file'] },
  { name: 'audit_log', key: ['id'], identity: ['at', 'action', 'target'] },
  // The web catalog's CSRF key: the target's registries take forms the source's pages served.
  { name: 'registry_secrets', key: ['name'] },
];

/** Not copied: the FTS5 index and its shadow tables (rebuilt), SQLite's own tables, and blobs (through the blob store). */
export const NOT_MIGRATED = /^(skills_fts(_.*)?|sqlite_.*|blobs)$/;

/** Tables whose `id` PostgreSQL generates: their sequences must pass the copied ids. */
const GENERATED_IDS = ['users', 'teams', 'scopes', 'skills', 'versions', 'audit_log'];

export const DEFAULT_BATCH_ROWS = 500;
/** Blobs written at once (each may be a 10 MiB tarball in memory). */
const BLOB_CONCURRENCY = 4;
/** Rows per INSERT statement (a batch of wide rows stays under both engines' parameter limits). */
const INSERT_ROWS = 100;

/** Rows copied (inserted), updated (present with other values), removed (gone from the source) and skipped (already identical). */
export interface TableCounts {
  copied: number;
  updated: number;
  removed: number;
  skipped: number;
}

export interface MigrateProgress {
  /** A table's name, `blobs` or `search`. */
  step: string;
  done: number;
  total: number;
}

export interface MigrateOptions {
  /** The source: a SQLite registry database at SCHEMA_VERSION. */
  from: string;
  target: MigrationTarget;
  /** Rows (or blobs, or skills to index) per target transaction; default 500. */
  batchSize?: number;
  onProgress?: (progress: MigrateProgress) => void;
  /** Called after each committed batch with the number committed so far (the CLI's test hook stops there). */
  afterBatch?: (batches: number) => Promise<void>;
}

export interface MigrateResult {
  /** The source file, absolute. */
  from: string;
  /** The target without secrets. */
  to: string;
  tables: Record<string, TableCounts>;
  /** Blobs written, and blobs the target's store already held with the right digest. */
  blobs: { copied: number; present: number; store: string };
  /** Skills whose search document was written. */
  search: { indexed: number };
  durationMs: number;
}

type Row = Record<string, unknown>;

export async function migrateRegistry(options: MigrateOptions): Promise<MigrateResult> {
  const started = performance.now();
  const from = path.resolve(options.from);
  const { target } = options;
  if (target.file !== undefined && sameFile(from, target.file)) throw sourceIsTarget(from);
  const source = openSource(from);
  try {
    // One read transaction for the whole copy: every read below sees the same snapshot.
    source.exec('BEGIN');
    checkSchema(source);
    const run = new Migration(source, from, options);
    await run.checkTarget();
    const tables: Record<string, TableCounts> = {};
    let blobs = { copied: 0, present: 0 };
    for (const table of MIGRATED_TABLES) {
      if (table.name === 'versions') blobs = await run.copyBlobs();
      tables[table.name] = await run.copyTable(table);
    }
    const indexed = await run.rebuildSearch();
    await afterCopy(target);
    return { from, to: target.description, tables, blobs: { ...blobs, store: target.blobs.description }, search: { indexed }, durationMs: Math.round(performance.now() - started) };
  } finally {
    if (source.inTransaction) source.exec('COMMIT');
    source.close();
  }
}

/**
 * What a target needs after the rows are in, by dialect. PostgreSQL: each generated id's sequence
 * moves past the largest copied id (the rows were inserted with their ids, which does not advance
 * it). SQLite takes max(rowid) + 1 by itself.
 */
export async function afterCopy(target: MigrationTarget): Promise<void> {
  if (target.db.dialect !== 'postgres') return;
  await target.db.transaction(async (tx) => {
    for (const table of GENERATED_IDS) await tx.get(`SELECT setval(pg_get_serial_sequence('${table}', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM ${table}`);
    // Registry processes already running on the target drop everything they cached (the change
    // feed's 'all': a counter step with no skill named, and a NOTIFY delivered at commit).
    const row = await tx.get<{ seq: number }>('UPDATE registry_state SET change_seq = change_seq + 1 WHERE id = 1 RETURNING change_seq AS seq');
    if (row === undefined) return;
    await tx.run('INSERT INTO registry_changes (seq, skill) VALUES (?, NULL)', [row.seq]);
    await tx.run('SELECT pg_notify(?, ?)', [CHANGES_CHANNEL, String(row.seq)]);
  });
}

class Migration {
  readonly #batch: number;
  #batches = 0;

  constructor(
    private readonly source: Db,
    private readonly from: string,
    private readonly options: MigrateOptions,
  ) {
    this.#batch = options.batchSize ?? DEFAULT_BATCH_ROWS;
    if (!Number.isInteger(this.#batch) || this.#batch < 1) throw new SkillsError('EINTERNAL', `batchSize must be a positive integer, not ${this.#batch}`);
  }

  get #target(): MigrationTarget {
    return this.options.target;
  }

  async #committed(step: string, done: number, total: number): Promise<void> {
    this.#batches++;
    this.options.onProgress?.({ step, done, total });
    await this.options.afterBatch?.(this.#batches);
  }

  /** Refuses, before anything is written, a target holding things (users, skills, tokens...) the source does not have. */
  async checkTarget(): Promise<void> {
    for (const table of MIGRATED_TABLES) {
      if (table.identity === undefined) continue;
      const columns = [...table.key, ...table.identity];
      const lookup = this.source.prepare(`SELECT ${list(columns)} FROM ${table.name} WHERE ${table.key.map((k) => `"${k}" = ?`).join(' AND ')}`);
      let after: SqlValue[] | undefined;
      for (;;) {
        const rows = await this.#target.db.all<Row>(`SELECT ${list(columns)} FROM ${table.name}${after ? ` WHERE ${greater(table.key)}` : ''} ORDER BY ${list(table.key)} LIMIT ?`, [...(after ?? []), this.#batch]);
        for (const row of rows) {
          const keys = table.key.map((k) => row[k] as SqlValue);
          const theirs = lookup.get(...keys.map(bound)) as Row | undefined;
          if (theirs === undefined) throw this.#foreign(`${describe(table, row)}, which the source does not have`);
          const differs = table.identity.filter((c) => !same(row[c], theirs[c]));
          if (differs.length > 0) throw this.#foreign(`${describe(table, row)}, which the source holds with another ${differs.join(' and ')}${differs.includes('hash') ? '' : ` (${describe(table, theirs)})`}`);
        }
        if (rows.length < this.#batch) break;
        after = table.key.map((k) => rows[rows.length - 1]?.[k] as SqlValue);
      }
    }
  }

  #foreign(what: string): SkillsError {
    return new SkillsError('EMIGRATETARGET', `the target ${this.#target.description} holds data that is not from ${this.from}: ${what}; nothing was written`, {
      hint: 'migrate into a new database: a new SQLite file or an empty PostgreSQL database (a registry started on it creates its own admin user and token). A target that an earlier migrate from this source filled is resumed; if the source deleted this since, start again with an empty target',
    });
  }

  /** Brings one table of the target to the source's snapshot, one batch (range of keys) per transaction. */
  async copyTable(table: TablePlan): Promise<TableCounts> {
    const counts: TableCounts = { copied: 0, updated: 0, removed: 0, skipped: 0 };
    const columns = (this.source.prepare(`SELECT name FROM pragma_table_info(?) ORDER BY cid`).pluck().all(table.name) as string[]).filter((c) => typeof c === 'string');
    const total = (this.source.prepare(`SELECT COUNT(*) FROM ${table.name}`).pluck().get() as number) ?? 0;
    const first = this.source.prepare(`SELECT ${list(columns)} FROM ${table.name} ORDER BY ${list(table.key)} LIMIT ?`);
    const next = this.source.prepare(`SELECT ${list(columns)} FROM ${table.name} WHERE ${greater(table.key)} ORDER BY ${list(table.key)} LIMIT ?`);
    const others = columns.filter((c) => !table.key.includes(c));
    let after: SqlValue[] | undefined;
    let done = 0;
    for (;;) {
      const rows = (after ? next.all(...after.map(bound), this.#batch) : first.all(this.#batch)) as Row[];
      const last = rows.length < this.#batch ? undefined : table.key.map((k) => rows[rows.length - 1]?.[k] as SqlValue);
      await this.#target.db.transaction(async (tx) => {
        // The target's rows in the same key range: (after, last], unbounded at the ends.
        const bounds = [...(after ? [greater(table.key)] : []), ...(last ? [atMost(table.key)] : [])];
        const held = await tx.all<Row>(`SELECT ${list(columns)} FROM ${table.name}${bounds.length > 0 ? ` WHERE ${bounds.join(' AND ')}` : ''}`, [...(after ?? []), ...(last ?? [])]);
        const heldByKey = new Map(held.map((r) => [keyText(table, r), r]));
        const inserts: Row[] = [];
        for (const row of rows) {
          const key = keyText(table, row);
          const mine = heldByKey.get(key);
          heldByKey.delete(key);
          if (mine === undefined) {
            inserts.push(row);
            continue;
          }
          if (table.identity !== undefined && table.identity.some((c) => !same(row[c], mine[c]))) throw this.#foreign(describe(table, mine));
          const changed = others.filter((c) => !same(row[c], mine[c]));
          if (changed.length === 0) {
            counts.skipped++;
            continue;
          }
          await tx.run(`UPDATE ${table.name} SET ${changed.map((c) => `"${c}" = ?`).join(', ')} WHERE ${table.key.map((k) => `"${k}" = ?`).join(' AND ')}`, [
            ...changed.map((c) => row[c] as SqlValue),
            ...table.key.map((k) => row[k] as SqlValue),
          ]);
          counts.updated++;
        }
        // Left over: rows of this range the source does not have (any more).
        for (const gone of heldByKey.values()) {
          if (table.identity !== undefined) throw this.#foreign(`${describe(table, gone)}, which the source does not have`);
          await tx.run(`DELETE FROM ${table.name} WHERE ${table.key.map((k) => `"${k}" = ?`).join(' AND ')}`, table.key.map((k) => gone[k] as SqlValue));
          counts.removed++;
        }
        for (let i = 0; i < inserts.length; i += INSERT_ROWS) {
          const chunk = inserts.slice(i, i + INSERT_ROWS);
          const values = chunk.map(() => `(${columns.map(() => '?').join(', ')})`).join(', ');
          const { changes } = await tx.run(`INSERT INTO ${table.name} (${list(columns)}) VALUES ${values} ON CONFLICT DO NOTHING`, chunk.flatMap((r) => columns.map((c) => r[c] as SqlValue)));
          counts.copied += changes;
          counts.skipped += chunk.length - changes;
        }
      });
      done += rows.length;
      await this.#committed(table.name, done, total);
      if (last === undefined) break;
      after = last;
    }
    return counts;
  }

  /**
   * Every blob a version names, from the source's `blobs` table into the target's blob store,
   * checked against its digest before it is written; blobs the store already holds (read back and
   * checked by the store) are left as they are.
   */
  async copyBlobs(): Promise<{ copied: number; present: number }> {
    // The source's own connection, inside its read transaction: the same snapshot as every table.
    const source = new SqliteDatabase(this.source);
    const total = await namedBlobCount(source);
    const read = this.source.prepare('SELECT bytes FROM blobs WHERE sha256 = ?').pluck();
    let copied = 0;
    let present = 0;
    let done = 0;
    for await (const rows of namedBlobs(source, this.#batch)) {
      await inParallel(rows, BLOB_CONCURRENCY, async ({ sha256, id }) => {
        if (!BLOB_KEY.test(sha256)) throw new SkillsError('EBLOBMISSING', `${await versionNamed(source, id)} in ${this.from} names no valid tarball digest (${JSON.stringify(sha256.slice(0, 80))}); nothing was copied for it`, { hint: 'restore the source from a backup, or delete that version on the source registry, then migrate again' });
        if (await this.#held(sha256, await versionNamed(source, id))) {
          present++;
          return;
        }
        const bytes = read.get(sha256) as Buffer | undefined;
        if (bytes === undefined) throw new SkillsError('EBLOBMISSING', `the tarball of ${await versionNamed(source, id)} (blob ${sha256}) is missing from ${this.from}; nothing was copied for it`, { hint: 'restore the blob into the source from a backup, then migrate again (what was copied is kept)' });
        if (!Buffer.isBuffer(bytes) || sha256Hex(bytes) !== sha256) {
          throw new SkillsError('EBLOBCORRUPT', `the tarball of ${await versionNamed(source, id)} (blob ${sha256}) in ${this.from} is damaged: its bytes do not match its digest; it was not copied`, {
            hint: 'restore that blob into the source from a backup, then migrate again (what was copied is kept)',
          });
        }
        await this.#target.blobs.put(sha256, bytes);
        copied++;
      });
      done += rows.length;
      await this.#committed('blobs', done, total);
    }
    return { copied, present };
  }

  /** Whether the target's store holds the blob, with the right digest (a damaged copy stops the migration). */
  async #held(sha256: string, version: string): Promise<boolean> {
    try {
      return (await this.#target.blobs.get(sha256)) !== undefined;
    } catch (error) {
      if (!isSkillsError(error) || error.code !== 'EBLOBCORRUPT') throw error;
      throw new SkillsError('EBLOBCORRUPT', `${this.#target.blobs.description} already holds the tarball of ${version} (blob ${sha256}), damaged: ${error.message}`, {
        hint: 'remove that blob from the target store (a store never overwrites one), then migrate again',
      });
    }
  }

  /** Writes every skill's search document through the target's engine, from its shown version (skill_latest). */
  async rebuildSearch(): Promise<number> {
    const { search } = this.#target;
    const total = (await this.#target.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM skills'))?.n ?? 0;
    let indexed = 0;
    let after = 0;
    let done = 0;
    for (;;) {
      const rows = await this.#target.db.transaction(async (tx) => {
        const page = await tx.all<{ id: number; name: string; manifest: string | null; description: string | null; skill_md: string | null }>(
          `SELECT s.id, s.name, v.manifest, v.description, v.skill_md FROM skills s
             LEFT JOIN skill_latest l ON l.skill_id = s.id
             LEFT JOIN versions v ON v.skill_id = s.id AND v.version = l.version
           WHERE s.id > ? ORDER BY s.id LIMIT ?`,
          [after, this.#batch],
        );
        for (const skill of page) indexed += await indexSkill(tx, search, skill);
        return page;
      });
      done += rows.length;
      await this.#committed('search', done, total);
      if (rows.length < this.#batch) break;
      after = rows[rows.length - 1]?.id ?? after;
    }
    return indexed;
  }
}

async function indexSkill(tx: SqlExecutor, search: SearchEngine, skill: { id: number; name: string; manifest: string | null; description: string | null; skill_md: string | null }): Promise<number> {
  await search.remove(tx, skill.id);
  if (skill.manifest === null) return 0;
  const { keywords } = JSON.parse(skill.manifest) as { keywords?: string[] };
  await search.index(tx, skill.id, searchDocument(skill.name, { description: skill.description ?? '', keywords: keywords ?? [], skillMd: skill.skill_md ?? '' }));
  return 1;
}

/** Throws what migrateRegistry would throw for this source (EMIGRATESOURCE...), before a target is opened (and maybe created). */
export function checkSource(file: string): void {
  openSource(path.resolve(file)).close();
}

/** Opens the source read-only, refusing (EMIGRATESOURCE) anything but a registry database at this schema version. */
function openSource(file: string): Db {
  return openRegistryReadOnly(file, 'migrate', (why, hint = 'give --from the registry database file (by default .skills-registry/registry.db)') => new SkillsError('EMIGRATESOURCE', `cannot migrate from ${file}: ${why}`, { hint }));
}

/**
 * A registry database file opened read-only (a registry may keep serving and writing it), refused
 * through `refuse` unless it is a registry database at this schema version: missing, not a file,
 * empty, not SQLite, another program's, older or newer.
 */
export function openRegistryReadOnly(file: string, verb: 'migrate' | 'back up', refuse: (why: string, hint?: string) => SkillsError): Db {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (!stat) throw refuse('there is no such file');
  if (!stat.isFile()) throw refuse('it is not a file');
  if (stat.size === 0) throw refuse('it is empty, not a registry database');
  let opened: ReturnType<typeof openReadOnly>;
  try {
    opened = openReadOnly(file);
  } catch (error) {
    if (isSkillsError(error) && (error.code === 'EDBNOTSQLITE' || error.code === 'EDBFOREIGN' || error.code === 'EDBNEWER')) {
      throw refuse(`${error.message} (${error.code})`, error.code === 'EDBNEWER' ? `${verb} with the version of skills that wrote it` : undefined);
    }
    throw error;
  }
  if (opened.version !== SCHEMA_VERSION) {
    opened.db.close();
    if (opened.version === 0) throw refuse('it holds no registry (no tables)');
    throw refuse(
      `it is at schema version ${opened.version}, and only a database at this version's schema (${SCHEMA_VERSION}) can be ${verb === 'migrate' ? 'migrated' : 'backed up'}`,
      verb === 'migrate' ? `upgrade it first: start this version's registry on it once (skills serve --db ${file}), stop it, then migrate` : 'back it up with the version of skills its registry runs',
    );
  }
  return opened.db;
}

/** Every table of the source is one this code copies or knows to skip (a table added by a later schema must be added here). */
export function checkSchema(source: Db): void {
  const names = source.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
  const planned = new Set(MIGRATED_TABLES.map((t) => t.name));
  const unknown = names.filter((n) => !NOT_MIGRATED.test(n) && !planned.has(n));
  const missing = [...planned].filter((n) => !names.includes(n));
  if (unknown.length > 0 || missing.length > 0) {
    throw new SkillsError('EINTERNAL', `the tables of the source do not match what migrate copies (unknown: ${unknown.join(', ') || 'none'}; missing: ${missing.join(', ') || 'none'}): a bug, MIGRATED_TABLES is out of date`);
  }
}

function sameFile(a: string, b: string): boolean {
  if (path.resolve(a) === path.resolve(b)) return true;
  const sa = fs.statSync(a, { throwIfNoEntry: false });
  const sb = fs.statSync(b, { throwIfNoEntry: false });
  return sa !== undefined && sb !== undefined && sa.dev === sb.dev && sa.ino === sb.ino;
}

export function sourceIsTarget(file: string): SkillsError {
  return new SkillsError('EMIGRATETARGET', `the target is the source itself (${file}); nothing was written`, { hint: 'give --to a new file or a postgres:// URL' });
}

const list = (columns: readonly string[]) => columns.map((c) => `"${c}"`).join(', ');

/** `key > (?, ...)` in the key's order (row values: both engines compare them column by column). */
function greater(key: readonly string[]): string {
  return key.length === 1 ? `"${key[0]}" > ?` : `(${list(key)}) > (${key.map(() => '?').join(', ')})`;
}

function atMost(key: readonly string[]): string {
  return key.length === 1 ? `"${key[0]}" <= ?` : `(${list(key)}) <= (${key.map(() => '?').join(', ')})`;
}

/** better-sqlite3 binds Buffers, numbers, strings and null; a boolean never comes out of SQLite. */
function bound(value: SqlValue): string | number | bigint | Buffer | null {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Uint8Array && !Buffer.isBuffer(value)) return Buffer.from(value);
  return value as string | number | bigint | Buffer | null;
}

function keyText(table: TablePlan, row: Row): string {
  return JSON.stringify(table.key.map((k) => cellText(row[k])));
}

function cellText(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return `x'${value.toString('hex')}'`;
  if (typeof value === 'bigint') return Number(value);
  return value;
}

/** Whether two cells hold the same value, as either engine returns it (an integer as number or bigint, bytes as Buffer). */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined) return false;
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  const numeric = (v: unknown) => typeof v === 'number' || typeof v === 'bigint';
  if (numeric(a) && numeric(b)) return Number(a) === Number(b);
  return false;
}

/** A row as a message names it: its table, key and identity columns (never bytes such as a token's hash). */
function describe(table: TablePlan, row: Row): string {
  const shown = [...table.key, ...(table.identity ?? [])]
    .filter((c, i, all) => all.indexOf(c) === i && !Buffer.isBuffer(row[c]))
    .map((c) => `${c} ${JSON.stringify(typeof row[c] === 'string' ? (row[c] as string).slice(0, 100) : cellText(row[c]))}`);
  return `a row of ${table.name} (${shown.join(', ')})`;
}

