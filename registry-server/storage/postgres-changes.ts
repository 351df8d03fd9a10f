/**
 * The change feed on PostgreSQL, for several registry processes on one database. A write bumps the
 * counter row `registry_state.change_seq` and records the names it changed under that number; the
 * counter's row lock makes numbers follow commit order, so once a process reads N every change
 * numbered N or less is committed and readable. A check reads the counter (one query at a time,
 * each caller served by a query that started after it called) and, when it moved, the names in
 * between.
 *
 * A LISTEN connection starts a check as soon as another process commits a write; its payload is
 * never trusted (anyone may NOTIFY the channel), it only triggers a check. While that connection is
 * up, `fresh()` relies on it for at most `staleReadMs` after the last check (the notification of a
 * commit reaches every listener within a round trip of it; the bound covers a notification that
 * never comes, e.g. a connection that died silently); with the connection down, or `staleReadMs`
 * 0, every `fresh()` waits for a check. So a cached read costs no query in the common case, and a
 * change another process committed is seen once its notification arrives, and at the latest a
 * read that starts `staleReadMs` after the commit.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { Changed, ChangeFeed } from './changes';
import type { PostgresDatabase } from './postgres';
import type { SqlTransaction } from './sql';

export const CHANGES_CHANNEL = 'skills_registry';
/**
 * Download counts written, by skill name: `{"o": <origin>, "n": [names]}`, several notifications
 * when the names do not fit one. Untrusted like the other channel: a payload that is not this
 * shape is ignored (a forged one can only make readers re-read some counts).
 */
export const DOWNLOADS_CHANNEL = 'skills_registry_downloads';
/** Under PostgreSQL's 8000-byte payload limit. */
const DOWNLOADS_PAYLOAD_BYTES = 7000;
const MAX_ANNOUNCED_NAME = 256;

export interface PostgresChangeFeedOptions {
  /** Recorded changes kept (older ones are pruned; a process further behind drops everything). */
  keep?: number;
  /** Prune once every this many changes. */
  pruneEvery?: number;
  /** Above this many changed names at once, listeners get 'all'. */
  maxNames?: number;
  /** Listen for other processes' writes (default true). */
  listen?: boolean;
  /** Longest wait between attempts to reconnect the LISTEN connection, ms (default 10 000). */
  maxBackoffMs?: number;
  /**
   * While the LISTEN connection is up, how long `fresh()` may rely on it without checking the
   * counter, ms (default 1000). 0: every `fresh()` checks, so a read sees every change committed
   * before it started, from any process, for a round trip to PostgreSQL per batch of reads.
   */
  staleReadMs?: number;
}

/** Default of `staleReadMs`. */
export const DEFAULT_STALE_READ_MS = 1000;

const RESOLVED = Promise.resolve();

export class PostgresChangeFeed implements ChangeFeed {
  readonly #db: PostgresDatabase;
  readonly #keep: number;
  readonly #pruneEvery: number;
  readonly #maxNames: number;
  readonly #maxBackoffMs: number;
  readonly #staleReadMs: number;
  readonly #listeners: ((changed: Changed) => void)[] = [];
  readonly #downloadListeners: ((names: readonly string[]) => void)[] = [];
  #seen: number;
  #running: Promise<void> | undefined;
  #queued: Promise<void> | undefined;
  #closed = false;
  #client: pg.Client | undefined;
  #wake: (() => void) | undefined;
  #listening: Promise<void> | undefined;
  /** When the current LISTEN connection started listening (performance.now()), while it is up. */
  #listenSince: number | undefined;
  /** When the last check that succeeded started (performance.now()). */
  #checkedAt = Number.NEGATIVE_INFINITY;
  /** Whether the LISTEN connection is up (for tests and health checks). */
  listening = false;
  /** How many times a LISTEN connection was set up (1 plus the reconnections). */
  listens = 0;

  /**
   * This feed's own mark on the changes it records: its process dropped what they change itself
   * (before and after the transaction), so a check passes over them instead of dropping it again.
   */
  readonly #origin = randomBytes(9).toString('base64url');

  private constructor(db: PostgresDatabase, seen: number, options: PostgresChangeFeedOptions) {
    this.#db = db;
    this.#seen = seen;
    this.#keep = options.keep ?? 1000;
    this.#pruneEvery = options.pruneEvery ?? 100;
    this.#maxNames = options.maxNames ?? 500;
    this.#maxBackoffMs = options.maxBackoffMs ?? 10_000;
    this.#staleReadMs = Math.max(0, options.staleReadMs ?? DEFAULT_STALE_READ_MS);
  }

  /** A feed that reports changes committed from now on (the schema must be migrated). */
  static async open(db: PostgresDatabase, options: PostgresChangeFeedOptions = {}): Promise<PostgresChangeFeed> {
    const feed = new PostgresChangeFeed(db, await currentSeq(db), options);
    if (options.listen !== false) feed.#listening = feed.#listen();
    return feed;
  }

  async record(tx: SqlTransaction, changed: readonly string[] | 'all'): Promise<void> {
    if (changed !== 'all' && changed.length === 0) return;
    const row = await tx.get<{ seq: number }>('UPDATE registry_state SET change_seq = change_seq + 1 WHERE id = 1 RETURNING change_seq AS seq');
    if (row === undefined) throw new Error('registry_state has no row: the schema is not migrated');
    const seq = row.seq;
    if (changed === 'all') await tx.run('INSERT INTO registry_changes (seq, skill, origin) VALUES (?, NULL, ?)', [seq, this.#origin]);
    else await tx.run('INSERT INTO registry_changes (seq, skill, origin) SELECT ?::bigint, value, ? FROM json_array_elements_text(?::json)', [seq, this.#origin, JSON.stringify([...new Set(changed)])]);
    if (seq % this.#pruneEvery === 0) await tx.run('DELETE FROM registry_changes WHERE seq <= ?', [seq - this.#keep]);
    // Delivered on commit, and not at all on rollback.
    await tx.run('SELECT pg_notify(?, ?)', [CHANGES_CHANNEL, String(seq)]);
  }

  fresh(): Promise<void> {
    return this.#trusted() ? RESOLVED : this.#checkAfterNow();
  }

  /**
   * Whether the LISTEN connection vouches for what is known here: it is up, a check succeeded
   * after it started listening (changes committed before it listened are known) and less than
   * `staleReadMs` ago, and no notification is waiting for its check (one is running or queued).
   */
  #trusted(): boolean {
    const since = this.#listenSince;
    if (this.#staleReadMs === 0 || since === undefined) return false;
    if (this.#running !== undefined || this.#queued !== undefined) return false;
    return this.#checkedAt >= since && performance.now() - this.#checkedAt < this.#staleReadMs;
  }

  /** Resolves after a check that started after this call. */
  #checkAfterNow(): Promise<void> {
    // A check already running may have read the counter before this call: wait for the next one.
    if (this.#queued !== undefined) return this.#queued;
    if (this.#running === undefined) return this.#start();
    const queued = this.#running
      .catch(() => undefined)
      .then(() => {
        this.#queued = undefined;
        return this.#start();
      });
    this.#queued = queued;
    return queued;
  }

  subscribe(listener: (changed: Changed) => void): void {
    this.#listeners.push(listener);
  }

  get announcesDownloads(): boolean {
    return this.listening;
  }

  async announceDownloads(names: readonly string[]): Promise<void> {
    try {
      for (const payload of downloadPayloads(this.#origin, names)) await this.#db.run('SELECT pg_notify(?, ?)', [DOWNLOADS_CHANNEL, payload]);
    } catch {
      // Readers re-read counts by age: a lost announcement delays them, never loses them.
    }
  }

  subscribeDownloads(listener: (names: readonly string[]) => void): void {
    this.#downloadListeners.push(listener);
  }

  #downloadsAnnounced(payload: string | undefined): void {
    const names = announcedNames(payload, this.#origin);
    if (names === undefined || names.length === 0) return;
    for (const listener of this.#downloadListeners) {
      try {
        listener(names);
      } catch {
        // As for #emit.
      }
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#wake?.();
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
    await this.#listening;
    await this.#running?.catch(() => undefined);
    await this.#queued?.catch(() => undefined);
  }

  #start(): Promise<void> {
    const check = this.#check().finally(() => {
      if (this.#running === check) this.#running = undefined;
    });
    this.#running = check;
    return check;
  }

  async #check(): Promise<void> {
    const started = performance.now();
    const seq = await currentSeq(this.#db);
    const from = this.#seen;
    if (seq === from) return this.#checked(started);
    // Behind by more than is kept, or a counter that went back (a restored database): drop everything.
    if (seq < from || seq - from > this.#keep) {
      this.#seen = seq;
      this.#checked(started);
      return this.#emit('all');
    }
    const rows = await this.#db.all<{ seq: number; skill: string | null; origin: string | null }>('SELECT seq, skill, origin FROM registry_changes WHERE seq > ? AND seq <= ?', [from, seq]);
    // Only now: had the read failed, the next check would have to tell these changes again.
    this.#seen = seq;
    this.#checked(started);
    const numbers = new Set(rows.map((r) => r.seq));
    // A number without rows was pruned meanwhile.
    if (numbers.size < seq - from) return this.#emit('all');
    const others = rows.filter((r) => r.origin !== this.#origin);
    if (others.length === 0) return;
    if (others.some((r) => r.skill === null)) return this.#emit('all');
    const names = new Set(others.map((r) => r.skill as string));
    this.#emit(names.size > this.#maxNames ? 'all' : names);
  }

  #checked(started: number): void {
    if (started > this.#checkedAt) this.#checkedAt = started;
  }

  #emit(changed: Changed): void {
    for (const listener of this.#listeners) {
      try {
        listener(changed);
      } catch {
        // One listener's failure must not keep the others stale.
      }
    }
  }

  /** Keeps a LISTEN connection up until close(), reconnecting with backoff. */
  async #listen(): Promise<void> {
    let backoff = 100;
    while (!this.#closed) {
      const client = this.#db.newClient();
      let lost: () => void = () => undefined;
      const gone = new Promise<void>((resolve) => (lost = resolve));
      client.on('error', () => lost());
      client.on('end', () => lost());
      // Whatever the payload says (ours, someone else's, garbage), it only triggers a check.
      client.on('notification', (message) => {
        if (message.channel === DOWNLOADS_CHANNEL) this.#downloadsAnnounced(message.payload);
        else void this.#checkAfterNow().catch(() => undefined);
      });
      try {
        await client.connect();
        if (this.#closed) break;
        this.#client = client;
        await client.query(`LISTEN ${CHANGES_CHANNEL}; LISTEN ${DOWNLOADS_CHANNEL}`);
        this.#listenSince = performance.now();
        this.listening = true;
        this.listens++;
        backoff = 100;
        // Writes made while no connection was listening.
        void this.#checkAfterNow().catch(() => undefined);
        await gone;
      } catch {
        // Connecting failed: retry below.
      } finally {
        this.#listenSince = undefined;
        this.listening = false;
        if (this.#client === client) this.#client = undefined;
        await client.end().catch(() => undefined);
      }
      if (this.#closed) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, backoff);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
      backoff = Math.min(backoff * 2, this.#maxBackoffMs);
    }
  }
}

/** The announcements of `names`' new counts, each payload under PostgreSQL's limit. */
export function downloadPayloads(origin: string, names: readonly string[]): string[] {
  const payloads: string[] = [];
  let batch: string[] = [];
  let bytes = 0;
  for (const name of names) {
    const size = Buffer.byteLength(JSON.stringify(name)) + 1;
    if (batch.length > 0 && bytes + size > DOWNLOADS_PAYLOAD_BYTES) {
      payloads.push(JSON.stringify({ o: origin, n: batch }));
      batch = [];
      bytes = 0;
    }
    batch.push(name);
    bytes += size;
  }
  if (batch.length > 0) payloads.push(JSON.stringify({ o: origin, n: batch }));
  return payloads;
}

/** The names another process announced, or undefined for this process's own or a payload not of that shape. */
export function announcedNames(payload: string | undefined, ownOrigin: string): string[] | undefined {
  if (payload === undefined || payload.length > 8000) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { o, n } = parsed as { o?: unknown; n?: unknown };
  if (typeof o !== 'string' || o === ownOrigin || !Array.isArray(n)) return undefined;
  if (!n.every((name): name is string => typeof name === 'string' && name.length > 0 && name.length <= MAX_ANNOUNCED_NAME)) return undefined;
  return n;
}

async function currentSeq(db: PostgresDatabase): Promise<number> {
  const row = await db.get<{ seq: number }>('SELECT change_seq AS seq FROM registry_state WHERE id = 1');
  if (row === undefined) throw new Error('registry_state has no row: the schema is not migrated');
  return row.seq;
}
