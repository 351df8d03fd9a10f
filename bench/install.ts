/**
 * Install figures (issues 5, 7 and 15), for each size in BENCH_INSTALL_SIZES (default 50 and 200)
 * skills with 3 fixtures each, from a local registry running in its own process:
 *
 * - cold: `skills install` of every spec into a fresh workspace with an empty cache (resolve,
 *   download, check, verify every fixture in the sandbox, audit, write);
 * - warm: `skills ci` with the cache and lockfile of that install and a fresh ./skills;
 *
 * and in the same run, alternating with ours, `npm install` of the same tarballs as npm packages
 * from Verdaccio (cold: empty npm cache) and `npm ci --prefer-offline` (warm: npm cache +
 * package-lock, fresh node_modules). Wall time of the whole command, start-up included; each
 * figure the median of BENCH_REPEAT runs (at least 3) with min and max. VERDACCIO_DIR as in
 * bench/registry.ts. PROFILE_CLI=<dir> writes a CPU profile of the first cold and warm run of
 * each size there.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { create as createTar } from 'tar';
import { pack } from '../tarball/pack';
import { skillFiles, textResult } from '../testkit/skill-files';
import { startRegistryProcess } from './lib/registry-process';
import { benchRuns, machine, printSettings, saveResults, shown, spread, type Spread } from './stats';
import { startVerdaccio, verdaccioPort, writeVerdaccioPackage, type Verdaccio } from './verdaccio';

const SIZES = (process.env.BENCH_INSTALL_SIZES ?? '50,200').split(',').map(Number).filter((n) => n > 0);
const MOST = Math.max(...SIZES);
const RUNS = benchRuns();
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = path.join(ROOT, 'bin', 'skills.js');
const PROFILE = process.env.PROFILE_CLI;

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

/** Runs a command to completion and returns its wall time in ms. */
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
const settings = printSettings({
  sizes: { value: SIZES.join(', '), why: 'BENCH_INSTALL_SIZES' },
  'registry publishesPerMinute': { value: 1_000_000, default: 120, why: 'the bench publishes every skill with one token' },
  'skills CLI': { value: 'defaults (sandbox verification of every fixture on cold installs)' },
  npm: { value: `npm ${await new Promise<string>((resolve) => { const c = spawn('npm', ['--version']); let v = ''; c.stdout.on('data', (d: Buffer) => (v += d.toString())); c.on('close', () => resolve(v.trim())); })}, --no-audit --no-fund --loglevel=error, its own empty cache per cold run` },
  runs: { value: `${RUNS} per figure, ours and npm alternating` },
  verdaccio: { value: process.env.VERDACCIO_DIR ? 'Verdaccio from VERDACCIO_DIR, log level fatal, packages written straight into its storage' : 'skipped (VERDACCIO_DIR unset)' },
});

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'skills-bench-install-'));
const registry = await startRegistryProcess({ db: path.join(dir, 'registry.db'), config: { publishesPerMinute: 1_000_000 } });
const admin = registry.adminToken;
const call = (method: string, url: string, body?: unknown) => fetch(`${registry.url}${url}`, { method, headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
await call('POST', '/v1/teams', { name: 'bench' });
await call('POST', '/v1/scopes', { name: '@bench', team: 'bench' });
const packed: { name: string; files: ReturnType<typeof skill> }[] = [];
for (let i = 0; i < MOST; i++) {
  const files = skill(i);
  const bytes = (await pack(files)).bytes;
  const res = await fetch(`${registry.url}/v1/skills/@bench/skill-${i}`, { method: 'PUT', headers: { Authorization: `Bearer ${admin}` }, body: bytes });
  if (res.status !== 201) throw new Error(`publish ${i}: ${res.status} ${await res.text()}`);
  packed.push({ name: `@bench/skill-${i}`, files });
}

let verdaccio: Verdaccio | undefined;
if (process.env.VERDACCIO_DIR) {
  const port = verdaccioPort();
  const storage = path.join(dir, 'verdaccio-storage');
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
  }
  verdaccio = await startVerdaccio(process.env.VERDACCIO_DIR, dir, storage, port);
}

const startup: number[] = [];
for (let r = 0; r < RUNS; r++) startup.push(await timed(process.execPath, [BIN, '--version'], dir, {}));
const start = spread(startup);
console.log(`skills --version (start-up alone): ${shown(start, fmt)}`);

function fmt(value: number): string {
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${Math.round(value)} ms`;
}

/**
 * The file system's share: the same skills' files written by a bare loop (folders first, then
 * every file at once on the thread pool, no checks), on the same disk as the workspaces. A warm
 * install cannot be faster than this plus start-up.
 */
async function writeFloor(n: number): Promise<{ ms: number; folders: number; files: number }> {
  const out = await fs.mkdtemp(path.join(dir, 'floor-'));
  const started = performance.now();
  const folders = new Set<string>();
  let files = 0;
  for (const p of packed.slice(0, n)) {
    for (const f of p.files) {
      for (let d = path.dirname(path.join(p.name, f.path)); d !== '.' && d !== '@bench'; d = path.dirname(d)) folders.add(d);
      files++;
    }
  }
  const sorted = [...folders].sort((a, b) => a.length - b.length);
  await fs.mkdir(path.join(out, '@bench'));
  for (const d of sorted) await fs.mkdir(path.join(out, d), { recursive: true });
  await Promise.all(packed.slice(0, n).flatMap((p) => p.files.map((f) => fs.writeFile(path.join(out, p.name, f.path), f.bytes))));
  const ms = performance.now() - started;
  await fs.rm(out, { recursive: true, force: true });
  return { ms, folders: folders.size, files };
}

const figures: Record<string, unknown> = { settings, startupMs: start };
const rows = ['| Skills | skills install (cold) | npm install (cold) | npm/skills | skills ci (warm) | npm ci --prefer-offline (warm) | npm/skills |', '| --- | --- | --- | --- | --- | --- | --- |'];
const bySize = new Map<number, { cold: Spread; warm: Spread }>();
let run = 0;
try {
  for (const n of SIZES) {
    const specs = packed.slice(0, n).map((p) => p.name);
    const ours = { cold: [] as number[], warm: [] as number[] };
    const theirs = { cold: [] as number[], warm: [] as number[] };
    for (let r = 0; r < RUNS; r++) {
      const base = path.join(dir, `run-${run++}`);
      const mine = async () => {
        const ws = path.join(base, 'ws');
        await fs.mkdir(ws, { recursive: true });
        const env = { SKILLS_CACHE_DIR: path.join(base, 'cache'), SKILLS_CONFIG_DIR: path.join(base, 'config'), SKILLS_REGISTRY: registry.url };
        const prof = (kind: string) => (PROFILE && r === 0 ? ['--cpu-prof', '--cpu-prof-dir', path.join(PROFILE, `${kind}-${n}`)] : []);
        ours.cold.push(await timed(process.execPath, [...prof('cold'), BIN, 'install', ...specs, '--json'], ws, env));
        await fs.rm(path.join(ws, 'skills'), { recursive: true });
        ours.warm.push(await timed(process.execPath, [...prof('warm'), BIN, 'ci', '--json'], ws, env));
      };
      const peer = verdaccio
        ? async () => {
            const project = path.join(base, 'npm-project');
            await fs.mkdir(project, { recursive: true });
            const deps = Object.fromEntries(Array.from({ length: n }, (_, i) => [`bench-skill-${i}`, '1.0.0']));
            await fs.writeFile(path.join(project, 'package.json'), JSON.stringify({ name: 'bench-project', private: true, dependencies: deps }));
            const npmEnv = { npm_config_registry: `${verdaccio?.url}/`, npm_config_cache: path.join(base, 'npm-cache'), npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
            theirs.cold.push(await timed('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], project, npmEnv));
            await fs.rm(path.join(project, 'node_modules'), { recursive: true });
            theirs.warm.push(await timed('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error', '--prefer-offline'], project, npmEnv));
          }
        : undefined;
      if (r % 2 === 0 || !peer) {
        await mine();
        await peer?.();
      } else {
        await peer();
        await mine();
      }
      await fs.rm(base, { recursive: true, force: true });
    }
    const floorRuns: number[] = [];
    let shape = { folders: 0, files: 0 };
    for (let r = 0; r < RUNS; r++) {
      const f = await writeFloor(n);
      floorRuns.push(f.ms);
      shape = { folders: f.folders, files: f.files };
    }
    const floor = spread(floorRuns);
    console.log(`${n} skills: file-system floor (the same ${shape.folders} folders and ${shape.files} files written by a bare loop on the same disk): ${shown(floor, fmt)}`);
    const cold = spread(ours.cold);
    const warm = spread(ours.warm);
    bySize.set(n, { cold, warm });
    const npmCold = theirs.cold.length > 0 ? spread(theirs.cold) : undefined;
    const npmWarm = theirs.warm.length > 0 ? spread(theirs.warm) : undefined;
    const coldRatio = npmCold ? npmCold.median / cold.median : undefined;
    const warmRatio = npmWarm ? npmWarm.median / warm.median : undefined;
    console.log(`${n} skills: skills install cold ${shown(cold, fmt)}, skills ci warm ${shown(warm, fmt)}${npmCold && npmWarm ? `; npm install cold ${shown(npmCold, fmt)}, npm ci warm ${shown(npmWarm, fmt)}; npm/skills cold ${coldRatio?.toFixed(2)}x, warm ${warmRatio?.toFixed(2)}x` : ''}`);
    rows.push(`| ${n} | ${shown(cold, fmt)} | ${npmCold ? shown(npmCold, fmt) : ''} | ${coldRatio ? `${coldRatio.toFixed(2)}x` : ''} | ${shown(warm, fmt)} | ${npmWarm ? shown(npmWarm, fmt) : ''} | ${warmRatio ? `${warmRatio.toFixed(2)}x` : ''} |`);
    figures[`${n}`] = { floor, cold, warm, npmCold: npmCold ?? null, npmWarm: npmWarm ?? null, coldRatio, warmRatio };
  }
} finally {
  verdaccio?.stop();
}
if (SIZES.length >= 2) {
  const small = SIZES[0] ?? 0;
  const large = SIZES.at(-1) ?? 0;
  const a = bySize.get(small);
  const b = bySize.get(large);
  if (a && b) {
    const growth = { skills: large / small, cold: b.cold.median / a.cold.median, warm: b.warm.median / a.warm.median };
    console.log(`growth from ${small} to ${large} skills (${growth.skills.toFixed(1)}x the skills): cold ${growth.cold.toFixed(2)}x the time, warm ${growth.warm.toFixed(2)}x`);
    figures.growth = growth;
  }
}
console.log(`\n${rows.join('\n')}`);
await saveResults('install', figures);
await registry.stop();
await fs.rm(dir, { recursive: true, force: true });
