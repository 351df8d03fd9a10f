/**
 * The metadata database on PostgreSQL, shared by several registry processes: a bounded pool from a
 * postgres:// URL, `?` placeholders turned into `$n`, results typed as SQLite gives them (int8 and
 * numeric as numbers, booleans as 0/1, json as text, bytea as Buffer), transactions on one
 * connection, and advisory locks for `tx.lock`.
 *
 * Losing the server (refused, reset, restarted, cut off, not answering in time) is EDBUNAVAILABLE
 * (503, retryable): the broken connection is dropped and the pool opens new ones on demand, so the
 * registry recovers by itself once PostgreSQL is back. The URL's password never appears in an
 * error, a hint or a description: errors name the URL without it and keep no `cause`.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { maskSecrets, SkillsError } from '../../schema/errors';
import type { RunResult, SqlDatabase, SqlTransaction, SqlValue } from './sql';

export interface PostgresOptions {
  /** Connections at most (default 10). */
  max?: number;
  /** Server-side bound on one statement, ms (default 30 000; 0: none). */
  statementTimeoutMs?: number;
  /** Client-side bound on any answer, ms (default: the statement timeout + 5 s): how long a cut-off server can hold a request. */
  queryTimeoutMs?: number;
  /** Bound on opening a connection, ms (default 10 000). */
  connectTimeoutMs?: number;
  /** A transaction left idle this long is ended by the server, ms (default 60 000). */
  idleInTransactionTimeoutMs?: number;
  applicationName?: string;
}

export interface TransactionOptions {
  /** Statement bound for this transaction only, ms (0: none, e.g. for migrations). */
  statementTimeoutMs?: number;
}

const INT8 = 20;
const NUMERIC = 1700;
const BOOL = 16;
const JSON_OID = 114;
const JSONB = 3802;

const toNumber = (value: string): number => Number(value);
const toFlag = (value: string): number => (value === 't' ? 1 : 0);
const asText = (value: string): string => value;

/** This pool's type parsers (pg's global table is left alone). */
const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (format === undefined || format === 'text') {
      if (oid === INT8 || oid === NUMERIC) return toNumber;
      if (oid === BOOL) return toFlag;
      if (oid === JSON_OID || oid === JSONB) return asText;
    }
    return pg.types.getTypeParser(oid, format);
  }) as typeof pg.types.getTypeParser,
};

/** A pooled connection and whether it can be used again. */
interface Conn {
  client: pg.PoolClient;
  broken: boolean;
}

export class PostgresDatabase implements SqlDatabase {
  readonly dialect = 'postgres' as const;
  /** The URL without its password, for messages and logs. */
  readonly description: string;
  readonly #pool: pg.Pool;
  readonly #password: string;
  readonly #queryTimeoutMs: number;
  readonly #clientConfig: pg.ClientConfig;
  #closed = false;

  private constructor(url: URL, options: PostgresOptions) {
    this.#password = decodeURIComponent(url.password);
    this.description = publicUrl(url);
    const statementTimeout = options.statementTimeoutMs ?? 30_000;
    this.#queryTimeoutMs = options.queryTimeoutMs ?? (statementTimeout === 0 ? 0 : statementTimeout + 5_000);
    this.#clientConfig = {
      connectionString: url.href,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      ...(statementTimeout > 0 ? { statement_timeout: statementTimeout } : {}),
      ...(this.#queryTimeoutMs > 0 ? { query_timeout: this.#queryTimeoutMs } : {}),
      idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs ?? 60_000,
      application_name: options.applicationName ?? 'skills-registry',
      types: TYPES,
    };
    this.#pool = new pg.Pool({ ...this.#clientConfig, max: options.max ?? 10, idleTimeoutMillis: 30_000 });
    // An idle connection that fails is dropped by the pool; without a listener the process would crash.
    this.#pool.on('error', () => undefined);
  }

  /**
   * Connects to `url` (postgres:// or postgresql://) and checks that the server answers: a wrong
   * password is EDBAUTH, a missing database EDBMISSING, a server out of reach EDBUNAVAILABLE.
   */
  static async open(url: string, options: PostgresOptions = {}): Promise<PostgresDatabase> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new SkillsError('EDBOPEN', `the database URL is not a URL: ${maskSecrets(url).slice(0, 200)}`, { hint: 'use postgres://user:password@host:5432/database' });
    }
    if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
      throw new SkillsError('EDBOPEN', `the database URL ${publicUrl(parsed)} is not a postgres:// URL`, { hint: 'use postgres://user:password@host:5432/database' });
    }
    const db = new PostgresDatabase(parsed, options);
    try {
      await db.get('SELECT 1 AS ok');
    } catch (error) {
      await db.close();
      throw error;
    }
    return db;
  }

  async all<T>(text: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return (await this.#withConn((conn) => this.#query(conn, text, params))).rows as T[];
  }

  async get<T>(text: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return (await this.all<T>(text, params))[0];
  }

  async run(text: string, params: readonly SqlValue[] = []): Promise<RunResult> {
    return { changes: (await this.#withConn((conn) => this.#query(conn, text, params))).rowCount ?? 0 };
  }

  async transaction<T>(fn: (tx: SqlTransaction) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    return this.#withConn(async (conn) => {
      await this.#query(conn, 'BEGIN', []);
      if (options.statementTimeoutMs !== undefined) await this.#query(conn, `SET LOCAL statement_timeout = ${Math.max(0, Math.floor(options.statementTimeoutMs))}`, []);
      const bound = options.statementTimeoutMs === 0 ? 0 : undefined;
      const tx = new PgTransaction((text, params) => this.#query(conn, text, params, bound));
      let result: T;
      try {
        // No AsyncLocalStorage guard against a transaction() inside another: it would put promise
        // hooks on every await of the process (a fifth of a cached read's CPU). SQLite's single
        // connection turns that mistake into a hang that every test on the default profile shows.
        result = await fn(tx);
      } catch (error) {
        tx.ended = true;
        if (!conn.broken) {
          try {
            await this.#query(conn, 'ROLLBACK', []);
          } catch {
            conn.broken = true;
          }
        }
        throw error;
      }
      tx.ended = true;
      await this.#query(conn, 'COMMIT', []);
      return result;
    });
  }

  /**
   * A connection of its own outside the pool, configured like the pool's (for LISTEN). The caller
   * connects it, must listen for its 'error' event, and ends it.
   */
  newClient(): pg.Client {
    return new pg.Client(this.#clientConfig);
  }

  isUniqueViolation(error: unknown): boolean {
    return (error as { code?: unknown } | null)?.code === '23505';
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }

  /** A statement on `conn`; connection failures mark it broken and become EDBUNAVAILABLE. */
  async #query(conn: Conn, text: string, params: readonly SqlValue[], queryTimeoutMs?: number): Promise<pg.QueryResult> {
    try {
      const config: pg.QueryConfig = { text: positional(text), values: params.map(toPg) };
      // A per-query bound of 0 is not "none" to pg: a day is.
      if (queryTimeoutMs !== undefined) (config as pg.QueryConfig & { query_timeout: number }).query_timeout = queryTimeoutMs === 0 ? 86_400_000 : queryTimeoutMs;
      return await conn.client.query(config);
    } catch (error) {
      if (isConnectionFailure(error)) conn.broken = true;
      throw this.#translate(error);
    }
  }

  async #withConn<T>(fn: (conn: Conn) => Promise<T>): Promise<T> {
    if (this.#closed) throw this.#unavailable('the database connection pool was closed');
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      throw this.#translate(error);
    }
    const conn: Conn = { client, broken: false };
    // Errors of a checked-out connection with no query running arrive as events.
    const onError = () => (conn.broken = true);
    client.on('error', onError);
    try {
      return await fn(conn);
    } finally {
      client.removeListener('error', onError);
      // A broken connection is destroyed, never handed to the next caller.
      client.release(conn.broken ? new Error('connection broken') : undefined);
    }
  }

  /** PostgreSQL's and the network's failures as codes an operator can act on; SQL errors as they are. */
  #translate(error: unknown): unknown {
    if (error instanceof SkillsError) return error;
    const code = errorCode(error);
    if (code === '28P01' || code === '28000') {
      return new SkillsError('EDBAUTH', `PostgreSQL refused the credentials for ${this.description} (${code})`, {
        hint: 'check the user and password in the database URL (and that pg_hba.conf lets this host in)',
      });
    }
    if (code === '3D000') {
      return new SkillsError('EDBMISSING', `the database of ${this.description} does not exist`, { hint: `create it (createdb ${databaseName(this.description)}) or correct the URL` });
    }
    if (isConnectionFailure(error)) return this.#unavailable(reason(error));
    // A NUL in a text parameter (22021), or an escaped one cast to jsonb (22P05): the request's
    // text, never the server's fault. Inputs are checked before they get here; this is the net.
    if (code === '22021' || code === '22P05') {
      return new SkillsError('ETEXTNUL', 'the request holds a NUL character (U+0000), which the registry\'s database cannot store', { hint: 'leave the NUL character out' });
    }
    return error;
  }

  #unavailable(why: string): SkillsError {
    return new SkillsError('EDBUNAVAILABLE', this.#redact(`the registry database ${this.description} cannot be reached: ${why}`), {
      hint: 'try again in a moment: the registry reconnects to its database by itself',
    });
  }

  #redact(text: string): string {
    const masked = maskSecrets(text);
    return this.#password.length >= 4 ? masked.split(this.#password).join('***') : masked;
  }
}

class PgTransaction implements SqlTransaction {
  readonly dialect = 'postgres' as const;
  ended = false;

  constructor(private readonly send: (text: string, params: readonly SqlValue[]) => Promise<pg.QueryResult>) {}

  async all<T>(text: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return (await this.#query(text, params)).rows as T[];
  }

  async get<T>(text: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return (await this.all<T>(text, params))[0];
  }

  async run(text: string, params: readonly SqlValue[] = []): Promise<RunResult> {
    return { changes: (await this.#query(text, params)).rowCount ?? 0 };
  }

  async lock(key: string): Promise<void> {
    await this.#query('SELECT pg_advisory_xact_lock(?::bigint)', [lockKey(key)]);
  }

  #query(text: string, params: readonly SqlValue[]): Promise<pg.QueryResult> {
    if (this.ended) return Promise.reject(new Error('query on a transaction that has ended'));
    return this.send(text, params);
  }
}

/** A signed 64-bit advisory lock key from any string (the first 8 bytes of its sha256). */
export function lockKey(key: string): string {
  return createHash('sha256').update(key).digest().readBigInt64BE(0).toString();
}

function toPg(value: SqlValue): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array && !Buffer.isBuffer(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return value;
}

const positionalCache = new Map<string, string>();

/** `text` with each `?` outside literals, quoted identifiers and comments as `$1`, `$2`... (cached per text). */
export function positional(text: string): string {
  let out = positionalCache.get(text);
  if (out !== undefined) return out;
  out = translatePlaceholders(text);
  if (positionalCache.size >= 2000) positionalCache.clear();
  positionalCache.set(text, out);
  return out;
}

function translatePlaceholders(sql: string): string {
  let out = '';
  let n = 0;
  let i = 0;
  const isIdent = (c: string | undefined) => c !== undefined && /[\p{L}\p{N}_$]/u.test(c);
  while (i < sql.length) {
    const c = sql[i] as string;
    const next = sql[i + 1];
    let end = -1;
    if (c === "'") {
      // E'...' takes backslash escapes; elsewhere only '' escapes a quote.
      const escapes = (sql[i - 1] === 'E' || sql[i - 1] === 'e') && !isIdent(sql[i - 2]);
      let j = i + 1;
      while (j < sql.length) {
        if (escapes && sql[j] === '\\') j += 2;
        else if (sql[j] === "'" && sql[j + 1] === "'") j += 2;
        else if (sql[j] === "'") break;
        else j++;
      }
      end = j + 1;
    } else if (c === '"') {
      let j = i + 1;
      while (j < sql.length && !(sql[j] === '"' && sql[j + 1] !== '"')) j += sql[j] === '"' ? 2 : 1;
      end = j + 1;
    } else if (c === '-' && next === '-') {
      const j = sql.indexOf('\n', i);
      end = j === -1 ? sql.length : j;
    } else if (c === '/' && next === '*') {
      let depth = 0;
      let j = i;
      while (j < sql.length) {
        if (sql[j] === '/' && sql[j + 1] === '*') (depth++, (j += 2));
        else if (sql[j] === '*' && sql[j + 1] === '/') {
          j += 2;
          if (--depth === 0) break;
        } else j++;
      }
      end = j;
    } else if (c === '$' && !isIdent(sql[i - 1])) {
      const tag = /^\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(sql.slice(i))?.[0];
      if (tag !== undefined) {
        const close = sql.indexOf(tag, i + tag.length);
        end = close === -1 ? sql.length : close + tag.length;
      }
    } else if (c === '?') {
      out += `$${++n}`;
      i++;
      continue;
    }
    if (end > i) {
      out += sql.slice(i, Math.min(end, sql.length));
      i = Math.min(end, sql.length);
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'EHOSTDOWN', 'ENETUNREACH', 'ENETDOWN', 'ENOTFOUND', 'EAI_AGAIN']);
/** The server going away or not taking connections: admin/crash shutdown, starting up, too many clients, idle-session timeout. */
const SERVER_GONE = new Set(['57P01', '57P02', '57P03', '57P05', '53300']);
const CLIENT_GONE = /Connection terminated|connection timeout|timeout exceeded when trying to connect|Query read timeout|not queryable|Client was closed|Connection ended/i;

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Whether `error` means the connection (or the server) is gone, not that the SQL failed. */
function isConnectionFailure(error: unknown): boolean {
  if (error instanceof SkillsError) return error.code === 'EDBUNAVAILABLE';
  const code = errorCode(error);
  if (code !== undefined && (NETWORK_CODES.has(code) || SERVER_GONE.has(code) || code.startsWith('08'))) return true;
  return error instanceof Error && CLIENT_GONE.test(error.message);
}

/** A short reason without anything the server or the URL might have carried besides codes. */
function reason(error: unknown): string {
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  if (code === '57P01' || code === '57P02') return `the server ended the connection (${code}: it is shutting down or restarting)`;
  if (code === '57P03') return 'the server is starting up or shutting down (57P03)';
  if (code === '53300') return 'the server has too many connections (53300)';
  if (/Query read timeout/i.test(message)) return 'no answer in time';
  if (/timeout exceeded when trying to connect|connection timeout/i.test(message)) return 'connecting timed out';
  if (code !== undefined) return `connection failed (${code})`;
  return 'the connection was lost';
}

/** The URL without password, query or fragment. */
function publicUrl(url: URL): string {
  const copy = new URL(url.href);
  copy.password = '';
  copy.search = '';
  copy.hash = '';
  return copy.href;
}

function databaseName(description: string): string {
  const name = decodeURIComponent(new URL(description).pathname.slice(1));
  return /^[\w-]+$/.test(name) ? name : '<name>';
}
