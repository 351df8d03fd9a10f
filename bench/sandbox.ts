/**
 * Sandbox verification figures (issue 3): per-case time for a typical skill with 3 MCP calls,
 * cold (a fresh capped QuickJS module per case) and warm (module reused), cases per second over
 * all cores (one skill of 5 fixtures verified 100 times side by side), and how fast and how cheaply a memory bomb is contained.
 */
import { createReplayBridge } from '../sandbox/bridge';
import { bundleSkill } from '../sandbox/bundle';
import { DEFAULT_SANDBOX_LIMITS } from '../sandbox/limits';
import { InProcessRunner, WorkerPool } from '../sandbox/pool';
import { ModuleCache } from '../sandbox/quickjs';
import { runInSandbox } from '../sandbox/run';
import { MemorySourceTree } from '../sandbox/source-tree';
import { verifySkill } from '../sandbox/verify';
import { skillFiles } from '../testkit/skill-files';
import { machine, ms, saveResults, summary } from './stats';

const CODE = `import { searchNodes, openNodes, createEntities } from '../../servers/memory';
export async function enrich(input: { query: string }) {
  const found = await searchNodes({ query: input.query });
  const names = found.entities.map((e: { name: string }) => e.name);
  const opened = await openNodes({ names });
  const created = await createEntities({ entities: [{ name: input.query + '-summary', entityType: 'summary', observations: [String(opened.entities.length)] }] });
  return { names, created: created.entities.length };
}`;

function fixture(i: number) {
  const query = `q${i}`;
  return {
    call: { export: 'enrich', args: [{ query }] },
    mcp: [
      { server: 'memory', tool: 'search_nodes', arguments: { query }, result: { content: [{ type: 'text', text: '...' }], structuredContent: { entities: [{ name: `${query}-a` }, { name: `${query}-b` }], relations: [] } } },
      { server: 'memory', tool: 'open_nodes', arguments: { names: [`${query}-a`, `${query}-b`] }, result: { content: [{ type: 'text', text: '...' }], structuredContent: { entities: [{ name: `${query}-a` }, { name: `${query}-b` }], relations: [] } } },
      {
        server: 'memory',
        tool: 'create_entities',
        arguments: { entities: [{ name: `${query}-summary`, entityType: 'summary', observations: ['2'] }] },
        result: { content: [{ type: 'text', text: '...' }], structuredContent: { entities: [{ name: `${query}-summary` }] } },
      },
    ],
    expect: { returns: { names: [`${query}-a`, `${query}-b`], created: 1 } },
  };
}

const fixtures = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`case-${i}`, fixture(i)]));
const files = skillFiles({ name: 'enrich', code: CODE, mcp: { memory: ['search_nodes', 'open_nodes', 'create_entities'] }, fixtures });

console.log(`machine: ${machine()}`);

const firstStart = performance.now();
const first = await verifySkill({ files }, { runner: new InProcessRunner(), cases: ['case-0'] });
console.log(`first case in a fresh process (wasm compile + bundle + run): ${ms(performance.now() - firstStart)} ${first.ok ? '' : 'FAILED'}`);

const bundle = await bundleSkill({ tree: new MemorySourceTree({ enrich: files }), folder: 'enrich', entry: 'index.ts' });
const f0 = fixture(0);
const limits = DEFAULT_SANDBOX_LIMITS;
async function oneCase(cache: ModuleCache): Promise<number> {
  const bridge = createReplayBridge(f0.mcp, bundle.declared);
  const outcome = await runInSandbox(cache, { code: bundle.code, exportName: 'enrich', args: f0.call.args, bridge, mode: 'replay', limits });
  if (outcome.status !== 'returned') throw new Error(`case failed: ${JSON.stringify(outcome)}`);
  return outcome.durationMs;
}
const cold: number[] = [];
for (let i = 0; i < 200; i++) cold.push(await oneCase(new ModuleCache()));
const warmCache = new ModuleCache();
for (let i = 0; i < 50; i++) await oneCase(warmCache);
const warm: number[] = [];
for (let i = 0; i < 2000; i++) warm.push(await oneCase(warmCache));
const c = summary(cold);
const w = summary(warm);
console.log(`per case, 3 MCP calls, cold (fresh 64 MiB-capped module): p50 ${ms(c.p50)}, p99 ${ms(c.p99)} (n=${c.n})`);
console.log(`per case, 3 MCP calls, warm (module reused):              p50 ${ms(w.p50)}, p99 ${ms(w.p99)} (n=${w.n})`);

const bundleTimes: number[] = [];
for (let i = 0; i < 50; i++) bundleTimes.push((await bundleSkill({ tree: new MemorySourceTree({ enrich: files }), folder: 'enrich', entry: 'index.ts' })).durationMs);
const b = summary(bundleTimes);
console.log(`bundle (esbuild, in memory, warm service): p50 ${ms(b.p50)}, p99 ${ms(b.p99)}`);

const pool = new WorkerPool();
await Promise.all(Array.from({ length: pool.size * 4 }, () => verifySkill({ files }, { runner: pool })));
const throughputStart = performance.now();
const rounds = 100;
const reports = await Promise.all(Array.from({ length: rounds }, () => verifySkill({ files }, { runner: pool })));
const elapsed = performance.now() - throughputStart;
const casesRun = reports.reduce((n, r) => n + r.cases.length, 0);
console.log(`one skill (5 fixtures) verified 100 times side by side on ${pool.size} workers: ${ms(elapsed)} total, ${(casesRun / (elapsed / 1000)).toFixed(0)} cases/s, all ok: ${reports.every((r) => r.ok)}`);
await pool.close();

const bomb = skillFiles({ name: 'bomb', code: 'export function run() { const a = []; for (;;) a.push({ i: a.length, s: "x" }); }', fixtures: { c: { call: { export: 'run', args: [] }, expect: { returns: null } } } });
(globalThis as { gc?: () => void }).gc?.();
const rssBefore = process.memoryUsage().rss;
const bombStart = performance.now();
let peak = rssBefore;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
const bombReport = await verifySkill({ files: bomb }, { runner: new InProcessRunner() });
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage().rss);
const bombMs = performance.now() - bombStart;
console.log(`memory bomb (many small objects): ${bombReport.cases[0]?.code} in ${ms(bombMs)}, RSS growth ${((peak - rssBefore) / 2 ** 20).toFixed(0)} MiB`);
await saveResults('sandbox', { coldP50Ms: c.p50, coldP99Ms: c.p99, warmP50Ms: w.p50, warmP99Ms: w.p99, bundleP50Ms: b.p50, casesPerSecond: casesRun / (elapsed / 1000), hundredSkillsMs: elapsed, bombCode: bombReport.cases[0]?.code, bombMs, bombRssGrowthMiB: (peak - rssBefore) / 2 ** 20 });
