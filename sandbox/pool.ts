/**
 * Where cases run. `WorkerPool` spreads them over worker threads (one case at a time each, up to
 * the core count) so a busy sandbox never blocks the event loop, and terminates a worker that
 * stops answering (a watchdog behind the in-sandbox deadline). `InProcessRunner` runs them on the
 * calling thread, for single runs where a worker's start-up would dominate.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { builtWorkerPath } from './built-worker';
import { SkillsError } from '../schema/errors';
import { ModuleCache } from './quickjs';
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

interface Slot {
  worker: Worker;
  busy: boolean;
}

interface Pending {
  id: number;
  job: CaseJob;
  resolve: (report: CaseReport) => void;
  reject: (error: Error) => void;
}

interface WorkerReply {
  id: number;
  report?: CaseReport;
  error?: string;
}

export function sandboxWorkerPath(): string {
  const found = builtWorkerPath('sandbox-worker.js');
  if (found) return found;
  throw new SkillsError('ESANDBOXMISSING', 'the sandbox worker (dist/sandbox-worker.js) is missing', { hint: 'run `npm run build`', status: 500 });
}

/**
 * Runs cases on worker threads. Whatever a job does (data that cannot be cloned, a worker that
 * errors, exits or never answers), that job alone fails with a code, its slot is freed or its
 * worker replaced, and nothing is thrown from a timer or an event handler: one hostile upload
 * must not stall or kill the registry.
 */
export class WorkerPool implements CaseRunner {
  readonly size: number;
  readonly #slots: Slot[] = [];
  readonly #queue: Pending[] = [];
  readonly #inflight = new Map<Worker, { pending: Pending; timer: ReturnType<typeof setTimeout> }>();
  readonly #workerFile: string;
  readonly #graceMs: number;
  #nextId = 1;
  #closed = false;

  constructor(options: number | WorkerPoolOptions = {}) {
    const o = typeof options === 'number' ? { size: options } : options;
    this.size = o.size ?? Math.max(1, os.availableParallelism());
    this.#workerFile = o.workerFile ?? sandboxWorkerPath();
    this.#graceMs = o.watchdogGraceMs ?? WATCHDOG_GRACE_MS;
  }

  /** Live worker threads (for health checks and tests). */
  get workers(): number {
    return this.#slots.length;
  }

  run(job: CaseJob): Promise<CaseReport> {
    if (this.#closed) return Promise.reject(new SkillsError('ESANDBOXCLOSED', 'the sandbox pool is closed', { status: 500 }));
    return new Promise((resolve, reject) => {
      this.#queue.push({ id: this.#nextId++, job, resolve, reject });
      this.#dispatch();
    });
  }

  /**
   * Starts every worker now (each loads QuickJS, ~0.1-0.3 s) so the first cases do not wait for
   * them. Idle workers never keep the process alive. Never throws: a worker that cannot start is
   * reported when a case needs it.
   */
  warm(): void {
    try {
      while (!this.#closed && this.#slots.length < this.size) this.#spawn();
    } catch {
      // the next run() reports it
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const slots = this.#slots.splice(0);
    const closed = () => new SkillsError('ESANDBOXCLOSED', 'the sandbox pool closed before the case finished', { status: 500 });
    for (const [worker, { pending, timer }] of this.#inflight) {
      clearTimeout(timer);
      this.#inflight.delete(worker);
      pending.reject(closed());
    }
    for (const p of this.#queue.splice(0)) p.reject(closed());
    await Promise.all(slots.map((s) => s.worker.terminate().catch(() => undefined)));
  }

  /** Hands queued jobs to free (or new) workers. Never throws: it runs from timers and events. */
  #dispatch(): void {
    while (this.#queue.length > 0 && !this.#closed) {
      let slot = this.#slots.find((s) => !s.busy);
      if (!slot && this.#slots.length < this.size) {
        try {
          slot = this.#spawn();
        } catch (error) {
          // No worker can start: fail what would wait forever, keep what a live worker will take.
          if (this.#slots.length === 0) {
            for (const p of this.#queue.splice(0)) p.resolve(crashReport(p.job, 'ESANDBOXCRASH', `no sandbox worker could start: ${messageOf(error)}`));
          }
          return;
        }
      }
      if (!slot) return;
      const pending = this.#queue.shift();
      if (!pending) return;
      this.#start(slot, pending);
    }
  }

  #start(slot: Slot, pending: Pending): void {
    // Checked here because structured clone (postMessage) overflows on deep data before the worker sees it.
    const refused = refuseDeepJob(pending.job);
    if (refused) {
      pending.resolve(refused);
      return;
    }
    slot.busy = true;
    slot.worker.ref();
    const timer = setTimeout(() => this.#kill(slot, pending), pending.job.limits.timeoutMs + this.#graceMs);
    this.#inflight.set(slot.worker, { pending, timer });
    try {
      slot.worker.postMessage({ id: pending.id, job: pending.job });
    } catch (error) {
      // Nothing was sent (e.g. DataCloneError): the worker is fine, the job is not.
      clearTimeout(timer);
      this.#inflight.delete(slot.worker);
      slot.busy = false;
      slot.worker.unref();
      pending.resolve(crashReport(pending.job, 'ESANDBOXCRASH', `the case could not be sent to a sandbox worker: ${messageOf(error)}`));
    }
  }

  #spawn(): Slot {
    const worker = new Worker(this.#workerFile);
    const slot: Slot = { worker, busy: false };
    worker.on('message', (message: WorkerReply) => {
      const inflight = this.#inflight.get(worker);
      if (!inflight || inflight.pending.id !== message?.id) return;
      clearTimeout(inflight.timer);
      this.#inflight.delete(worker);
      slot.busy = false;
      worker.unref();
      inflight.pending.resolve(message.report ?? crashReport(inflight.pending.job, 'ESANDBOXCRASH', `the sandbox worker failed: ${message.error ?? 'unknown error'}`));
      this.#dispatch();
    });
    // A reply that cannot be deserialized here (e.g. nested past this thread's stack) is dropped
    // by Node with this event: the job fails, the worker is fine.
    worker.on('messageerror', (error) => {
      const inflight = this.#inflight.get(worker);
      if (!inflight) return;
      clearTimeout(inflight.timer);
      this.#inflight.delete(worker);
      slot.busy = false;
      worker.unref();
      inflight.pending.resolve(crashReport(inflight.pending.job, 'ESANDBOXCRASH', `the sandbox worker's report could not be read: ${messageOf(error)}`));
      this.#dispatch();
    });
    worker.on('error', (error) => this.#lose(slot, `failed: ${messageOf(error)}`));
    worker.on('exit', (code) => this.#lose(slot, `exited with code ${code}`));
    // After the listeners: adding a 'message' listener refs the worker again, and an idle worker
    // (one warm() started that never got a case) must not keep the process alive.
    worker.unref();
    this.#slots.push(slot);
    return slot;
  }

  /** A worker errored or exited: its job fails, the slot goes, the next job gets a new worker. */
  #lose(slot: Slot, why: string): void {
    const index = this.#slots.indexOf(slot);
    if (index === -1) return;
    this.#slots.splice(index, 1);
    const inflight = this.#inflight.get(slot.worker);
    if (inflight) {
      clearTimeout(inflight.timer);
      this.#inflight.delete(slot.worker);
      inflight.pending.resolve(crashReport(inflight.pending.job, 'ESANDBOXCRASH', `the sandbox worker died: ${why}`));
    }
    // An erroring worker may not have stopped yet.
    slot.worker.terminate().catch(() => undefined);
    this.#dispatch();
  }

  #kill(slot: Slot, pending: Pending): void {
    const index = this.#slots.indexOf(slot);
    if (index !== -1) this.#slots.splice(index, 1);
    const inflight = this.#inflight.get(slot.worker);
    if (inflight) clearTimeout(inflight.timer);
    this.#inflight.delete(slot.worker);
    slot.worker.terminate().catch(() => undefined);
    pending.resolve(crashReport(pending.job, 'ETIMEOUT', `the case did not finish within ${pending.job.limits.timeoutMs + this.#graceMs} ms; its worker was terminated`));
    this.#dispatch();
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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
