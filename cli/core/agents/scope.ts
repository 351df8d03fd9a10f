/**
 * Where links go: a project's own folders, or (for the user's global skills) folders in the home
 * folder. The global store (`$XDG_DATA_HOME/skills`, else `~/.local/share/skills`) is an ordinary
 * workspace with its own skills.json and lockfile; what makes it global is `.skills-global.json`
 * in it, sealed with the journal key (cli/core/install/journal-key.ts) and bound to the store's real path. Only a
 * sealed marker makes links go into the home folder: a cloned repository cannot plant one to get
 * its skills linked into every agent session of the user, and a journal applied without the
 * process environment (journal.ts) still knows the home folder it was written for.
 */
import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { isSkillsError, SkillsError } from '../../../schema/errors';
import { sealMac, sealVerifies } from '../install/journal-key';
import { writeFileAtomic } from '../workspace/write-atomic';

export const GLOBAL_MARKER = '.skills-global.json';
const MARKER_FORMAT = 'skills-global/1';
const MAX_MARKER_BYTES = 8192;

export type LinkScope = { kind: 'project'; root: string } | { kind: 'global'; root: string; home: string; configHome: string };

function absoluteOr(value: string | undefined, fallback: () => string): string {
  return value !== undefined && path.isAbsolute(value) ? value : fallback();
}

export function homeOf(env: NodeJS.ProcessEnv): string {
  return absoluteOr(env.HOME, () => os.homedir());
}

export function configHomeOf(env: NodeJS.ProcessEnv): string {
  return absoluteOr(env.XDG_CONFIG_HOME, () => path.join(homeOf(env), '.config'));
}

/** The folder the global store lives in: `$XDG_DATA_HOME`, else `~/.local/share`. */
function dataHomeOf(env: NodeJS.ProcessEnv): string {
  return absoluteOr(env.XDG_DATA_HOME, () => path.join(homeOf(env), '.local', 'share'));
}

/** The global store: `$XDG_DATA_HOME/skills`, else `~/.local/share/skills`. */
export function globalStoreDir(env: NodeJS.ProcessEnv): string {
  return path.join(dataHomeOf(env), 'skills');
}

/**
 * The one rule for every path skills writes under a home folder (the global store and the agent
 * folders): a path inside the home folder is anchored at the home folder, and every folder from
 * there down (`.local`, `share`, `skills`; `.claude`, `skills`; `.config`, `opencode`, ...) must be
 * a real folder or not exist yet, never a link. A folder named explicitly outside the home folder
 * (`XDG_DATA_HOME=/srv/me`, `XDG_CONFIG_HOME=/data/config`) is the user's recorded choice and is
 * the anchor itself; only what is below it is checked. The home folder itself is taken as given.
 * So a dotfile-managed `~/.local` or `~/.claude` never has skills written into the folder it points
 * at; a user who means that folder names it: `XDG_DATA_HOME="$(realpath ~/.local/share)"`.
 */
export function anchoredAt(home: string, dir: string, below: readonly string[] = []): { base: string; segments: string[] } {
  const rel = path.relative(path.resolve(home), path.resolve(dir));
  const inside = rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
  if (!inside) return { base: path.resolve(dir), segments: [...below] };
  return { base: path.resolve(home), segments: [...rel.split(path.sep).filter((s) => s !== ''), ...below] };
}

/** The first folder on the way from `base` down `segments` that is a link (or not a folder); undefined when none (missing ones are fine). */
export async function linkOnTheWay(base: string, segments: readonly string[]): Promise<{ path: string; why: 'link' | 'not a folder' } | undefined> {
  let p = base;
  for (const segment of segments) {
    p = path.join(p, segment);
    const stat = await fs.lstat(p).catch(() => undefined);
    if (!stat) return undefined;
    if (stat.isSymbolicLink()) return { path: p, why: 'link' };
    if (!stat.isDirectory()) return { path: p, why: 'not a folder' };
  }
  return undefined;
}

/** EHOMELINK when the global store's path goes through a link below the home folder (or below an explicit XDG_DATA_HOME). */
export async function checkStorePath(env: NodeJS.ProcessEnv): Promise<void> {
  const dir = globalStoreDir(env);
  const explicit = env.XDG_DATA_HOME !== undefined && path.isAbsolute(env.XDG_DATA_HOME);
  const { base, segments } = explicit ? anchoredAt(homeOf(env), dataHomeOf(env), ['skills']) : anchoredAt(homeOf(env), dir);
  const found = await linkOnTheWay(base, segments);
  if (found?.why === 'link') {
    throw new SkillsError('EHOMELINK', `the global skills folder ${dir} goes through a link: ${found.path}; nothing was written`, {
      hint: `skills does not write through links in the home folder; to keep the store where the link points, name that folder explicitly: XDG_DATA_HOME="$(realpath ${path.dirname(dir)})"`,
      details: { store: dir, link: found.path },
    });
  }
  if (found) throw storeError(dir, `${found.path} is not a folder`);
}

/**
 * The global store's folder, created when `create` (EWRITE when something is in the way, e.g. a
 * file where a folder must be; EHOMELINK when a folder on its way is a link, see anchoredAt).
 * Returns the folders this call created, outermost first, so a failed install can remove them again.
 */
export async function ensureGlobalStore(env: NodeJS.ProcessEnv, create: boolean): Promise<{ dir: string; created: string[] }> {
  const dir = globalStoreDir(env);
  await checkStorePath(env);
  const stat = await fs.stat(dir).catch(() => undefined);
  if (stat?.isDirectory()) return { dir, created: [] };
  if (stat) throw storeError(dir, 'it is not a folder');
  if (!create) throw new SkillsError('ENOTINSTALLED', `there are no global skills yet (${dir} does not exist)`, { hint: 'install some with `skills install -g <spec>`' });
  const created: string[] = [];
  let p = dir;
  while (!(await fs.lstat(p).then(() => true, () => false))) {
    created.unshift(p);
    const parent = path.dirname(p);
    if (parent === p) break;
    p = parent;
  }
  try {
    await fs.mkdir(dir, { recursive: true });
    // a link planted while the folders were made is refused too (and what was made removed)
    await checkStorePath(env);
  } catch (error) {
    await removeCreated(created);
    if (isSkillsError(error)) throw error;
    throw storeError(dir, (error as NodeJS.ErrnoException).code ?? (error as Error).message);
  }
  return { dir, created };
}

/** Removes folders ensureGlobalStore created, innermost first, each only while empty. */
export async function removeCreated(created: readonly string[]): Promise<void> {
  for (const dir of [...created].reverse()) await fs.rmdir(dir).catch(() => undefined);
}

function storeError(dir: string, why: string): SkillsError {
  return new SkillsError('EWRITE', `cannot create the global skills folder ${dir}: ${why}`, {
    hint: 'move what is in the way, or set XDG_DATA_HOME to a writable folder; nothing was changed',
  });
}

const markerSchema = z.object({ format: z.literal(MARKER_FORMAT), body: z.string().max(MAX_MARKER_BYTES), mac: z.string() }).strict();
const markerBodySchema = z.object({ root: z.string().min(1).max(4096), home: z.string().min(1).max(4096), configHome: z.string().min(1).max(4096) }).strict();

/** Writes (or refreshes) the sealed marker that makes `root` the global store for this home folder. */
export async function writeGlobalMarker(root: string, env: NodeJS.ProcessEnv, key: Buffer): Promise<void> {
  const real = await fs.realpath(root);
  const body = JSON.stringify({ root: real, home: homeOf(env), configHome: configHomeOf(env) });
  const text = `${JSON.stringify({ format: MARKER_FORMAT, body, mac: sealMac(key, MARKER_FORMAT, body) })}\n`;
  const file = path.join(real, GLOBAL_MARKER);
  if ((await readBounded(file)) === text) return;
  await writeFileAtomic(file, text, 0o600);
}

/** The scope of a workspace: global only when it holds a marker this user's key seals for its real path. */
export async function scopeOf(root: string, key: Buffer | undefined): Promise<LinkScope> {
  const real = await fs.realpath(root).catch(() => path.resolve(root));
  const project: LinkScope = { kind: 'project', root: real };
  if (!key) return project;
  const text = await readBounded(path.join(real, GLOBAL_MARKER));
  if (text === undefined) return project;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return project;
  }
  const sealed = markerSchema.safeParse(parsed);
  if (!sealed.success || !sealVerifies(key, MARKER_FORMAT, sealed.data.body, sealed.data.mac)) return project;
  let body: unknown;
  try {
    body = JSON.parse(sealed.data.body);
  } catch {
    return project;
  }
  const fields = markerBodySchema.safeParse(body);
  if (!fields.success || fields.data.root !== real || !path.isAbsolute(fields.data.home) || !path.isAbsolute(fields.data.configHome)) return project;
  return { kind: 'global', root: real, home: fields.data.home, configHome: fields.data.configHome };
}

/** A small regular file's text, never following a link or blocking on a pipe; undefined otherwise. */
async function readBounded(file: string): Promise<string | undefined> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile() || stat.size > MAX_MARKER_BYTES) return undefined;
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

/**
 * A table folder (`.claude/skills`, `~/.claude/skills`, `$XDG_CONFIG_HOME/opencode/skills`) as a
 * base folder and the segments under it; a global folder inside the home folder is anchored at the
 * home folder (anchoredAt), so every folder on its way is checked for links.
 */
export function folderLocation(folder: string, scope: LinkScope): { base: string; segments: string[] } {
  if (scope.kind === 'project') return { base: scope.root, segments: folder.split('/') };
  if (folder.startsWith('~/')) return { base: scope.home, segments: folder.slice(2).split('/') };
  if (folder.startsWith('$XDG_CONFIG_HOME/')) return anchoredAt(scope.home, scope.configHome, folder.slice('$XDG_CONFIG_HOME/'.length).split('/'));
  throw new SkillsError('EINTERNAL', `${folder} is not a global agent folder`);
}

/**
 * Runs a command in the project (`cwd`) or, with `global`, in the global store (created when
 * `create`). A failed command that created the store removes it again, marker and all, so the
 * home folder is as it was.
 */
export async function inScope<T>(cwd: string, env: NodeJS.ProcessEnv, global: boolean, create: boolean, action: (root: string) => Promise<T>): Promise<T> {
  if (!global) return action(cwd);
  const store = await ensureGlobalStore(env, create);
  try {
    return await action(store.dir);
  } catch (error) {
    if (store.created.length > 0) {
      await fs.rm(path.join(store.dir, GLOBAL_MARKER), { force: true });
      await removeCreated(store.created);
    }
    throw error;
  }
}

/** The global scope from the environment, for read-only views of a store that may not exist yet. */
export function globalScopeFromEnv(env: NodeJS.ProcessEnv): LinkScope {
  return { kind: 'global', root: globalStoreDir(env), home: homeOf(env), configHome: configHomeOf(env) };
}
