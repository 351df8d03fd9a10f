/**
 * Where cases run. `WorkerPool` spreads them over worker threads (one case at a time each, up to
 * the core count) so a busy sandbox never blocks the event loop, and terminates a worker that
 * stops answering (a watchdog behind the in-sandbox deadline). `InProcessRunner` runs them on the
 * calling thread, for single runs where a worker's start-up would dominate.
 */
import os from 'node:os';
import { requireBuiltWorker } from './built-worker';
import { SkillsError } from '../schema/errors';
import { ModuleCache } from './quickjs';
import { ThreadPool, type PoolWatch, type ThreadFailure, type ThreadPoolStats } from './thread-pool';
import { emptyReport, refuseDeepJob, verifyCase, type CaseJob, type CaseReport } from './verify-case';

export interface CaseRunner {
  run(job: CaseJob): Promise<CaseReport>;
  close(): Promise<void>;
}

export class InProcessRunner implements CaseRunner {
  readonly #cache = new ModuleCache();
  #chain: Promise<unknown> = Promise.resolve();

  run(job: CaseJob): Promise<CaseReport> {
    const next = this.#chain.then(() => verifyCase(this.#cache, job));
    this.#chain = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    await this.#chain;
  }
}

/** Grace on top of a case's own deadline before the watchdog kills its worker. */
const WATCHDOG_GRACE_MS = 5000;

export interface WorkerPoolOptions {
  /** Worker threads at most; the core count by default. */
  size?: number;
  /** The worker script (the built `sandbox-worker.js` by default). */
  workerFile?: string;
  /** Time on top of a case's own deadline before the watchdog terminates its worker. */
  watchdogGraceMs?: number;
}

export function sandboxWorkerPath(): string {
  return requireBuiltWorker('sandbox-worker.js', 'sandbox', 'ESANDBOXMISSING');
}

/**
 * Runs cases on worker threads (thread-pool.ts). A case that fails in the pool gets a failed
 * report (ESANDBOXCRASH, or ETIMEOUT from the watchdog) rather than a rejection, so one case
 * cannot fail the others of its upload; only closing the pool rejects (ESANDBOXCLOSED).
 */
export class WorkerPool implements CaseRunner, PoolWatch {
  readonly size: number;
  readonly #threads: ThreadPool<CaseJob, CaseReport>;

  constructor(options: number | WorkerPoolOptions = {}) {
    const o = typeof options === 'number' ? { size: options } : options;
    const graceMs = o.watchdogGraceMs ?? WATCHDOG_GRACE_MS;
    this.#threads = new ThreadPool<CaseJob, CaseReport>({
      size: o.size ?? Math.max(1, os.availableParallelism()),
      workerFile: o.workerFile ?? sandboxWorkerPath(),
      message: (job) => ({ job }),
      timeoutMs: (job) => job.limits.timeoutMs + graceMs,
      answer: (job, reply) => ({ ok: true, value: (reply.report as CaseReport | undefined) ?? crashReport(job, 'ESANDBOXCRASH', `the sandbox worker failed: ${reply.error ?? 'unknown error'}`) }),
      failed: (job, failure) => ({ ok: true, value: failedReport(job, failure) }),
      closed: (when) => new SkillsError('ESANDBOXCLOSED', when === 'refused' ? 'the sandbox pool is closed' : 'the sandbox pool closed before the case finished', { status: 500 }),
    });
    this.size = this.#threads.size;
  }

  /** Live worker threads (for health checks and tests). */
  get workers(): number {
    return this.#threads.workers;
  }

  stats(): ThreadPoolStats {
    return this.#threads.stats();
  }

  probe(timeoutMs: number): Promise<void> {
    return this.#threads.probe(timeoutMs);
  }

  run(job: CaseJob): Promise<CaseReport> {
    // Checked before sending because structured clone (postMessage) overflows on deep data before the worker sees it.
    const refused = this.#threads.closed ? undefined : refuseDeepJob(job);
    return refused ? Promise.resolve(refused) : this.#threads.run(job);
  }

  /**
   * Starts every worker now (each loads QuickJS, ~0.1-0.3 s) so the first cases do not wait for
   * them. Idle workers never keep the process alive. Never throws: a worker that cannot start is
   * reported when a case needs it.
   */
  warm(): void {
    this.#threads.warm();
  }

  close(): Promise<void> {
    return this.#threads.close();
  }
}

function failedReport(job: CaseJob, failure: ThreadFailure): CaseReport {
  switch (failure.kind) {
    case 'start':
      return crashReport(job, 'ESANDBOXCRASH', `no sandbox worker could start: ${failure.cause}`);
    case 'send':
      return crashReport(job, 'ESANDBOXCRASH', `the case could not be sent to a sandbox worker: ${failure.cause}`);
    case 'unreadable':
      return crashReport(job, 'ESANDBOXCRASH', `the sandbox worker's report could not be read: ${failure.cause}`);
    case 'error':
      return crashReport(job, 'ESANDBOXCRASH', `the sandbox worker died: failed: ${failure.cause}`);
    case 'exit':
      return crashReport(job, 'ESANDBOXCRASH', `the sandbox worker died: exited with code ${failure.code}`);
    case 'timeout':
      return crashReport(job, 'ETIMEOUT', `the case did not finish within ${failure.ms} ms; its worker was terminated`);
  }
}

function crashReport(job: CaseJob, code: 'ESANDBOXCRASH' | 'ETIMEOUT', message: string): CaseReport {
  return { ...emptyReport(job), code, message };
}

let shared: WorkerPool | undefined;

/** One pool per process; its idle workers do not keep the process alive. */
export function sharedWorkerPool(): WorkerPool {
  shared ??= new WorkerPool();
  return shared;
}
