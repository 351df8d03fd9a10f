/**
 * Where cases run. `WorkerPool` spreads them over worker threads (one case at a time each, up to
 * the core count) so a busy sandbox never blocks the event loop, and terminates a worker that
 * stops answering (a watchdog behind the in-sandbox deadline). `InProcessRunner` runs them on the
 * calling thread, for single runs where a worker's start-up would dominate.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { SkillsError } from '../schema/errors';
import { ModuleCache } from './quickjs';
import { verifyCase, type CaseJob, type CaseReport } from './verify-case';

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

export function sandboxWorkerPath(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    for (const candidate of [path.join(dir, 'sandbox-worker.js'), path.join(dir, 'dist', 'sandbox-worker.js')]) {
      if (fs.existsSync(candidate)) return candidate;
    }
    dir = path.dirname(dir);
  }
  throw new SkillsError('ESANDBOXMISSING', 'the sandbox worker (dist/sandbox-worker.js) is missing', { hint: 'run `npm run build`', status: 500 });
}

export class WorkerPool implements CaseRunner {
  readonly size: number;
  readonly #slots: Slot[] = [];
  readonly #queue: Pending[] = [];
  readonly #inflight = new Map<Worker, { pending: Pending; timer: ReturnType<typeof setTimeout> }>();
  readonly #workerFile: string;
  #nextId = 1;
  #closed = false;

  constructor(size = Math.max(1, os.availableParallelism())) {
    this.size = size;
    this.#workerFile = sandboxWorkerPath();
  }

  run(job: CaseJob): Promise<CaseReport> {
    if (this.#closed) return Promise.reject(new SkillsError('ESANDBOXCLOSED', 'the sandbox pool is closed', { status: 500 }));
    return new Promise((resolve, reject) => {
      this.#queue.push({ id: this.#nextId++, job, resolve, reject });
      this.#dispatch();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    const slots = this.#slots.splice(0);
    await Promise.all(slots.map((s) => s.worker.terminate()));
    for (const p of this.#queue.splice(0)) p.reject(new SkillsError('ESANDBOXCLOSED', 'the sandbox pool closed before the case ran', { status: 500 }));
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      let slot = this.#slots.find((s) => !s.busy);
      if (!slot && this.#slots.length < this.size) slot = this.#spawn();
      if (!slot) return;
      const pending = this.#queue.shift();
      if (!pending) return;
      slot.busy = true;
      slot.worker.ref();
      const timer = setTimeout(() => this.#kill(slot, pending), pending.job.limits.timeoutMs + WATCHDOG_GRACE_MS);
      this.#inflight.set(slot.worker, { pending, timer });
      slot.worker.postMessage({ id: pending.id, job: pending.job });
    }
  }

  #spawn(): Slot {
    const worker = new Worker(this.#workerFile);
    const slot: Slot = { worker, busy: false };
    worker.unref();
    worker.on('message', (message: { id: number; report?: CaseReport; error?: string }) => {
      const inflight = this.#inflight.get(worker);
      if (!inflight || inflight.pending.id !== message.id) return;
      clearTimeout(inflight.timer);
      this.#inflight.delete(worker);
      slot.busy = false;
      worker.unref();
      if (message.report) inflight.pending.resolve(message.report);
      else inflight.pending.reject(new SkillsError('ESANDBOXCRASH', `the sandbox worker failed: ${message.error ?? 'unknown error'}`, { status: 500 }));
      this.#dispatch();
    });
    worker.on('error', (error) => this.#lose(slot, error.message));
    worker.on('exit', (code) => {
      if (this.#slots.includes(slot)) this.#lose(slot, `exited with code ${code}`);
    });
    this.#slots.push(slot);
    return slot;
  }

  #lose(slot: Slot, why: string): void {
    const index = this.#slots.indexOf(slot);
    if (index !== -1) this.#slots.splice(index, 1);
    const inflight = this.#inflight.get(slot.worker);
    if (inflight) {
      clearTimeout(inflight.timer);
      this.#inflight.delete(slot.worker);
      inflight.pending.resolve(crashReport(inflight.pending.job, 'ESANDBOXCRASH', `the sandbox worker died: ${why}`));
    }
    if (!this.#closed) this.#dispatch();
  }

  #kill(slot: Slot, pending: Pending): void {
    const index = this.#slots.indexOf(slot);
    if (index !== -1) this.#slots.splice(index, 1);
    const inflight = this.#inflight.get(slot.worker);
    if (inflight) clearTimeout(inflight.timer);
    this.#inflight.delete(slot.worker);
    void slot.worker.terminate();
    pending.resolve(crashReport(pending.job, 'ETIMEOUT', `the case did not finish within ${pending.job.limits.timeoutMs + WATCHDOG_GRACE_MS} ms; its worker was terminated`));
    this.#dispatch();
  }
}

function crashReport(job: CaseJob, code: 'ESANDBOXCRASH' | 'ETIMEOUT', message: string): CaseReport {
  return {
    case: job.name,
    status: 'failed',
    code,
    message,
    durationMs: 0,
    memoryBytes: 0,
    calls: { made: 0, recorded: job.fixture.mcp.length },
    console: [],
  };
}

let shared: WorkerPool | undefined;

/** One pool per process; its idle workers do not keep the process alive. */
export function sharedWorkerPool(): WorkerPool {
  shared ??= new WorkerPool();
  return shared;
}
