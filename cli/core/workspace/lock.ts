/**
 * One writer at a time per workspace. Every command that writes skills.json, the lockfile,
 * ./skills or ./servers holds `<root>/.skills.lock` while it reads and writes them; without it,
 * concurrent installs each rewrite skills.json from what they read and all but one are lost.
 *
 * The lock file is made complete in a temporary file and hard-linked into place (link never
 * replaces), so it exists only with its whole content: owner pid, host, start time, command and a
 * random token. A holder is stale when it ran on this host and its pid is dead (or now belongs to
 * a process started after the lock was taken). Removing a stale lock is itself exclusive: the
 * remover first creates `<lock>.reap-<token>`, then re-reads the lock and removes it only if it
 * still carries that token, so two processes that both judged a lock stale cannot remove a fresh
 * lock taken in between. A nested call inside a holder (same async context) does not wait for
 * itself; other calls in the same process wait like other processes do.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { SkillsError } from '../../../schema/errors';
import { logLock } from './test-hooks';

export const LOCK_FILE = '.skills.lock';
export const DEFAULT_LOCK_TIMEOUT_MS = 60_000;
const MAX_LOCK_BYTES = 4096;
/** An unreadable lock (not one this program wrote: those are whole when they appear) may be taken after this. */
const GARBAGE_GRACE_MS = 10_000;
/** Tolerance between a lock's wall-clock start and a process start time read from /proc. */
const START_SLACK_MS = 10_000;
const MAX_REAP_DEPTH = 4;

const holderSchema = z.object({
  pid: z.number().int().positive(),
  host: z.string().max(256),
  started: z.number(),
  command: z.string().max(200),
  token: z.string().regex(/^[0-9a-f]{32}$/),
});
export type LockHolder = z.infer<typeof holderSchema>;

export interface LockOptions {
  /** What the lock file says holds it, e.g. `skills install`. */
  command: string;
  env: NodeJS.ProcessEnv;
  progress(message: string): void;
}

type LockState = { kind: 'absent' } | { kind: 'held'; id: string; holder: LockHolder } | { kind: 'garbage'; id: string; ageMs: number };

/** Workspaces whose lock the current async context holds (reentrancy without deadlock). */
const heldHere = new AsyncLocalStorage<ReadonlySet<string>>();

export function lockTimeoutMs(env: NodeJS.ProcessEnv): number {
  const value = Number(env.SKILLS_LOCK_TIMEOUT_MS);
  return env.SKILLS_LOCK_TIMEOUT_MS !== undefined && env.SKILLS_LOCK_TIMEOUT_MS !== '' && Number.isFinite(value) && value >= 0 ? value : DEFAULT_LOCK_TIMEOUT_MS;
}

export async function withWorkspaceLock<T>(root: string, options: LockOptions, action: () => Promise<T>): Promise<T> {
  const real = await fs.realpath(root).catch(() => {
    throw new SkillsError('EWORKSPACE', `the workspace folder ${root} does not exist`, { hint: 'run the command in an existing folder' });
  });
  const held = heldHere.getStore();
  if (held?.has(real)) return action();
  const file = path.join(real, LOCK_FILE);
  const token = await acquire(file, options);
  try {
    await logLock(options.env, 'acquire', token);
    return await heldHere.run(new Set([...(held ?? []), real]), action);
  } finally {
    await logLock(options.env, 'release', token).catch(() => undefined);
    await release(file, token);
  }
}

function newHolder(command: string): LockHolder {
  return { pid: process.pid, host: os.hostname(), started: Date.now(), command: command.slice(0, 200), token: randomBytes(16).toString('hex') };
}

async function acquire(file: string, options: LockOptions): Promise<string> {
  const timeoutMs = lockTimeoutMs(options.env);
  const deadline = Date.now() + timeoutMs;
  const mine = newHolder(options.command);
  let announced = false;
  let pause = 10;
  for (;;) {
    // Read first, and write only when the lock looks free, so a waiting command leaves the
    // workspace untouched (not even a temporary file) for as long as it waits.
    const state = await readLock(file);
    if (state.kind === 'absent') {
      if (await create(file, mine)) {
        await sweepTemporaries(file, mine.token);
        return mine.token;
      }
      // Taken in between: look again at once.
      continue;
    }
    if ((await isStale(state)) && (await reap(file, state.id, 0))) continue;
    if (Date.now() >= deadline) throw locked(file, state, timeoutMs);
    if (!announced) {
      await logLock(options.env, 'wait', state.kind === 'held' ? String(state.holder.pid) : '-');
      options.progress(`waiting for the workspace lock: ${describe(state)} (up to ${Math.round(timeoutMs / 1000)} s)`);
      announced = true;
    }
    await new Promise((r) => setTimeout(r, Math.max(1, Math.min(pause, deadline - Date.now()))));
    pause = Math.min(pause * 2, 200);
  }
}

async function release(file: string, token: string): Promise<void> {
  const state = await readLock(file).catch(() => undefined);
  // Only our own lock: if it was (wrongly) taken from us, the new holder's stays.
  if (state?.kind === 'held' && state.holder.token === token) await fs.rm(file, { force: true }).catch(() => undefined);
}

/** Creates `file` holding `holder`, whole, unless something is there. */
async function create(file: string, holder: LockHolder): Promise<boolean> {
  const text = JSON.stringify(holder);
  const tmp = `${file}.${holder.token}.tmp`;
  try {
    await fs.writeFile(tmp, text, { flag: 'wx', mode: 0o644 });
    try {
      await fs.link(tmp, file);
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      // File systems without hard links: O_EXCL alone (a reader may see it before it is whole; see GARBAGE_GRACE_MS).
      if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') return await createExclusive(file, text);
      throw error;
    }
  } catch (error) {
    throw lockWriteError(file, error);
  } finally {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
  }
}

async function createExclusive(file: string, text: string): Promise<boolean> {
  try {
    await fs.writeFile(file, text, { flag: 'wx', mode: 0o644 });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

function lockWriteError(file: string, error: unknown): SkillsError {
  if (error instanceof SkillsError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  return new SkillsError('EWRITE', `cannot create the workspace lock ${file}: ${code ?? (error as Error).message}`, {
    hint: code === 'ENOSPC' ? 'free some disk space and run it again' : 'check that the workspace folder is writable; nothing was changed',
  });
}

async function readLock(file: string): Promise<LockState> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'absent' };
    // A link or something else planted: judged by what it is, never followed.
    const stat = await fs.lstat(file).catch(() => undefined);
    if (!stat) return { kind: 'absent' };
    if (stat.isDirectory()) throw new SkillsError('ELOCKED', `${file} is a folder, not a workspace lock`, { hint: `remove ${file} and run the command again` });
    return { kind: 'garbage', id: idOf(`${stat.ino}:${stat.mtimeMs}:${code ?? ''}`), ageMs: Date.now() - stat.mtimeMs };
  }
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) throw new SkillsError('ELOCKED', `${file} is a folder, not a workspace lock`, { hint: `remove ${file} and run the command again` });
    const raw = stat.isFile() && stat.size <= MAX_LOCK_BYTES ? await handle.readFile('utf8') : '';
    const holder = holderSchema.safeParse(parseJson(raw));
    if (holder.success) return { kind: 'held', id: holder.data.token, holder: holder.data };
    return { kind: 'garbage', id: idOf(`${stat.ino}:${stat.mtimeMs}:${raw}`), ageMs: Date.now() - stat.mtimeMs };
  } finally {
    await handle.close();
  }
}

function idOf(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function isStale(state: Exclude<LockState, { kind: 'absent' }>): Promise<boolean> {
  if (state.kind === 'garbage') return state.ageMs > GARBAGE_GRACE_MS;
  const { holder } = state;
  if (holder.host !== os.hostname()) return false;
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return true;
  }
  const started = await processStartMs(holder.pid);
  // The pid is alive but younger than the lock: it was reused after the holder died.
  return started !== undefined && started > holder.started + START_SLACK_MS;
}

/** When a process started (ms since the epoch), where the system tells; undefined elsewhere. */
async function processStartMs(pid: number): Promise<number | undefined> {
  if (pid === process.pid) return performance.timeOrigin;
  if (process.platform !== 'linux') return undefined;
  try {
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime, in clock ticks since boot; USER_HZ is 100 on Linux); fields after the ")" of the name start at 3.
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const btime = Number(/^btime (\d+)$/m.exec(await fs.readFile('/proc/stat', 'utf8'))?.[1]);
    const started = btime * 1000 + ticks * 10;
    return Number.isFinite(started) && started <= Date.now() + START_SLACK_MS ? started : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Removes temporary lock files (`<lock>.<token>.tmp`, also of reaper markers) whose process is
 * dead: left by a command killed between writing one and linking it into place. Runs while holding
 * the lock; a live process's temporary file is never touched.
 */
async function sweepTemporaries(file: string, mine: string): Promise<void> {
  const dir = path.dirname(file);
  const prefix = `${path.basename(file)}.`;
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(prefix) || !/\.[0-9a-f]{32}\.tmp$/.test(name) || name.includes(mine)) continue;
    const state = await readLock(path.join(dir, name)).catch(() => undefined);
    if (state?.kind === 'held' && (await isStale(state))) await fs.rm(path.join(dir, name), { force: true });
  }
}

/**
 * Removes `file` if it still is the stale lock `id` (true: it is gone or changed, try again now). Only the creator of `<file>.reap-<id>` may
 * do so; a reaper that died holding that marker is reaped the same way, one level down.
 */
async function reap(file: string, id: string, depth: number): Promise<boolean> {
  const marker = `${file}.reap-${id}`;
  if (!(await create(marker, newHolder('reaping a stale lock')))) {
    const other = await readLock(marker);
    if (other.kind !== 'absent' && depth < MAX_REAP_DEPTH && (await isStale(other))) await reap(marker, other.id, depth + 1);
    return false;
  }
  try {
    const again = await readLock(file);
    if (again.kind !== 'absent' && again.id === id) {
      await fs.rm(file, { force: true });
      // A holder killed between linking its lock and removing its temporary file left that file too.
      if (again.kind === 'held') await fs.rm(`${file}.${again.holder.token}.tmp`, { force: true });
    }
    return true;
  } finally {
    await fs.rm(marker, { force: true });
  }
}

function describe(state: Exclude<LockState, { kind: 'absent' }>): string {
  if (state.kind === 'garbage') return 'an unreadable lock file';
  const { holder } = state;
  return `held by pid ${holder.pid} (${holder.command}) on ${holder.host} since ${new Date(holder.started).toISOString()}`;
}

function locked(file: string, state: Exclude<LockState, { kind: 'absent' }>, timeoutMs: number): SkillsError {
  return new SkillsError('ELOCKED', `the workspace is locked, ${describe(state)}; waited ${Math.round(timeoutMs / 100) / 10} s`, {
    hint: `run it again when that command has finished; if no skills command is running there, delete ${file}. SKILLS_LOCK_TIMEOUT_MS sets how long to wait`,
    details: state.kind === 'held' ? { pid: state.holder.pid, host: state.holder.host, command: state.holder.command, started: new Date(state.holder.started).toISOString() } : undefined,
  });
}
