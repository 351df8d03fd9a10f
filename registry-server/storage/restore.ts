/**
 * Restoring a backup (`skills registry restore <dir>`) into an empty registry, checking every byte
 * before the target changes:
 *
 * 1. the manifest (its shape and its own digest), then the target: a SQLite file that is missing,
 *    empty, or a registry database without a single row; a PostgreSQL database without tables.
 *    Anything else is refused (ERESTORENOTEMPTY) before anything is written;
 * 2. every blob file of the backup, against the size and sha256 the manifest lists;
 * 3. SQLite: the snapshot is copied to a temporary file beside the target and checked there (its
 *    size and sha256, SQLite's quick_check, the rows of every table, every blob its versions name
 *    listed in the manifest, every blob in its own table checked); blobs from the backup's folder
 *    go into its table, or into the bucket `--blobs` names; only then is it renamed into place.
 *    PostgreSQL: pg_restore in one transaction (all or nothing), then the same checks against the
 *    database, and what the restore created is dropped again when one fails.
 *
 * Blobs go into a bucket under their digest: one already there with the same bytes is kept
 * (content-addressed, so it is the same blob), a damaged one refuses the restore. A failure after
 * blobs were put may leave some in the bucket, which no row names (harmless, as after a publish
 * that never committed).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { isSkillsError, SkillsError } from '../../schema/errors';
import { inParallel } from '../../tarball/write';
import { APPLICATION_ID, inspectDatabase, SCHEMA_VERSION } from '../db';
import { blobMismatch } from './blob-checks';
import { BLOBS_FOLDER, fileDigest, MANIFEST_FILE, readManifest, syncFile, syncFolder, type BackupManifest } from './backup-manifest';
import type { BlobStore } from './blobs';
import { MIGRATED_TABLES } from './migrate';
import { namedBlobs, versionNamed } from './named-blobs';
import { openBlobStore, parseBlobsUrl } from './open-blobs';
import { findPgTool, runPgTool } from './pg-tools';
import type { PostgresDatabase } from './postgres';
import { SqlBlobStore } from './sql-blobs';
import { SqliteDatabase } from './sqlite';
import type { SqlExecutor } from './sql';

const BLOB_CONCURRENCY = 4;
const BATCH = 500;

export interface RestoreProgress {
  /** `verify blobs`, `database`, `blobs`. */
  step: string;
  done: number;
  total: number;
}

export interface RestoreOptions {
  /** The backup's folder. */
  dir: string;
  /** The SQLite file to restore into (when `database` is not set): missing, empty, or a registry without rows. */
  file: string;
  /** A postgres:// URL of an empty database (no tables) to restore into. */
  database?: string | undefined;
  /** An s3:// URL: the blobs go into this bucket instead of the database's blobs table. */
  blobs?: string | undefined;
  onProgress?: (progress: RestoreProgress) => void;
  /** Where pg_restore is looked for (PATH) and what it runs with; default process.env. */
  env?: NodeJS.ProcessEnv;
}

export interface RestoreResult {
  /** The backup's folder. */
  from: string;
  /** The target: a path, or a URL without its password. */
  to: string;
  createdAt: string;
  schemaVersion: number;
  database: { engine: 'sqlite' | 'postgres'; size: number };
  tables: Record<string, number>;
  /** Blobs checked (`count`, `size`), and how many were written into `store` (the rest were in the restored database, or already in the bucket). */
  blobs: { count: number; size: number; copied: number; store: string };
  durationMs: number;
}

export async function restoreRegistry(options: RestoreOptions): Promise<RestoreResult> {
  const started = performance.now();
  const dir = path.resolve(options.dir);
  const stat = fs.statSync(dir, { throwIfNoEntry: false });
  if (!stat?.isDirectory()) throw new SkillsError('EBACKUPDIR', `cannot restore from ${dir}: ${stat ? 'it is not a folder' : 'there is no such folder'}; nothing was restored`, { hint: 'name the folder `skills registry backup` wrote (it holds manifest.json)' });
  const manifest = readManifest(dir);
  if (manifest.schemaVersion > SCHEMA_VERSION) {
    throw new SkillsError('EBACKUPMANIFEST', `${path.join(dir, MANIFEST_FILE)} is of a registry at schema version ${manifest.schemaVersion}, newer than this version of skills (${SCHEMA_VERSION}); nothing was restored`, { hint: 'restore it with the version of skills that wrote it, or a newer one' });
  }
  if (manifest.database.engine === 'sqlite' && options.database !== undefined) {
    throw new SkillsError('EUSAGE', `${dir} is a backup of a registry on SQLite: restore it into a SQLite file (--db <file>, without --database)`, { hint: 'to move it to PostgreSQL afterwards: skills registry migrate --from <that file> --to postgres://...' });
  }
  if (manifest.database.engine === 'postgres' && options.database === undefined) {
    throw new SkillsError('EUSAGE', `${dir} is a backup of a registry on PostgreSQL (a pg_dump archive): restore it into an empty PostgreSQL database with --database postgres://... (or $SKILLS_DATABASE_URL)`, { hint: 'create an empty database first: createdb <name>' });
  }
  if (options.blobs !== undefined) parseBlobsUrl(options.blobs);
  const result = options.database === undefined ? await restoreSqlite(dir, manifest, options) : await restorePostgres(dir, manifest, options.database, options);
  return {
    from: dir,
    to: result.to,
    createdAt: manifest.createdAt,
    schemaVersion: manifest.schemaVersion,
    database: { engine: manifest.database.engine, size: manifest.database.size },
    tables: manifest.tables,
    blobs: { count: manifest.blobs.count, size: manifest.blobs.size, copied: result.copied, store: result.store },
    durationMs: Math.round(performance.now() - started),
  };
}

interface Restored {
  to: string;
  copied: number;
  store: string;
}

async function restoreSqlite(dir: string, manifest: BackupManifest, options: RestoreOptions): Promise<Restored> {
  const target = path.resolve(options.file);
  const replaces = checkSqliteTarget(target);
  if (!fs.statSync(path.join(dir, manifest.database.file), { throwIfNoEntry: false })?.isFile()) throw damaged(dir, manifest, 'it is missing');
  await verifyBlobFiles(dir, manifest, options.onProgress);
  const folder = path.dirname(target);
  let createdFolder: string | undefined;
  try {
    createdFolder = fs.mkdirSync(folder, { recursive: true });
  } catch (error) {
    throw new SkillsError('EDBDIR', `cannot create the folder ${folder} for the restored database (${(error as NodeJS.ErrnoException).code ?? 'error'}); nothing was restored`, { hint: 'choose a writable place with --db <file>' });
  }
  const temp = path.join(folder, `.${path.basename(target)}.restoring-${randomBytes(6).toString('hex')}`);
  let db: Database.Database | undefined;
  let store: BlobStore | undefined;
  try {
    options.onProgress?.({ step: 'database', done: 0, total: 1 });
    fs.copyFileSync(path.join(dir, manifest.database.file), temp, fs.constants.COPYFILE_EXCL);
    fs.chmodSync(temp, 0o600);
    await checkDatabaseFile(temp, dir, manifest);
    db = new Database(temp, { fileMustExist: true });
    db.pragma('journal_mode = DELETE');
    // A temporary file until the rename, synced once before it: no sync per blob inserted.
    db.pragma('synchronous = OFF');
    const check = db.pragma('quick_check', { simple: true }) as unknown;
    if (check !== 'ok') throw damaged(dir, manifest, `SQLite's quick_check finds it damaged (${String(check).slice(0, 200)})`);
    const id = db.pragma('application_id', { simple: true }) as number;
    const version = db.pragma('user_version', { simple: true }) as number;
    if (id !== APPLICATION_ID || version !== manifest.schemaVersion) throw damaged(dir, manifest, `it is not a registry database at schema version ${manifest.schemaVersion} (application id 0x${id.toString(16)}, version ${version})`);
    const sql = new SqliteDatabase(db);
    await checkRows(sql, dir, manifest);
    options.onProgress?.({ step: 'database', done: 1, total: 1 });
    store = options.blobs === undefined ? new SqlBlobStore(sql) : await openBlobStore(options.blobs, { db: sql });
    const copied = await restoreBlobs(dir, manifest, sql, store, options.blobs !== undefined, options.onProgress);
    const description = store.description;
    await store.close();
    store = undefined;
    db.close();
    db = undefined;
    syncFile(temp);
    // What stays of the empty database this replaces would be read as part of the new one.
    for (const suffix of replaces ? ['-wal', '-shm', '-journal'] : []) fs.rmSync(`${target}${suffix}`, { force: true });
    fs.renameSync(temp, target);
    syncFolder(folder);
    return { to: target, copied, store: description };
  } catch (error) {
    await store?.close().catch(() => undefined);
    db?.close();
    for (const suffix of ['', '-journal', '-wal', '-shm']) fs.rmSync(`${temp}${suffix}`, { force: true });
    if (createdFolder !== undefined) fs.rmSync(createdFolder, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Refuses (ERESTORENOTEMPTY) a target holding anything: a file that is not a SQLite database, a
 * database of another program, a registry database with a row in any table. Returns whether a file
 * (an empty database) is there to be replaced.
 */
function checkSqliteTarget(target: string): boolean {
  const refuse = (why: string) => new SkillsError('ERESTORENOTEMPTY', `cannot restore into ${target}: ${why}; nothing was written`);
  const stat = fs.lstatSync(target, { throwIfNoEntry: false });
  const wal = fs.statSync(`${target}-wal`, { throwIfNoEntry: false });
  if (stat === undefined) {
    // A write-ahead log left of another database would be read into the restored one.
    if (wal !== undefined && wal.size > 0) throw refuse(`${target}-wal is there (${wal.size} bytes), the write-ahead log of a database that is gone`);
    return false;
  }
  if (stat.isDirectory()) throw new SkillsError('EDBOPEN', `cannot restore into ${target}: it is a folder, not a database file; nothing was written`, { hint: 'give --db the path of the database file to create, e.g. .skills-registry/registry.db' });
  if (!stat.isFile()) throw refuse('it is not a regular file');
  if (stat.size === 0) return true;
  let found: ReturnType<typeof inspectDatabase>;
  try {
    found = inspectDatabase(target);
  } catch (error) {
    if (isSkillsError(error) && (error.code === 'EDBNOTSQLITE' || error.code === 'EDBFOREIGN' || error.code === 'EDBNEWER' || error.code === 'EDBCORRUPT')) throw refuse(`${error.message} (${error.code})`);
    throw error;
  }
  if (found.empty) return true;
  const db = new Database(target, { readonly: true, fileMustExist: true });
  try {
    const tables = new Set(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[]);
    for (const name of [...MIGRATED_TABLES.map((t) => t.name), 'blobs']) {
      if (!tables.has(name)) continue;
      const rows = db.prepare(`SELECT COUNT(*) FROM ${name}`).pluck().get() as number;
      if (rows > 0) throw refuse(`it is a registry database with ${rows} ${rows === 1 ? 'row' : 'rows'} in ${name}${name === 'users' || name === 'tokens' ? ' (a registry started on it creates its admin user and token)' : ''}`);
    }
  } finally {
    db.close();
  }
  return true;
}

async function restorePostgres(dir: string, manifest: BackupManifest, url: string, options: RestoreOptions): Promise<Restored> {
  const env = options.env ?? process.env;
  const pgRestore = findPgTool('pg_restore', env);
  const { PostgresDatabase } = await import('./postgres');
  const { schemaVersion } = await import('./postgres-schema');
  const db = await PostgresDatabase.open(url, { applicationName: 'skills-registry-restore' });
  let store: BlobStore | undefined;
  try {
    const refuse = (why: string) => new SkillsError('ERESTORENOTEMPTY', `cannot restore into ${db.description}: ${why}; nothing was written`);
    let version: number;
    try {
      version = await db.transaction((tx) => schemaVersion(tx, db.description));
    } catch (error) {
      if (isSkillsError(error) && error.code === 'EDBFOREIGN') throw refuse(error.message.replace(/; it was not changed$/, ''));
      throw error;
    }
    if (version !== 0) throw refuse(`it holds a registry's tables (schema version ${version}): a restore goes into a database without tables`);
    await verifyBlobFiles(dir, manifest, options.onProgress);
    await checkDatabaseFile(path.join(dir, manifest.database.file), dir, manifest);
    // Opened (and checked) before the database is written: a bucket that cannot be used changes nothing.
    if (options.blobs !== undefined) store = await openBlobStore(options.blobs, { db });
    const functions = await ownFunctions(db);
    options.onProgress?.({ step: 'database', done: 0, total: 1 });
    await runPgTool(pgRestore, ['--single-transaction', '--exit-on-error', '--no-owner', '--no-privileges', '--no-password', path.join(dir, manifest.database.file)], url, env);
    try {
      await checkRows(db, dir, manifest);
      options.onProgress?.({ step: 'database', done: 1, total: 1 });
      store ??= new SqlBlobStore(db);
      const copied = await restoreBlobs(dir, manifest, db, store, options.blobs !== undefined, options.onProgress);
      return { to: db.description, copied, store: store.description };
    } catch (error) {
      await dropRestored(db, functions).catch(() => undefined);
      throw error;
    }
  } finally {
    await store?.close();
    await db.close();
  }
}

/** The functions of the current schema (a restore that fails drops the ones it created). */
async function ownFunctions(db: PostgresDatabase): Promise<Set<string>> {
  const rows = await db.all<{ name: string }>("SELECT p.oid::regprocedure::text AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = current_schema()");
  return new Set(rows.map((r) => r.name));
}

/** Drops what pg_restore created in a database that had no tables before: every table, and the functions that were not there. */
async function dropRestored(db: PostgresDatabase, before: Set<string>): Promise<void> {
  await db.transaction(async (tx) => {
    const tables = await tx.all<{ name: string }>('SELECT quote_ident(tablename) AS name FROM pg_catalog.pg_tables WHERE schemaname = current_schema()');
    if (tables.length > 0) await tx.run(`DROP TABLE ${tables.map((t) => t.name).join(', ')} CASCADE`);
    const functions = await tx.all<{ name: string }>("SELECT p.oid::regprocedure::text AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = current_schema()");
    for (const { name } of functions) if (!before.has(name)) await tx.run(`DROP FUNCTION ${name} CASCADE`);
  });
}

/** The database file of the backup (or its copy at `file`) has the size and sha256 the manifest lists. */
async function checkDatabaseFile(file: string, dir: string, manifest: BackupManifest): Promise<void> {
  const original = path.join(dir, manifest.database.file);
  const stat = fs.statSync(original, { throwIfNoEntry: false });
  if (!stat?.isFile()) throw damaged(dir, manifest, 'it is missing');
  const { size, sha256 } = await fileDigest(file);
  if (size !== manifest.database.size) throw damaged(dir, manifest, `it holds ${size} bytes, not the ${manifest.database.size} the manifest lists`);
  if (sha256 !== manifest.database.sha256) throw damaged(dir, manifest, `its sha256 is ${sha256}, not the ${manifest.database.sha256} the manifest lists`);
}

function damaged(dir: string, manifest: BackupManifest, why: string): SkillsError {
  return new SkillsError('EBACKUPCORRUPT', `the database file of the backup, ${path.join(dir, manifest.database.file)}, does not match its manifest: ${why}; nothing was restored`, {
    hint: 'restore from an intact copy of the backup',
  });
}

/** The restored database holds the rows the manifest counts, and names no blob the manifest does not list. */
async function checkRows(db: SqlExecutor, dir: string, manifest: BackupManifest): Promise<void> {
  // The tables the manifest counts: a backup of an older schema has the tables of its time.
  for (const [table, rows] of Object.entries(manifest.tables)) {
    let held: number;
    try {
      held = (await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM "${table}"`))?.n ?? 0;
    } catch (error) {
      if (isSkillsError(error)) throw error;
      throw damaged(dir, manifest, `it has no table ${table}`);
    }
    if (held !== rows) throw damaged(dir, manifest, `its table ${table} holds ${held} rows, not the ${rows} the manifest counts`);
  }
  const listed = new Set(manifest.blobs.list.map((b) => b.sha256));
  for await (const rows of namedBlobs(db, BATCH)) {
    for (const { sha256, id } of rows) {
      if (!listed.has(sha256)) throw damaged(dir, manifest, `${await versionNamed(db, id)} names the blob ${sha256}, which the manifest does not list`);
    }
  }
}

/** Every blob file of a backup whose blobs are files: there, a regular file, and of the size and sha256 the manifest lists. */
async function verifyBlobFiles(dir: string, manifest: BackupManifest, onProgress: RestoreOptions['onProgress']): Promise<void> {
  if (manifest.blobs.location !== 'files') return;
  let done = 0;
  const total = manifest.blobs.list.length;
  for (let i = 0; i < total; i += BATCH) {
    await inParallel(manifest.blobs.list.slice(i, i + BATCH), BLOB_CONCURRENCY, async (blob) => {
      await readBlobFile(dir, blob);
    });
    done = Math.min(total, i + BATCH);
    onProgress?.({ step: 'verify blobs', done, total });
  }
}

/** A blob file of the backup, checked: EBLOBMISSING when it is not there, EBLOBCORRUPT when its size or bytes are not the manifest's. */
async function readBlobFile(dir: string, blob: { sha256: string; size: number }): Promise<Buffer> {
  const file = path.join(dir, BLOBS_FOLDER, blob.sha256);
  const stat = await fs.promises.lstat(file).catch(() => undefined);
  if (stat === undefined || !stat.isFile()) {
    throw new SkillsError('EBLOBMISSING', `the backup ${dir} lacks the blob ${blob.sha256} its manifest lists (${path.join(BLOBS_FOLDER, blob.sha256)} is ${stat === undefined ? 'missing' : 'not a regular file'}); nothing was restored`, {
      hint: 'restore from an intact copy of the backup',
    });
  }
  if (stat.size !== blob.size) throw corruptInBackup(dir, blob.sha256, `it holds ${stat.size} bytes, not the ${blob.size} its manifest lists`);
  const bytes = await fs.promises.readFile(file);
  const wrong = blobMismatch(blob.sha256, bytes, blob.size);
  if (wrong !== undefined) throw corruptInBackup(dir, blob.sha256, wrong);
  return bytes;
}

function corruptInBackup(dir: string, sha256: string, why: string): SkillsError {
  return new SkillsError('EBLOBCORRUPT', `the blob ${sha256} in the backup ${dir} is damaged: ${why}; nothing was restored`, { hint: 'restore from an intact copy of the backup' });
}

/**
 * Every blob the manifest lists into the target's store, checked on the way: from the backup's
 * files, or from the restored database's own table (`location: database`), where they stay when
 * the store is that table. Those in the table are all checked before the first goes to a bucket.
 * Returns how many were written.
 */
async function restoreBlobs(dir: string, manifest: BackupManifest, db: SqlExecutor, store: BlobStore, toBucket: boolean, onProgress: RestoreOptions['onProgress']): Promise<number> {
  const list = manifest.blobs.list;
  const fromTable = async (blob: { sha256: string; size: number }): Promise<Buffer> => {
    const row = await db.get<{ bytes: unknown }>('SELECT bytes FROM blobs WHERE sha256 = ?', [blob.sha256]);
    if (row === undefined) {
      throw new SkillsError('EBLOBMISSING', `the backup ${dir} lacks the blob ${blob.sha256} its manifest lists (it is not in the blobs table of ${manifest.database.file}); nothing was restored`, { hint: 'restore from an intact copy of the backup' });
    }
    const bytes = Buffer.isBuffer(row.bytes) ? row.bytes : Buffer.alloc(0);
    const wrong = blobMismatch(blob.sha256, bytes, blob.size);
    if (wrong !== undefined) throw corruptInBackup(dir, blob.sha256, `in the blobs table of ${manifest.database.file}, ${wrong}`);
    return bytes;
  };
  const inDatabase = manifest.blobs.location === 'database';
  if (inDatabase) {
    for (let i = 0; i < list.length; i += BATCH) {
      await inParallel(list.slice(i, i + BATCH), BLOB_CONCURRENCY, async (blob) => {
        await fromTable(blob);
      });
      onProgress?.({ step: 'verify blobs', done: Math.min(list.length, i + BATCH), total: list.length });
    }
    if (!toBucket) return 0;
  }
  let copied = 0;
  for (let i = 0; i < list.length; i += BATCH) {
    await inParallel(list.slice(i, i + BATCH), BLOB_CONCURRENCY, async (blob) => {
      const bytes = inDatabase ? await fromTable(blob) : await readBlobFile(dir, blob);
      let held: Buffer | undefined;
      try {
        held = await store.get(blob.sha256);
      } catch (error) {
        if (!isSkillsError(error) || error.code !== 'EBLOBCORRUPT') throw error;
        throw new SkillsError('EBLOBCORRUPT', `${store.description} already holds the blob ${blob.sha256}, damaged (${error.message}); the restore stopped`, { hint: 'remove that blob from the store (a store never overwrites one), then restore again into a new database' });
      }
      if (held !== undefined) return;
      await store.put(blob.sha256, bytes);
      copied++;
    });
    onProgress?.({ step: 'blobs', done: Math.min(list.length, i + BATCH), total: list.length });
  }
  return copied;
}
