import { afterAll, describe, expect, it } from 'vitest';
import { createReplayBridge } from '../sandbox/bridge';
import { bundleSkill } from '../sandbox/bundle';
import { DEFAULT_SANDBOX_LIMITS } from '../sandbox/limits';
import { InProcessRunner, WorkerPool } from '../sandbox/pool';
import { ModuleCache } from '../sandbox/quickjs';
import { runInSandbox } from '../sandbox/run';
import { MemorySourceTree } from '../sandbox/source-tree';
import { verifySkill } from '../sandbox/verify';
import { skillFiles, textResult } from '../testkit/skill-files';
import { HOSTILE_SKILLS, hostileFiles } from './hostile/skills';

const runner = new InProcessRunner();
afterAll(() => runner.close());

const GOOD = skillFiles({
  name: 'good',
  code: `import { echo } from '../../servers/everything';
export async function greet(input: { name: string }) {
  const text = await echo({ message: 'Hello, ' + input.name + '!' });
  return { greeting: text };
}`,
  mcp: { everything: ['echo'] },
  fixtures: {
    ada: {
      call: { export: 'greet', args: [{ name: 'Ada' }] },
      mcp: [{ server: 'everything', tool: 'echo', arguments: { message: 'Hello, Ada!' }, result: textResult('Echo: Hello, Ada!') }],
      expect: { returns: { greeting: 'Echo: Hello, Ada!' } },
    },
  },
});

async function expectGoodPasses(): Promise<void> {
  const report = await verifySkill({ files: GOOD }, { runner });
  expect(report.ok, JSON.stringify(report.cases)).toBe(true);
}

describe('sandbox verification', () => {
  it('passes a skill whose calls and return match its fixture', async () => {
    const report = await verifySkill({ files: GOOD }, { runner });
    expect(report.ok, JSON.stringify(report.cases)).toBe(true);
    expect(report.cases[0]).toMatchObject({ case: 'ada', status: 'passed', calls: { made: 1, recorded: 1 } });
    expect(report.cases[0]!.memoryBytes).toBeGreaterThan(0);
  });

  it('converts results per DESIGN.md: structuredContent, parsed JSON text, plain text, isError', async () => {
    const files = skillFiles({
      code: `import { a, b, c, d } from '../../servers/s';
export async function run() {
  let err = '';
  try { await d({}); } catch (e) { err = (e as Error).name + ': ' + (e as Error).message; }
  return { a: await a({}), b: await b({}), c: await c({}), err };
}`,
      mcp: { s: ['a', 'b', 'c', 'd'] },
      fixtures: {
        all: {
          call: { export: 'run', args: [] },
          mcp: [
            { server: 's', tool: 'd', arguments: {}, result: { content: [{ type: 'text', text: 'boom' }], isError: true } },
            { server: 's', tool: 'a', arguments: {}, result: { content: [{ type: 'text', text: 'ignored' }], structuredContent: { x: 1 } } },
            { server: 's', tool: 'b', arguments: {}, result: textResult('{"n":[1,2]}') },
            { server: 's', tool: 'c', arguments: {}, result: textResult('plain words') },
          ],
          expect: { returns: { a: { x: 1 }, b: { n: [1, 2] }, c: 'plain words', err: 'McpToolError: boom' } },
        },
      },
    });
    const report = await verifySkill({ files }, { runner });
    expect(report.cases[0], JSON.stringify(report.cases[0])).toMatchObject({ status: 'passed' });
  });

  it('matches arguments canonically (key order, _meta ignored) and each recorded call once', async () => {
    const files = skillFiles({
      code: `import { echo } from '../../servers/everything';
export async function run() {
  const one = await echo({ b: 2, a: 1, _meta: { progressToken: 7 } });
  const two = await echo({ a: 1, b: 2 });
  return [one, two];
}`,
      mcp: { everything: ['echo'] },
      fixtures: {
        twice: {
          call: { export: 'run', args: [] },
          mcp: [
            { server: 'everything', tool: 'echo', arguments: { a: 1, b: 2 }, result: textResult('first') },
            { server: 'everything', tool: 'echo', arguments: { a: 1, b: 2 }, result: textResult('second') },
          ],
          expect: { returns: ['first', 'second'] },
        },
      },
    });
    expect((await verifySkill({ files }, { runner })).ok).toBe(true);
  });

  it('has no process, require, fetch or WebAssembly; virtual time and seeded randomness, different in every replay', async () => {
    const files = skillFiles({
      code: `export async function run() {
  const start = Date.now();
  await new Promise((r) => setTimeout(r, 10 * 60 * 1000));
  const afterWait = Date.now();
  let x = 0;
  for (let i = 0; i < 2e6; i++) x += i;
  return {
    globals: [typeof process, typeof (globalThis as any).require, typeof fetch, typeof WebAssembly, typeof (globalThis as any).__host_call],
    start,
    now: new Date(afterWait).toISOString(),
    waited: afterWait - start,
    workedMs: Date.now() - afterWait,
    random: [Math.random(), Math.random()].map((n) => Math.floor(n * 1e6)),
  };
}`,
      fixtures: { env: { call: { export: 'run', args: [] }, expect: { returns: null } } },
    });
    const before = Date.now();
    // Not a deadline test: the work loop must not meet the 1 s case limit on a loaded machine.
    const limits = { ...DEFAULT_SANDBOX_LIMITS, timeoutMs: 60_000 };
    const first = await verifySkill({ files }, { runner, limits });
    const second = await verifySkill({ files }, { runner, limits });
    type Value = { globals: string[]; start: number; now: string; waited: number; workedMs: number; random: number[] };
    const [a, b] = [first.cases[0]!, second.cases[0]!];
    const value = a.returned as Value;
    expect(value.globals).toEqual(['undefined', 'undefined', 'undefined', 'undefined', 'undefined']);
    // Ten minutes of virtual time pass without waiting them (600,000 ms of real time).
    expect(value.waited).toBe(600000);
    expect(a.durationMs).toBeLessThan(20_000);
    // Time also moves with the work done, as it would live, deterministically.
    expect(value.workedMs).toBeGreaterThan(0);
    // The clock starts at the case's random epoch: a real-looking date within a year of now.
    expect(value.start).toBeGreaterThanOrEqual(a.clock!.epochMs);
    expect(value.start - a.clock!.epochMs).toBeLessThan(1000);
    expect(Math.abs(value.start - before)).toBeLessThan(366 * 24 * 3600 * 1000);
    // Another replay: another epoch and another Math.random sequence (a skill cannot tell a
    // verification by a constant clock or sequence and behave well only then).
    const other = b.returned as Value;
    expect(b.clock!.epochMs).not.toBe(a.clock!.epochMs);
    expect(other.start).not.toBe(value.start);
    expect(other.random).not.toEqual(value.random);
  });

  it('is deterministic and monotonic within a run: the same clock gives the same values', async () => {
    const files = skillFiles({
      code: `export async function run() {
  const seen: number[] = [];
  for (let round = 0; round < 5; round++) {
    for (let i = 0; i < 3e5; i++) Math.sqrt(i);
    seen.push(Date.now());
    await new Promise((r) => setTimeout(r, 7));
  }
  return { seen, random: Math.random() };
}`,
      fixtures: { c: { call: { export: 'run', args: [] }, expect: { returns: null } } },
    });
    const bundle = await bundleSkill({ tree: new MemorySourceTree({ probe: files }), folder: 'probe', entry: 'index.ts' });
    const cache = new ModuleCache();
    const run = () =>
      runInSandbox(cache, { code: bundle.code, exportName: 'run', args: [], bridge: createReplayBridge([]), mode: 'replay', limits: { ...DEFAULT_SANDBOX_LIMITS, timeoutMs: 60_000 }, clock: { epochMs: Date.UTC(2026, 2, 3), seed: 42 } });
    const [one, two] = [await run(), await run()];
    expect(one.status).toBe('returned');
    expect(two).toMatchObject({ status: 'returned', value: (one as { value: unknown }).value });
    const seen = ((one as { value: { seen: number[] } }).value).seen;
    for (let i = 1; i < seen.length; i++) expect(seen[i]! - seen[i - 1]!).toBeGreaterThanOrEqual(7);
    expect(seen[0]).toBeGreaterThanOrEqual(Date.UTC(2026, 2, 3));
  });

  it('does not let prototype pollution in one case leak into the next', async () => {
    const files = skillFiles({
      code: `export function pollute() { (Object.prototype as any).polluted = 'yes'; Array.prototype.push = () => 0; return 'done'; }
export function check() { return { polluted: ({} as any).polluted ?? null, push: [1].push(2) }; }`,
      fixtures: {
        a: { call: { export: 'pollute', args: [] }, expect: { returns: 'done' } },
        b: { call: { export: 'check', args: [] }, expect: { returns: { polluted: null, push: 2 } } },
      },
    });
    const report = await verifySkill({ files }, { runner });
    expect(report.cases.map((c) => c.status)).toEqual(['passed', 'passed']);
  });

  it('checks expect.throws against the message', async () => {
    const files = skillFiles({
      code: `export function run(n: number) { if (n < 0) throw new RangeError('n must be positive, got ' + n); return n; }`,
      fixtures: {
        ok: { call: { export: 'run', args: [-1] }, expect: { throws: 'must be positive' } },
        wrong: { call: { export: 'run', args: [-1] }, expect: { throws: 'something else' } },
        none: { call: { export: 'run', args: [1] }, expect: { throws: 'must be positive' } },
      },
    });
    const report = await verifySkill({ files }, { runner });
    expect(report.cases.map((c) => [c.case, c.status, c.code])).toEqual([
      ['none', 'failed', 'EWRONGTHROW'],
      ['ok', 'passed', undefined],
      ['wrong', 'failed', 'EWRONGTHROW'],
    ]);
  });

  it('replays recorded calls in constant time each: 5,000 calls cost about 10x 500, not 100x', async () => {
    const fixtureWith = (n: number) => {
      const mcp = Array.from({ length: n }, (_, i) => ({ server: 'everything', tool: 'echo', arguments: { message: `m${i}` }, result: textResult(`Echo: m${i}`) }));
      return skillFiles({
        code: `import { echo } from '../../servers/everything';
export async function run(n: number) { let last = ''; for (let i = 0; i < n; i++) last = await echo({ message: 'm' + i }); return last; }`,
        mcp: { everything: ['echo'] },
        fixtures: { many: { call: { export: 'run', args: [n] }, mcp, expect: { returns: `Echo: m${n - 1}` } } },
      });
    };
    // Ratios of the fastest of three runs, taken in one process: load slows both sides alike.
    const fastest = async (n: number) => {
      const files = fixtureWith(n);
      let best = Infinity;
      for (let i = 0; i < 3; i++) {
        const report = await verifySkill({ files }, { runner });
        expect(report.cases[0], report.cases[0]?.message).toMatchObject({ status: 'passed', calls: { made: n, recorded: n } });
        best = Math.min(best, report.cases[0]!.durationMs);
      }
      return best;
    };
    const small = await fastest(500);
    const large = await fastest(5000);
    expect(large).toBeLessThan(small * 40);
  });

  it('gives a readable diff for a wrong return value', async () => {
    const skill = HOSTILE_SKILLS.find((s) => s.name === 'wrong-return')!;
    const report = await verifySkill({ files: hostileFiles(skill) }, { runner });
    expect(report.cases[0]!.diff).toBe('$.rows: expected 5, got 4');
  });
});

describe('hostile skills fail with their code and leave the host healthy', () => {
  for (const skill of HOSTILE_SKILLS) {
    it(`${skill.name} -> ${skill.code}`, async () => {
      const rssBefore = process.memoryUsage().rss;
      const started = performance.now();
      const result = await verifySkill({ files: hostileFiles(skill) }, { runner, ...(skill.limits ? { limits: skill.limits } : {}) }).then(
        (report) => ({ code: report.cases[0]?.code, report }),
        (error: { code?: string }) => ({ code: error.code, report: undefined }),
      );
      expect(result.code, JSON.stringify(result.report?.cases[0])).toBe(skill.code);
      // Generous: the point is that the case ends and the host is healthy, on any machine.
      expect(performance.now() - started).toBeLessThan(10_000);
      expect(process.memoryUsage().rss - rssBefore).toBeLessThan(256 * 1024 * 1024);
      await expectGoodPasses();
    });
  }
});

describe('after the whole hostile corpus', () => {
  it('has at least 30 hostile skills, the host stays within 100 MB of where it started, and a normal skill verifies in normal time', async () => {
    expect(HOSTILE_SKILLS.length).toBeGreaterThanOrEqual(30);
    const fresh = new InProcessRunner();
    try {
      const normalTime = async () => {
        let best = Infinity;
        for (let i = 0; i < 3; i++) {
          const started = performance.now();
          expect((await verifySkill({ files: GOOD }, { runner: fresh })).ok).toBe(true);
          best = Math.min(best, performance.now() - started);
        }
        return best;
      };
      await verifySkill({ files: GOOD }, { runner: fresh });
      const timeBefore = await normalTime();
      (globalThis as { gc?: () => void }).gc?.();
      const before = process.memoryUsage().rss;
      for (const skill of HOSTILE_SKILLS) await verifySkill({ files: hostileFiles(skill) }, { runner: fresh, ...(skill.limits ? { limits: skill.limits } : {}) }).catch(() => undefined);
      (globalThis as { gc?: () => void }).gc?.();
      expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);
      // Compared with itself before the corpus (fastest of three), so a loaded machine does not fail it.
      expect(await normalTime()).toBeLessThan(timeBefore * 5 + 50);
    } finally {
      await fresh.close();
    }
  }, 120_000);
});

describe('worker pool', () => {
  it('runs cases in parallel worker threads while the event loop stays free', async () => {
    const pool = new WorkerPool(2);
    try {
      const busy = HOSTILE_SKILLS.find((s) => s.name === 'busy-loop')!;
      // Start both workers first, so the timing below measures the cases, not worker start-up.
      await Promise.all([verifySkill({ files: GOOD }, { runner: pool }), verifySkill({ files: GOOD }, { runner: pool })]);
      let ticks = 0;
      const ticker = setInterval(() => ticks++, 10);
      const started = performance.now();
      const reports = await Promise.all([
        verifySkill({ files: hostileFiles(busy) }, { runner: pool }),
        verifySkill({ files: hostileFiles(busy) }, { runner: pool }),
        verifySkill({ files: GOOD }, { runner: pool }),
      ]);
      const elapsed = performance.now() - started;
      clearInterval(ticker);
      expect(reports.map((r) => r.cases[0]!.code ?? 'passed')).toEqual(['ETIMEOUT', 'ETIMEOUT', 'passed']);
      // Each loop runs until its 1 s deadline (wall time, so load does not shorten it). One after
      // the other they would take their sum; side by side, well under it.
      const [a, b] = reports.map((r) => r.cases[0]!.durationMs) as [number, number];
      expect(elapsed).toBeLessThan((a + b) * 0.85);
      // The host kept ticking meanwhile (a blocked event loop ticks about once).
      expect(ticks).toBeGreaterThan(10);
    } finally {
      await pool.close();
    }
  });

  it('verifies thousands of cases in one process without leaking', async () => {
    const pool = new WorkerPool(2);
    try {
      for (let i = 0; i < 100; i++) await verifySkill({ files: GOOD }, { runner: pool });
      const before = process.memoryUsage().rss;
      const runs = [];
      for (let batch = 0; batch < 20; batch++) {
        runs.push(...(await Promise.all(Array.from({ length: 100 }, () => verifySkill({ files: GOOD }, { runner: pool })))));
      }
      expect(runs.every((r) => r.ok)).toBe(true);
      expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);
    } finally {
      await pool.close();
    }
  }, 120_000);
});

describe('the workspace API', () => {
  it('reads the fixture seed, writes and lists in memory, and refuses paths outside ./workspace or over the cap', async () => {
    const files = skillFiles({
      code: `export async function run() {
  const before = await workspace.read('notes/progress.json');
  await workspace.write('notes/progress.json', JSON.stringify({ step: 2 }));
  const errors: string[] = [];
  for (const bad of ['../escape.txt', '/etc/passwd', 'a/../../b']) {
    try { await workspace.write(bad, 'x'); } catch (e) { errors.push((e as { code: string }).code); }
  }
  try { await workspace.write('big.txt', 'z'.repeat(2 * 1024 * 1024)); } catch (e) { errors.push((e as { code: string }).code); }
  return { before, after: await workspace.read('notes/progress.json'), list: await workspace.list(), errors };
}`,
      fixtures: {
        resume: {
          call: { export: 'run', args: [] },
          workspace: { 'notes/progress.json': '{"step":1}' },
          expect: { returns: { before: '{"step":1}', after: '{"step":2}', list: ['notes/progress.json'], errors: ['EWORKSPACEPATH', 'EWORKSPACEPATH', 'EWORKSPACEPATH', 'EWORKSPACEFULL'] } },
        },
      },
    });
    const report = await verifySkill({ files }, { runner });
    expect(report.cases[0], JSON.stringify(report.cases[0])).toMatchObject({ status: 'passed' });
  });
});
