/**
 * Install figures (issue 5/7): 50 skills with 3 fixtures each from a local registry, cold (empty
 * cache, no lockfile) and warm (cache + lockfile, fresh ./skills), every fixture verified; and in
 * the same run `npm install` of the same 50 tarballs as npm packages from Verdaccio, cold (empty
 * npm cache) and warm (cache + package-lock), as ratios. VERDACCIO_DIR as in bench/registry.ts.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { create as createTar } from 'tar';
import { startRegistry } from '../registry-server/index';
import { pack } from '../tarball/pack';
import { skillFiles, textResult } from '../test/helpers/skill-files';
import { machine, ms, saveResults } from './stats';
import { startVerdaccio, verdaccioPort, writeVerdaccioPackage } from './verdaccio';

const COUNT = Number(process.env.BENCH_SKILLS ?? 50);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = path.join(ROOT, 'bin', 'skills.js');

function skill(i: number) {
  const name = `skill-${i}`;
  return skillFiles({
    name,
    scope: '@bench',
    code: `import { echo } from '../../servers/everything';\nexport async function shout(text: string) { return { loud: String(await echo({ message: text.toUpperCase() })) }; }\nexport function add(a: number, b: number) { return a + b; }`,
    mcp: { everything: ['echo'] },
    fixtures: {
      hello: { call: { export: 'shout', args: ['hello'] }, mcp: [{ server: 'everything', tool: 'echo', arguments: { message: 'HELLO' }, result: textResult('Echo: HELLO') }], expect: { returns: { loud: 'Echo: HELLO' } } },
      sum: { call: { export: 'add', args: [i, 1] }, expect: { returns: i + 1 } },
      fails: { call: { export: 'shout', args: ['x'] }, mcp: [{ server: 'everything', tool: 'echo', arguments: { message: 'X' }, result: { content: [{ type: 'text', text: 'boom' }], isError: true } }], expect: { throws: 'boom' } },
    },
  });
}

/** Runs a command without blocking this process (the registry under test lives in it). */
function timed(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`${cmd} ${args.slice(0, 3).join(' ')} failed: ${out.slice(0, 2000)}`))));
  });
}

console.log(`machine: ${machine()}`);
const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'skills-bench-install-'));
const registry = await startRegistry({ port: 0, db: path.join(dir, 'registry.db'), config: { publishesPerMinute: 1_000_000 } });
const admin = registry.adminToken ?? '';
const call = (method: string, url: string, body?: unknown) => fetch(`${registry.url}${url}`, { method, headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
await call('POST', '/v1/teams', { name: 'bench' });
await call('POST', '/v1/scopes', { name: '@bench', team: 'bench' });
const packed: { name: string; files: ReturnType<typeof skill>; bytes: Uint8Array }[] = [];
for (let i = 0; i < COUNT; i++) {
  const files = skill(i);
  const bytes = (await pack(files)).bytes;
  const res = await fetch(`${registry.url}/v1/skills/@bench/skill-${i}`, { method: 'PUT', headers: { Authorization: `Bearer ${admin}` }, body: bytes });
  if (res.status !== 201) throw new Error(`publish ${i}: ${res.status} ${await res.text()}`);
  packed.push({ name: `@bench/skill-${i}`, files, bytes });
}

const ws = path.join(dir, 'ws');
await fs.mkdir(ws);
const env = { SKILLS_CACHE_DIR: path.join(dir, 'cache'), SKILLS_CONFIG_DIR: path.join(dir, 'config'), SKILLS_REGISTRY: registry.url };
const specs = packed.map((p) => p.name);
const cold = await timed(process.execPath, [...(process.env.PROFILE_CLI ? ['--cpu-prof', '--cpu-prof-dir', process.env.PROFILE_CLI] : []), BIN, 'install', ...specs, '--json'], ws, env);
await fs.rm(path.join(ws, 'skills'), { recursive: true });
const warm = await timed(process.execPath, [BIN, 'ci', '--json'], ws, env);
const figures: Record<string, number> = { skills: COUNT, coldMs: cold, warmMs: warm };
console.log(`skills install, ${COUNT} skills x 3 fixtures, cold (empty cache, resolve, download, verify all): ${ms(cold)}`);
console.log(`skills ci, warm (cache + lockfile, fresh ./skills, verdicts cached):            ${ms(warm)}`);

const verdaccioDir = process.env.VERDACCIO_DIR;
if (!verdaccioDir) {
  console.log('npm + Verdaccio comparison skipped: set VERDACCIO_DIR to a folder with `npm install verdaccio` done');
} else {
  const port = verdaccioPort();
  const storage = path.join(dir, 'verdaccio-storage');
  const deps: Record<string, string> = {};
  for (const [i, p] of packed.entries()) {
    // npm packages need package/package.json: the same files under package/, packed by node-tar.
    const pkg = `bench-skill-${i}`;
    const staging = path.join(dir, 'npm-staging', pkg, 'package');
    for (const f of p.files) {
      await fs.mkdir(path.dirname(path.join(staging, f.path)), { recursive: true });
      await fs.writeFile(path.join(staging, f.path), f.bytes);
    }
    await fs.writeFile(path.join(staging, 'package.json'), JSON.stringify({ name: pkg, version: '1.0.0', description: 'bench' }));
    const tgz = path.join(dir, 'npm-staging', `${pkg}.tgz`);
    await createTar({ gzip: true, file: tgz, cwd: path.dirname(staging), portable: true }, ['package']);
    await writeVerdaccioPackage(storage, port, pkg, await fs.readFile(tgz));
    deps[pkg] = '1.0.0';
  }
  const verdaccio = await startVerdaccio(verdaccioDir, dir, storage, port);
  try {
    const project = path.join(dir, 'npm-project');
    await fs.mkdir(project);
    await fs.writeFile(path.join(project, 'package.json'), JSON.stringify({ name: 'bench-project', private: true, dependencies: deps }));
    const npmEnv = { npm_config_registry: `http://127.0.0.1:${port}/`, npm_config_cache: path.join(dir, 'npm-cache'), npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
    const npmCold = await timed('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], project, npmEnv);
    await fs.rm(path.join(project, 'node_modules'), { recursive: true });
    const npmWarm = await timed('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error', '--prefer-offline'], project, npmEnv);
    console.log(`npm install from Verdaccio, same ${COUNT} tarballs, cold (empty npm cache):           ${ms(npmCold)}`);
    console.log(`npm ci, warm (npm cache + package-lock, fresh node_modules):                 ${ms(npmWarm)}`);
    console.log(`ratio npm/skills (higher: skills faster): cold ${(npmCold / cold).toFixed(2)}x, warm ${(npmWarm / warm).toFixed(2)}x`);
    Object.assign(figures, { npmColdMs: npmCold, npmWarmMs: npmWarm, coldRatio: npmCold / cold, warmRatio: npmWarm / warm });
  } finally {
    verdaccio.stop();
  }
}
await saveResults('install', figures);
await registry.close();
await fs.rm(dir, { recursive: true, force: true });
