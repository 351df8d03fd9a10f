/**
 * Is this registry process ready to serve? What every request may need is checked: the metadata
 * database reachable and writable (a write in a transaction, rolled back; on SQLite also the file
 * itself: still there, still the file opened, writable, with room on its disk), its schema at this
 * code's version, the blob store taking a write probe, and the worker pools able to start a worker.
 * The costly probes (the blob store's write, a worker start) are reused for a few seconds, so a load
 * balancer polling every second costs one probe per interval; no check runs twice at once.
 */
import { statSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { isSkillsError, maskSecrets, SkillsError } from '../schema/errors';
import type { ErrorCode } from '../schema/error-catalog';
import type { PoolWatch } from '../sandbox/thread-pool';
import type { RegistryConfig } from './context';
import type { Logger } from './log';
import { SCHEMA_VERSION, sqliteError } from './db';
import type { Storage } from './storage/index';
import { POSTGRES_SCHEMA_VERSION } from './storage/postgres-schema';
import { SqliteDatabase } from './storage/sqlite';

export type CheckName = 'database' | 'migrations' | 'blobs' | 'sandbox' | 'audit';

export interface CheckResult {
  name: CheckName;
  ok: boolean;
  /** The error code of a failed check (null when it passed). */
  code: ErrorCode | null;
  /** What was checked, or what failed (secrets masked). */
  message: string;
  /** How long the check took (0 when its cached result was reused). */
  ms: number;
}

export interface Readiness {
  ready: boolean;
  checks: CheckResult[];
}

export interface WorkerPools {
  sandbox?: PoolWatch | undefined;
  audit?: PoolWatch | undefined;
}

export interface HealthDeps {
  storage: Storage;
  workers: WorkerPools;
  config: Pick<RegistryConfig, 'healthProbeCacheMs' | 'healthCheckTimeoutMs' | 'minFreeDiskBytes'>;
  log: Logger;
}

/** The row the write probe inserts and rolls back: a name no skill can have. */
const PROBE_ROW = ['-/readiness-probe', '0.0.0'] as const;

class RolledBack extends Error {}

interface Running {
  promise: Promise<string>;
}

export class Health {
  readonly #deps: HealthDeps;
  /** The SQLite file as it was when the registry opened it (undefined on PostgreSQL or in memory). */
  readonly #file: { path: string; dev: number; ino: number } | undefined;
  readonly #cached = new Map<CheckName, { at: number; result: CheckResult }>();
  /** A check's probe still running (past its timeout too): the next request waits for it, never starts another. */
  readonly #running = new Map<CheckName, Running>();
  readonly #failing = new Set<CheckName>();
  #inFlight: Promise<Readiness> | undefined;

  constructor(deps: HealthDeps) {
    this.#deps = deps;
    const { db } = deps.storage;
    if (db instanceof SqliteDatabase && !db.raw.memory) {
      const file = path.resolve(db.raw.name);
      const stat = fsStatSync(file);
      this.#file = stat ? { path: file, dev: stat.dev, ino: stat.ino } : undefined;
    }
  }

  /** Every check; concurrent callers share one run. */
  ready(): Promise<Readiness> {
    this.#inFlight ??= this.#run().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  async #run(): Promise<Readiness> {
    const { workers } = this.#deps;
    const checks = await Promise.all([
      this.#check('database', () => this.#database(), false),
      this.#check('migrations', () => this.#migrations(), false),
      this.#check('blobs', () => this.#blobs(), true),
      this.#check('sandbox', () => this.#pool(workers.sandbox, 'ESANDBOXCRASH', 'sandbox'), true),
      this.#check('audit', () => this.#pool(workers.audit, 'EAUDITWORKER', 'audit'), true),
    ]);
    return { ready: checks.every((c) => c.ok), checks };
  }

  async #check(name: CheckName, probe: () => Promise<string>, reuse: boolean): Promise<CheckResult> {
    const now = Date.now();
    const cached = this.#cached.get(name);
    if (reuse && cached && now - cached.at < this.#deps.config.healthProbeCacheMs) return { ...cached.result, ms: 0 };
    const started = performance.now();
    let running = this.#running.get(name);
    if (!running) {
      const entry: Running = { promise: probe() };
      running = entry;
      this.#running.set(name, entry);
      entry.promise.then(
        () => this.#running.delete(name),
        () => this.#running.delete(name),
      );
    }
    const timeoutMs = this.#deps.config.healthCheckTimeoutMs;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let result: CheckResult;
    try {
      const message = await Promise.race([
        running.promise,
        new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => reject(new SkillsError('ECHECKTIMEOUT', `the ${name} check did not answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      result = { name, ok: true, code: null, message, ms: elapsed(started) };
    } catch (error) {
      const failure = isSkillsError(error) ? error : new SkillsError('EINTERNAL', error instanceof Error ? error.message : String(error));
      result = { name, ok: false, code: failure.code, message: maskSecrets(failure.message), ms: elapsed(started) };
    } finally {
      clearTimeout(timer);
    }
    if (reuse) this.#cached.set(name, { at: Date.now(), result });
    this.#note(result);
    return result;
  }

  /** Logs a check that starts failing, and one that passes again: once each, not at every poll. */
  #note(result: CheckResult): void {
    const was = this.#failing.has(result.name);
    if (result.ok === !was) return;
    if (result.ok) this.#failing.delete(result.name);
    else this.#failing.add(result.name);
    const fields = { check: result.name, code: result.code, error: result.ok ? null : result.message };
    if (result.ok) this.#deps.log.info(fields, `readiness check ${result.name} passes again`);
    else this.#deps.log.error(fields, `readiness check ${result.name} failed: the registry answers 503 on /-/health/ready`);
  }

  async #database(): Promise<string> {
    const { db } = this.#deps.storage;
    if (this.#file) await this.#sqliteFile(this.#file);
    try {
      await db.transaction(async (tx) => {
        await tx.run('INSERT INTO used_versions (name, version) VALUES (?, ?)', PROBE_ROW);
        throw new RolledBack();
      });
    } catch (error) {
      if (!(error instanceof RolledBack)) throw writeFailure(error, this.#file?.path);
    }
    return this.#file ? 'the file is in place and writable; a write was rolled back' : 'reachable; a write was rolled back';
  }

  /**
   * The file the registry opened is still at its path, writable, with room on its disk. A file
   * deleted, replaced or made read-only under a running registry does not stop the connection that
   * holds it open, but what it writes is lost, or the next start fails: not ready either way.
   */
  async #sqliteFile(file: { path: string; dev: number; ino: number }): Promise<void> {
    const stat = await fs.stat(file.path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (!stat) throw new SkillsError('EDBFILEGONE', `the database file ${file.path} is gone (deleted or moved while the registry runs): what it writes now is lost when it stops`);
    if (stat.ino !== file.ino || stat.dev !== file.dev) throw new SkillsError('EDBFILEGONE', `the database file ${file.path} was replaced by another file while the registry runs`);
    const folder = path.dirname(file.path);
    for (const [target, what] of [[file.path, 'the database file'], [folder, 'the folder of the database']] as const) {
      const denied = await fs.access(target, fs.constants.W_OK).then(
        () => false,
        () => true,
      );
      // root may write anything: a file nobody has write permission on was made read-only on purpose.
      const readOnly = denied || (process.getuid?.() === 0 && target === file.path && (stat.mode & 0o222) === 0);
      if (readOnly) throw new SkillsError('EDBREADONLY', `${what} ${target} is read-only: the next start of the registry fails, and writes may already`);
    }
    const { minFreeDiskBytes } = this.#deps.config;
    if (minFreeDiskBytes > 0) {
      const disk = await fs.statfs(folder);
      const free = disk.bavail * disk.bsize;
      if (free < minFreeDiskBytes) throw new SkillsError('EDBFULL', `the disk holding ${file.path} has ${free} bytes free, under the ${minFreeDiskBytes} of health.min_free_disk_bytes`);
    }
  }

  async #migrations(): Promise<string> {
    const { db } = this.#deps.storage;
    let current: number | undefined;
    let expected: number;
    if (db.dialect === 'sqlite') {
      current = (await db.get<{ user_version: number }>('PRAGMA user_version'))?.user_version;
      expected = SCHEMA_VERSION;
    } else {
      current = (await db.get<{ version: number }>('SELECT version FROM registry_schema WHERE id = 1'))?.version;
      expected = POSTGRES_SCHEMA_VERSION;
    }
    if (current === undefined) throw new SkillsError('EDBSCHEMA', 'the database holds no schema version');
    if (current > expected) throw new SkillsError('EDBNEWER', `the database is at schema version ${current}, newer than this registry's ${expected}: a newer registry migrated it; upgrade this one`);
    if (current < expected) throw new SkillsError('EDBSCHEMA', `the database is at schema version ${current}; this registry needs ${expected} (it migrates when it starts: restart it)`);
    return `schema version ${current}, this registry's own`;
  }

  async #blobs(): Promise<string> {
    await this.#deps.storage.blobs.check();
    return 'a write probe succeeded';
  }

  async #pool(pool: PoolWatch | undefined, code: 'ESANDBOXCRASH' | 'EAUDITWORKER', what: string): Promise<string> {
    if (!pool) return 'runs in process (no worker pool)';
    try {
      await pool.probe(this.#deps.config.healthCheckTimeoutMs);
    } catch (error) {
      if (isSkillsError(error)) throw error;
      throw new SkillsError(code, `no ${what} worker could start: ${error instanceof Error ? error.message : String(error)}`);
    }
    return 'a worker has started and loaded';
  }
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 100) / 100;
}

function fsStatSync(file: string): { dev: number; ino: number } | undefined {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

/** A failed write probe as a code an operator can act on. */
function writeFailure(error: unknown, file: string | undefined): unknown {
  if (isSkillsError(error)) return error;
  if (file !== undefined) {
    const known = sqliteError(error, file);
    if (known) return known;
  }
  // PostgreSQL: a read-only transaction (a standby, default_transaction_read_only).
  if ((error as { code?: unknown } | null)?.code === '25006') return new SkillsError('EDBREADONLY', 'the database is read-only (a standby, or default_transaction_read_only)');
  return error;
}
