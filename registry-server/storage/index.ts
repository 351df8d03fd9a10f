/** The registry's storage: metadata (SQL), blobs and the change feed, chosen together at start. */
import type { BlobStore } from './blobs';
import type { ChangeFeed } from './changes';
import type { SqlDatabase } from './sql';

export interface Storage {
  db: SqlDatabase;
  blobs: BlobStore;
  changes: ChangeFeed;
  /** Closes the three (the feed first, the database last). */
  close(): Promise<void>;
}
