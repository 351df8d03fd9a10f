/**
 * A real `skills install` of 32 skills from a real registry, killed with SIGKILL at several points:
 * while it holds the lock, once its staging folder appears, once its journal is written (nothing
 * moved yet), and between folder moves (after 1, 16 and 31 of them; the documented test hook
 * SKILLS_TEST_PAUSE_AFTER_MOVES stops the journal's apply there, so no race decides the point). The
 * next command must recover the workspace to the old one or the new one, byte for byte, and to the
 * new one whenever the journal was written.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli } from '../testkit/cli';
import { skillFiles } from '../testkit/skill-files';
import { tempDir } from '../testkit/temp';
import { tree } from '../testkit/tree';
import { liveRegistry, type LiveRegistry } from '../testkit/workspace';

const OLD_COUNT = 4;
const NEW_COUNT = 32;
const names = Array.from({ length: OLD_COUNT + NEW_COUNT }, (_, i) => `@k/s${i}`);
const JOURNAL = '.skills-journal.json';

let live: LiveRegistry;
let base: string;
let env: NodeJS.ProcessEnv;
let oldWs: string;
let newWs: string;
let oldTree: Record<string, string>;
let newTree: Record<string, string>;
let counter = 0;

const installArgs = ['install', ...names.slice(OLD_COUNT), '--json'];

beforeAll(async () => {
  live = await liveRegistry(['@k']);
  for (let i = 0; i < names.length; i++) {
    const files = skillFiles({ name: `s${i}`, scope: '@k', code: `export function f() { return ${i}; }`, fixtures: { c: { call: { export: 'f', args: [] }, expect: { returns: i } } } });
    expect((await live.publish(files)).status).toBe(201);
  }
  base = await tempDir('kill');
  // One cache for every run: the verdicts of the reference run make the killed runs quick.
  env = { ...process.env, SKILLS_CONFIG_DIR: path.join(base, 'config'), SKILLS_CACHE_DIR: path.join(base, 'cache'), SKILLS_REGISTRY: live.registry.url, SKILLS_LOCK_TIMEOUT_MS: '600000', HOME: path.join(base, 'home') };
  await fs.mkdir(path.join(base, 'home'));
  oldWs = path.join(base, 'old');
  await fs.mkdir(oldWs);
  const first = await runCli(['install', ...names.slice(0, OLD_COUNT), '--json'], { cwd: oldWs, env, timeoutMs: 300_000 });
  expect(first.code, first.stdout + first.stderr).toBe(0);
  oldTree = await tree(oldWs);
  newWs = await copyOfOld();
  const full = await runCli(installArgs, { cwd: newWs, env, timeoutMs: 300_000 });
  expect(full.code, full.stdout + full.stderr).toBe(0);
  newTree = await tree(newWs);
  expect(Object.keys(newTree).filter((p) => /^skills\/s\d+\/SKILL\.md$/.test(p))).toHaveLength(OLD_COUNT + NEW_COUNT);
}, 600_000);

afterAll(async () => {
  await live.close();
  await fs.rm(base, { recursive: true, force: true });
});

async function copyOfOld(): Promise<string> {
  const ws = path.join(base, `ws-${counter++}`);
  await fs.cp(oldWs, ws, { recursive: true, verbatimSymlinks: true });
  return ws;
}

function start(ws: string, extra: NodeJS.ProcessEnv = {}): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, ...installArgs], { cwd: ws, env: { ...env, ...extra }, stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited };
}

/** Polls until `found` holds or the process ends; true when found while it was still running. */
async function until(exited: Promise<unknown>, found: () => Promise<boolean>): Promise<boolean> {
  let ended = false;
  void exited.then(() => (ended = true));
  for (;;) {
    if (await found()) return !ended;
    if (ended) return false;
    await new Promise((r) => setTimeout(r, 2));
  }
}

const exists = (p: string) => fs.lstat(p).then(() => true, () => false);
const inSkills = async (ws: string, re: RegExp) => (await fs.readdir(path.join(ws, 'skills')).catch(() => [] as string[])).some((n) => re.test(n));

/** Runs the next writing command (`skills install`, nothing to add) and returns which workspace it left: 'old' or 'new' (else fails). */
async function recovered(ws: string): Promise<'old' | 'new'> {
  const next = await runCli(['install', '--json'], { cwd: ws, env, timeoutMs: 300_000 });
  expect(next.code, next.stdout + next.stderr).toBe(0);
  const now = await tree(ws);
  if (JSON.stringify(now) === JSON.stringify(newTree)) return 'new';
  expect(now, 'the workspace is neither the old nor the new one').toEqual(oldTree);
  return 'old';
}

describe(`SIGKILL during a real install of ${NEW_COUNT} skills`, () => {
  it('while it holds the workspace lock: old or new, byte for byte', async () => {
    const ws = await copyOfOld();
    const { child, exited } = start(ws);
    await until(exited, () => exists(path.join(ws, '.skills.lock')));
    child.kill('SIGKILL');
    await exited;
    expect(['old', 'new']).toContain(await recovered(ws));
  }, 300_000);

  it('once its staging folder appears: old or new, byte for byte', async () => {
    const ws = await copyOfOld();
    const { child, exited } = start(ws);
    await until(exited, () => inSkills(ws, /^\.staging-[0-9a-f]{12}$/));
    child.kill('SIGKILL');
    await exited;
    expect(['old', 'new']).toContain(await recovered(ws));
  }, 300_000);

  it('once its journal appears (polled): the new workspace', async () => {
    const ws = await copyOfOld();
    const { child, exited } = start(ws);
    await until(exited, () => exists(path.join(ws, 'skills', JOURNAL)));
    child.kill('SIGKILL');
    await exited;
    expect(await recovered(ws)).toBe('new');
  }, 300_000);

  for (const moves of [0, 1, 16, 31]) {
    it(`${moves === 0 ? 'with the journal written and nothing moved' : `between folder moves (after ${moves})`}: the new workspace`, async () => {
      const ws = await copyOfOld();
      const pauseFile = path.join(base, `paused-${counter++}`);
      const { child, exited } = start(ws, { SKILLS_TEST_PAUSE_AFTER_MOVES: String(moves), SKILLS_TEST_PAUSE_FILE: pauseFile });
      expect(await until(exited, () => exists(pauseFile)), 'the install reached the pause').toBe(true);
      // Really in the middle: the journal is there, and exactly `moves` staged folders have gone.
      expect(await exists(path.join(ws, 'skills', JOURNAL))).toBe(true);
      const staging = (await fs.readdir(path.join(ws, 'skills'))).find((n) => /^\.staging-/.test(n)) ?? '';
      expect(await fs.readdir(path.join(ws, 'skills', staging))).toHaveLength(NEW_COUNT - moves);
      child.kill('SIGKILL');
      await exited;
      expect(await recovered(ws)).toBe('new');
    }, 300_000);
  }

  it('killed after the moves, while writing skills.json and the lockfile (their temporary files left): the new workspace, no temporary file', async () => {
    const ws = await copyOfOld();
    const pauseFile = path.join(base, `paused-${counter++}`);
    const { child, exited } = start(ws, { SKILLS_TEST_PAUSE_AFTER_MOVES: String(NEW_COUNT), SKILLS_TEST_PAUSE_FILE: pauseFile });
    expect(await until(exited, () => exists(pauseFile)), 'the install reached the pause').toBe(true);
    child.kill('SIGKILL');
    await exited;
    // What writeFileAtomic leaves when killed between writing its temporary file and renaming it.
    await fs.writeFile(path.join(ws, '.skills.json.0123456789ab.tmp'), '{"dependencies": {');
    await fs.writeFile(path.join(ws, '.skills-lock.json.ba9876543210.tmp'), '');
    expect(await recovered(ws)).toBe('new');
  }, 300_000);
});
