/**
 * The worker pool survives any job: data that cannot be sent to a worker, a worker that exits or
 * throws mid-case, a worker that never answers. Real worker threads running the built worker;
 * a thin wrapper around it misbehaves on command, so a crash happens at a chosen point.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleSkill } from '../sandbox/bundle';
import { DEFAULT_SANDBOX_LIMITS } from '../sandbox/limits';
import { sandboxWorkerPath, WorkerPool } from '../sandbox/pool';
import { MemorySourceTree } from '../sandbox/source-tree';
import type { CaseJob } from '../sandbox/verify-case';
import type { Fixture } from '../schema/fixture';
import { verifySkill } from '../sandbox/verify';
import { skillFiles } from '../testkit/skill-files';
import { tempDir } from '../testkit/temp';
import { HOSTILE_SKILLS, hostileFiles } from './hostile/skills';

let good: CaseJob;
let dir: string;
let crashingWorker: string;

const FIXTURE: Fixture = { call: { export: 'double', args: [21] }, mcp: [], expect: { returns: 42 } };

beforeAll(async () => {
  const files = skillFiles({ name: 'good', code: 'export function double(n: number) { return n * 2; }', fixtures: { c: FIXTURE } });
  const bundle = await bundleSkill({ tree: new MemorySourceTree({ good: files }), folder: 'good', entry: 'index.ts' });
  // A long deadline: the normal jobs here must never meet the watchdog, however loaded the machine.
  good = { name: 'good', code: bundle.code, fixture: FIXTURE, declared: bundle.declared, limits: { ...DEFAULT_SANDBOX_LIMITS, timeoutMs: 60_000 } };
  dir = await tempDir('pool');
  crashingWorker = path.join(dir, 'crashing-worker.mjs');
  // The real worker is imported first, so its listener sees every job; this one then misbehaves.
  await fs.writeFile(
    crashingWorker,
    `import ${JSON.stringify(pathToFileURL(sandboxWorkerPath()).href)};
import { parentPort } from 'node:worker_threads';
parentPort.on('message', (m) => {
  if (m.job.name === 'exit') process.exit(7);
  if (m.job.name === 'throw') throw new Error('boom in the worker');
  if (m.job.name === 'stall') Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  if (m.job.name === 'deep-report') {
    let o = {};
    for (let i = 0; i < 5000; i++) o = { o };
    parentPort.postMessage({ id: m.id, report: o });
  }
});
`,
  );
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function deepArray(depth: number): unknown {
  return JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`) as unknown;
}

describe('worker pool resilience', () => {
  it('fails a job nested 100,000 deep with EJSONDEPTH, and the same single worker then runs normal jobs', async () => {
    const pool = new WorkerPool(1);
    try {
      const deep = { ...good, name: 'deep', fixture: { ...FIXTURE, call: { export: 'double', args: [deepArray(100_000)] } } };
      const results = await Promise.all([pool.run(deep), pool.run(good), pool.run(deep), pool.run(good)]);
      expect(results.map((r) => r.code ?? r.status)).toEqual(['EJSONDEPTH', 'passed', 'EJSONDEPTH', 'passed']);
      expect(results[0]!.message).toMatch(/nested deeper than 64 levels/);
    } finally {
      await pool.close();
    }
  });

  it('fails a job that structured clone cannot send (postMessage throws) and keeps the slot usable', async () => {
    const pool = new WorkerPool(1);
    try {
      const unsendable = { ...good, name: 'unsendable', fixture: { ...FIXTURE, call: { export: 'double', args: [() => 1] } } } as CaseJob;
      const results = await Promise.all([pool.run(unsendable), pool.run(good), pool.run(good)]);
      expect(results.map((r) => r.code ?? r.status)).toEqual(['ESANDBOXCRASH', 'passed', 'passed']);
      expect(results[0]!.message).toMatch(/could not be sent to a sandbox worker/);
    } finally {
      await pool.close();
    }
  });

  it('replaces a worker that exits mid-case, and the queued job runs on the new one', async () => {
    const pool = new WorkerPool({ size: 1, workerFile: crashingWorker });
    try {
      const results = await Promise.all([pool.run({ ...good, name: 'exit' }), pool.run(good)]);
      expect(results[0]).toMatchObject({ status: 'failed', code: 'ESANDBOXCRASH' });
      expect(results[0]!.message).toMatch(/exited with code 7/);
      expect(results[1]!.status).toBe('passed');
      expect(pool.workers).toBe(1);
    } finally {
      await pool.close();
    }
  });

  it('replaces a worker that throws an uncaught error', async () => {
    const pool = new WorkerPool({ size: 1, workerFile: crashingWorker });
    try {
      const results = await Promise.all([pool.run({ ...good, name: 'throw' }), pool.run(good), pool.run({ ...good, name: 'exit' }), pool.run(good)]);
      expect(results.map((r) => r.code ?? r.status)).toEqual(['ESANDBOXCRASH', 'passed', 'ESANDBOXCRASH', 'passed']);
      expect(results[0]!.message).toMatch(/boom in the worker/);
    } finally {
      await pool.close();
    }
  });

  it('fails a job whose report cannot be read back (messageerror) and keeps the worker', async () => {
    const pool = new WorkerPool({ size: 1, workerFile: crashingWorker });
    try {
      const results = await Promise.all([pool.run({ ...good, name: 'deep-report' }), pool.run(good)]);
      expect(results[0]).toMatchObject({ status: 'failed', code: 'ESANDBOXCRASH' });
      expect(results[0]!.message).toMatch(/report could not be read/);
      expect(results[1]!.status).toBe('passed');
    } finally {
      await pool.close();
    }
  });

  it('fails a skill returning 5,000 levels with EBADRETURN on a worker, not after the watchdog', async () => {
    const pool = new WorkerPool(1);
    try {
      const skill = HOSTILE_SKILLS.find((h) => h.name === 'deep-return')!;
      const files = hostileFiles(skill);
      const [report] = await Promise.all([verifySkill({ files }, { runner: pool, limits: { timeoutMs: 60_000 } }), pool.run(good)]);
      expect(report.cases[0], JSON.stringify(report.cases[0])).toMatchObject({ status: 'failed', code: 'EBADRETURN' });
    } finally {
      await pool.close();
    }
  });

  it('terminates a worker that never answers (watchdog) and runs the next job on a new worker', async () => {
    const pool = new WorkerPool({ size: 1, workerFile: crashingWorker, watchdogGraceMs: 300 });
    try {
      const stall = { ...good, name: 'stall', limits: { ...good.limits, timeoutMs: 10 } };
      const results = await Promise.all([pool.run(stall), pool.run(good)]);
      expect(results[0]).toMatchObject({ status: 'failed', code: 'ETIMEOUT' });
      expect(results[0]!.message).toMatch(/its worker was terminated/);
      expect(results[1]!.status).toBe('passed');
    } finally {
      await pool.close();
    }
  });

  it('fails every job with ESANDBOXCRASH when no worker can start, instead of hanging', async () => {
    const pool = new WorkerPool({ size: 2, workerFile: path.join(dir, 'missing-worker.mjs') });
    try {
      const results = await Promise.all([pool.run(good), pool.run(good), pool.run(good)]);
      expect(results.map((r) => r.code)).toEqual(['ESANDBOXCRASH', 'ESANDBOXCRASH', 'ESANDBOXCRASH']);
    } finally {
      await pool.close();
    }
  });

  it('rejects jobs still running when the pool closes', async () => {
    const pool = new WorkerPool({ size: 1, workerFile: crashingWorker });
    const settled = (p: Promise<unknown>) => p.then((v) => ({ resolved: v }), (error: unknown) => ({ rejected: (error as { code?: string }).code }));
    const running = settled(pool.run({ ...good, name: 'stall' }));
    const queued = settled(pool.run(good));
    await pool.close();
    expect(await running).toEqual({ rejected: 'ESANDBOXCLOSED' });
    expect(await queued).toEqual({ rejected: 'ESANDBOXCLOSED' });
  });
});

describe('warm()', () => {
  it('starts every worker before the first case, and cases run on them', async () => {
    const pool = new WorkerPool({ size: 2 });
    try {
      pool.warm();
      expect(pool.workers).toBe(2);
      pool.warm();
      expect(pool.workers).toBe(2);
      const results = await Promise.all([pool.run(good), pool.run(good), pool.run(good)]);
      expect(results.map((r) => r.status)).toEqual(['passed', 'passed', 'passed']);
      expect(pool.workers).toBe(2);
    } finally {
      await pool.close();
    }
  });

  it('never throws when no worker can start; the first case then fails with ESANDBOXCRASH instead of waiting', async () => {
    const pool = new WorkerPool({ size: 2, workerFile: path.join(dir, 'no-such-worker.mjs') });
    try {
      expect(() => pool.warm()).not.toThrow();
      const report = await pool.run(good);
      expect(report).toMatchObject({ status: 'failed', code: 'ESANDBOXCRASH' });
    } finally {
      await pool.close();
    }
  });

  it('starts nothing once the pool is closed', async () => {
    const pool = new WorkerPool({ size: 2 });
    await pool.close();
    pool.warm();
    expect(pool.workers).toBe(0);
  });
});
