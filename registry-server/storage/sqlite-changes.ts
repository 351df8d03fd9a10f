/**
 * The change feed of a registry on one SQLite file. This process's own writes drop what they
 * change themselves; a commit by another connection (another registry process on the same file,
 * an operator's script) moves `PRAGMA data_version`, and then nothing cached can be trusted.
 */
import type { Db } from '../db-handle';
import type { ChangeFeed, Changed } from './changes';

export class SqliteChangeFeed implements ChangeFeed {
  readonly #listeners: ((changed: Changed) => void)[] = [];
  #dataVersion: number | undefined;
  /** Set once data_version was read in this turn of the event loop. */
  #checkedThisTurn = false;

  readonly #version: { get(): unknown };

  constructor(private readonly raw: Db) {
    this.#version = raw.prepare('PRAGMA data_version').pluck();
  }

  async record(): Promise<void> {}

  /**
   * Read once per turn of the event loop, not per call: under load one turn serves many requests,
   * and the query cost ~10% of a cached GET. A commit by another process is seen from the next
   * turn, which no request can tell from having arrived a moment earlier.
   */
  fresh(): Promise<void> {
    this.check();
    return Promise.resolve();
  }

  /** The synchronous form of fresh(). */
  check(): void {
    if (this.#checkedThisTurn || !this.raw.open) return;
    this.#checkedThisTurn = true;
    setImmediate(() => {
      this.#checkedThisTurn = false;
    });
    const version = this.#version.get() as number;
    if (this.#dataVersion !== undefined && version !== this.#dataVersion) for (const listener of this.#listeners) listener('all');
    this.#dataVersion = version;
  }

  subscribe(listener: (changed: Changed) => void): void {
    this.#listeners.push(listener);
  }

  /** Another process's counts move data_version, which drops every cached body: nothing to announce. */
  readonly announcesDownloads = false;

  async announceDownloads(): Promise<void> {}

  subscribeDownloads(): void {}

  async close(): Promise<void> {
    this.#listeners.length = 0;
  }
}
