/**
 * The registry's metadata database, as every store sees it: a few async calls over SQL text with
 * `?` placeholders, whichever engine is behind (SQLite in one file by default, PostgreSQL shared
 * by several registry processes). SQL written against it keeps to what both engines read the same
 * way; where they differ (full-text search, lists passed as one parameter) `dialect` says which
 * form to send.
 */
export type SqlValue = string | number | bigint | boolean | null | Buffer | Uint8Array;

export type Dialect = 'sqlite' | 'postgres';

export interface RunResult {
  /** Rows inserted, updated or deleted. */
  changes: number;
}

/** Queries, on the database or inside one transaction. */
export interface SqlExecutor {
  readonly dialect: Dialect;
  /** Every row; integers come back as numbers, BLOB/bytea as Buffer. */
  all<T>(text: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** The first row, if any. */
  get<T>(text: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  run(text: string, params?: readonly SqlValue[]): Promise<RunResult>;
}

/** The handle a transaction's body gets: queries on it run inside the transaction, nothing else does. */
export interface SqlTransaction extends SqlExecutor {
  /**
   * Serialises this transaction with every other one holding the same key until both end (a
   * PostgreSQL advisory lock; SQLite has one writer at a time already).
   */
  lock(key: string): Promise<void>;
}

export interface SqlDatabase extends SqlExecutor {
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. Nested
   * calls (`tx.transaction` is not offered: pass `tx` down) are a programming error.
   */
  transaction<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T>;
  /** Whether `error` is a unique-constraint violation (a second row with the same key). */
  isUniqueViolation(error: unknown): boolean;
  close(): Promise<void>;
}

/**
 * A list passed as one JSON-text parameter, as a subquery of its values: `x IN ${jsonList(db, 'int')}`
 * with `JSON.stringify(ids)` as the parameter. One statement text whatever the list's length.
 */
export function jsonList(db: { dialect: Dialect }, type: 'int' | 'text'): string {
  if (db.dialect === 'sqlite') return '(SELECT value FROM json_each(?))';
  return type === 'int' ? '(SELECT value::integer FROM json_array_elements_text(?::json))' : '(SELECT value FROM json_array_elements_text(?::json))';
}
