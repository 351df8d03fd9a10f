/**
 * Soak (issue 8): mixed load against one registry for SOAK_SECONDS (default 60): packument and
 * tarball reads, searches, publishes (each verified in the sandbox) and full installs (resolve,
 * download, verify, commit) into fresh workspaces. Reports errors (must be 0), p99 per 10 s window,
 * and memory growth of the process hosting the registry.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { install } from '../cli/core/install/install';
import { startRegistry } from '../registry-server/index';
import { pack } from '../tarball/pack';
import { skillFiles } from '../testkit/skill-files';
import { machine, ms, percentile, saveResults } from './stats';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 60);
console.log(`machine: ${machine()}; soaking for ${SECONDS} s`);
const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'skills-soak-'));
const registry = await startRegistry({ port: 0, db: path.join(dir, 'registry.db'), config: { publishesPerMinute: 1_000_000 } });
const admin = registry.adminToken ?? '';
const headers = { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' };
await fetch(`${registry.url}/v1/teams`, { method: 'POST', headers, body: JSON.stringify({ name: 'soak' }) });
await fetch(`${registry.url}/v1/scopes`, { method: 'POST', headers, body: JSON.stringify({ name: '@soak', team: 'soak' }) });

const files = (name: string, version: string) => skillFiles({ name, scope: '@soak', version, code: 'export function f(n: number) { return n * 2; }', fixtures: { c: { call: { export: 'f', args: [2] }, expect: { returns: 4 } } } });
for (let i = 0; i < 20; i++) {
  const res = await fetch(`${registry.url}/v1/skills/@soak/seed-${i}`, { method: 'PUT', headers: { Authorization: `Bearer ${admin}` }, body: (await pack(files(`seed-${i}`, '1.0.0'))).bytes });
  if (res.status !== 201) throw new Error(`seed ${i}: ${res.status}`);
}

{
  const res = await fetch(`${registry.url}/v1/skills/@soak/stream`, { method: 'PUT', headers: { Authorization: `Bearer ${admin}` }, body: (await pack(files('stream', '0.0.1'))).bytes });
  if (res.status !== 201) throw new Error(`seed stream: ${res.status}`);
}

const started = performance.now();
const end = started + SECONDS * 1000;
const samples: { at: number; kind: string; ms: number }[] = [];
const errors: string[] = [];
let publishCounter = 0;
let installCounter = 0;
const rssStart = process.memoryUsage().rss;
let rssPeak = rssStart;

async function op(kind: string, action: () => Promise<void>): Promise<void> {
  const t0 = performance.now();
  try {
    await action();
    samples.push({ at: t0 - started, kind, ms: performance.now() - t0 });
  } catch (error) {
    errors.push(`${kind}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function expectOk(res: Response, status = 200): Promise<void> {
  await res.arrayBuffer();
  if (res.status !== status) throw new Error(`status ${res.status}`);
}

const readers = Array.from({ length: 4 }, async (_, r) => {
  let i = r;
  while (performance.now() < end) {
    const n = i++ % 20;
    await op('packument', async () => expectOk(await fetch(`${registry.url}/v1/skills/@soak/seed-${n}`)));
    await op('tarball', async () => expectOk(await fetch(`${registry.url}/v1/skills/@soak/seed-${n}/-/seed-${n}-1.0.0.tgz`)));
    await op('search', async () => expectOk(await fetch(`${registry.url}/v1/search?q=seed`)));
  }
});
const publisher = (async () => {
  while (performance.now() < end) {
    const version = `1.0.${publishCounter++}`;
    await op('publish', async () => expectOk(await fetch(`${registry.url}/v1/skills/@soak/stream`, { method: 'PUT', headers: { Authorization: `Bearer ${admin}` }, body: (await pack(files('stream', version))).bytes }), 201));
  }
})();
const installer = (async () => {
  while (performance.now() < end) {
    const ws = path.join(dir, `ws-${installCounter++}`);
    await fs.mkdir(ws);
    await op('install', async () => {
      await install({ root: ws, env: { SKILLS_CACHE_DIR: path.join(dir, 'cache'), SKILLS_CONFIG_DIR: path.join(dir, 'config') }, registry: registry.url, add: ['@soak/seed-3', '@soak/stream'], progress: () => {}, warn: () => {} });
    });
    await fs.rm(ws, { recursive: true, force: true });
  }
})();
const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 500);
await Promise.all([...readers, publisher, installer]);
clearInterval(sampler);

const windows = Math.ceil(SECONDS / 10);
const rows: string[] = [];
for (let w = 0; w < windows; w++) {
  const inWindow = samples.filter((s) => s.at >= w * 10_000 && s.at < (w + 1) * 10_000);
  const by = (kind: string) => inWindow.filter((s) => s.kind === kind).map((s) => s.ms).sort((a, b) => a - b);
  rows.push(`${String(w * 10).padStart(3)}-${String((w + 1) * 10).padEnd(3)} s: ${inWindow.length} ops; p99 packument ${ms(percentile(by('packument'), 99))}, search ${ms(percentile(by('search'), 99))}, publish ${ms(percentile(by('publish'), 99))}, install ${ms(percentile(by('install'), 99))}`);
}
console.log(rows.join('\n'));
const count = (kind: string) => samples.filter((s) => s.kind === kind).length;
console.log(`operations: ${samples.length} (packument ${count('packument')}, tarball ${count('tarball')}, search ${count('search')}, publish ${count('publish')}, install ${count('install')})`);
console.log(`errors: ${errors.length}${errors.length > 0 ? ` (first: ${errors[0]})` : ''}`);
console.log(`memory: RSS ${(rssStart / 2 ** 20).toFixed(0)} MiB at start, peak ${(rssPeak / 2 ** 20).toFixed(0)} MiB, end ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
await saveResults('soak', { seconds: SECONDS, operations: samples.length, errors: errors.length, rssStartMiB: rssStart / 2 ** 20, rssPeakMiB: rssPeak / 2 ** 20, windows: rows });
await registry.close();
await fs.rm(dir, { recursive: true, force: true });
if (errors.length > 0) process.exitCode = 1;
