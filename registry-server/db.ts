/**
 * Opening the registry database: WAL, foreign keys, a busy timeout, and migrations applied one
 * transaction each, tracked by `PRAGMA user_version`. The file is inspected read-only first, so a
 * file that is not SQLite, another program's database, a damaged one or one written by newer code
 * is refused with its own code and left exactly as it was. Registry databases carry an
 * `application_id`; one made before it existed is recognised by its tables.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SkillsError } from '../schema/errors';
import type { Db } from './db-handle';
import { MIGRATIONS } from './migrations';

export type { Db } from './db-handle';

export const SCHEMA_VERSION = MIGRATIONS.length;
/** `PRAGMA application_id` of a registry database: "SKRG". */
export const APPLICATION_ID = 0x534b5247;

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');
const REGISTRY_TABLES = ['users', 'tokens', 'scopes', 'skills', 'versions'];

export function openDatabase(file: string): Db {
  if (file === ':memory:') return configure(new Database(file), file);
  const resolved = path.resolve(file);
  const createdFolder = ensureFolder(path.dirname(resolved));
  // Whatever this attempt creates is removed again if it fails: a failed start changes no file.
  const created = [resolved, `${resolved}-wal`, `${resolved}-shm`].filter((f) => !fs.existsSync(f));
  try {
    return openFile(resolved);
  } catch (error) {
    for (const f of created) fs.rmSync(f, { force: true });
    if (createdFolder !== undefined) fs.rmSync(createdFolder, { recursive: true, force: true });
    throw error;
  }
}

function openFile(resolved: string): Db {
  const stat = fs.statSync(resolved, { throwIfNoEntry: false });
  if (stat?.isDirectory()) throw new SkillsError('EDBOPEN', `${resolved} is a folder, not a database file`, { status: 500, hint: 'point --db at a file, e.g. .skills-registry/registry.db' });
  if (stat && stat.size > 0) inspect(resolved);
  try {
    fs.accessSync(path.dirname(resolved), fs.constants.W_OK);
    if (stat) fs.accessSync(resolved, fs.constants.R_OK | fs.constants.W_OK);
  } catch {
    throw readOnly(resolved);
  }
  let db: Db;
  try {
    db = new Database(resolved);
  } catch (error) {
    throw sqliteError(error, resolved) ?? new SkillsError('EDBOPEN', `cannot open the registry database ${resolved}: ${(error as Error).message}`, { hint: 'check the path and its permissions', status: 500 });
  }
  return configure(db, resolved);
}

function configure(db: Db, file: string): Db {
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    db.pragma('synchronous = NORMAL');
    migrate(db);
  } catch (error) {
    db.close();
    throw sqliteError(error, file) ?? error;
  }
  return db;
}

export function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) throw newer(db.name, current);
  for (let version = current; version < SCHEMA_VERSION; version++) {
    const step = MIGRATIONS[version];
    if (step === undefined) break;
    db.transaction(() => {
      if (typeof step === 'string') db.exec(step);
      else step(db);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
  if ((db.pragma('application_id', { simple: true }) as number) !== APPLICATION_ID) db.pragma(`application_id = ${APPLICATION_ID}`);
}

/** Creates the folder; returns the topmost folder it created, if any. */
function ensureFolder(dir: string): string | undefined {
  try {
    return fs.mkdirSync(dir, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new SkillsError('EDBDIR', `cannot create the folder ${dir} for the registry database (${code})`, {
      status: 500,
      hint: code === 'ENOTDIR' || code === 'EEXIST' ? 'part of that path is a file; choose another place with --db <file>' : 'choose a writable place with --db <file>',
    });
  }
}

/** What inspecting a database file found: its schema version, and whether it holds no table at all. */
export interface Inspected {
  version: number;
  empty: boolean;
}

/**
 * Reads a non-empty file without writing it (header, application id, schema version, tables):
 * EDBNOTSQLITE, EDBFOREIGN or EDBNEWER unless it is a registry database (or an empty SQLite one)
 * this code can open.
 */
export function inspectDatabase(file: string): Inspected {
  return inspect(file);
}

/**
 * Opens a registry database for reading only: inspected first, never written, never migrated (its
 * caller checks the version), with the same codes as openDatabase for SQLite's failures. A
 * registry may keep serving and writing the file meanwhile (WAL).
 */
export function openReadOnly(file: string): { db: Db; version: number } {
  const { version } = inspect(file);
  let db: Db | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    return { db, version };
  } catch (error) {
    db?.close();
    throw sqliteError(error, file) ?? error;
  }
}

function inspect(file: string): Inspected {
  const head = Buffer.alloc(SQLITE_HEADER.length);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, head, 0, head.length, 0);
  } finally {
    fs.closeSync(fd);
  }
  if (!head.equals(SQLITE_HEADER)) throw notSqlite(file);
  let db: Db | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    const id = db.pragma('application_id', { simple: true }) as number;
    const version = db.pragma('user_version', { simple: true }) as number;
    const tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name));
    const ours = id === APPLICATION_ID || (id === 0 && version > 0 && REGISTRY_TABLES.every((t) => tables.has(t)));
    const empty = id === 0 && version === 0 && tables.size === 0;
    if (!ours && !empty) {
      throw new SkillsError('EDBFOREIGN', `${file} is a SQLite database of another program${id !== 0 ? ` (application id 0x${id.toString(16)})` : ', not a registry database'}; it was not changed`, {
        status: 500,
        hint: 'point --db at the registry database (by default .skills-registry/registry.db), or at a new file to start an empty registry',
      });
    }
    if (version > SCHEMA_VERSION) throw newer(file, version);
    return { version, empty };
  } catch (error) {
    throw sqliteError(error, file) ?? error;
  } finally {
    db?.close();
  }
}

function newer(file: string, version: number): SkillsError {
  return new SkillsError('EDBNEWER', `the registry database ${file} is at schema version ${version}, newer than this registry (${SCHEMA_VERSION})`, {
    hint: 'upgrade the registry, or point it at another database with --db',
    status: 500,
  });
}

function notSqlite(file: string): SkillsError {
  return new SkillsError('EDBNOTSQLITE', `${file} is not a SQLite database; it was not changed`, {
    status: 500,
    hint: 'point --db at the registry database (by default .skills-registry/registry.db), or restore it from a backup',
  });
}

function readOnly(file: string): SkillsError {
  return new SkillsError('EDBREADONLY', `cannot write the registry database ${file}`, {
    status: 500,
    hint: 'the registry writes the database and its -wal and -shm files beside it: make the folder and file writable, or choose another place with --db',
  });
}

/** SQLite's own failures, as codes an operator can act on (undefined for anything else). */
export function sqliteError(error: unknown, file: string): SkillsError | undefined {
  if (error instanceof SkillsError) return error;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return undefined;
  if (code.startsWith('SQLITE_NOTADB')) return notSqlite(file);
  if (code.startsWith('SQLITE_CORRUPT')) {
    return new SkillsError('EDBCORRUPT', `the registry database ${file} is damaged (${(error as Error).message})`, {
      status: 500,
      hint: `stop the registry and restore ${path.basename(file)} from a backup (remove the -wal and -shm files beside it first), or salvage it with: sqlite3 ${path.basename(file)} .recover | sqlite3 recovered.db`,
    });
  }
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_PERM') || code.startsWith('SQLITE_AUTH')) return readOnly(file);
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new SkillsError('EDBBUSY', `the registry database ${file} is locked by another process`, { status: 500, hint: 'stop the other process using it (another registry on the same --db?) and try again' });
  }
  if (code.startsWith('SQLITE_FULL')) return new SkillsError('EDBFULL', `the disk holding ${file} is full`, { status: 500, hint: 'free space on that disk' });
  // Also what a disk too full for SQLite's small -shm file gives (SQLITE_IOERR_SHMSIZE), not only a failing disk.
  if (code.startsWith('SQLITE_IOERR')) {
    return new SkillsError('EDBIO', `reading or writing ${file} failed on its disk (${code})`, { status: 500, hint: 'check that disk: free space, its file system and its errors (dmesg)' });
  }
  return undefined;
}
