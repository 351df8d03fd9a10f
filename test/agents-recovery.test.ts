/**
 * A kill -9 between writing ./skills and linking. Each test builds the exact files such a kill
 * leaves (the sealed journal, skill folders moved in, skills.json and the lockfile written, none or
 * some of the links made, a copy half-written), runs the next real `skills` command, and checks
 * the workspace is then byte for byte the one an uninterrupted run produces; a run killed before
 * its journal existed is rolled back with no link made. Also: what makes links go into the home
 * folder (the global store's sealed marker) cannot be planted in a project.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GLOBAL_MARKER, globalStoreDir } from '../cli/core/agents/scope';
import { install, type InstallRequest } from '../cli/core/install/install';
import { sealJournal } from '../cli/core/install/journal';
import { journalKey } from '../cli/core/install/journal-key';
import { runCli } from '../testkit/cli';
import { STAGING, TRASH, writeJournal } from '../testkit/journal';
import { tempDir } from '../testkit/temp';
import { tree } from '../testkit/tree';

const JOURNAL = '.skills-journal.json';
const read = (dir: string, file: string) => fs.readFile(path.join(dir, file), 'utf8');

let base: string;
let env: NodeJS.ProcessEnv;
let key: Buffer;
let counter = 0;
/** Uninterrupted results: R = pdf and csv installed with .claude/ present; U = R then csv uninstalled; C = R with copies. */
const ref = { R: '', U: '', C: '' };

const src = (name: string) => path.join(base, 'src', name);
const req = (root: string, extra: Partial<InstallRequest> = {}): InstallRequest => ({ root, env, scope: '@me', progress: () => {}, warn: () => {}, ...extra });

async function fresh(): Promise<string> {
  const ws = path.join(base, `ws-${counter++}`);
  await fs.mkdir(path.join(ws, '.claude'), { recursive: true });
  return ws;
}

/** A workspace as the install to `after` leaves it when killed after every skill folder moved in and the files were written, before any link. */
async function killedBeforeLinking(after: string, folders: string[]): Promise<string> {
  const ws = await fresh();
  await fs.mkdir(path.join(ws, 'skills', STAGING), { recursive: true });
  await fs.mkdir(path.join(ws, 'skills', TRASH));
  for (const f of folders) await fs.cp(path.join(after, 'skills', f), path.join(ws, 'skills', f), { recursive: true });
  for (const f of ['skills.json', 'skills-lock.json']) await fs.copyFile(path.join(after, f), path.join(ws, f));
  await writeJournal(ws, key, { install: folders, remove: [], before: undefined, after });
  return ws;
}

/** The links themselves, not only equality with the reference (which the same code made). */
async function expectLinked(ws: string, names: string[]): Promise<void> {
  for (const folder of ['.agents/skills', '.claude/skills']) {
    expect((await fs.readdir(path.join(ws, folder))).sort(), folder).toEqual(names);
    for (const name of names) expect(await fs.readFile(path.join(ws, folder, name, 'SKILL.md'), 'utf8')).toContain(`Body of ${name}.`);
  }
}

async function next(ws: string, command: 'list' | 'install'): Promise<string> {
  const run = await runCli([command, '--json'], { cwd: ws, env: { ...process.env, ...env } });
  expect(run.code, run.stdout + run.stderr).toBe(0);
  return run.json<{ recovered: string }>().recovered;
}

beforeAll(async () => {
  base = await tempDir('agents-recovery');
  env = { HOME: path.join(base, 'home'), SKILLS_CONFIG_DIR: path.join(base, 'config'), SKILLS_CACHE_DIR: path.join(base, 'cache'), XDG_DATA_HOME: '', XDG_CONFIG_HOME: '' };
  await fs.mkdir(env.HOME as string);
  for (const name of ['pdf', 'csv']) {
    await fs.mkdir(src(name), { recursive: true });
    await fs.writeFile(path.join(src(name), 'SKILL.md'), `---\nname: ${name}\ndescription: The ${name} skill.\nmetadata:\n  version: 1.0.0\n---\nBody of ${name}.\n`);
  }
  ref.R = await fresh();
  await install(req(ref.R, { add: [src('pdf'), src('csv')] }));
  ref.U = await fresh();
  await fs.cp(ref.R, ref.U, { recursive: true, verbatimSymlinks: true });
  await install(req(ref.U, { remove: ['@me/csv'] }));
  ref.C = await fresh();
  await install(req(ref.C, { add: [src('pdf'), src('csv')], copy: true }));
  const k = await journalKey(env, { create: true });
  if (!k) throw new Error('no key');
  key = k;
}, 60_000);

afterAll(async () => {
  await fs.rm(base, { recursive: true, force: true });
});

describe('a kill between writing ./skills and linking', () => {
  it('killed before any link was made: the next command makes them all', async () => {
    const ws = await killedBeforeLinking(ref.R, ['csv', 'pdf']);
    expect(await fs.readdir(path.join(ws, '.claude'))).toEqual([]);
    expect(await next(ws, 'list')).toBe('completed');
    await expectLinked(ws, ['csv', 'pdf']);
    expect(await tree(ws)).toEqual(await tree(ref.R));
  });

  it('killed with some links made: completed by the next install', async () => {
    const ws = await killedBeforeLinking(ref.R, ['csv', 'pdf']);
    await fs.mkdir(path.join(ws, '.agents/skills'), { recursive: true });
    await fs.symlink('../../skills/csv', path.join(ws, '.agents/skills/csv'));
    await fs.symlink('../../skills/pdf', path.join(ws, '.agents/skills/pdf'));
    await fs.mkdir(path.join(ws, '.claude/skills'));
    await fs.symlink('../../skills/csv', path.join(ws, '.claude/skills/csv'));
    expect(await next(ws, 'install')).toBe('completed');
    await expectLinked(ws, ['csv', 'pdf']);
    expect(await tree(ws)).toEqual(await tree(ref.R));
  });

  it('copies: killed while writing one copy and after moving an old one aside: completed, leftovers gone', async () => {
    const ws = await killedBeforeLinking(ref.C, ['csv', 'pdf']);
    await fs.mkdir(path.join(ws, '.claude/skills'), { recursive: true });
    await fs.cp(path.join(ref.C, '.claude/skills/csv'), path.join(ws, '.claude/skills/csv'), { recursive: true });
    // A half-written copy, and the previous entry moved aside (both named as cli/core/agents/link.ts names them).
    await fs.mkdir(path.join(ws, '.claude/skills/.skills-copy-abcdef012345'));
    await fs.writeFile(path.join(ws, '.claude/skills/.skills-copy-abcdef012345/SKILL.md'), '---\nname: pd');
    await fs.symlink('../../skills/pdf', path.join(ws, '.claude/skills/.skills-old-abcdef012345'));
    expect(await next(ws, 'list')).toBe('completed');
    await expectLinked(ws, ['csv', 'pdf']);
    expect(await tree(ws)).toEqual(await tree(ref.C));
  });

  it('an uninstall killed after its folder went to the trash, before unlinking: completed, the links gone', async () => {
    const ws = await fresh();
    await fs.cp(ref.R, ws, { recursive: true, verbatimSymlinks: true });
    await writeJournal(ws, key, { install: [], remove: ['csv'], before: ref.R, after: ref.U });
    await fs.mkdir(path.join(ws, 'skills', TRASH));
    await fs.rename(path.join(ws, 'skills', 'csv'), path.join(ws, 'skills', TRASH, 'csv'));
    for (const f of ['skills.json', 'skills-lock.json']) await fs.copyFile(path.join(ref.U, f), path.join(ws, f));
    expect(await next(ws, 'list')).toBe('completed');
    await expectLinked(ws, ['pdf']);
    expect(await tree(ws)).toEqual(await tree(ref.U));
  });

  it('a link-only commit (an empty journal) killed midway: completed', async () => {
    const ws = await fresh();
    await fs.cp(ref.R, ws, { recursive: true, verbatimSymlinks: true });
    await fs.rm(path.join(ws, '.claude/skills'), { recursive: true });
    await fs.rm(path.join(ws, '.agents/skills/pdf'));
    await fs.mkdir(path.join(ws, 'skills', TRASH));
    await fs.writeFile(path.join(ws, 'skills', JOURNAL), sealJournal({ staging: STAGING, trash: TRASH, install: [], remove: [], files: [] }, key));
    expect(await next(ws, 'list')).toBe('completed');
    await expectLinked(ws, ['csv', 'pdf']);
    expect(await tree(ws)).toEqual(await tree(ref.R));
  });

  it('killed before the journal existed: rolled back, no link made', async () => {
    const ws = await fresh();
    await fs.mkdir(path.join(ws, 'skills', STAGING), { recursive: true });
    await fs.cp(path.join(ref.R, 'skills', 'pdf'), path.join(ws, 'skills', STAGING, 'pdf'), { recursive: true });
    expect(await next(ws, 'list')).toBe('cleaned');
    expect(Object.keys(await tree(ws)).filter((p) => p.includes('.agents') || p.startsWith('.claude/'))).toEqual([]);
  });
});

describe('the home folder is only a target for the global store', () => {
  it('a marker planted in a project (forged, or copied from the real store) does not send links into the home folder', async () => {
    const home = env.HOME as string;
    await fs.mkdir(path.join(home, '.claude'), { recursive: true });
    const store = globalStoreDir(env);
    await fs.mkdir(store, { recursive: true });
    await install(req(store, { add: [src('pdf')], global: true }));
    expect(await fs.readlink(path.join(home, '.claude/skills/pdf'))).toBe('../../.local/share/skills/skills/pdf');
    const homeBefore = await tree(home, { ignore: (p) => p.startsWith('.local') });
    const sealed = await read(store, GLOBAL_MARKER);

    const copied = await fresh();
    await fs.writeFile(path.join(copied, GLOBAL_MARKER), sealed);
    const forged = await fresh();
    const body = JSON.stringify({ root: await fs.realpath(forged), home, configHome: path.join(home, '.config') });
    await fs.writeFile(path.join(forged, GLOBAL_MARKER), JSON.stringify({ format: 'skills-global/1', body, mac: 'f'.repeat(64) }));
    for (const ws of [copied, forged]) {
      const result = await install(req(ws, { add: [src('csv')] }));
      expect(result.links.scope).toBe('project');
      expect(await fs.readlink(path.join(ws, '.claude/skills/csv'))).toBe('../../skills/csv');
    }
    expect(await tree(home, { ignore: (p) => p.startsWith('.local') })).toEqual(homeBefore);
  });
});
