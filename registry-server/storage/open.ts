/**
 * Opening the registry's storage from its configuration: one SQLite file (the default) or a
 * PostgreSQL URL for metadata, the metadata database itself or an S3-compatible bucket for blobs.
 */
import { openDatabase } from '../db';
import type { BlobStore } from './blobs';
import type { ChangeFeed } from './changes';
import type { Storage } from './index';
import { openBlobStore, type OpenBlobStoreOptions } from './open-blobs';
import { SqlBlobStore } from './sql-blobs';
import { SqliteChangeFeed } from './sqlite-changes';
import { SqliteDatabase } from './sqlite';
import { sqliteSearch } from './sqlite-search';

export interface StorageOptions {
  /** The SQLite file (used when `database` is not set). */
  file: string;
  /** A `postgres://` URL: metadata in PostgreSQL instead of the file. */
  database?: string | undefined;
  /** An `s3://bucket/prefix?endpoint=...` URL: blobs in object storage instead of the metadata database. */
  blobs?: string | undefined;
  /**
   * How the S3 store is reached besides its URL: keys (else the SDK's default chain reads
   * AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), timeouts, attempts. Ignored without `blobs`.
   */
  blobOptions?: Omit<OpenBlobStoreOptions, 'db'> | undefined;
  /**
   * With `database`: how long cached reads may rely on PostgreSQL's change notifications between
   * checks of the change counter, ms (postgres-changes.ts; default 1000, 0 checks before every
   * cached read). SQLite checks in process before every cached read, for free.
   */
  staleReadMs?: number | undefined;
}

/** SQLite metadata, blobs and change feed over one open better-sqlite3 handle (which close() closes). */
export function sqliteStorage(raw: ReturnType<typeof openDatabase>): Storage & { db: SqliteDatabase } {
  const db = new SqliteDatabase(raw);
  return assemble(db, raw, new SqlBlobStore(db));
}

function assemble(db: SqliteDatabase, raw: ReturnType<typeof openDatabase>, blobs: BlobStore): Storage & { db: SqliteDatabase } {
  const changes = new SqliteChangeFeed(raw);
  return {
    db,
    blobs,
    changes,
    search: sqliteSearch,
    async close() {
      await changes.close();
      await blobs.close();
      await db.close();
    },
  };
}

export async function openStorage(options: StorageOptions): Promise<Storage> {
  if (options.database !== undefined) return openPostgresStorage(options.database, options.blobs, options.blobOptions, options.staleReadMs);
  const raw = openDatabase(options.file);
  // One wrapper per connection: the blob store's queries queue behind the same transactions.
  const db = new SqliteDatabase(raw);
  let blobs: BlobStore;
  try {
    blobs = await openBlobStore(options.blobs, { ...options.blobOptions, db });
  } catch (error) {
    await db.close();
    throw error;
  }
  return assemble(db, raw, blobs);
}

/**
 * Metadata in PostgreSQL (migrated first; several processes starting at once migrate once), the
 * change feed on the same database, blobs in its table or in the bucket `blobs` names. The
 * modules load only for a registry that uses PostgreSQL.
 */
async function openPostgresStorage(url: string, blobsUrl: string | undefined, blobOptions: StorageOptions['blobOptions'], staleReadMs: number | undefined): Promise<Storage> {
  const [{ PostgresDatabase }, { migratePostgres }, { PostgresChangeFeed }, { postgresSearch }] = await Promise.all([
    import('./postgres'),
    import('./postgres-schema'),
    import('./postgres-changes'),
    import('./postgres-search'),
  ]);
  const db = await PostgresDatabase.open(url, { applicationName: 'skills-registry' });
  let blobs: BlobStore | undefined;
  let changes: ChangeFeed | undefined;
  try {
    await migratePostgres(db);
    blobs = await openBlobStore(blobsUrl, { ...blobOptions, db });
    changes = await PostgresChangeFeed.open(db, staleReadMs === undefined ? {} : { staleReadMs });
  } catch (error) {
    await blobs?.close();
    await db.close();
    throw error;
  }
  const feed = changes;
  const store = blobs;
  return {
    db,
    blobs: store,
    changes: feed,
    search: postgresSearch,
    async close() {
      await feed.close();
      await store.close();
      await db.close();
    },
  };
}
