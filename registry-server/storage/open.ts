/**
 * Opening the registry's storage from its configuration: one SQLite file (the default) or a
 * PostgreSQL URL for metadata, the metadata database itself or an S3-compatible bucket for blobs.
 */
import { openDatabase } from '../db';
import type { Storage } from './index';
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
}

/** SQLite metadata, blobs and change feed over one open better-sqlite3 handle (which close() closes). */
export function sqliteStorage(raw: ReturnType<typeof openDatabase>): Storage & { db: SqliteDatabase } {
  const db = new SqliteDatabase(raw);
  const changes = new SqliteChangeFeed(raw);
  const blobs = new SqlBlobStore(db);
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
  return sqliteStorage(openDatabase(options.file));
}
