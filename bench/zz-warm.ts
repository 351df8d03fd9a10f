import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pack } from '../tarball/pack';
import { echoSkill } from '../testkit/registry';
import { fetchOnceMore } from './lib/fetch-once-more';
import { load, randomKey } from './lib/load';
import { openProfile, type ProfileName } from './lib/registry-profiles';
import { publishSlice, readAll } from './lib/registry-publish';
import { benchSkillFiles } from './lib/skill-text';

const N = Number(process.env.N ?? 200);
const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'zz-warm-'));
const ACCEPT = { 'Accept-Encoding': 'gzip' };
for (const name of (process.env.P ?? 'postgres,sqlite').split(',') as ProfileName[]) {
  const p = await openProfile(name, dir);
  let reg = await p.start({ config: { publishesPerMinute: 1e6 } });
  for (const [route, body] of [['/v1/teams', { name: 'bench' }], ['/v1/scopes', { name: '@bench', team: 'bench' }]] as const) {
    await fetchOnceMore(`${reg.url}${route}`, { method: 'POST', headers: { Authorization: `Bearer ${p.adminToken}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  }
  const tarballs = [];
  for (let i = 0; i < N; i++) tarballs.push({ name: `@bench/skill-${i}`, bytes: (await pack(benchSkillFiles(echoSkill(`@bench/skill-${i}`), i))).bytes });
  await publishSlice(reg.url, p.adminToken, tarballs, 8);
  await reg.stop();
  reg = await p.start({ config: { publishesPerMinute: 1e6 }, ...(process.env.PROF ? { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', path.join(process.env.PROF, name)] } : {}) });
  const keys = Array.from({ length: N }, (_, i) => i);
  await readAll(reg.url, keys.flatMap((i) => [`/v1/skills/@bench/skill-${i}`, `/v1/skills/@bench/skill-${i}/-/skill-${i}-1.0.0.tgz`]), ACCEPT);
  
  const rnd = randomKey(N);
  for (const [label, f] of [['pack hot', () => `/v1/skills/@bench/skill-5`], ['pack rnd', () => `/v1/skills/@bench/skill-${rnd()}`], ['tgz rnd', () => { const i = rnd(); return `/v1/skills/@bench/skill-${i}/-/skill-${i}-1.0.0.tgz`; }]] as const) {
    for (let r = 0; r < Number(process.env.R ?? 2); r++) {
      const res = await load(label, { url: reg.url, path: f, headers: ACCEPT, connections: 64, durationSeconds: 5, warmupSeconds: 1, sample: () => p.cpu(reg.pid) });
      const s = res.sampled ?? {};
      console.log(`${name} ${label}: ${res.rps.toFixed(0)} rps; cpu/req ms reg ${((s.registry ?? 0) * 1000 / res.requests).toFixed(3)} db ${((s.database ?? 0) * 1000 / res.requests).toFixed(3)} blobs ${((s.blobs ?? 0) * 1000 / res.requests).toFixed(3)}`);
    }
  }
  await reg.stop();
  await p.close();
}
await fs.rm(dir, { recursive: true, force: true });
