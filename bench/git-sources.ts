/**
 * Git sources (issue 12): installing 15 plain skills from one local git repository with real
 * `skills` processes, cold (empty cache, no lockfile) and warm: `skills ci` from the lockfile with
 * the cache (no git at all), a fresh install of the same tag (one `git ls-remote`, no clone), and
 * of the same commit id (no git at all). A logging `git` on PATH counts the git processes each
 * run starts. BENCH_RUNS sets the runs per case (default 5); the median is reported.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { makeRepo, skillMd, type RepoFile } from '../testkit/git-repo';
import { machine, ms, saveResults, summary } from './stats';

const exec = promisify(execFile);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const SKILLS = 15;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = path.join(ROOT, 'bin', 'skills.js');

function run(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`skills ${args.join(' ')} failed: ${out.slice(0, 2000)}`))));
  });
}

console.log(`machine: ${machine()}`);
const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'skills-bench-git-'));
const files: Record<string, RepoFile> = {};
for (let i = 0; i < SKILLS; i++) {
  const name = `skill-${String(i).padStart(2, '0')}`;
  files[`skills/${name}/SKILL.md`] = skillMd(name, { version: '"1.0.0"' }, `# ${name}\n\n${'Instructions for the bench. '.repeat(40)}\n`);
  files[`skills/${name}/references/guide.md`] = `# Guide\n\n${'Reference text. '.repeat(200)}\n`;
  files[`skills/${name}/assets/data.bin`] = new Uint8Array(Array.from({ length: 4096 }, (_, j) => (j * 31 + i) % 256));
  if (i % 3 === 0) files[`skills/${name}/scripts/run.py`] = 'print("hello")\n';
}
const repo = await makeRepo(path.join(dir, 'repo'), files, { tag: 'v1.0.0' });
const commit = (await exec('git', ['-C', repo, 'rev-parse', 'HEAD'])).stdout.trim();
const realGit = (await exec('sh', ['-c', 'command -v git'])).stdout.trim();
const bin = path.join(dir, 'bin');
const log = path.join(dir, 'git.log');
await fs.mkdir(bin);
await fs.writeFile(path.join(bin, 'git'), `#!/bin/sh\necho "$*" >> ${log}\nexec ${realGit} "$@"\n`, { mode: 0o755 });
const gitCalls = async () => (await fs.readFile(log, 'utf8').catch(() => '')).split('\n').filter((l) => l !== '');

const cases: Record<string, number[]> = { cold: [], 'warm: ci from the lockfile': [], 'warm: install by tag': [], 'warm: install by commit id': [] };
const calls: Record<string, string[]> = {};
const spec = `git+file://${repo}#v1.0.0`;
for (let r = 0; r < RUNS; r++) {
  const cache = path.join(dir, `cache-${r}`);
  const env = { PATH: `${bin}:${process.env.PATH ?? ''}`, SKILLS_CACHE_DIR: cache, SKILLS_CONFIG_DIR: path.join(dir, 'config') };
  const measure = async (name: string, args: string[], cwd: string) => {
    await fs.rm(log, { force: true });
    (cases[name] as number[]).push(await run(args, cwd, env));
    calls[name] = (await gitCalls()).map((c) => c.split(' ').find((w) => ['ls-remote', 'fetch', 'init', 'ls-tree', 'cat-file', 'rev-parse'].includes(w)) ?? 'other');
  };
  const cold = path.join(dir, `cold-${r}`);
  await fs.mkdir(cold);
  await measure('cold', ['install', spec, '--all', '--allow-unverified'], cold);
  const ci = path.join(dir, `ci-${r}`);
  await fs.mkdir(ci);
  for (const f of ['skills.json', 'skills-lock.json']) await fs.copyFile(path.join(cold, f), path.join(ci, f));
  await measure('warm: ci from the lockfile', ['ci'], ci);
  const byTag = path.join(dir, `tag-${r}`);
  await fs.mkdir(byTag);
  await measure('warm: install by tag', ['install', spec, '--all', '--allow-unverified'], byTag);
  const byCommit = path.join(dir, `commit-${r}`);
  await fs.mkdir(byCommit);
  await measure('warm: install by commit id', ['install', `git+file://${repo}#${commit}`, '--all', '--allow-unverified'], byCommit);
}

const figures: Record<string, unknown> = { skills: SKILLS, runs: RUNS };
console.log(`${SKILLS} plain skills (${SKILLS / 3} with a Python script) from one local git repository, ${RUNS} runs each, real \`skills\` processes:`);
for (const [name, samples] of Object.entries(cases)) {
  const s = summary(samples);
  const gitRuns = calls[name] ?? [];
  figures[name] = { medianMs: Math.round(s.p50), meanMs: Math.round(s.mean), gitProcesses: gitRuns.length, git: gitRuns };
  console.log(`  ${name.padEnd(28)} median ${ms(s.p50).padStart(9)}  mean ${ms(s.mean).padStart(9)}  git processes: ${gitRuns.length}${gitRuns.length > 0 ? ` (${gitRuns.join(', ')})` : ''}`);
}
await saveResults('git-sources', figures);
await fs.rm(dir, { recursive: true, force: true });
