/**
 * Web catalog figures (issue 16): server-side render time and size of the home page and of a
 * skill page with 100 versions, on a registry holding 10,000 skills; and what counting a download
 * costs a tarball GET. Renders go through the whole app in process (routing, session check,
 * queries, rendering), without a socket, so they time the server's work only. Skills are written
 * straight into the store (no sandbox: publishing is benchmarked in bench/registry.ts).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../registry-server/app';
import { Auth } from '../registry-server/auth';
import { openDatabase } from '../registry-server/db';
import { DownloadCounter } from '../registry-server/downloads';
import { sqliteStorage } from '../registry-server/storage/open';
import { SkillsStore, type NewVersion } from '../registry-server/skills-store';
import { validatePackage } from '../schema/package';
import type { VerificationSummary } from '../schema/registry';
import { contentDigest, integrityOf, sha256Hex } from '../tarball/digest';
import { pack } from '../tarball/pack';
import { echoSkill } from '../testkit/registry';
import { machine, ms, saveResults, summary } from './stats';

const SKILLS = Number(process.env.BENCH_SKILLS ?? 10_000);
const VERSIONS = 100;
const RUNS = Number(process.env.BENCH_RUNS ?? 300);

console.log(`machine: ${machine()}`);
const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'skills-bench-web-'));
const db = openDatabase(path.join(dir, 'registry.db'));
const storage = sqliteStorage(db);
const auth = new Auth(storage.db);
const boot = await auth.bootstrap();
const adminId = (await auth.userId('admin')) ?? 0;
const teamId = await auth.createTeam('bench', adminId);
const scopes: { name: string; id: number }[] = [];
for (const name of ['@bench', '@tools', '@data', '@team']) {
  await auth.createScope(name, teamId, false);
  scopes.push({ name, id: (await auth.scope(name))?.id ?? 0 });
}
const store = new SkillsStore(storage);
const insert = async (v: NewVersion) => {
  await store.saveTarball(v.tarballSha256, v.tarball);
  await store.atomically((tx) => store.insertVersion(tx, v));
};

async function record(name: string, version: string, scopeId: number, dependencies: Record<string, string> = {}) {
  const files = echoSkill(name, version).map((f) =>
    f.path === 'skill.json' ? { ...f, bytes: new TextEncoder().encode(JSON.stringify({ ...JSON.parse(new TextDecoder().decode(f.bytes)), dependencies })) } : f,
  );
  const validation = validatePackage(files);
  if (!validation.manifest || !validation.skill) throw new Error(`bench skill ${name} is not valid`);
  const tarball = (await pack(files)).bytes;
  const verification: VerificationSummary = { ok: true, passed: 1, failed: 0, cases: [{ case: 'example', status: 'passed', durationMs: 3.2 }], verifiedAt: new Date().toISOString() };
  return {
    name,
    scopeId,
    version,
    manifest: validation.manifest,
    skillMd: new TextDecoder().decode(files.find((f) => f.path === 'SKILL.md')?.bytes),
    body: validation.skill.body,
    description: `${validation.skill.frontmatter.description} Number ${name.length}.`,
    integrity: integrityOf(tarball),
    digest: contentDigest(files),
    files: files.map((f) => ({ path: f.path, size: f.bytes.byteLength, sha256: sha256Hex(f.bytes) })),
    unpackedSize: files.reduce((n, f) => n + f.bytes.byteLength, 0),
    tarball,
    verification,
    publishedBy: adminId,
    tag: undefined,
    kind: 'code' as const,
    trust: 'verified' as const,
    trustReasons: [],
    provenance: undefined,
    tarballSha256: sha256Hex(tarball),
    skillMdSha256: sha256Hex(files.find((f) => f.path === 'SKILL.md')?.bytes ?? new Uint8Array()),
  };
}

const started = performance.now();
// One template per scope, renamed per skill: packing 10,000 tarballs would dominate the setup.
const templates = new Map<number, Awaited<ReturnType<typeof record>>>();
for (const scope of scopes) templates.set(scope.id, await record(`${scope.name}/template`, '1.0.0', scope.id));
for (let i = 0; i < SKILLS; i++) {
  const scope = scopes[i % scopes.length] ?? scopes[0];
  const template = templates.get(scope?.id ?? 0);
  if (!scope || !template) throw new Error('no template');
  await insert({ ...template, name: `${scope.name}/skill-${i}` });
}
const big = '@bench/popular';
for (let v = 0; v < VERSIONS; v++) await insert(await record(big, `1.${v}.0`, scopes[0]?.id ?? 0, { '@bench/skill-4': '^1.0.0' }));
for (let i = 0; i < 20; i++) await insert({ ...(await record(`@tools/uses-popular-${i}`, '1.0.0', scopes[1]?.id ?? 0, { [big]: '^1.0.0' })) });
console.log(`setup: ${SKILLS + 21} skills, ${SKILLS + VERSIONS + 20} versions in ${((performance.now() - started) / 1000).toFixed(1)} s`);

const app = createApp({ storage, config: {}, verify: () => Promise.reject(new Error('no publishing in this bench')) });
for (let i = 0; i < 50; i++) await (await app.request(`/v1/skills/${big}/-/popular-1.${i % VERSIONS}.0.tgz`)).arrayBuffer();
await app.close();

async function measure(label: string, url: string, target = true): Promise<{ p50: number; p95: number; cold: number; bytes: number }> {
  const headers = { Accept: 'text/html' };
  const t0 = performance.now();
  const first = await app.request(url, { headers });
  const body = await first.text();
  const cold = performance.now() - t0;
  if (first.status !== 200) throw new Error(`${label}: ${first.status} ${body.slice(0, 200)}`);
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    const res = await app.request(url, { headers });
    await res.text();
    times.push(performance.now() - t);
  }
  const s = summary(times);
  const sorted = [...times].sort((a, b) => a - b);
  const p95 = sorted[Math.ceil(0.95 * sorted.length) - 1] ?? Number.NaN;
  const bytes = Buffer.byteLength(body);
  console.log(`${label}: p50 ${ms(s.p50)}, p95 ${ms(p95)}, first (cold caches) ${ms(cold)}; ${(bytes / 1024).toFixed(1)} KB${target ? ' (targets: < 10 ms, < 100 KB)' : ''}`);
  return { p50: s.p50, p95, cold, bytes };
}

const home = await measure(`home page, ${SKILLS} skills`, '/');
const skill = await measure(`skill page, ${VERSIONS} versions`, `/${big}`);
// Not a target: the word matches all 10,000 skills, so it ranks them all (as /v1/search does).
const search = await measure('search page, "skill" matching every skill, first 20', '/search?q=skill', false);

// What a tarball GET pays for being counted: one map update (writes are batched).
const counter = new DownloadCounter(storage.db, { flushMs: 60_000 });
const skillRow = await store.skill(big);
if (!skillRow) throw new Error('no popular skill');
const N = 1_000_000;
const t1 = performance.now();
for (let i = 0; i < N; i++) counter.count(skillRow, `1.${i % VERSIONS}.0`);
const perCount = ((performance.now() - t1) * 1e6) / N;
const t2 = performance.now();
await counter.flush();
const flushMs = performance.now() - t2;
console.log(`counting a download: ${perCount.toFixed(0)} ns per tarball GET; writing ${VERSIONS} pending version counts (${N} downloads): ${ms(flushMs)} in one transaction`);

await saveResults('web', {
  skills: SKILLS,
  versions: VERSIONS,
  homeP50Ms: home.p50,
  homeP95Ms: home.p95,
  homeBytes: home.bytes,
  skillP50Ms: skill.p50,
  skillP95Ms: skill.p95,
  skillColdMs: skill.cold,
  skillBytes: skill.bytes,
  searchP50Ms: search.p50,
  searchBytes: search.bytes,
  countNs: perCount,
  flushMs,
});
void boot;
await app.close();
await storage.close();
await fs.rm(dir, { recursive: true, force: true });
