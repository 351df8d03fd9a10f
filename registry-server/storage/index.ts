/** The registry's storage: metadata (SQL), blobs and the change feed, chosen together at start. */
import type { BlobStore } from './blobs';
import type { ChangeFeed } from './changes';
import type { SearchEngine } from './search';
import type { SqlDatabase } from './sql';

export interface Storage {
  db: SqlDatabase;
  blobs: BlobStore;
  changes: ChangeFeed;
  /** Full-text search as the metadata database's engine does it. */
  search: SearchEngine;
  /** Closes the three (the feed first, the database last). */
  close(): Promise<void>;
}
