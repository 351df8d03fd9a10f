/**
 * Opening where `skills registry migrate` writes: a SQLite file (new, or a copy an earlier run
 * started) or a PostgreSQL database, brought to this schema version, with its blob store (its own
 * `blobs` table, or the bucket `--blobs` names) and its search engine.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isSkillsError, maskSecrets, SkillsError } from '../../schema/errors';
import { inspectDatabase, openDatabase, SCHEMA_VERSION } from '../db';
import type { BlobStore } from './blobs';
import { sourceIsTarget, type MigrationTarget } from './migrate';
import { openBlobStore, parseBlobsUrl } from './open-blobs';
import { SqliteDatabase } from './sqlite';
import { sqliteSearch } from './sqlite-search';
import type { SqlDatabase } from './sql';

export interface OpenTargetOptions {
  /** An `s3://` URL: blobs go to that bucket instead of the target database's `blobs` table. */
  blobs?: string | undefined;
  /** The source file: a target that is the same file is refused before it is opened. */
  source?: string | undefined;
}

const TARGET_HINT = 'give --to (or SKILLS_DATABASE_URL) a postgres://user@host:5432/database URL or the path of a new SQLite file';

/** The target `to` names: a `postgres://` URL, or a SQLite file path. */
export async function openTarget(to: string, options: OpenTargetOptions = {}): Promise<MigrationTarget> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(to)) {
    if (/^postgres(ql)?:\/\//i.test(to)) {
      const [{ PostgresDatabase }, { migratePostgres }, { postgresSearch }] = await Promise.all([import('./postgres'), import('./postgres-schema'), import('./postgres-search')]);
      const db = await PostgresDatabase.open(to, { applicationName: 'skills-registry-migrate' });
      try {
        await migratePostgres(db);
      } catch (error) {
        await db.close();
        throw error;
      }
      return withStores(db, shownTarget(to), postgresSearch, options.blobs);
    }
    throw new SkillsError('EMIGRATETARGET', `${shownTarget(to)} is neither a postgres:// URL nor a file path`, { hint: TARGET_HINT });
  }
  return openSqliteTarget(path.resolve(to), options);
}

async function openSqliteTarget(file: string, options: OpenTargetOptions): Promise<MigrationTarget> {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (options.source !== undefined && stat !== undefined) {
    const source = fs.statSync(path.resolve(options.source), { throwIfNoEntry: false });
    if (path.resolve(options.source) === file || (source !== undefined && source.dev === stat.dev && source.ino === stat.ino)) throw sourceIsTarget(file);
  }
  if (stat?.isDirectory()) throw new SkillsError('EMIGRATETARGET', `the target ${file} is a folder`, { hint: TARGET_HINT });
  if (stat && stat.size > 0) {
    let found: ReturnType<typeof inspectDatabase>;
    try {
      found = inspectDatabase(file);
    } catch (error) {
      if (isSkillsError(error) && (error.code === 'EDBNOTSQLITE' || error.code === 'EDBFOREIGN' || error.code === 'EDBNEWER')) {
        throw new SkillsError('EMIGRATETARGET', `cannot migrate into ${file}: ${error.message} (${error.code})`, { hint: TARGET_HINT });
      }
      throw error;
    }
    // A copy this code started is at its schema version; an older registry is another registry.
    if (!found.empty && found.version !== SCHEMA_VERSION) {
      throw new SkillsError('EMIGRATETARGET', `the target ${file} is a registry database at schema version ${found.version}, not a copy a migrate of this version started (${SCHEMA_VERSION}); it was not changed`, { hint: TARGET_HINT });
    }
  }
  // A blob store URL is checked before the file is created; a store that fails its check removes what this created.
  if (options.blobs !== undefined) parseBlobsUrl(options.blobs);
  const created = [file, `${file}-wal`, `${file}-shm`].filter((f) => !fs.existsSync(f));
  const db = new SqliteDatabase(openDatabase(file));
  try {
    return await withStores(db, file, sqliteSearch, options.blobs, file);
  } catch (error) {
    for (const f of created) fs.rmSync(f, { force: true });
    throw error;
  }
}

async function withStores(db: SqlDatabase, description: string, search: MigrationTarget['search'], blobsUrl: string | undefined, file?: string): Promise<MigrationTarget> {
  let blobs: BlobStore;
  try {
    blobs = await openBlobStore(blobsUrl, { db });
  } catch (error) {
    await db.close();
    throw error;
  }
  return {
    description,
    db,
    blobs,
    search,
    file,
    async close() {
      await blobs.close();
      await db.close();
    },
  };
}

/** `to` as output and messages show it: a path as it is; a URL without its password or any credential in its query. */
export function shownTarget(to: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(to)) return to;
  let url: URL;
  try {
    url = new URL(to);
  } catch {
    return maskSecrets(to).replace(/\?.*$/, '?...');
  }
  if (url.password !== '') url.password = '***';
  for (const name of [...url.searchParams.keys()]) if (/pass|secret|key|token|cert/i.test(name)) url.searchParams.set(name, '***');
  return url.toString();
}
