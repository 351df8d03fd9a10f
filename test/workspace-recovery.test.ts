/**
 * Crash recovery, at chosen points. Each test builds the exact files a kill -9 at one point of
 * an install, update or uninstall leaves (staging without a journal, a journal with no, half or
 * all moves done, files written but not cleaned up), runs the next real `skills` command, and
 * checks what it reports (`recovered`) and that the workspace is then byte for byte the one a
 * run that was never interrupted produces.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { install } from '../cli/core/install/install';
import { journalKey } from '../cli/core/install/journal-key';
import { runCli } from '../testkit/cli';
import { chainSkills } from '../testkit/skill-files';
import { STAGING, TRASH, writeJournal } from '../testkit/journal';
import { tempDir } from '../testkit/temp';
import { tree } from '../testkit/tree';
import { liveRegistry, type LiveRegistry } from '../testkit/workspace';

const JOURNAL = '.skills-journal.json';

let live: LiveRegistry;
let base: string;
let env: NodeJS.ProcessEnv;
/** Uninterrupted results: R = install @acme/top; U = R then uninstall @acme/top; R2 = R then update (base 1.0.0 -> 1.1.0). */
const ref = { R: '', U: '', R2: '', empty: '' };
let key: Buffer;
let counter = 0;

const read = (dir: string, file: string) => fs.readFile(path.join(dir, file), 'utf8');

beforeAll(async () => {
  live = await liveRegistry(['@acme']);
  const chain = chainSkills();
  for (const files of [chain.base, chain.mid, chain.top]) expect((await live.publish(files)).status).toBe(201);
  base = await tempDir('recovery');
  env = { SKILLS_CONFIG_DIR: path.join(base, 'config'), SKILLS_CACHE_DIR: path.join(base, 'cache'), SKILLS_REGISTRY: live.registry.url };
  const quiet = { env, progress: () => {}, warn: () => {} };
  for (const name of Object.keys(ref) as (keyof typeof ref)[]) {
    ref[name] = path.join(base, `ref-${name}`);
    await fs.mkdir(ref[name]);
  }
  await install({ root: ref.R, add: ['@acme/top'], ...quiet });
  await fs.cp(ref.R, ref.U, { recursive: true, verbatimSymlinks: true });
  await install({ root: ref.U, remove: ['@acme/top'], ...quiet });
  expect((await live.publish(chainSkills('@acme', '1.1.0').base)).status).toBe(201);
  await fs.cp(ref.R, ref.R2, { recursive: true, verbatimSymlinks: true });
  const updated = await install({ root: ref.R2, update: { names: 'all', latest: false }, ...quiet });
  expect(updated.changes).toEqual([{ name: '@acme/base', from: '1.0.0', to: '1.1.0' }]);
  expect((await runCli(['list'], { cwd: ref.empty, env: { ...process.env, ...env } })).code).toBe(0);
  const k = await journalKey(env, { create: true });
  if (!k) throw new Error('no key');
  key = k;
}, 120_000);
afterAll(async () => {
  await live.close();
  await fs.rm(base, { recursive: true, force: true });
});

async function freshWorkspace(from?: string): Promise<string> {
  const ws = path.join(base, `ws-${counter++}`);
  if (from) await fs.cp(from, ws, { recursive: true, verbatimSymlinks: true });
  else await fs.mkdir(ws);
  return ws;
}

async function stage(ws: string, folders: Record<string, string>): Promise<void> {
  await fs.mkdir(path.join(ws, 'skills', STAGING), { recursive: true });
  for (const [folder, from] of Object.entries(folders)) await fs.cp(path.join(from, 'skills', folder), path.join(ws, 'skills', STAGING, folder), { recursive: true });
}

async function next(ws: string, command: 'list' | 'install'): Promise<string> {
  const run = await runCli([command, '--json'], { cwd: ws, env: { ...process.env, ...env } });
  expect(run.code, run.stdout + run.stderr).toBe(0);
  return run.json<{ recovered: string }>().recovered;
}

describe('recovery from a kill at each point of an install', () => {
  it('killed after staging, before the journal: cleaned, the workspace as if nothing ran', async () => {
    const ws = await freshWorkspace();
    await stage(ws, { base: ref.R, mid: ref.R, top: ref.R });
    // Killed while writing the journal: its temporary file (cli/core/workspace/write-atomic.ts names it) exists, the journal does not.
    await fs.writeFile(path.join(ws, 'skills', `.${JOURNAL}.abcdef012345.tmp`), '{"format":"skills-jou');
    expect(await next(ws, 'list')).toBe('cleaned');
    expect(await tree(ws)).toEqual(await tree(ref.empty));
  });

  it('killed after the journal, before any move: completed', async () => {
    const ws = await freshWorkspace();
    await stage(ws, { base: ref.R, mid: ref.R, top: ref.R });
    await writeJournal(ws, key, { install: ['base', 'mid', 'top'], remove: [], before: undefined, after: ref.R });
    expect(await next(ws, 'list')).toBe('completed');
    expect(await tree(ws)).toEqual(await tree(ref.R));
  });

  it('killed with half the moves done: completed by the next install', async () => {
    const ws = await freshWorkspace();
    await stage(ws, { base: ref.R, mid: ref.R, top: ref.R });
    await writeJournal(ws, key, { install: ['base', 'mid', 'top'], remove: [], before: undefined, after: ref.R });
    await fs.mkdir(path.join(ws, 'skills', TRASH));
    await fs.rename(path.join(ws, 'skills', STAGING, 'base'), path.join(ws, 'skills', 'base'));
    expect(await next(ws, 'install')).toBe('completed');
    expect(await tree(ws)).toEqual(await tree(ref.R));
  });

  it('killed with every move done but skills.json and the lockfile not written: completed', async () => {
    const ws = await freshWorkspace();
    await stage(ws, { base: ref.R, mid: ref.R, top: ref.R });
    await writeJournal(ws, key, { install: ['base', 'mid', 'top'], remove: [], before: undefined, after: ref.R });
    await fs.mkdir(path.join(ws, 'skills', TRASH));
    for (const f of ['base', 'mid', 'top']) await fs.rename(path.join(ws, 'skills', STAGING, f), path.join(ws, 'skills', f));
    // ... and skills.json written, the lockfile not (killed between the two).
    await fs.writeFile(path.join(ws, 'skills.json'), await read(ref.R, 'skills.json'));
    expect(await next(ws, 'list')).toBe('completed');
    expect(await tree(ws)).toEqual(await tree(ref.R));
  });

  it('killed after writing the files, before cleaning up: completed, trash and staging gone', async () => {
    const ws = await freshWorkspace(ref.R);
    await writeJournal(ws, key, { install: ['base', 'mid', 'top'], remove: [], before: undefined, after: ref.R });
    await fs.mkdir(path.join(ws, 'skills', STAGING));
    await fs.cp(path.join(ref.R, 'skills', 'top'), path.join(ws, 'skills', TRASH, 'top'), { recursive: true });
    expect(await next(ws, 'list')).toBe('completed');
    expect(await tree(ws)).toEqual(await tree(ref.R));
  });
});

describe('recovery from a kill during an update or an uninstall', () => {
  it('an update killed after the old folder went to the trash, before the new one moved in: completed', async () => {
    const ws = await freshWorkspace(ref.R);
    await stage(ws, { base: ref.R2 });
    await writeJournal(ws, key, { install: ['base'], remove: [], before: ref.R, after: ref.R2 });
    await fs.mkdir(path.join(ws, 'skills', TRASH));
    await fs.rename(path.join(ws, 'skills', 'base'), path.join(ws, 'skills', TRASH, 'base'));
    expect(await next(ws, 'list')).toBe('completed');
    expect(await tree(ws)).toEqual(await tree(ref.R2));
    expect(await read(path.join(ws, 'skills', 'base'), 'index.ts')).toContain("VERSION = '1.1.0'");
  });

  it('an uninstall killed with one of three folders removed: completed', async () => {
    const ws = await freshWorkspace(ref.R);
    await fs.mkdir(path.join(ws, 'skills', STAGING));
    await writeJournal(ws, key, { install: [], remove: ['base', 'mid', 'top'], before: ref.R, after: ref.U });
    await fs.mkdir(path.join(ws, 'skills', TRASH));
    await fs.rename(path.join(ws, 'skills', 'top'), path.join(ws, 'skills', TRASH, 'top'));
    expect(await next(ws, 'list')).toBe('completed');
    expect(await tree(ws)).toEqual(await tree(ref.U));
  });
});
