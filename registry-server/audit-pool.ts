/**
 * Runs the registry's static audit of uploads on worker threads (audit-worker.ts), at most `size`
 * at once, so the HTTP server's event loop stays free while a large or hostile upload is read
 * (about 1.6 s of CPU at the 8 MiB pattern budget). A worker that errors, exits or does not answer
 * within the timeout fails that upload alone (EAUDITWORKER, 500) and is replaced for the next.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { AuditFile } from '../audit/types';
import { auditReportSchema, type AuditReport } from '../schema/audit-report';
import { builtWorkerPath } from '../sandbox/built-worker';
import { SkillsError } from '../schema/errors';

export interface AuditPoolOptions {
  /** Worker threads at most (default: 2, or 1 on a single core). */
  size?: number;
  /** The worker script (the built `audit-worker.js` by default). */
  workerFile?: string;
  /** Longest one audit may take before its worker is terminated (default 60 s). */
  timeoutMs?: number;
}

interface Job {
  id: number;
  files: readonly AuditFile[];
  resolve: (report: AuditReport) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  job: Job | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export function auditWorkerPath(): string {
  const found = builtWorkerPath('audit-worker.js');
  if (found) return found;
  throw new SkillsError('EAUDITWORKER', 'the audit worker (dist/audit-worker.js) is missing', { hint: 'run `npm run build`', status: 500 });
}

function failed(why: string): SkillsError {
  return new SkillsError('EAUDITWORKER', `the registry could not audit this upload: ${why}; nothing was published`, { status: 500, hint: 'try again; if it keeps failing, tell the registry operator' });
}

export class AuditPool {
  readonly size: number;
  readonly #workerFile: string;
  readonly #timeoutMs: number;
  readonly #slots: Slot[] = [];
  readonly #queue: Job[] = [];
  #nextId = 1;
  #closed = false;

  constructor(options: AuditPoolOptions = {}) {
    this.size = options.size ?? Math.min(2, Math.max(1, os.availableParallelism()));
    this.#workerFile = options.workerFile ?? auditWorkerPath();
    this.#timeoutMs = options.timeoutMs ?? 60_000;
  }

  /** The audit report of `files`, computed on a worker thread. */
  audit(files: readonly AuditFile[]): Promise<AuditReport> {
    if (this.#closed) return Promise.reject(failed('the registry is shutting down'));
    return new Promise((resolve, reject) => {
      this.#queue.push({ id: this.#nextId++, files, resolve, reject });
      this.#dispatch();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#queue.splice(0)) job.reject(failed('the registry is shutting down'));
    const slots = this.#slots.splice(0);
    for (const slot of slots) {
      if (slot.timer) clearTimeout(slot.timer);
      slot.job?.reject(failed('the registry is shutting down'));
    }
    await Promise.all(slots.map((s) => s.worker.terminate().catch(() => undefined)));
  }

  /** Hands queued jobs to idle (or new) workers. Never throws: it runs from events and timers. */
  #dispatch(): void {
    while (this.#queue.length > 0 && !this.#closed) {
      let slot = this.#slots.find((s) => s.job === undefined);
      if (!slot && this.#slots.length < this.size) {
        try {
          slot = this.#spawn();
        } catch (error) {
          if (this.#slots.length === 0) for (const job of this.#queue.splice(0)) job.reject(failed(`no audit worker could start (${error instanceof Error ? error.message : String(error)})`));
          return;
        }
      }
      if (!slot) return;
      const job = this.#queue.shift() as Job;
      this.#start(slot, job);
    }
  }

  #start(slot: Slot, job: Job): void {
    slot.job = job;
    slot.worker.ref();
    slot.timer = setTimeout(() => this.#lose(slot, `it did not finish within ${this.#timeoutMs} ms`), this.#timeoutMs);
    try {
      slot.worker.postMessage({ id: job.id, files: job.files });
    } catch (error) {
      this.#finish(slot);
      job.reject(failed(`the files could not be sent to the audit worker (${error instanceof Error ? error.message : String(error)})`));
    }
  }

  /** Frees a slot after its job settled. */
  #finish(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = undefined;
    slot.job = undefined;
    slot.worker.unref();
  }

  #spawn(): Slot {
    const worker = new Worker(this.#workerFile);
    const slot: Slot = { worker, job: undefined, timer: undefined };
    worker.on('message', (message: { id?: number; report?: unknown; error?: string }) => {
      const job = slot.job;
      if (!job || message?.id !== job.id) return;
      this.#finish(slot);
      const parsed = auditReportSchema.safeParse(message.report);
      if (parsed.success) job.resolve(parsed.data);
      else job.reject(failed(message.error ?? 'the audit worker answered with something that is not a report'));
      this.#dispatch();
    });
    worker.on('messageerror', () => this.#lose(slot, 'its report could not be read'));
    worker.on('error', (error) => this.#lose(slot, `the audit worker failed (${error.message})`));
    worker.on('exit', (code) => this.#lose(slot, `the audit worker exited with code ${code}`));
    // After the listeners: adding a 'message' listener refs the worker again.
    worker.unref();
    this.#slots.push(slot);
    return slot;
  }

  /** A worker failed, exited or timed out: its job fails, the worker goes, the next job gets a new one. */
  #lose(slot: Slot, why: string): void {
    const index = this.#slots.indexOf(slot);
    if (index === -1) return;
    this.#slots.splice(index, 1);
    const job = slot.job;
    if (slot.timer) clearTimeout(slot.timer);
    slot.job = undefined;
    slot.worker.terminate().catch(() => undefined);
    job?.reject(failed(why));
    this.#dispatch();
  }
}
