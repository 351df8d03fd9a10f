/**
 * Backing up a registry while it serves (`skills registry backup <dir>`), into a new or empty
 * folder:
 *
 * - on SQLite, `registry.db`: a snapshot through SQLite's online backup API, copied in one step
 *   (one read transaction on the source: a consistent state, and in WAL mode the registry goes on
 *   reading and writing meanwhile; a copy in many steps would start again after every write);
 * - on PostgreSQL, `database.pgdump`: pg_dump's archive (custom format) of a snapshot this process
 *   exports from a REPEATABLE READ transaction, which also reads the blob list and row counts, so
 *   dump and manifest describe the same state;
 * - when tarballs live outside the database (S3), `blobs/<sha256>`: every blob the snapshot's
 *   versions name, read back from the store (digest checked) after the snapshot was taken. Blobs
 *   are written before the rows that name them and never overwritten, so every blob the snapshot
 *   names is there; one a version deleted since dropped is reported (EBLOBMISSING) and the
 *   backup removed;
 * - `manifest.json`, last (backup-manifest.ts).
 *
 * Nothing is written before the source, the blob store and the folder were checked; a backup that
 * fails removes what it wrote. The files are readable by their owner only: they hold token and
 * session hashes and the web catalog's CSRF key.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { isSkillsError, SkillsError } from '../../schema/errors';
import { inParallel } from '../../tarball/write';
import { SCHEMA_VERSION, type Db } from '../db';
import { blobMismatch } from './blob-checks';
import {
  BACKUP_FORMAT,
  BACKUP_FORMAT_VERSION,
  BLOBS_FOLDER,
  fileDigest,
  PG_DUMP_FILE,
  SQLITE_SNAPSHOT_FILE,
  syncFile,
  syncFolder,
  writeFileSynced,
  writeManifest,
  type BackupManifest,
} from './backup-manifest';
import type { BlobStore } from './blobs';
import { checkSchema, MIGRATED_TABLES, openRegistryReadOnly } from './migrate';
import { namedBlobCount, namedBlobs, versionNamed } from './named-blobs';
import { openBlobStore, parseBlobsUrl } from './open-blobs';
import { findPgTool, pgToolVersion, runPgTool } from './pg-tools';
import type { PostgresDatabase } from './postgres';
import { SqliteDatabase } from './sqlite';
import type { SqlExecutor } from './sql';

/** Blobs read and written at once (each may be a 10 MiB tarball in memory). */
const BLOB_CONCURRENCY = 4;
const BATCH = 500;

export interface BackupProgress {
  /** `database`, `blobs`. */
  step: string;
  done: number;
  total: number;
}

export interface BackupOptions {
  /** The backup's folder: new, or empty. */
  dir: string;
  /** The registry's SQLite file (when `database` is not set). */
  file: string;
  /** A postgres:// URL: the registry's metadata is there (backed up with pg_dump). */
  database?: string | undefined;
  /** An s3:// URL: the registry's tarballs are there (copied into the backup). */
  blobs?: string | undefined;
  /** What wrote the backup, recorded in the manifest (e.g. `skills 0.1.0`). */
  createdBy: string;
  onProgress?: (progress: BackupProgress) => void;
  /** Where pg_dump is looked for (PATH) and what it runs with; default process.env. */
  env?: NodeJS.ProcessEnv;
}

export interface BackupResult {
  dir: string;
  /** The manifest's path. */
  manifest: string;
  createdAt: string;
  schemaVersion: number;
  source: BackupManifest['source'];
  database: { engine: 'sqlite' | 'postgres'; file: string; size: number; sha256: string };
  blobs: { location: 'database' | 'files'; count: number; size: number };
  tables: Record<string, number>;
  durationMs: number;
}

export async function backupRegistry(options: BackupOptions): Promise<BackupResult> {
  const started = performance.now();
  const dir = path.resolve(options.dir);
  const createdAt = new Date().toISOString();
  // Checked before anything is opened: a URL that is not one fails first.
  if (options.blobs !== undefined) parseBlobsUrl(options.blobs);
  const run = options.database === undefined ? await sqliteBackup(dir, options) : await postgresBackup(dir, options.database, options);
  let manifest: BackupManifest;
  try {
    const content = await run.write();
    manifest = writeManifest(dir, {
      format: BACKUP_FORMAT,
      formatVersion: BACKUP_FORMAT_VERSION,
      createdAt,
      createdBy: options.createdBy,
      schemaVersion: SCHEMA_VERSION,
      ...content,
    });
  } catch (error) {
    run.folder.undo();
    throw error;
  } finally {
    await run.close();
  }
  const { source, database, blobs, tables } = manifest;
  return {
    dir,
    manifest: path.join(dir, 'manifest.json'),
    createdAt,
    schemaVersion: manifest.schemaVersion,
    source,
    database: { engine: database.engine, file: database.file, size: database.size, sha256: database.sha256 },
    blobs: { location: blobs.location, count: blobs.count, size: blobs.size },
    tables,
    durationMs: Math.round(performance.now() - started),
  };
}

type ManifestContent = Pick<BackupManifest, 'source' | 'database' | 'blobs' | 'tables'>;

/** A backup whose source, store and folder were checked: `write` fills the folder, `close` lets go of the source. */
interface PreparedBackup {
  folder: BackupFolder;
  write(): Promise<ManifestContent>;
  close(): Promise<void>;
}

async function sqliteBackup(dir: string, options: BackupOptions): Promise<PreparedBackup> {
  const file = path.resolve(options.file);
  const source = openRegistryReadOnly(file, 'back up', (why, hint = 'give --db the registry database file (by default .skills-registry/registry.db)') => new SkillsError('EBACKUPSOURCE', `cannot back up ${file}: ${why}; nothing was written`, { hint }));
  let store: BlobStore | undefined;
  try {
    checkSchema(source);
    if (options.blobs !== undefined) store = await openBlobStore(options.blobs, { db: new SqliteDatabase(source) });
  } catch (error) {
    source.close();
    throw error;
  }
  let folder: BackupFolder;
  try {
    folder = BackupFolder.claim(dir);
  } catch (error) {
    await store?.close();
    source.close();
    throw error;
  }
  const blobStore = store;
  return {
    folder,
    close: async () => {
      await blobStore?.close();
      if (source.open) source.close();
    },
    async write() {
      const snapshot = path.join(dir, SQLITE_SNAPSHOT_FILE);
      options.onProgress?.({ step: 'database', done: 0, total: 1 });
      await copySnapshot(source, snapshot);
      source.close();
      options.onProgress?.({ step: 'database', done: 1, total: 1 });
      const copy = new Database(snapshot, { fileMustExist: true });
      let listed: Listed;
      let sqliteVersion: string;
      try {
        sqliteVersion = String(copy.prepare('SELECT sqlite_version()').pluck().get());
        // A snapshot of a WAL database says WAL in its header; in rollback mode it is one file, readable alone.
        copy.pragma('journal_mode = DELETE');
        const check = copy.pragma('quick_check', { simple: true }) as unknown;
        if (check !== 'ok') throw new SkillsError('EBACKUPSOURCE', `the registry database ${file} is damaged (SQLite's quick_check on its snapshot: ${String(check).slice(0, 200)}); no backup was kept`, { hint: `stop the registry, repair ${path.basename(file)} (sqlite3 ${path.basename(file)} .recover | sqlite3 recovered.db) or restore an older backup` });
        const db = new SqliteDatabase(copy);
        listed = await listBlobs(db, `the snapshot of ${file}`, store === undefined ? { db } : { store, dir }, options.onProgress);
        listed.tables = await tableCounts(db);
      } finally {
        copy.close();
      }
      syncFile(snapshot);
      const digest = await fileDigest(snapshot);
      return {
        source: { engine: 'sqlite', database: file, blobs: options.blobs ?? 'the SQLite table blobs' },
        database: { engine: 'sqlite', file: SQLITE_SNAPSHOT_FILE, size: digest.size, sha256: digest.sha256, tool: `SQLite ${sqliteVersion} online backup API` },
        blobs: listed.blobs,
        tables: listed.tables,
      };
    },
  };
}

/**
 * SQLite's online backup of `source` into the new file `to`, in one step: one read transaction,
 * so the copy is one consistent state however busy the registry is (in WAL mode the registry keeps
 * reading and writing meanwhile; a backup in several steps starts again whenever another
 * connection writes, and might never finish under load).
 */
async function copySnapshot(source: Db, to: string): Promise<void> {
  await source.backup(to, { progress: () => 0x7fffffff });
  fs.chmodSync(to, 0o600);
}

async function postgresBackup(dir: string, url: string, options: BackupOptions): Promise<PreparedBackup> {
  const env = options.env ?? process.env;
  const pgDump = findPgTool('pg_dump', env);
  const { PostgresDatabase } = await import('./postgres');
  const { schemaVersion } = await import('./postgres-schema');
  // No idle-in-transaction limit: the snapshot's transaction waits for pg_dump, however long it takes.
  const db = await PostgresDatabase.open(url, { applicationName: 'skills-registry-backup', idleInTransactionTimeoutMs: 0, max: 2 });
  let store: BlobStore | undefined;
  let folder: BackupFolder;
  try {
    const version = await db.transaction((tx) => schemaVersion(tx, db.description));
    if (version !== SCHEMA_VERSION) {
      throw new SkillsError('EBACKUPSOURCE', `cannot back up ${db.description}: ${version === 0 ? 'it holds no registry (no tables)' : `it is at schema version ${version}, and only a database at this version's schema (${SCHEMA_VERSION}) can be backed up`}; nothing was written`, {
        hint: version === 0 ? 'give --database the URL of the registry\'s database' : 'back it up with the version of skills its registry runs',
      });
    }
    if (options.blobs !== undefined) store = await openBlobStore(options.blobs, { db });
    folder = BackupFolder.claim(dir);
  } catch (error) {
    await store?.close();
    await db.close();
    throw error;
  }
  const blobStore = store;
  return {
    folder,
    close: async () => {
      await blobStore?.close();
      await db.close();
    },
    async write() {
      const dump = path.join(dir, PG_DUMP_FILE);
      const tool = await pgToolVersion(pgDump);
      const listed = await snapshotTransaction(db, async (tx, snapshot) => {
        options.onProgress?.({ step: 'database', done: 0, total: 1 });
        // pg_dump reads the same snapshot as the queries below; the transaction stays open until it is done.
        const stop = new AbortController();
        const dumped = runPgTool(pgDump, ['--format=custom', `--snapshot=${snapshot}`, `--file=${dump}`, '--no-password'], url, env, stop.signal);
        let found: Listed;
        try {
          found = await listBlobs(tx, db.description, blobStore === undefined ? { db: tx } : { store: blobStore, dir }, options.onProgress);
          found.tables = await tableCounts(tx);
        } catch (error) {
          stop.abort();
          await dumped.catch(() => undefined);
          throw error;
        }
        await dumped;
        options.onProgress?.({ step: 'database', done: 1, total: 1 });
        return found;
      });
      fs.chmodSync(dump, 0o600);
      syncFile(dump);
      const digest = await fileDigest(dump);
      return {
        source: { engine: 'postgres', database: db.description, blobs: options.blobs ?? 'the PostgreSQL table blobs' },
        database: { engine: 'postgres', file: PG_DUMP_FILE, size: digest.size, sha256: digest.sha256, tool },
        blobs: listed.blobs,
        tables: listed.tables,
      };
    },
  };
}

/** Runs `fn` in a REPEATABLE READ, READ ONLY transaction whose snapshot is exported (for pg_dump --snapshot). */
async function snapshotTransaction<T>(db: PostgresDatabase, fn: (tx: SqlExecutor, snapshot: string) => Promise<T>): Promise<T> {
  return db.transaction(
    async (tx) => {
      await tx.run('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      const row = await tx.get<{ id: string }>('SELECT pg_export_snapshot() AS id');
      if (row === undefined) throw new SkillsError('EINTERNAL', 'pg_export_snapshot() returned no row');
      return fn(tx, row.id);
    },
    { statementTimeoutMs: 0 },
  );
}

interface Listed {
  blobs: BackupManifest['blobs'];
  tables: Record<string, number>;
}

/**
 * Every blob the versions of `db` name, checked against its digest: read from the database's own
 * table (`from.db`: the blobs are in the database file already) or from the store and written to
 * `blobs/<sha256>` in the backup's folder.
 */
async function listBlobs(db: SqlExecutor, where: string, from: { db: SqlExecutor } | { store: BlobStore; dir: string }, onProgress: BackupOptions['onProgress']): Promise<Listed> {
  const total = await namedBlobCount(db);
  const list: { sha256: string; size: number }[] = [];
  let size = 0;
  let done = 0;
  if ('store' in from) fs.mkdirSync(path.join(from.dir, BLOBS_FOLDER), { mode: 0o700 });
  for await (const rows of namedBlobs(db, BATCH)) {
    const sizes = new Map<string, number>();
    await inParallel(rows, BLOB_CONCURRENCY, async ({ sha256, id }) => {
      const bytes = 'store' in from ? await fromStore(from.store, sha256, () => versionNamed(db, id)) : await fromTable(from.db, sha256);
      const version = async () => `${await versionNamed(db, id)} in ${where}`;
      if (bytes === undefined) {
        throw new SkillsError('EBLOBMISSING', `the tarball of ${await version()} (blob ${sha256}) is missing from ${'store' in from ? from.store.description : 'its blobs table'}; no backup was kept`, {
          hint: 'store' in from
            ? 'a version deleted while the backup ran takes its blob along: run the backup again. Check that --blobs names the store the registry uses (without --blobs, tarballs are in the database); otherwise restore that blob into the store from an older backup'
            : 'restore that blob from an older backup',
        });
      }
      const wrong = blobMismatch(sha256, bytes);
      if (wrong !== undefined) throw new SkillsError('EBLOBCORRUPT', `the tarball of ${await version()} (blob ${sha256}) is damaged: ${wrong}; no backup was kept`, { hint: 'restore that blob from an older backup' });
      if ('store' in from) writeFileSynced(path.join(from.dir, BLOBS_FOLDER, sha256), bytes);
      sizes.set(sha256, bytes.byteLength);
    });
    for (const { sha256 } of rows) {
      const n = sizes.get(sha256) ?? 0;
      list.push({ sha256, size: n });
      size += n;
    }
    done += rows.length;
    onProgress?.({ step: 'blobs', done, total });
  }
  if ('store' in from) syncFolder(path.join(from.dir, BLOBS_FOLDER));
  return { blobs: { location: 'store' in from ? 'files' : 'database', count: list.length, size, list }, tables: {} };
}

async function fromTable(db: SqlExecutor, sha256: string): Promise<Buffer | undefined> {
  const row = await db.get<{ bytes: unknown }>('SELECT bytes FROM blobs WHERE sha256 = ?', [sha256]);
  if (row === undefined) return undefined;
  return Buffer.isBuffer(row.bytes) ? row.bytes : Buffer.alloc(0);
}

async function fromStore(store: BlobStore, sha256: string, version: () => Promise<string>): Promise<Buffer | undefined> {
  try {
    return await store.get(sha256);
  } catch (error) {
    if (!isSkillsError(error) || error.code !== 'EBLOBCORRUPT') throw error;
    throw new SkillsError('EBLOBCORRUPT', `the tarball of ${await version()} (blob ${sha256}) in ${store.description} is damaged; no backup was kept`, { hint: 'restore that blob into the store from an older backup' });
  }
}

/** Rows of every table the registry's data is in (MIGRATED_TABLES), and `blobs` (rows of the database's own blob table). */
async function tableCounts(db: SqlExecutor): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const { name } of MIGRATED_TABLES) counts[name] = (await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${name}`))?.n ?? 0;
  counts.blobs = (await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM blobs'))?.n ?? 0;
  return counts;
}

/**
 * The backup's folder, claimed: it must not exist (it is created, with its missing parents) or be
 * an empty folder. `undo` removes what the backup wrote: the folders it created, or the contents
 * of the empty folder it was given.
 */
class BackupFolder {
  private constructor(
    readonly dir: string,
    /** The topmost folder this created, if any. */
    private readonly created: string | undefined,
  ) {}

  static claim(dir: string): BackupFolder {
    const refuse = (why: string, hint?: string) => new SkillsError('EBACKUPDIR', `cannot back up into ${dir}: ${why}; nothing was written`, hint === undefined ? {} : { hint });
    const stat = fs.statSync(dir, { throwIfNoEntry: false });
    if (stat !== undefined) {
      if (!stat.isDirectory()) throw refuse('it is a file, not a folder');
      const entries = fs.readdirSync(dir);
      if (entries.length > 0) {
        throw refuse(`it is not empty (${entries.length} ${entries.length === 1 ? 'entry' : 'entries'}, e.g. ${entries.slice(0, 3).join(', ')})`, 'back up into a new folder (a dated one, e.g. backups/2025-06-01) or an empty one; a backup never overwrites or mixes with other files');
      }
      return new BackupFolder(dir, undefined);
    }
    let created: string | undefined;
    try {
      created = fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw refuse(`it cannot be created (${(error as NodeJS.ErrnoException).code ?? 'error'})`, 'choose a folder in a place you can write');
    }
    return new BackupFolder(dir, created);
  }

  undo(): void {
    if (this.created !== undefined) {
      fs.rmSync(this.created, { recursive: true, force: true });
      return;
    }
    for (const entry of fs.readdirSync(this.dir, { withFileTypes: true })) fs.rmSync(path.join(this.dir, entry.name), { recursive: true, force: true });
  }
}
