/**
 * SqlDatabase over one better-sqlite3 connection (the embedded default). Statements run
 * synchronously; the async surface is what lets the same stores run on PostgreSQL. One connection
 * has one transaction at a time, so a transaction holds the connection for its whole body (its
 * awaits included): other queries wait until it ends, and can never see (or join) its uncommitted
 * rows.
 */
import type Database from 'better-sqlite3';
import type { Db } from '../db-handle';
import { MAX_CACHED_STATEMENTS } from '../statements';
import type { RunResult, SqlDatabase, SqlTransaction, SqlValue } from './sql';

type Bound = string | number | bigint | null | Buffer;

function bind(params: readonly SqlValue[]): Bound[] {
  return params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p instanceof Uint8Array && !Buffer.isBuffer(p) ? Buffer.from(p.buffer, p.byteOffset, p.byteLength) : (p as Bound)));
}

export class SqliteDatabase implements SqlDatabase {
  readonly dialect = 'sqlite' as const;
  readonly #statements = new Map<string, Database.Statement>();
  /** Settles when the open transaction ends; undefined when none is open. */
  #busy: Promise<void> | undefined;

  /** `raw` stays the caller's: close() closes it. */
  constructor(readonly raw: Db) {}

  #statement(text: string): Database.Statement {
    let statement = this.#statements.get(text);
    if (!statement) {
      if (this.#statements.size > MAX_CACHED_STATEMENTS) this.#statements.clear();
      statement = this.raw.prepare(text);
      this.#statements.set(text, statement);
    }
    return statement;
  }

  #allNow<T>(text: string, params: readonly SqlValue[] = []): T[] {
    return this.#statement(text).all(...bind(params)) as T[];
  }

  #getNow<T>(text: string, params: readonly SqlValue[] = []): T | undefined {
    return this.#statement(text).get(...bind(params)) as T | undefined;
  }

  #runNow(text: string, params: readonly SqlValue[] = []): RunResult {
    const statement = this.#statement(text);
    if (!statement.reader) return { changes: statement.run(...bind(params)).changes };
    statement.all(...bind(params));
    return { changes: 0 };
  }

  async #idle(): Promise<void> {
    while (this.#busy) await this.#busy;
  }

  async all<T>(text: string, params?: readonly SqlValue[]): Promise<T[]> {
    if (this.#busy) await this.#idle();
    return this.#allNow<T>(text, params);
  }

  async get<T>(text: string, params?: readonly SqlValue[]): Promise<T | undefined> {
    if (this.#busy) await this.#idle();
    return this.#getNow<T>(text, params);
  }

  async run(text: string, params?: readonly SqlValue[]): Promise<RunResult> {
    if (this.#busy) await this.#idle();
    return this.#runNow(text, params);
  }

  async transaction<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    // Checked and taken in the same turn: every waiter wakes when a transaction ends, and only the
    // first to run may take the connection (an await between the two would let them all in).
    while (this.#busy) await this.#busy;
    let done!: () => void;
    this.#busy = new Promise<void>((resolve) => {
      done = resolve;
    });
    let open = true;
    const guard = () => {
      if (!open) throw new Error('a query ran on a transaction that has ended');
    };
    const tx: SqlTransaction = {
      dialect: 'sqlite',
      all: async <R>(text: string, params?: readonly SqlValue[]) => (guard(), this.#allNow<R>(text, params)),
      get: async <R>(text: string, params?: readonly SqlValue[]) => (guard(), this.#getNow<R>(text, params)),
      run: async (text: string, params?: readonly SqlValue[]) => (guard(), this.#runNow(text, params)),
      lock: async () => guard(),
    };
    try {
      this.raw.exec('BEGIN IMMEDIATE');
      let result: T;
      try {
        result = await fn(tx);
      } catch (error) {
        if (this.raw.inTransaction) this.raw.exec('ROLLBACK');
        throw error;
      }
      try {
        this.raw.exec('COMMIT');
      } catch (error) {
        if (this.raw.inTransaction) this.raw.exec('ROLLBACK');
        throw error;
      }
      return result;
    } finally {
      open = false;
      this.#busy = undefined;
      done();
    }
  }

  isUniqueViolation(error: unknown): boolean {
    const code = (error as { code?: unknown } | null)?.code;
    return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
  }

  async close(): Promise<void> {
    await this.#idle();
    if (!this.raw.open) return;
    // Leaves no -wal file behind: the database is one file again when the registry stops.
    if (!this.raw.memory) this.raw.pragma('wal_checkpoint(TRUNCATE)');
    this.raw.close();
  }
}
