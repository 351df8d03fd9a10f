/**
 * A pool of worker threads that each run one job at a time: the one pool behind the sandbox's case
 * runner (sandbox/pool.ts) and the registry's audit of uploads (registry-server/audit-pool.ts).
 */
import { Worker } from 'node:worker_threads';

/** What a worker posts back for the job `id`; `{ loaded: true }`, once, when its script has loaded (see probe()). */
export interface WorkerReply {
  id?: number;
  report?: unknown;
  error?: string;
  loaded?: true;
}

/** The message a worker posts once its script (and everything it imports) has loaded. */
export const WORKER_LOADED: WorkerReply = { loaded: true };

/** Why a job failed in the pool rather than in its worker's own code. */
export type ThreadFailure =
  /** No worker could start (and none is alive to take the job later). */
  | { kind: 'start'; cause: string }
  /** The job could not be posted (e.g. DataCloneError); the worker is kept. */
  | { kind: 'send'; cause: string }
  /** The reply could not be deserialized on this thread; the worker is kept. */
  | { kind: 'unreadable'; cause: string }
  /** The worker threw an uncaught error; it is replaced. */
  | { kind: 'error'; cause: string }
  /** The worker exited; it is replaced. */
  | { kind: 'exit'; code: number }
  /** The worker did not answer within `ms`; it is terminated and replaced. */
  | { kind: 'timeout'; ms: number };

/** How a job settles: with a value, or rejected with an error. */
export type Settled<R> = { ok: true; value: R } | { ok: false; error: Error };

/** What the pool needs from its user: where the worker is, what it is sent and how answers and failures settle. */
export interface ThreadPoolSpec<J, R> {
  /** Worker threads at most. */
  size: number;
  workerFile: string;
  /** The message posted for a job (the pool adds its `id`). */
  message: (job: J) => object;
  /** Longest a job's worker may take before it is terminated. */
  timeoutMs: (job: J) => number;
  /** What a worker's reply settles its job with. */
  answer: (job: J, reply: WorkerReply) => Settled<R>;
  /** What a job that failed in the pool settles with. */
  failed: (job: J, failure: ThreadFailure) => Settled<R>;
  /** The error for a job sent to a closed pool (`refused`), or still queued or running when it closed (`cancelled`). */
  closed: (when: 'refused' | 'cancelled') => Error;
}

interface Pending<J, R> {
  id: number;
  job: J;
  resolve: (value: R) => void;
  reject: (error: Error) => void;
}

interface Slot<J, R> {
  worker: Worker;
  pending: Pending<J, R> | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Whether the worker posted WORKER_LOADED. */
  loaded: boolean;
  /** Settles when it loads (or rejects when it is lost first); for probe(). */
  started: Promise<void>;
  onLoaded: () => void;
  onLost: (error: Error) => void;
}

/** What a pool has done so far, read by the registry's metrics. */
export interface ThreadPoolStats {
  /** Worker threads at most. */
  size: number;
  /** Live worker threads, busy or idle. */
  workers: number;
  busy: number;
  /** Jobs waiting for a worker. */
  queued: number;
  /** Worker threads started since the pool was made. */
  started: number;
  /** Jobs settled by a worker's reply. */
  answered: number;
  /** Jobs that failed in the pool, by kind (a worker that failed while idle counts too). */
  failures: Record<ThreadFailure['kind'], number>;
}

/** What a registry's readiness check and metrics need of a pool. */
export interface PoolWatch {
  stats(): ThreadPoolStats;
  /** Resolves once a worker of the pool has loaded its script (starting one when none is alive). */
  probe(timeoutMs: number): Promise<void>;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Whatever a job does (data that cannot be cloned, a worker that errors, exits or never answers),
 * that job alone fails, its slot is freed or its worker replaced, and nothing is thrown from a
 * timer or an event handler: one hostile upload must not stall or kill the registry. Idle workers
 * never keep the process alive.
 */
export class ThreadPool<J, R> {
  readonly size: number;
  readonly #spec: ThreadPoolSpec<J, R>;
  readonly #slots: Slot<J, R>[] = [];
  readonly #queue: Pending<J, R>[] = [];
  #nextId = 1;
  #closed = false;
  #started = 0;
  #answered = 0;
  readonly #failures: Record<ThreadFailure['kind'], number> = { start: 0, send: 0, unreadable: 0, error: 0, exit: 0, timeout: 0 };

  constructor(spec: ThreadPoolSpec<J, R>) {
    this.#spec = spec;
    this.size = spec.size;
  }

  /** Live worker threads (for health checks and tests). */
  get workers(): number {
    return this.#slots.length;
  }

  get closed(): boolean {
    return this.#closed;
  }

  stats(): ThreadPoolStats {
    const busy = this.#slots.filter((s) => s.pending !== undefined).length;
    return { size: this.size, workers: this.#slots.length, busy, queued: this.#queue.length, started: this.#started, answered: this.#answered, failures: { ...this.#failures } };
  }

  /**
   * Resolves once a worker of this pool has loaded its script: at once when one has, else when a
   * starting one does (one is started when none is alive, and stays for the next job). Rejects
   * with why not: the pool is closed, no worker can start, or none loaded within `timeoutMs`. A
   * worker script that never posts WORKER_LOADED never satisfies it.
   */
  async probe(timeoutMs: number): Promise<void> {
    if (this.#closed) throw this.#spec.closed('refused');
    if (this.#slots.some((s) => s.loaded)) return;
    const slot = this.#slots[0] ?? this.#spawnForProbe();
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        slot.started,
        new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => reject(new Error(`no worker loaded within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  #spawnForProbe(): Slot<J, R> {
    try {
      return this.#spawn();
    } catch (error) {
      this.#failures.start++;
      throw new Error(`no worker could start: ${messageOf(error)}`);
    }
  }

  run(job: J): Promise<R> {
    if (this.#closed) return Promise.reject(this.#spec.closed('refused'));
    return new Promise((resolve, reject) => {
      this.#queue.push({ id: this.#nextId++, job, resolve, reject });
      this.#dispatch();
    });
  }

  /** Starts every worker now. Never throws: a worker that cannot start is reported when a job needs it. */
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
    for (const slot of slots) {
      const pending = slot.pending;
      this.#free(slot);
      pending?.reject(this.#spec.closed('cancelled'));
    }
    for (const pending of this.#queue.splice(0)) pending.reject(this.#spec.closed('cancelled'));
    await Promise.all(slots.map((s) => s.worker.terminate().catch(() => undefined)));
  }

  /** Hands queued jobs to free (or new) workers. Never throws: it runs from timers and events. */
  #dispatch(): void {
    while (this.#queue.length > 0 && !this.#closed) {
      let slot = this.#slots.find((s) => s.pending === undefined);
      if (!slot && this.#slots.length < this.size) {
        try {
          slot = this.#spawn();
        } catch (error) {
          // No worker can start: fail what would wait forever, keep what a live worker will take.
          if (this.#slots.length === 0) {
            this.#failures.start++;
            const cause = messageOf(error);
            for (const pending of this.#queue.splice(0)) this.#settle(pending, () => this.#spec.failed(pending.job, { kind: 'start', cause }));
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

  #start(slot: Slot<J, R>, pending: Pending<J, R>): void {
    slot.pending = pending;
    slot.worker.ref();
    try {
      const ms = this.#spec.timeoutMs(pending.job);
      slot.timer = setTimeout(() => this.#lose(slot, { kind: 'timeout', ms }), ms);
      slot.worker.postMessage({ id: pending.id, ...this.#spec.message(pending.job) });
    } catch (error) {
      // Nothing was sent: the worker is fine, the job is not.
      this.#failures.send++;
      this.#free(slot);
      this.#settle(pending, () => this.#spec.failed(pending.job, { kind: 'send', cause: messageOf(error) }));
    }
  }

  /** Frees a slot whose job settled (or is about to). */
  #free(slot: Slot<J, R>): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = undefined;
    slot.pending = undefined;
    slot.worker.unref();
  }

  /** Settles a job with what `outcome` says; an outcome that throws rejects it with that error. */
  #settle(pending: Pending<J, R>, outcome: () => Settled<R>): void {
    let settled: Settled<R>;
    try {
      settled = outcome();
    } catch (error) {
      settled = { ok: false, error: error instanceof Error ? error : new Error(String(error)) };
    }
    if (settled.ok) pending.resolve(settled.value);
    else pending.reject(settled.error);
  }

  #spawn(): Slot<J, R> {
    const worker = new Worker(this.#spec.workerFile);
    let onLoaded = () => {};
    let onLost: (error: Error) => void = () => {};
    const started = new Promise<void>((resolve, reject) => {
      onLoaded = resolve;
      onLost = reject;
    });
    // Nobody may be waiting for it.
    started.catch(() => undefined);
    const slot: Slot<J, R> = { worker, pending: undefined, timer: undefined, loaded: false, started, onLoaded, onLost };
    this.#started++;
    worker.on('message', (reply: WorkerReply | undefined) => {
      if (reply?.loaded === true && reply.id === undefined) {
        slot.loaded = true;
        slot.onLoaded();
        return;
      }
      const pending = slot.pending;
      if (!pending || reply?.id !== pending.id) return;
      this.#answered++;
      this.#free(slot);
      this.#settle(pending, () => this.#spec.answer(pending.job, reply));
      this.#dispatch();
    });
    // A reply that cannot be deserialized here (e.g. nested past this thread's stack) is dropped
    // by Node with this event: the job fails, the worker is fine.
    worker.on('messageerror', (error) => {
      const pending = slot.pending;
      if (!pending) return;
      this.#failures.unreadable++;
      this.#free(slot);
      this.#settle(pending, () => this.#spec.failed(pending.job, { kind: 'unreadable', cause: messageOf(error) }));
      this.#dispatch();
    });
    worker.on('error', (error) => this.#lose(slot, { kind: 'error', cause: messageOf(error) }));
    worker.on('exit', (code) => this.#lose(slot, { kind: 'exit', code }));
    // After the listeners: adding a 'message' listener refs the worker again, and an idle worker
    // (one warm() started that never got a job) must not keep the process alive.
    worker.unref();
    this.#slots.push(slot);
    return slot;
  }

  /** A worker errored, exited or timed out: its job fails, the worker goes, the next job gets a new one. */
  #lose(slot: Slot<J, R>, failure: ThreadFailure): void {
    const index = this.#slots.indexOf(slot);
    if (index === -1) return;
    this.#slots.splice(index, 1);
    this.#failures[failure.kind]++;
    slot.onLost(new Error(lostBecause(failure)));
    const pending = slot.pending;
    this.#free(slot);
    // An erroring worker may not have stopped yet; a timed-out one is still running.
    slot.worker.terminate().catch(() => undefined);
    if (pending) this.#settle(pending, () => this.#spec.failed(pending.job, failure));
    this.#dispatch();
  }
}

/** Why a worker was lost, in words (for probe()). */
function lostBecause(failure: ThreadFailure): string {
  switch (failure.kind) {
    case 'error':
      return `the worker failed: ${failure.cause}`;
    case 'exit':
      return `the worker exited with code ${failure.code}`;
    case 'timeout':
      return `the worker did not answer within ${failure.ms} ms`;
    default:
      return `the worker failed (${failure.kind}: ${failure.cause})`;
  }
}
