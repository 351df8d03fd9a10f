/**
 * Registry figures (issues 4, 15 and 25), for each storage profile side by side in one run
 * (BENCH_PROFILE=sqlite|postgres|both, default both; bench/lib/registry-profiles.ts), and Verdaccio
 * beside them when VERDACCIO_DIR is set:
 *
 * - publishes/s (each upload unpacked, validated, audited and verified in the sandbox), the same
 *   N skills into each profile, a tenth at a time, the profiles taking turns;
 * - packument and tarball GETs with warm caches: requests/s and p99 at 64 connections, with keys
 *   drawn at random over all N skills for every request, and again for one hot key;
 * - cold reads: the first read of each key by a freshly started registry process on the same
 *   storage (its caches empty; the database's buffers and the OS page cache are not emptied);
 * - search latency over N skills, broad words (matching every skill) included, with the search
 *   cache on and off;
 * - the discovery index, timed on the first request after each write (yank/unyank), checked to
 *   have changed;
 * - the metrics (issue 26): with them on (BENCH_METRICS, default on; `off` runs every registry
 *   without), each load run's requests as the registry counted them (scraped before and after)
 *   beside autocannon's count, and warm packument GETs of two fresh processes on the same storage,
 *   one with the metrics and JSON request logs (to a file) on and one with neither, interleaved:
 *   the overhead of both.
 *
 * Every registry runs in a process of its own (bench/processes/registry.ts); autocannon and every
 * client run here. Each figure is the median of BENCH_REPEAT runs (at least 3) with min and max;
 * the servers take turns within each run, the first one changing from run to run. Every setting
 * that is not the registry's default is printed. BENCH_SKILLS (default 1,000) scales it; the
 * issues' targets are at 10,000. Verdaccio is not a dependency: set VERDACCIO_DIR to a folder
 * where `npm install verdaccio@5.33.0` ran.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pack } from '../tarball/pack';
import { echoSkill } from '../testkit/registry';
import { removeTempDirs } from '../testkit/temp';
import { compareTable, ratios, type Cell, type Column, type CompareRow } from './lib/compare-table';
import { fetchOnceMore, retriedRequests } from './lib/fetch-once-more';
import { load, loadEach, randomKey, type LoadResult } from './lib/load';
import type { RegistryProcess } from './lib/registry-process';
import { benchProfiles, openProfile, PROFILE_LABELS, type BenchProfile, type CpuSample, type ProfileName } from './lib/registry-profiles';
import { BENCH_METRICS_TOKEN, countedRequests, countGap } from './lib/registry-metrics';
import { publishSlice, readAll, type BenchTarball } from './lib/registry-publish';
import { indexRun, searchRun, searchWords, type SearchRun } from './lib/registry-reads';
import { benchSkillFiles } from './lib/skill-text';
import { benchRuns, machine, printSettings, saveResults, spread, summary } from './stats';
import { startVerdaccio, verdaccioPort, writeVerdaccioPackage, type Verdaccio } from './verdaccio';

const SKILLS = Number(process.env.BENCH_SKILLS ?? 1000);
const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const WARMUP = 1;
const CONNECTIONS = 64;
const RUNS = benchRuns();
const HOT = Math.floor(SKILLS / 2);
const SEARCHES = 1000;
const INDEX_WRITES = 30;
const PUBLISH_CONCURRENCY = 8;
const PUBLISH_SLICES = Math.min(10, SKILLS);
/** Keys each cold-read run reads (a random sample when there are more skills): all 10,000 would take a quarter of an hour on this machine. */
const COLD_KEYS = 1000;
const ACCEPT = { 'Accept-Encoding': 'gzip' };
const CONFIG = { publishesPerMinute: 1_000_000 };
/** Within 20% of the SQLite profile: the PostgreSQL profile's requests/s at least 0.8 of it. */
const WARM_TARGET = 0.8;
const PROFILES = benchProfiles();
/** BENCH_METRICS=off runs every registry without metrics (and skips their figures). */
const METRICS = process.env.BENCH_METRICS !== 'off';
/** The main registries' config: with metrics, /-/metrics behind the bench's token. */
const MAIN_CONFIG = METRICS ? { ...CONFIG, metricsToken: BENCH_METRICS_TOKEN } : CONFIG;
/** The metrics may cost at most this much of the packument GETs' rate. */
const METRICS_OVERHEAD_TARGET = 0.05;
/** The registry's count of a run's requests within this of autocannon's, in percent. */
const COUNT_TARGET = 1;

const loadavg = async () => (await fs.readFile('/proc/loadavg', 'utf8').catch(() => os.loadavg().map((x) => x.toFixed(2)).join(' '))).trim();
/** `items` starting at `by` (mod length): who goes first changes from run to run. */
const rotate = <T>(items: readonly T[], by: number): T[] => items.map((_, i) => items[(i + by) % items.length] as T);
/** A Fisher-Yates shuffle. */
function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const loadAverages: { at: string; loadavg: string }[] = [];
const counts: { label: string; counted: number; sent: number; gap: number }[] = [];
async function noteLoad(at: string): Promise<void> {
  const l = await loadavg();
  loadAverages.push({ at, loadavg: l });
  console.log(`load average (${at}): ${l}`);
}

console.log(`machine: ${machine()}`);
await noteLoad('start');
const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'skills-bench-registry-'));
const profiles: BenchProfile[] = [];
const mains = new Map<ProfileName, RegistryProcess>();
const started: RegistryProcess[] = [];
let verdaccio: Verdaccio | undefined;
try {
  for (const name of PROFILES) profiles.push(await openProfile(name, dir));
  const settings = printSettings({
    skills: { value: SKILLS, why: 'BENCH_SKILLS' },
    profiles: { value: PROFILES.join(', '), default: 'sqlite, postgres', why: 'BENCH_PROFILE' },
    ...Object.fromEntries(profiles.map((p) => [`storage (${p.name})`, { value: p.description }])),
    'registry publishesPerMinute': { value: CONFIG.publishesPerMinute, default: 120, why: 'the bench publishes every skill with one token; the rate limit would refuse all but 120 a minute' },
    'registry metrics': { value: METRICS ? 'on: /-/metrics with a token, scraped before and after every load run' : 'off', default: 'off', why: 'BENCH_METRICS: the registry\'s own count of each run beside autocannon\'s, and the metrics\' overhead' },
    'registry other config': { value: 'defaults (packument and tarball caches 64 MiB each, search cache 8 MiB; on PostgreSQL, cached reads rely on change notifications between counter checks at most 1,000 ms apart: --stale-read-ms 1000)' },
    'load generator': { value: `autocannon in the bench process (each registry runs in its own process), ${CONNECTIONS} connections, ${WARMUP} s warm-up + ${DURATION} s per run, ${RUNS} runs per figure, the servers taking turns` },
    'request headers': { value: 'Accept-Encoding: gzip (as npm and the skills CLI send it) to every server' },
    caches: { value: 'warm: every packument and tarball is read once from every server before the load figures (as a registry in service would have them)' },
    'cold reads': { value: `the first read of each of ${Math.min(COLD_KEYS, SKILLS - CONNECTIONS)} random keys (a new sample each run, the same for every profile) by a registry process started for it on the same storage, ${CONNECTIONS} connections, no warm-up; the database server's buffers and the OS page cache stay warm` },
    'search cache': { value: 'reported twice: on (default 8 MiB) and off (a second registry process on the same storage, searchCacheBytes 0)' },
    verdaccio: { value: process.env.VERDACCIO_DIR ? 'Verdaccio from VERDACCIO_DIR, log level fatal, packages written straight into its storage' : 'skipped (VERDACCIO_DIR unset)' },
  });

  for (const p of profiles) {
    const registry = await p.start({ config: MAIN_CONFIG, ...(process.env.PROFILE_SERVER ? { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', path.join(process.env.PROFILE_SERVER, p.name)] } : {}) });
    started.push(registry);
    mains.set(p.name, registry);
    for (const [route, body] of [['/v1/teams', { name: 'bench' }], ['/v1/scopes', { name: '@bench', team: 'bench' }]] as const) {
      const { res } = await fetchOnceMore(`${registry.url}${route}`, { method: 'POST', headers: { Authorization: `Bearer ${p.adminToken}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      if (!res.ok) throw new Error(`${p.name} POST ${route}: ${res.status} ${await res.text()}`);
    }
  }
  const main = (p: BenchProfile): RegistryProcess => {
    const r = mains.get(p.name);
    if (!r) throw new Error(`no registry for ${p.name}`);
    return r;
  };

  const tarballs: BenchTarball[] = [];
  for (let i = 0; i < SKILLS; i++) {
    const name = `@bench/skill-${i}`;
    tarballs.push({ name, bytes: (await pack(benchSkillFiles(echoSkill(name), i))).bytes });
  }

  // Publishes: a tenth of the skills into each profile in turn, so a change in the machine's other
  // load falls on both; each slice's rate is one run of the figure.
  const publishRates = new Map<ProfileName, number[]>(PROFILES.map((n) => [n, []]));
  const publishTimes = new Map<ProfileName, number[]>(PROFILES.map((n) => [n, []]));
  const publishWall = new Map<ProfileName, number>(PROFILES.map((n) => [n, 0]));
  const publishCpu = new Map<ProfileName, number[]>(PROFILES.map((n) => [n, []]));
  const publishCpuParts = new Map<ProfileName, CpuSample>(PROFILES.map((n) => [n, { registry: 0, database: 0, blobs: 0, total: 0 }]));
  const sliceSize = Math.ceil(SKILLS / PUBLISH_SLICES);
  for (let s = 0; s < PUBLISH_SLICES; s++) {
    const slice = tarballs.slice(s * sliceSize, (s + 1) * sliceSize);
    if (slice.length === 0) break;
    for (const p of rotate(profiles, s)) {
      const before = p.cpu(main(p).pid);
      const result = await publishSlice(main(p).url, p.adminToken, slice, PUBLISH_CONCURRENCY);
      const after = p.cpu(main(p).pid);
      publishCpu.get(p.name)?.push(((after.total - before.total) * 1000) / slice.length);
      const parts = publishCpuParts.get(p.name);
      if (parts) for (const k of ['registry', 'database', 'blobs', 'total'] as const) parts[k] += after[k] - before[k];
      publishRates.get(p.name)?.push(slice.length / (result.elapsedMs / 1000));
      publishTimes.get(p.name)?.push(...result.times);
      publishWall.set(p.name, (publishWall.get(p.name) ?? 0) + result.elapsedMs);
      console.log(`publish slice ${s + 1}/${PUBLISH_SLICES} into ${p.name}: ${(slice.length / (result.elapsedMs / 1000)).toFixed(1)}/s`);
    }
  }
  for (const p of profiles) {
    const t = summary(publishTimes.get(p.name) ?? []);
    console.log(`${p.label} publish (unpack + validate + audit + sandbox verify + store), ${PUBLISH_CONCURRENCY} concurrent: ${(SKILLS / ((publishWall.get(p.name) ?? 0) / 1000)).toFixed(0)} publishes/s over all ${SKILLS}, per slice of ${sliceSize} ${(publishRates.get(p.name) ?? []).map((r) => r.toFixed(0)).join(', ')}; p50 ${t.p50.toFixed(1)} ms, p99 ${t.p99.toFixed(1)} ms; CPU per publish ${cpuParts(publishCpuParts.get(p.name), SKILLS)}`);
  }
  await noteLoad('after the publishes');

  if (process.env.VERDACCIO_DIR) {
    const port = verdaccioPort();
    const storage = path.join(dir, 'verdaccio-storage');
    // The same tarballs as unscoped packages, each with a minimal packument.
    for (const [i, t] of tarballs.entries()) await writeVerdaccioPackage(storage, port, `skill-${i}`, t.bytes);
    verdaccio = await startVerdaccio(process.env.VERDACCIO_DIR, dir, storage, port);
  }

  // The servers under load: each profile's main registry, and Verdaccio (unscoped names).
  interface Target {
    key: string;
    url: string;
    packument: (i: number) => string;
    tarball: (i: number) => string;
    /** CPU seconds of the server's processes so far. */
    sample?: () => CpuSample;
    /** The requests the server counted so far (its metrics). */
    count?: () => Promise<number>;
  }
  const targets: Target[] = profiles.map((p) => ({
    key: p.name,
    url: main(p).url,
    sample: () => p.cpu(main(p).pid),
    ...(METRICS ? { count: () => countedRequests(main(p).url) } : {}),
    packument: (i) => `/v1/skills/@bench/skill-${i}`,
    tarball: (i) => `/v1/skills/@bench/skill-${i}/-/skill-${i}-1.0.0.tgz`,
  }));
  if (verdaccio) targets.push({ key: 'verdaccio', url: verdaccio.url, packument: (i) => `/skill-${i}`, tarball: (i) => `/skill-${i}/-/skill-${i}-1.0.0.tgz` });

  // Warm every server: every packument and tarball once (our caches, Verdaccio's file reads).
  const everyKey = Array.from({ length: SKILLS }, (_, i) => i);
  for (const t of targets) await readAll(t.url, everyKey.flatMap((i) => [t.packument(i), t.tarball(i)]), ACCEPT);

  const rows: CompareRow[] = [];
  const rnd = randomKey(SKILLS);
  const loadFigures: { label: string; path: (t: Target) => () => string }[] = [
    { label: 'Packument GET, random keys, warm', path: (t) => () => t.packument(rnd()) },
    { label: 'Packument GET, one hot key, warm', path: (t) => () => t.packument(HOT) },
    { label: 'Tarball GET, random keys, warm', path: (t) => () => t.tarball(rnd()) },
    { label: 'Tarball GET, one hot key, warm', path: (t) => () => t.tarball(HOT) },
  ];
  for (const f of loadFigures) {
    const runs = new Map<string, LoadResult[]>(targets.map((t) => [t.key, []]));
    for (let r = 0; r < RUNS; r++) {
      for (const t of rotate(targets, r)) {
        const result = await load(`${t.key} ${f.label}`, { url: t.url, path: f.path(t), headers: ACCEPT, connections: CONNECTIONS, durationSeconds: DURATION, warmupSeconds: WARMUP, ...(t.sample ? { sample: t.sample } : {}), ...(t.count ? { count: t.count } : {}) });
        noteCount(`${t.key} ${f.label}`, result);
        runs.get(t.key)?.push(result);
        console.log(`  ${t.key} ${f.label}, run ${r + 1}: ${runLine(result)}`);
      }
    }
    rows.push({
      label: f.label,
      unit: 'req/s',
      minRatio: WARM_TARGET,
      cells: Object.fromEntries([...runs].map(([key, results]) => [key, withCpu(results)])),
    });
    const row = rows.at(-1);
    const peer = row ? ratios(row, 'sqlite', 'verdaccio') : undefined;
    console.log(`${compareTable(rows.slice(-1), columns(), ratioColumn()).split('\n').at(-1)}${peer ? ` SQLite / Verdaccio ${peer.main.toFixed(2)}x` : ''}`);
  }
  await noteLoad('after the warm load figures');

  // The overhead of the metrics and request logs: two fresh processes per profile on the same
  // storage, identical but for those, their packuments warmed alike, taking turns at the same load.
  const overhead: { profile: ProfileName; on: number[]; off: number[]; ratio: number }[] = [];
  if (METRICS) {
    for (const p of profiles) {
      // "on": the metrics and JSON request lines into a file, as an operator runs it; "off": neither.
      const pair = { off: await p.start({ config: CONFIG }), on: await p.start({ config: MAIN_CONFIG, logFile: path.join(dir, `${p.name}-requests.jsonl`) }) };
      started.push(pair.off, pair.on);
      try {
        for (const r of Object.values(pair)) await readAll(r.url, everyKey.map((i) => `/v1/skills/@bench/skill-${i}`), ACCEPT);
        const rates = { on: [] as number[], off: [] as number[] };
        for (let r = 0; r < RUNS; r++) {
          for (const which of rotate(['off', 'on'] as const, r)) {
            const registry = pair[which];
            const label = `${p.name} metrics and logs ${which}: Packument GET, random keys, warm`;
            const result = await load(label, { url: registry.url, path: () => `/v1/skills/@bench/skill-${rnd()}`, headers: ACCEPT, connections: CONNECTIONS, durationSeconds: DURATION, warmupSeconds: WARMUP, sample: () => p.cpu(registry.pid), ...(which === 'on' ? { count: () => countedRequests(registry.url) } : {}) });
            noteCount(label, result);
            rates[which].push(result.rps);
            console.log(`  ${label}, run ${r + 1}: ${runLine(result)}`);
          }
        }
        const ratio = spread(rates.on).median / spread(rates.off).median;
        overhead.push({ profile: p.name, ...rates, ratio });
        console.log(`${p.label} metrics and request logs, overhead on warm packument GETs: on ${shownRate(rates.on)} req/s, off ${shownRate(rates.off)} req/s (medians of ${RUNS}, interleaved); on/off ${ratio.toFixed(3)}, overhead ${((1 - ratio) * 100).toFixed(1)}%, target < ${METRICS_OVERHEAD_TARGET * 100}% ${1 - ratio < METRICS_OVERHEAD_TARGET ? 'met' : 'NOT met'}`);
      } finally {
        await pair.off.stop();
        await pair.on.stop();
      }
    }
  }

  // Cold reads: a registry process started for the purpose reads every key once (packuments in
  // one process, tarballs in another), the profiles taking turns.
  const cold = new Map<string, { packument: LoadResult[]; tarball: LoadResult[] }>(PROFILES.map((n) => [n, { packument: [], tarball: [] }]));
  for (let r = 0; r < RUNS; r++) {
    const order = shuffled(everyKey).slice(0, COLD_KEYS + CONNECTIONS);
    for (const p of rotate(profiles, r)) {
      for (const kind of ['packument', 'tarball'] as const) {
        const fresh = await p.start({ config: MAIN_CONFIG });
        started.push(fresh);
        try {
          // Let its start-up work (worker threads) finish before the first request.
          await pause(1000);
          const paths = order.map((i) => (kind === 'packument' ? `/v1/skills/@bench/skill-${i}` : `/v1/skills/@bench/skill-${i}/-/skill-${i}-1.0.0.tgz`));
          const result = await loadEach(`${p.name} cold ${kind}`, { url: fresh.url, paths, headers: ACCEPT, connections: CONNECTIONS, sample: () => p.cpu(fresh.pid), ...(METRICS ? { count: () => countedRequests(fresh.url) } : {}) });
          noteCount(`${p.name} cold ${kind}`, result);
          cold.get(p.name)?.[kind].push(result);
          console.log(`  ${p.name} cold ${kind}, run ${r + 1}: ${runLine(result)}`);
        } finally {
          await fresh.stop();
        }
      }
    }
  }
  for (const kind of ['packument', 'tarball'] as const) {
    const read = cold.get(PROFILES[0] ?? 'sqlite')?.[kind][0]?.requests ?? 0;
    rows.push({
      label: `${kind === 'packument' ? 'Packument' : 'Tarball'} GET, cold: first read of ${read.toLocaleString('en-US')} keys by a fresh process`,
      unit: 'req/s',
      cells: Object.fromEntries([...cold].map(([key, c]) => [key, withCpu(c[kind])])),
    });
  }

  rows.push(
    { label: `Publishes/s (${PUBLISH_CONCURRENCY} concurrent; each run a slice of ${sliceSize})`, unit: 'publishes/s', cells: Object.fromEntries(PROFILES.map((n) => [n, { main: spread(publishRates.get(n) ?? []), cpu: spread(publishCpu.get(n) ?? []) }])) },
    ...(['p50', 'p99'] as const).map((q) => ({ label: `Publish ${q} (all ${SKILLS} uploads, one figure)`, unit: 'ms' as const, cells: Object.fromEntries(PROFILES.map((n) => [n, { main: spread([summary(publishTimes.get(n) ?? [])[q]]) }])) })),
  );

  // Search: sequential round trips over the word list, with the main registries' search cache
  // (answers kept until the next write), then against second processes with it off.
  const words = searchWords(HOT);
  const searchRows = async (label: string, urls: Map<ProfileName, string>): Promise<void> => {
    const runs = new Map<ProfileName, SearchRun[]>(PROFILES.map((n) => [n, []]));
    for (let r = 0; r < RUNS; r++) for (const n of rotate(PROFILES, r)) runs.get(n)?.push(await searchRun(urls.get(n) ?? '', words, SEARCHES));
    const of = (pick: (s: SearchRun) => number) => Object.fromEntries([...runs].map(([n, s]) => [n, { main: spread(s.map(pick)) }]));
    for (const [n, s] of runs) console.log(`${n} search, ${label}: "skill" total ${s[0]?.broadTotal}`);
    rows.push(
      { label: `Search p50, ${label}`, unit: 'ms', cells: of((s) => s.p50) },
      { label: `Search p99, ${label}`, unit: 'ms', cells: of((s) => s.p99) },
      { label: `Search p99, broad words only, ${label}`, unit: 'ms', cells: of((s) => s.broadP99) },
    );
  };
  await searchRows('cache on (default)', new Map(profiles.map((p) => [p.name, main(p).url])));
  const uncached = new Map<ProfileName, RegistryProcess>();
  try {
    for (const p of profiles) {
      const r = await p.start({ config: { searchCacheBytes: 0 } });
      started.push(r);
      uncached.set(p.name, r);
    }
    await searchRows('cache off (searchCacheBytes 0)', new Map([...uncached].map(([n, r]) => [n, r.url])));
  } finally {
    for (const r of uncached.values()) await r.stop();
  }

  // The discovery index on the first request after each write (yank, then unyank, of one skill).
  const indexRuns = new Map<ProfileName, { afterP50: number[]; afterP99: number[]; steadyP50: number[] }>(PROFILES.map((n) => [n, { afterP50: [], afterP99: [], steadyP50: [] }]));
  let indexSize = '';
  for (let r = 0; r < RUNS; r++) {
    for (const p of rotate(profiles, r)) {
      const run = await indexRun(main(p).url, p.adminToken, SKILLS, r * INDEX_WRITES, INDEX_WRITES);
      const figures = indexRuns.get(p.name);
      figures?.afterP50.push(summary(run.afterWrite).p50);
      figures?.afterP99.push(summary(run.afterWrite).p99);
      figures?.steadyP50.push(summary(run.steady).p50);
      indexSize = `${(run.last.bytes / 1024).toFixed(0)} KiB JSON, ${(run.last.wireBytes / 1024).toFixed(0)} KiB ${run.last.encoding}`;
    }
  }
  const indexOf = (pick: 'afterP50' | 'afterP99' | 'steadyP50') => Object.fromEntries([...indexRuns].map(([n, f]) => [n, { main: spread(f[pick]) }]));
  rows.push(
    { label: `Discovery index (${indexSize}), first request after a write, p50`, unit: 'ms', cells: indexOf('afterP50') },
    { label: 'Discovery index, first request after a write, p99', unit: 'ms', cells: indexOf('afterP99') },
    { label: 'Discovery index, no write since the last request, p50', unit: 'ms', cells: indexOf('steadyP50') },
  );
  await noteLoad('end');

  console.log(`\n${compareTable(rows, columns(), ratioColumn())}`);
  const verdicts = rows.filter((r) => r.minRatio !== undefined).map((r) => ({ label: r.label, ratio: ratios(r, 'postgres', 'sqlite') }));
  for (const v of verdicts) if (v.ratio) console.log(`${v.label}: PostgreSQL+S3 / SQLite ${v.ratio.main.toFixed(2)}x in req/s, target >= ${WARM_TARGET}x ${v.ratio.main >= WARM_TARGET ? 'met' : 'NOT met'}${v.ratio.cpu !== undefined ? `; server CPU per request ${v.ratio.cpu.toFixed(2)}x` : ''}`);
  if (METRICS) {
    const worst = counts.reduce((w, c) => (c.gap > w.gap ? c : w), { label: 'none', counted: 0, sent: 0, gap: 0 });
    console.log(`registry's own counts (metrics) beside autocannon's, over ${counts.length} load runs: largest gap ${worst.gap.toFixed(3)}% (${worst.label}: counted ${worst.counted}, autocannon ${worst.sent}), target within ${COUNT_TARGET}% ${worst.gap <= COUNT_TARGET ? 'met' : 'NOT met'}`);
    for (const o of overhead) console.log(`metrics and request logs (JSON lines to a file) overhead, ${PROFILE_LABELS[o.profile]}: ${((1 - o.ratio) * 100).toFixed(1)}% of warm packument GETs (on/off ${o.ratio.toFixed(3)}), target < ${METRICS_OVERHEAD_TARGET * 100}% ${1 - o.ratio < METRICS_OVERHEAD_TARGET ? 'met' : 'NOT met'}`);
  }
  console.log(`requests sent again after the connection closed under them: ${retriedRequests()}`);
  console.log(`load averages: ${loadAverages.map((l) => `${l.at}: ${l.loadavg}`).join('; ')}`);
  await saveResults('registry', { skills: SKILLS, profiles: PROFILES, settings, loadAverages, rows: rows.map((r) => ({ ...r, ratio: ratios(r, 'postgres', 'sqlite') })), metrics: METRICS ? { counts, overhead } : 'off' });
} finally {
  verdaccio?.stop();
  for (const r of started) await r.stop();
  for (const p of profiles) await p.close();
  await removeTempDirs();
  await fs.rm(dir, { recursive: true, force: true });
}

/** Every load run's count by the registry beside autocannon's (with the metrics on). */
function noteCount(label: string, result: LoadResult): void {
  if (result.counted === undefined) return;
  counts.push({ label, counted: result.counted, sent: result.requests, gap: countGap(result.counted, result.requests) });
}

function shownRate(rates: readonly number[]): string {
  const s = spread(rates);
  return `${Math.round(s.median)} (${Math.round(s.min)}-${Math.round(s.max)})`;
}

/** Throughput, p99 and CPU per request of a figure's runs. */
function withCpu(results: readonly LoadResult[]): Cell {
  const cpu = results.flatMap((x) => (x.sampled?.total === undefined ? [] : [(x.sampled.total * 1000) / x.requests]));
  return { main: spread(results.map((x) => x.rps)), p99: spread(results.map((x) => x.p99)), ...(cpu.length > 0 ? { cpu: spread(cpu) } : {}) };
}

/** One run's figures with its CPU per request, by process. */
function runLine(x: LoadResult): string {
  const cpu = x.sampled ? `; CPU per request ${Object.entries(x.sampled).map(([k, v]) => `${k} ${((v * 1e6) / x.requests).toFixed(0)} us`).join(', ')}` : '';
  const counted = x.counted === undefined ? '' : `; the registry counted ${x.counted} (${countGap(x.counted, x.requests).toFixed(2)}% from autocannon's)`;
  return `${Math.round(x.rps)} req/s, p99 ${x.p99} ms, ${x.requests} requests${cpu}${counted}`;
}

/** `total ms (registry a, database b, blobs c)` per item. */
function cpuParts(parts: CpuSample | undefined, items: number): string {
  if (!parts) return '';
  const each = (v: number) => `${((v * 1000) / items).toFixed(2)} ms`;
  return `${each(parts.total)} (registry ${each(parts.registry)}, database ${each(parts.database)}, blobs ${each(parts.blobs)})`;
}

function columns(): Column[] {
  const cols: Column[] = profiles.map((p) => ({ key: p.name, label: p.label }));
  if (process.env.VERDACCIO_DIR) cols.push({ key: 'verdaccio', label: 'Verdaccio' });
  return cols;
}

function ratioColumn(): { of: string; to: string; label: string } {
  return { of: 'postgres', to: 'sqlite', label: 'PostgreSQL+S3 / SQLite (medians)' };
}
