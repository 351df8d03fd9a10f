/**
 * Registry figures (issue 4): packument and tarball GET requests/s and p99 at 64 connections
 * against a registry holding 1,000 skills, publishes/s (each verified in the sandbox), search
 * p50/p99, and the same GETs against Verdaccio serving equivalent tarballs, as ratios.
 * Verdaccio is not a dependency: set VERDACCIO_DIR to a folder where `npm install verdaccio`
 * ran (the bench skips the comparison without it).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { startRegistry } from '../registry-server/index';
import { pack } from '../tarball/pack';
import { echoSkill } from '../test/helpers/registry';
import { machine, ms, saveResults, summary } from './stats';
import { startVerdaccio, verdaccioPort, writeVerdaccioPackage } from './verdaccio';

const SKILLS = Number(process.env.BENCH_SKILLS ?? 1000);
const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const MID = Math.floor(SKILLS / 2);

console.log(`machine: ${machine()}`);
const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'skills-bench-registry-'));
const registry = await startRegistry({ port: 0, db: path.join(dir, 'registry.db'), config: { publishesPerMinute: 1_000_000 } });
const admin = registry.adminToken ?? '';
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
  tarballs.push({ name, bytes: (await pack(echoSkill(name))).bytes });
}
const publishStart = performance.now();
let next = 0;
const publishTimes: number[] = [];
await Promise.all(
  Array.from({ length: 8 }, async () => {
    while (next < tarballs.length) {
      const t = tarballs[next++];
      if (!t) break;
      const started = performance.now();
      const res = await fetch(`${registry.url}/v1/skills/${t.name}`, { method: 'PUT', headers: { Authorization: `Bearer ${admin}` }, body: t.bytes });
      if (res.status !== 201) throw new Error(`publish ${t.name}: ${res.status} ${await res.text()}`);
      publishTimes.push(performance.now() - started);
    }
  }),
);
const publishElapsed = performance.now() - publishStart;
const p = summary(publishTimes);
console.log(`publish (unpack + validate + sandbox verify + insert), 8 concurrent: ${(SKILLS / (publishElapsed / 1000)).toFixed(0)} publishes/s, p50 ${ms(p.p50)}, p99 ${ms(p.p99)} (${SKILLS} skills)`);

async function load(label: string, url: string): Promise<{ rps: number; p99: number }> {
  await autocannon({ url, connections: 64, duration: 1 });
  const result = await autocannon({ url, connections: 64, duration: DURATION });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${label}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  console.log(`${label}: ${result.requests.average.toFixed(0)} req/s, p99 ${result.latency.p99} ms (64 connections, ${DURATION} s)`);
  return { rps: result.requests.average, p99: result.latency.p99 };
}

const ours = {
  packument: await load('ours      packument GET', `${registry.url}/v1/skills/@bench/skill-${MID}`),
  tarball: await load('ours      tarball GET  ', `${registry.url}/v1/skills/@bench/skill-${MID}/-/skill-${MID}-1.0.0.tgz`),
};

const figures: Record<string, number> = { skills: SKILLS, publishesPerSecond: SKILLS / (publishElapsed / 1000), packumentRps: ours.packument.rps, packumentP99Ms: ours.packument.p99, tarballRps: ours.tarball.rps, tarballP99Ms: ours.tarball.p99 };
const searchTimes: number[] = [];
const words = ['greeting', 'skill', 'hello', 'echo', 'demo', 'skill-42', 'nothing-matches', 'test'];
for (let i = 0; i < 2000; i++) {
  const started = performance.now();
  const res = await fetch(`${registry.url}/v1/search?q=${encodeURIComponent(words[i % words.length] ?? '')}&limit=20`);
  await res.arrayBuffer();
  searchTimes.push(performance.now() - started);
}
const s = summary(searchTimes);
console.log(`search over ${SKILLS} skills (HTTP round trip, sequential): p50 ${ms(s.p50)}, p99 ${ms(s.p99)}`);
Object.assign(figures, { searchP50Ms: s.p50, searchP99Ms: s.p99 });

const verdaccioDir = process.env.VERDACCIO_DIR;
if (!verdaccioDir) {
  console.log('Verdaccio comparison skipped: set VERDACCIO_DIR to a folder with `npm install verdaccio` done');
} else {
  const port = verdaccioPort();
  const storage = path.join(dir, 'verdaccio-storage');
  // The same 1,000 tarballs as unscoped packages, each with a minimal packument.
  for (const [i, t] of tarballs.entries()) await writeVerdaccioPackage(storage, port, `skill-${i}`, t.bytes);
  const verdaccio = await startVerdaccio(verdaccioDir, dir, storage, port);
  try {
    const theirs = {
      packument: await load('verdaccio packument GET', `http://127.0.0.1:${port}/skill-${MID}`),
      tarball: await load('verdaccio tarball GET  ', `http://127.0.0.1:${port}/skill-${MID}/-/skill-${MID}-1.0.0.tgz`),
    };
    Object.assign(figures, { verdaccioPackumentRps: theirs.packument.rps, verdaccioTarballRps: theirs.tarball.rps, packumentRatio: ours.packument.rps / theirs.packument.rps, tarballRatio: ours.tarball.rps / theirs.tarball.rps });
    console.log(`ratio ours/verdaccio: packument ${(ours.packument.rps / theirs.packument.rps).toFixed(2)}x req/s, tarball ${(ours.tarball.rps / theirs.tarball.rps).toFixed(2)}x req/s`);
  } finally {
    verdaccio.stop();
  }
}
await saveResults('registry', figures);
await registry.close();
await fs.rm(dir, { recursive: true, force: true });
