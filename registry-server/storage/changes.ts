/**
 * What tells a registry process that a write happened, so nothing it cached outlives the change:
 * its own writes, and those of every other process on the same database.
 */
import type { SqlTransaction } from './sql';

export type Changed = ReadonlySet<string> | 'all';

export interface ChangeFeed {
  /**
   * Inside a write transaction: records that these skills (by name), or everything, changed, so
   * other processes learn it once the transaction commits.
   */
  record(tx: SqlTransaction, changed: readonly string[] | 'all'): Promise<void>;
  /**
   * Resolves once this process may serve from its caches: every change committed before the call
   * is known here (listeners called), or, for a feed told of changes by notification (PostgreSQL's),
   * every change whose notification arrived and every change committed at least its `staleReadMs`
   * before the call. Requests await it before serving from a cache; cheap when nothing changed.
   */
  fresh(): Promise<void>;
  /** Called with the names of changed skills, or `all` when the feed cannot tell which. */
  subscribe(listener: (changed: Changed) => void): void;
  /**
   * Whether download counts written by other processes are announced to this one right now
   * (`subscribeDownloads` hears them): then cached counts are trusted longer than when they must
   * be re-read by age.
   */
  readonly announcesDownloads: boolean;
  /**
   * After this process wrote download counts: tells the other processes whose counts changed.
   * Best effort (counts are statistics, and readers re-read them by age anyway); never throws.
   */
  announceDownloads(names: readonly string[]): Promise<void>;
  /** Called with the names of skills whose download counts another process wrote. */
  subscribeDownloads(listener: (names: readonly string[]) => void): void;
  close(): Promise<void>;
}
