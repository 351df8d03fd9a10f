/**
 * The one worker-thread pool behind the sandbox's cases and the registry's audits: replies settle
 * their jobs, a worker past its timeout is terminated and replaced, closing rejects what is left,
 * and a settling callback that throws rejects its job instead of escaping from an event handler.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ThreadPool, type ThreadFailure, type ThreadPoolSpec } from '../sandbox/thread-pool';
import { tempDir } from '../testkit/temp';

interface Job {
  n: number;
  mode: 'double' | 'stall' | 'exit' | 'error';
  timeoutMs: number;
}

let dir: string;
let workerFile: string;

beforeAll(async () => {
  dir = await tempDir('thread-pool');
  workerFile = path.join(dir, 'worker.mjs');
  await fs.writeFile(
    workerFile,
    `import { parentPort } from 'node:worker_threads';
parentPort.on('message', ({ id, job }) => {
  if (job.mode === 'stall') Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  if (job.mode === 'exit') process.exit(5);
  if (job.mode === 'error') parentPort.postMessage({ id, error: 'no can do' });
  else parentPort.postMessage({ id, report: job.n * 2 });
});
`,
  );
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** A pool whose failures reject with the failure's kind as the message. */
function pool(size: number, overrides: Partial<ThreadPoolSpec<Job, number>> = {}): ThreadPool<Job, number> {
  return new ThreadPool<Job, number>({
    size,
    workerFile,
    message: (job) => ({ job }),
    timeoutMs: (job) => job.timeoutMs,
    answer: (_job, reply) => (typeof reply.report === 'number' ? { ok: true, value: reply.report } : { ok: false, error: new Error(`answer: ${reply.error}`) }),
    failed: (_job, failure: ThreadFailure) => ({ ok: false, error: new Error(failure.kind === 'exit' ? `exit ${failure.code}` : failure.kind) }),
    closed: (when) => new Error(`closed: ${when}`),
    ...overrides,
  });
}

const job = (n: number, mode: Job['mode'] = 'double', timeoutMs = 60_000): Job => ({ n, mode, timeoutMs });

describe('ThreadPool', () => {
  it('settles each job with its own reply, at most `size` workers', async () => {
    const threads = pool(2);
    try {
      expect(await Promise.all([1, 2, 3, 4, 5].map((n) => threads.run(job(n))))).toEqual([2, 4, 6, 8, 10]);
      expect(threads.workers).toBeLessThanOrEqual(2);
      await expect(threads.run(job(1, 'error'))).rejects.toThrow('answer: no can do');
    } finally {
      await threads.close();
    }
  });

  it('terminates a worker past its timeout, fails that job alone, and runs the next on a new worker', async () => {
    const threads = pool(1);
    try {
      const [stalled, next] = await Promise.allSettled([threads.run(job(1, 'stall', 50)), threads.run(job(2))]);
      expect(stalled).toMatchObject({ status: 'rejected', reason: { message: 'timeout' } });
      expect(next).toEqual({ status: 'fulfilled', value: 4 });
      expect(threads.workers).toBe(1);
    } finally {
      await threads.close();
    }
  });

  it('replaces a worker that exits mid-job', async () => {
    const threads = pool(1);
    try {
      const [exited, next] = await Promise.allSettled([threads.run(job(1, 'exit')), threads.run(job(3))]);
      expect(exited).toMatchObject({ status: 'rejected', reason: { message: 'exit 5' } });
      expect(next).toEqual({ status: 'fulfilled', value: 6 });
    } finally {
      await threads.close();
    }
  });

  it('rejects a callback that throws instead of throwing from the event handler, and keeps serving', async () => {
    let calls = 0;
    const threads = pool(1, {
      answer: (_job, reply) => {
        if (calls++ === 0) throw new Error('the answer could not be read');
        return { ok: true, value: reply.report as number };
      },
    });
    try {
      await expect(threads.run(job(1))).rejects.toThrow('the answer could not be read');
      expect(await threads.run(job(4))).toBe(8);
    } finally {
      await threads.close();
    }
  });

  it('rejects jobs running or queued when it closes, and jobs sent after', async () => {
    const threads = pool(1);
    const settled = (p: Promise<number>) => p.then((value) => ({ value }), (error: unknown) => ({ rejected: (error as Error).message }));
    const running = settled(threads.run(job(1, 'stall')));
    const queued = settled(threads.run(job(2)));
    await threads.close();
    expect(await running).toEqual({ rejected: 'closed: cancelled' });
    expect(await queued).toEqual({ rejected: 'closed: cancelled' });
    await expect(threads.run(job(3))).rejects.toThrow('closed: refused');
    threads.warm();
    expect(threads.workers).toBe(0);
  });

  it('fails every job when no worker can start, instead of hanging', async () => {
    const threads = pool(2, { workerFile: path.join(dir, 'missing.mjs') });
    try {
      const results = await Promise.allSettled([threads.run(job(1)), threads.run(job(2))]);
      expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    } finally {
      await threads.close();
    }
  });
});
