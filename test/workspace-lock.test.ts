/**
 * The workspace lock: concurrent real `skills` processes in one workspace never lose an
 * acknowledged install; a stale lock (dead pid, reused pid, unreadable file, dead reaper) is taken
 * over, safely when many processes race for it; a live holder makes every writing command fail
 * with ELOCKED after SKILLS_LOCK_TIMEOUT_MS, naming it; read-only commands do not wait.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { install } from '../cli/core/install/install';
import { withWorkspaceLock } from '../cli/core/workspace/lock';
import { ROOT, runCli } from '../testkit/cli';
import { skillFiles } from '../testkit/skill-files';
import { tempDir } from '../testkit/temp';
import { tree } from '../testkit/tree';
import { liveRegistry, type LiveRegistry } from '../testkit/workspace';

const COUNT = 8;
const names = Array.from({ length: COUNT }, (_, i) => `@t/s${i}`);
let live: LiveRegistry;
let base: string;
let ws: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  live = await liveRegistry(['@t']);
  for (let i = 0; i < COUNT; i++) {
    const files = skillFiles({ name: `s${i}`, scope: '@t', code: `export function f() { return ${i}; }`, fixtures: { c: { call: { export: 'f', args: [] }, expect: { returns: i } } } });
    expect((await live.publish(files)).status).toBe(201);
  }
}, 120_000);
afterAll(async () => {
  await live.close();
});
beforeEach(async () => {
  base = await tempDir('lock');
  ws = path.join(base, 'ws');
  await fs.mkdir(ws);
  // No limit on the wait by default: how long eight installs take depends on the machine.
  env = { SKILLS_CONFIG_DIR: path.join(base, 'config'), SKILLS_CACHE_DIR: path.join(base, 'cache'), SKILLS_REGISTRY: live.registry.url, SKILLS_LOCK_TIMEOUT_MS: '600000' };
});
afterEach(async () => {
  await fs.rm(base, { recursive: true, force: true });
});

const cli = (args: string[], extra: NodeJS.ProcessEnv = {}) => runCli(args, { cwd: ws, env: { ...process.env, ...env, ...extra }, timeoutMs: 300_000 });
const lockFile = () => path.join(ws, '.skills.lock');

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((r) => child.once('exit', r));
  if (child.pid === undefined) throw new Error('no pid');
  return child.pid;
}

function holder(extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ pid: process.pid, host: os.hostname(), started: Date.now(), command: 'skills install', token: randomBytes(16).toString('hex'), ...extra });
}

async function readJson<T>(file: string): Promise<T> {
  return JSON.parse(await fs.readFile(path.join(ws, file), 'utf8')) as T;
}

async function expectAllInstalled(expected: readonly string[]): Promise<void> {
  expect(Object.keys((await readJson<{ dependencies: object }>('skills.json')).dependencies).sort()).toEqual([...expected].sort());
  expect(Object.keys((await readJson<{ skills: object }>('skills-lock.json')).skills).sort()).toEqual([...expected].sort());
  const folders = expected.map((n) => n.split('/')[1] as string);
  expect((await fs.readdir(path.join(ws, 'skills'))).sort()).toEqual(['INDEX.md', ...folders].sort());
  const index = await fs.readFile(path.join(ws, 'skills', 'INDEX.md'), 'utf8');
  for (const f of folders) expect(index).toContain(`skills/${f}/SKILL.md`);
  // No lock, reaper marker or temporary file is left behind.
  expect((await fs.readdir(ws)).sort()).toEqual(['.agents', 'skills', 'skills-lock.json', 'skills.json']);
}

describe('concurrent commands in one workspace', () => {
  it(`${COUNT} concurrent \`skills install\` processes of distinct skills, racing over a stale lock, all land in skills.json and the lockfile`, async () => {
    // A lock left by a process that died: all eight judge it stale at about the same moment.
    await fs.writeFile(lockFile(), holder({ pid: await deadPid() }));
    const runs = await Promise.all(names.map((n) => cli(['install', n, '--json'])));
    for (const run of runs) expect(run.code, run.stdout + run.stderr).toBe(0);
    await expectAllInstalled(names);
  }, 300_000);

  it('concurrent in-process installs (as `skills mcp` makes them) are serialised, and a nested call does not deadlock', async () => {
    const quiet = { progress: () => {}, warn: () => {} };
    const request = (add: string[]) => ({ root: ws, env: { ...env, SKILLS_LOCK_TIMEOUT_MS: '600000' }, add, ...quiet });
    await Promise.all(names.slice(0, 4).map((n) => install(request([n]))));
    await expectAllInstalled(names.slice(0, 4));
    // Inside a holder, install takes no second lock: with a 100 ms limit a self-wait would be ELOCKED.
    const nested = await withWorkspaceLock(ws, { command: 'test', env, progress: () => {} }, () => install({ ...request([names[4] as string]), env: { ...env, SKILLS_LOCK_TIMEOUT_MS: '100' } }));
    expect(nested.changes.map((c) => c.name)).toEqual([names[4]]);
    await expectAllInstalled(names.slice(0, 5));
  }, 120_000);

  it('a second command waits with a message while the lock is held, then goes on', async () => {
    let release = () => {};
    const released = new Promise<void>((r) => (release = r));
    let entered = () => {};
    const holding = new Promise<void>((r) => (entered = r));
    const holder = withWorkspaceLock(ws, { command: 'skills test-holder', env, progress: () => {} }, async () => {
      entered();
      await released;
    });
    await holding;
    const messages: string[] = [];
    const waiting = install({ root: ws, env, add: [names[0] as string], progress: (m) => messages.push(m), warn: () => {} });
    try {
      while (!messages.some((m) => m.startsWith('waiting for the workspace lock'))) await new Promise((r) => setTimeout(r, 10));
      expect(messages.find((m) => m.startsWith('waiting'))).toContain(`held by pid ${process.pid} (skills test-holder)`);
      // Nothing was written while it waited, not even a temporary file (let it poll a few times first).
      await new Promise((r) => setTimeout(r, 300));
      expect(await fs.readdir(ws)).toEqual(['.skills.lock']);
    } finally {
      // Whatever happened above, the waiter must finish before the workspace is removed.
      release();
      await holder;
    }
    await waiting;
    await expectAllInstalled([names[0] as string]);
  }, 60_000);
});

describe('mutual exclusion, recorded', () => {
  it(`${COUNT} \`skills install\` processes all wait while the lock is held, then hold it one after another, never two at once`, async () => {
    const log = path.join(base, 'lock.log');
    const logEnv = { ...env, SKILLS_TEST_LOCK_LOG: log };
    const lines = async () => (await fs.readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean).map((l) => l.split(' ') as [string, string, string]);
    let release = () => {};
    const released = new Promise<void>((r) => (release = r));
    let runs: Promise<Awaited<ReturnType<typeof cli>>[]> = Promise.resolve([]);
    // The test holds the lock (logged like any holder) until every process has said it waits: no timing involved.
    await withWorkspaceLock(ws, { command: 'skills test-holder', env: logEnv, progress: () => {} }, async () => {
      runs = Promise.all(names.map((n) => cli(['install', n, '--json'], { SKILLS_TEST_LOCK_LOG: log })));
      try {
        for (;;) {
          const waiting = new Set((await lines()).filter(([event]) => event === 'wait').map(([, pid]) => pid));
          if (waiting.size === COUNT) break;
          // A process that ended early (it never waited) would leave this loop waiting forever: fail instead.
          const done = await Promise.race([runs.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 50))]);
          if (done) throw new Error(`processes ended before all ${COUNT} waited: ${JSON.stringify(await lines())}`);
        }
      } finally {
        release();
      }
      await released;
    });
    for (const run of await runs) expect(run.code, run.stdout + run.stderr).toBe(0);
    await expectAllInstalled(names);

    const events = await lines();
    const waits = events.filter(([event]) => event === 'wait');
    // Every process waited, first for the test's own hold (a process that takes the lock twice may wait again, for another).
    const firstWaits = new Map<string, string>();
    for (const [, pid, holderPid] of waits) if (!firstWaits.has(pid)) firstWaits.set(pid, holderPid);
    expect(firstWaits.size).toBe(COUNT);
    for (const holderPid of firstWaits.values()) expect(holderPid).toBe(String(process.pid));
    // Holds never overlap: acquire and release alternate, each release by the process and token that acquired.
    const holds = events.filter(([event]) => event !== 'wait');
    expect(holds.length % 2).toBe(0);
    const order: string[] = [];
    for (let i = 0; i < holds.length; i += 2) {
      const [a, b] = [holds[i], holds[i + 1]];
      expect(a?.[0], JSON.stringify(holds)).toBe('acquire');
      expect(b?.[0], JSON.stringify(holds)).toBe('release');
      expect(b?.slice(1), 'released by the one that acquired').toEqual(a?.slice(1));
      order.push(a?.[1] ?? '');
    }
    // The test held first; then each of the eight processes, each after the one before had let go.
    expect(order[0]).toBe(String(process.pid));
    const pids = new Set(firstWaits.keys());
    expect(new Set(order.slice(1))).toEqual(pids);
    // A process's first hold comes after its own wait.
    for (const pid of pids) {
      expect(events.findIndex(([e, p]) => e === 'acquire' && p === pid)).toBeGreaterThan(events.findIndex(([e, p]) => e === 'wait' && p === pid));
    }
  }, 300_000);
});

describe('a live holder', () => {
  it('makes every writing command fail with ELOCKED naming it, changing nothing; read-only commands do not wait', async () => {
    const server = path.join(ROOT, 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js');
    await fs.writeFile(path.join(ws, 'skills.json'), `${JSON.stringify({ dependencies: {}, servers: { everything: { command: process.execPath, args: [server, 'stdio'] } } }, null, 2)}\n`);
    await fs.mkdir(path.join(ws, 'skills', '.staging-0123456789ab'), { recursive: true });
    const held = holder({ command: 'skills update' });
    await fs.writeFile(lockFile(), held);
    const before = await tree(base);
    const short = { SKILLS_LOCK_TIMEOUT_MS: '300' };
    for (const args of [['install', names[0] as string], ['uninstall', names[0] as string], ['update'], ['ci'], ['init', '--name', '@t/fresh'], ['servers', 'sync'], ['list']]) {
      const run = await cli([...args, '--json'], short);
      expect(run.code, `${args.join(' ')}: ${run.stdout}${run.stderr}`).toBe(1);
      const error = run.json<{ error: { code: string; message: string; details: { pid: number; command: string } } }>().error;
      expect(error.code, args.join(' ')).toBe('ELOCKED');
      expect(error.message).toContain(`pid ${process.pid} (skills update)`);
      expect(error.details).toMatchObject({ pid: process.pid, command: 'skills update' });
      expect(await tree(base)).toEqual(before);
    }
    // Read-only: outdated, and list when there is nothing to recover.
    await fs.rm(path.join(ws, 'skills', '.staging-0123456789ab'), { recursive: true });
    const outdated = await cli(['outdated', '--json'], short);
    expect(outdated.code, outdated.stdout + outdated.stderr).toBe(0);
    const list = await cli(['list', '--json'], short);
    expect(list.code, list.stdout + list.stderr).toBe(0);
    expect(await fs.readFile(lockFile(), 'utf8')).toBe(held);
  }, 120_000);

  it('a lock from another host cannot be judged stale: ELOCKED', async () => {
    await fs.writeFile(lockFile(), holder({ host: 'another-host.example', pid: await deadPid() }));
    const run = await cli(['install', names[0] as string, '--json'], { SKILLS_LOCK_TIMEOUT_MS: '200' });
    expect(run.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'ELOCKED', message: expect.stringContaining('on another-host.example') });
  });
});

describe('stale locks are taken over', () => {
  it('a pid now used by a younger process, an unreadable lock file, and a reaper that died are all recovered from', async () => {
    // This test process is alive but started long after this lock claims to have been taken.
    await fs.writeFile(lockFile(), holder({ started: Date.now() - 3_600_000 }));
    const reused = await cli(['install', names[0] as string, '--json'], { SKILLS_LOCK_TIMEOUT_MS: '60000' });
    expect(reused.code, reused.stdout + reused.stderr).toBe(0);
    await expectAllInstalled([names[0] as string]);

    // Garbage (not a lock skills writes): taken over once it is older than the grace period.
    await fs.writeFile(lockFile(), 'not a lock');
    const future = new Date(Date.now() + 3_600_000);
    await fs.utimes(lockFile(), future, future);
    const young = await cli(['install', names[1] as string, '--json'], { SKILLS_LOCK_TIMEOUT_MS: '200' });
    expect(young.json<{ error: { code: string } }>().error.code).toBe('ELOCKED');
    const old = new Date(Date.now() - 60_000);
    await fs.utimes(lockFile(), old, old);
    const garbage = await cli(['install', names[1] as string, '--json'], { SKILLS_LOCK_TIMEOUT_MS: '60000' });
    expect(garbage.code, garbage.stdout + garbage.stderr).toBe(0);
    await expectAllInstalled(names.slice(0, 2));

    // A stale lock whose reaper died while holding the reaping marker.
    const token = randomBytes(16).toString('hex');
    await fs.writeFile(lockFile(), holder({ pid: await deadPid(), token }));
    await fs.writeFile(`${lockFile()}.reap-${token}`, holder({ pid: await deadPid(), command: 'reaping a stale lock' }));
    const reaped = await cli(['install', names[2] as string, '--json'], { SKILLS_LOCK_TIMEOUT_MS: '60000' });
    expect(reaped.code, reaped.stdout + reaped.stderr).toBe(0);
    await expectAllInstalled(names.slice(0, 3));

    // A holder killed between linking its lock and removing its temporary file, and one killed
    // before linking (only the temporary file): both files go with the next command; a live
    // process's temporary file stays.
    const killedAfterLink = randomBytes(16).toString('hex');
    const killedBeforeLink = randomBytes(16).toString('hex');
    const alive = randomBytes(16).toString('hex');
    const dead = await deadPid();
    await fs.writeFile(lockFile(), holder({ pid: dead, token: killedAfterLink }));
    await fs.writeFile(`${lockFile()}.${killedAfterLink}.tmp`, holder({ pid: dead, token: killedAfterLink }));
    await fs.writeFile(`${lockFile()}.${killedBeforeLink}.tmp`, holder({ pid: dead, token: killedBeforeLink }));
    await fs.writeFile(`${lockFile()}.${alive}.tmp`, holder({ token: alive }));
    const swept = await cli(['install', names[3] as string, '--json'], { SKILLS_LOCK_TIMEOUT_MS: '60000' });
    expect(swept.code, swept.stdout + swept.stderr).toBe(0);
    expect((await fs.readdir(ws)).filter((n) => n.startsWith('.skills.lock'))).toEqual([`.skills.lock.${alive}.tmp`]);
    await fs.rm(`${lockFile()}.${alive}.tmp`);
    await expectAllInstalled(names.slice(0, 4));
  }, 120_000);
});
