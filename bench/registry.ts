/**
 * Registry figures (issues 4 and 15), side by side with Verdaccio in the same run:
 *
 * - packument and tarball GETs: requests/s and p99 at 64 connections, with keys drawn at random
 *   over all N skills for every request, and again for one hot key;
 * - publishes/s (each upload unpacked, validated, audited and verified in the sandbox);
 * - search latency over N skills, broad words (matching every skill) included;
 * - the discovery index, timed on the first request after each write (yank/unyank), checked to
 *   have changed.
 *
 * The registry runs in a process of its own (bench/processes/registry.ts); autocannon and every
 * client run here. Each figure is the median of BENCH_REPEAT runs (at least 3) with min and max;
 * ours and Verdaccio's runs alternate. Every setting that is not the registry's default is printed.
 * BENCH_SKILLS (default 1,000) scales it; the issue's targets are at 10,000. Verdaccio is not a
 * dependency: set VERDACCIO_DIR to a folder where `npm install verdaccio@5.33.0` ran.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { pack } from '../tarball/pack';
import { echoSkill } from '../testkit/registry';
import { load, randomKey, type LoadResult } from './lib/load';
import { startRegistryProcess } from './lib/registry-process';
import { benchSkillFiles } from './lib/skill-text';
import { benchRuns, machine, ms, perSecond, printSettings, saveResults, shown, spread, summary } from './stats';
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
const ACCEPT = { 'Accept-Encoding': 'gzip' };

console.log(`machine: ${machine()}`);
const settings = printSettings({
  skills: { value: SKILLS, why: 'BENCH_SKILLS' },
  'registry publishesPerMinute': { value: 1_000_000, default: 120, why: 'the bench publishes every skill with one token; the rate limit would refuse all but 120 a minute' },
  'registry other config': { value: 'defaults' },
  'load generator': { value: `autocannon in the bench process (the registry runs in its own process), ${CONNECTIONS} connections, ${WARMUP} s warm-up + ${DURATION} s per run, ${RUNS} runs per figure, ours and Verdaccio alternating` },
  'request headers': { value: 'Accept-Encoding: gzip (as npm and the skills CLI send it) to both servers' },
  'caches': { value: 'warm: every packument and tarball is read once from both servers before the load figures (as a registry in service would have them)' },
  'search cache': { value: 'reported twice: on (default 8 MiB) and off (a second registry process on the same database, searchCacheBytes 0)' },
  verdaccio: { value: process.env.VERDACCIO_DIR ? 'Verdaccio from VERDACCIO_DIR, log level fatal, packages written straight into its storage' : 'skipped (VERDACCIO_DIR unset)' },
});

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'skills-bench-registry-'));
const registry = await startRegistryProcess({ db: path.join(dir, 'registry.db'), config: { publishesPerMinute: 1_000_000 }, ...(process.env.PROFILE_SERVER ? { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', process.env.PROFILE_SERVER] } : {}) });
const admin = registry.adminToken;
const api = async (method: string, url: string, body?: unknown) => {
  const res = await fetch(`${registry.url}${url}`, { method, headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
  return res.json();
};
await api('POST', '/v1/teams', { name: 'bench' });
await api('POST', '/v1/scopes', { name: '@bench', team: 'bench' });

const tarballs: { name: string; bytes: Uint8Array }[] = [];
for (let i = 0; i < SKILLS; i++) {
  const name = `@bench/skill-${i}`;
  tarballs.push({ name, bytes: (await pack(benchSkillFiles(echoSkill(name), i))).bytes });
}
const publishStart = performance.now();
let next = 0;
const publishTimes: number[] = [];
await Promise.all(
  Array.from({ length: PUBLISH_CONCURRENCY }, async () => {
    while (next < tarballs.length) {
      const t = tarballs[next++];
      if (!t) break;
      const started = performance.now();
      const res = await fetch(`${registry.url}/v1/skills/${t.name}`, { method: 'PUT', headers: { Authorization: `Bearer ${admin}` }, body: t.bytes });
      if (res.status !== 201) throw new Error(`publish ${t.name}: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
      publishTimes.push(performance.now() - started);
    }
  }),
);
const publishElapsed = performance.now() - publishStart;
const p = summary(publishTimes);
console.log(`publish (unpack + validate + audit + sandbox verify + insert), ${PUBLISH_CONCURRENCY} concurrent: ${(SKILLS / (publishElapsed / 1000)).toFixed(0)} publishes/s, p50 ${ms(p.p50)}, p99 ${ms(p.p99)} (${SKILLS} skills, one run)`);
const figures: Record<string, unknown> = { skills: SKILLS, settings, publishesPerSecond: SKILLS / (publishElapsed / 1000), publishP50Ms: p.p50, publishP99Ms: p.p99 };

let verdaccio: Verdaccio | undefined;
if (process.env.VERDACCIO_DIR) {
  const port = verdaccioPort();
  const storage = path.join(dir, 'verdaccio-storage');
  // The same tarballs as unscoped packages, each with a minimal packument.
  for (const [i, t] of tarballs.entries()) await writeVerdaccioPackage(storage, port, `skill-${i}`, t.bytes);
  verdaccio = await startVerdaccio(process.env.VERDACCIO_DIR, dir, storage, port);
}

// Warm both servers: every packument and tarball once (our caches, Verdaccio's file reads).
async function warm(base: string, paths: (i: number) => string[]): Promise<void> {
  let k = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (k < SKILLS) {
        const i = k++;
        for (const p of paths(i)) {
          const res = await fetch(`${base}${p}`, { headers: ACCEPT });
          if (!res.ok) throw new Error(`warming ${p}: ${res.status}`);
          await res.arrayBuffer();
        }
      }
    }),
  );
}
await warm(registry.url, (i) => [`/v1/skills/@bench/skill-${i}`, `/v1/skills/@bench/skill-${i}/-/skill-${i}-1.0.0.tgz`]);
if (verdaccio) await warm(verdaccio.url, (i) => [`/skill-${i}`, `/skill-${i}/-/skill-${i}-1.0.0.tgz`]);

interface Figure {
  label: string;
  ours: () => string;
  theirs: () => string;
  headers?: Record<string, string>;
}
const rnd = randomKey(SKILLS);
const loadFigures: Figure[] = [
  { label: 'packument GET, random keys', ours: () => { const i = rnd(); return `/v1/skills/@bench/skill-${i}`; }, theirs: () => { const i = rnd(); return `/skill-${i}`; } },
  { label: 'packument GET, one hot key', ours: () => `/v1/skills/@bench/skill-${HOT}`, theirs: () => `/skill-${HOT}` },
  { label: 'tarball GET, random keys', ours: () => { const i = rnd(); return `/v1/skills/@bench/skill-${i}/-/skill-${i}-1.0.0.tgz`; }, theirs: () => { const i = rnd(); return `/skill-${i}/-/skill-${i}-1.0.0.tgz`; } },
  { label: 'tarball GET, one hot key', ours: () => `/v1/skills/@bench/skill-${HOT}/-/skill-${HOT}-1.0.0.tgz`, theirs: () => `/skill-${HOT}/-/skill-${HOT}-1.0.0.tgz` },
];

const rows: string[] = ['| Figure | Ours req/s | Ours p99 | Verdaccio req/s | Verdaccio p99 | Ratio (medians) |', '| --- | --- | --- | --- | --- | --- |'];
try {
  for (const f of loadFigures) {
    const oursRuns: LoadResult[] = [];
    const theirsRuns: LoadResult[] = [];
    for (let r = 0; r < RUNS; r++) {
      const mine = () => load(`ours ${f.label}`, { url: registry.url, path: f.ours, headers: ACCEPT, connections: CONNECTIONS, durationSeconds: DURATION, warmupSeconds: WARMUP });
      const peer = verdaccio ? () => load(`verdaccio ${f.label}`, { url: verdaccio?.url ?? '', path: f.theirs, headers: ACCEPT, connections: CONNECTIONS, durationSeconds: DURATION, warmupSeconds: WARMUP }) : undefined;
      // Alternate who goes first, so neither always runs on a machine the other just warmed.
      if (r % 2 === 0 || !peer) {
        oursRuns.push(await mine());
        if (peer) theirsRuns.push(await peer());
      } else {
        theirsRuns.push(await peer());
        oursRuns.push(await mine());
      }
    }
    const rps = spread(oursRuns.map((x) => x.rps));
    const p99 = spread(oursRuns.map((x) => x.p99));
    const theirRps = theirsRuns.length > 0 ? spread(theirsRuns.map((x) => x.rps)) : undefined;
    const theirP99 = theirsRuns.length > 0 ? spread(theirsRuns.map((x) => x.p99)) : undefined;
    const ratio = theirRps ? rps.median / theirRps.median : undefined;
    const line = `${f.label}: ours ${shown(rps, perSecond)} req/s, p99 ${shown(p99, (v) => `${v} ms`)}${theirRps && theirP99 ? `; verdaccio ${shown(theirRps, perSecond)} req/s, p99 ${shown(theirP99, (v) => `${v} ms`)}; ratio ${ratio?.toFixed(2)}x` : ''}`;
    console.log(line);
    rows.push(`| ${f.label} | ${shown(rps, perSecond)} | ${shown(p99, (v) => `${v} ms`)} | ${theirRps ? shown(theirRps, perSecond) : ''} | ${theirP99 ? shown(theirP99, (v) => `${v} ms`) : ''} | ${ratio ? `${ratio.toFixed(2)}x` : ''} |`);
    figures[f.label] = { ours: { rps, p99 }, verdaccio: theirRps ? { rps: theirRps, p99: theirP99 } : null, ratio };
  }
} finally {
  verdaccio?.stop();
}

// Search: sequential round trips, a word list with broad words (every skill matches) and narrow
// ones; once with the registry's search cache (answers kept until the next write), once against a
// second registry process on the same database with the cache off, so every search is ranked.
const words = ['skill', 'greets', 'workflows', 'test', 'invoices', 'spanish', 'calendar reminders', `skill-${HOT}`, 'nothing-matches-this', 'gree'];
const BROAD = new Set(['skill', 'greets', 'workflows', 'test']);
async function searchFigure(label: string, url: string, key: string): Promise<void> {
  const p50s: number[] = [];
  const p99s: number[] = [];
  const broadP99s: number[] = [];
  let total = 0;
  for (let r = 0; r < RUNS; r++) {
    const times: number[] = [];
    const broad: number[] = [];
    for (let i = 0; i < SEARCHES; i++) {
      const word = words[i % words.length] ?? '';
      const started = performance.now();
      const res = await fetch(`${url}/v1/search?q=${encodeURIComponent(word)}&limit=20`, { headers: ACCEPT });
      const body = (await res.json()) as { total: number };
      const elapsed = performance.now() - started;
      if (!res.ok) throw new Error(`search ${word}: ${res.status}`);
      if (word === 'skill') total = body.total;
      times.push(elapsed);
      if (BROAD.has(word)) broad.push(elapsed);
    }
    const s = summary(times);
    p50s.push(s.p50);
    p99s.push(s.p99);
    broadP99s.push(summary(broad).p99);
  }
  const sp50 = spread(p50s);
  const sp99 = spread(p99s);
  const bp99 = spread(broadP99s);
  console.log(`search over ${SKILLS} skills, ${label} (HTTP round trip, sequential, limit 20, ${SEARCHES} per run): p50 ${shown(sp50, ms)}, p99 ${shown(sp99, ms)}; broad words only p99 ${shown(bp99, ms)}; "skill" total ${total}`);
  figures[key] = { p50Ms: sp50, p99Ms: sp99, broadP99Ms: bp99, broadTotal: total };
}
await searchFigure('search cache on (the default)', registry.url, 'search');
const uncached = await startRegistryProcess({ db: path.join(dir, 'registry.db'), config: { searchCacheBytes: 0 } });
try {
  await searchFigure('search cache off (searchCacheBytes 0: every search ranked)', uncached.url, 'searchUncached');
} finally {
  await uncached.stop();
}

// The discovery index on the first request after each write (yank, then unyank, of one skill).
// Timed to the last byte on the wire (node:http, no decoding); decoded and counted afterwards.
async function index(): Promise<{ ms: number; wireBytes: number; bytes: number; encoding: string; entries: number }> {
  const { get } = await import('node:http');
  const started = performance.now();
  const { chunks, encoding, status } = await new Promise<{ chunks: Buffer[]; encoding: string; status: number }>((resolve, reject) => {
    get(`${registry.url}/.well-known/agent-skills/index.json`, { headers: ACCEPT }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ chunks: parts, encoding: String(res.headers['content-encoding'] ?? 'identity'), status: res.statusCode ?? 0 }));
      res.on('error', reject);
    }).on('error', reject);
  });
  const elapsed = performance.now() - started;
  if (status !== 200) throw new Error(`index: ${status}`);
  const wire = Buffer.concat(chunks);
  const raw = encoding === 'gzip' ? gunzipSync(wire) : wire;
  const doc = JSON.parse(raw.toString('utf8')) as { skills: unknown[] };
  return { ms: elapsed, wireBytes: wire.byteLength, bytes: raw.byteLength, encoding, entries: doc.skills.length };
}
const afterWrite: number[][] = [];
const steady: number[][] = [];
let last = { bytes: 0, wireBytes: 0, encoding: 'identity' };
for (let r = 0; r < RUNS; r++) {
  const first: number[] = [];
  const again: number[] = [];
  for (let w = 0; w < INDEX_WRITES; w++) {
    const target = `@bench/skill-${(r * INDEX_WRITES + w) % SKILLS}`;
    await api('POST', `/v1/skills/${target}/versions/1.0.0/yank`);
    const yanked = await index();
    if (yanked.entries !== SKILLS - 1) throw new Error(`the index after yanking ${target} lists ${yanked.entries} skills, not ${SKILLS - 1}: a stale cache`);
    await api('POST', `/v1/skills/${target}/versions/1.0.0/unyank`);
    const back = await index();
    if (back.entries !== SKILLS) throw new Error(`the index after unyanking ${target} lists ${back.entries} skills, not ${SKILLS}: a stale cache`);
    first.push(yanked.ms, back.ms);
    again.push((await index()).ms);
    last = back;
  }
  afterWrite.push(first);
  steady.push(again);
}
const ip50 = spread(afterWrite.map((t) => summary(t).p50));
const ip99 = spread(afterWrite.map((t) => summary(t).p99));
const sIp50 = spread(steady.map((t) => summary(t).p50));
console.log(`discovery index, ${SKILLS} skills (${(last.bytes / 1024).toFixed(0)} KiB of JSON, ${(last.wireBytes / 1024).toFixed(0)} KiB on the wire as ${last.encoding}), request to last byte: first request after a write p50 ${shown(ip50, ms)}, p99 ${shown(ip99, ms)}; without a write p50 ${shown(sIp50, ms)}`);
Object.assign(figures, { indexAfterWriteP50Ms: ip50, indexAfterWriteP99Ms: ip99, indexSteadyP50Ms: sIp50, indexJsonBytes: last.bytes, indexWireBytes: last.wireBytes, indexWireEncoding: last.encoding });

console.log(`\n${rows.join('\n')}`);
await saveResults('registry', figures);
await registry.stop();
await fs.rm(dir, { recursive: true, force: true });
