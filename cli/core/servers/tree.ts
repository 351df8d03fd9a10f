/**
 * Writes the progressive-disclosure tree an agent reads on demand (`skills servers sync`) and the
 * tool index `search-tools` reads offline. Everything is computed, and every server name checked
 * against the names the generator writes itself, before the first write. The whole new tree is then
 * staged beside ./servers (`.servers.new-<tag>`: the new server folders, the top files, and what
 * the old tree holds that this sync does not rewrite, carried over as it is) and swapped in with two
 * renames; a failure before the swap leaves ./servers byte for byte as it was, and a process killed
 * between the two renames is put right by the next sync (recoverServersSwap). Output is
 * deterministic: tools sorted, no timestamps.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { isSkillsError, SkillsError } from '../../../schema/errors';
import { serverChanges, TOOL_INDEX_FILE, type ServerChanges, type ToolIndex } from '../../../schema/tool-index';
import { estimateTokens } from '../../../schema/tokens';
import { INVISIBLE_RE } from '../../../schema/tool-text';
import type { ServerConfig } from '../../../schema/workspace';
import { entryReadme, GLOBALS_FILE, RUNTIME_FILE, serverFiles } from './files';
import { emptyIndex, indexServer, readToolIndex, SERVERS_DIR, type SkippedTool } from './tool-index';

export { SERVERS_DIR };

export interface ServerListing {
  server: string;
  tools: readonly Tool[];
  /** One line from the server's own description, title or name. */
  purpose: string;
  config: ServerConfig;
}

export interface SyncedServer extends ServerChanges {
  server: string;
  /** Tools in the tree and the index. */
  tools: number;
  /** Tools left out, or typed loosely, with the reason. */
  skipped: SkippedTool[];
  /** The README lists groups (pages under groups/) rather than every tool. */
  grouped: boolean;
  dir: string;
}

export interface SyncResult {
  servers: SyncedServer[];
  readme: { file: string; chars: number; tokens: number };
  index: string;
  /** Problems with the index found before this sync (it is rewritten). */
  warnings: string[];
}

async function realFolder(dir: string): Promise<void> {
  const stat = await fs.lstat(dir).catch(() => undefined);
  if (stat && (stat.isSymbolicLink() || !stat.isDirectory())) {
    throw new SkillsError('EWORKSPACELINK', `${dir} is ${stat.isSymbolicLink() ? 'a symbolic link' : 'not a folder'}; skills never writes through a link`, {
      hint: 'make ./servers a real folder (or remove it), then run `skills servers sync` again',
    });
  }
}

/**
 * The names the generator writes at the top of ./servers itself. No server may be called one of
 * them, compared without case (a case-insensitive file system would mix them up): a server named
 * `runtime.ts` would otherwise become a folder where the runtime file goes.
 */
export const GENERATED_NAMES: readonly string[] = ['README.md', 'runtime.ts', 'globals.d.ts', 'index.ts', TOOL_INDEX_FILE];

const STAGING_RE = /^\.(servers|[^/]+)\.(new|old)-[0-9a-f]{12}$/;

/** ESERVERNAME when a server's name is one the generator writes itself, or two differ only in case; checked before anything is written. */
export function checkServerNames(names: Iterable<string>): void {
  const reserved = new Map(GENERATED_NAMES.map((n) => [n.toLowerCase(), n]));
  const seen = new Map<string, string>();
  for (const name of names) {
    const lower = name.toLowerCase();
    const taken = reserved.get(lower);
    if (taken !== undefined) {
      throw new SkillsError('ESERVERNAME', `the server "${name}" in skills.json has the name of a file servers sync writes itself (servers/${taken}); nothing was written`, {
        hint: `rename the server under "servers" in skills.json; these names are taken: ${GENERATED_NAMES.join(', ')}`,
        details: { server: name, reserved: GENERATED_NAMES },
      });
    }
    const other = seen.get(lower);
    if (other !== undefined && other !== name) {
      throw new SkillsError('ESERVERNAME', `the servers "${other}" and "${name}" in skills.json differ only in case; their folders would be one on some file systems; nothing was written`, {
        hint: 'rename one of them under "servers" in skills.json',
        details: { servers: [other, name] },
      });
    }
    seen.set(lower, name);
  }
}

/**
 * A sync killed between its two renames leaves no ./servers and a complete `.servers.old-<tag>`:
 * that old tree is put back. Staged trees of killed syncs are removed. Runs under the workspace lock.
 */
export async function recoverServersSwap(root: string): Promise<void> {
  const names = await fs.readdir(root).catch(() => [] as string[]);
  const olds = names.filter((n) => /^\.servers\.old-[0-9a-f]{12}$/.test(n)).sort();
  const hasTree = await fs.lstat(path.join(root, SERVERS_DIR)).then(() => true, () => false);
  const [restore] = olds;
  if (!hasTree && restore !== undefined) await fs.rename(path.join(root, restore), path.join(root, SERVERS_DIR));
  for (const n of names) {
    if (/^\.servers\.(new|old)-[0-9a-f]{12}$/.test(n) && (hasTree || n !== restore)) await fs.rm(path.join(root, n), { recursive: true, force: true });
  }
}

async function writeFiles(folder: string, files: ReadonlyMap<string, string>): Promise<void> {
  await fs.mkdir(folder);
  const dirs = new Set([...files.keys()].map((f) => path.dirname(f)).filter((d) => d !== '.'));
  for (const dir of [...dirs].sort()) await fs.mkdir(path.join(folder, dir), { recursive: true });
  for (const [file, text] of files) await fs.writeFile(path.join(folder, file), text, { flag: 'wx' });
}

/** Copies an entry of the old tree into the staged one as it is: files, folders, links (never followed); anything else fails the sync. */
async function carryOver(from: string, to: string): Promise<void> {
  const stat = await fs.lstat(from);
  if (stat.isSymbolicLink()) return fs.symlink(await fs.readlink(from), to);
  if (stat.isFile()) return fs.copyFile(from, to, constants.COPYFILE_EXCL);
  if (!stat.isDirectory()) throw new SkillsError('EWRITE', `${path.relative(path.dirname(path.dirname(to)), from)} is neither a file, a folder nor a link; servers sync cannot carry it over; nothing was changed`, { hint: 'remove it from ./servers, then sync again' });
  await fs.mkdir(to);
  for (const name of (await fs.readdir(from)).sort()) await carryOver(path.join(from, name), path.join(to, name));
}

export async function writeServersTree(root: string, listings: readonly ServerListing[]): Promise<SyncResult> {
  checkServerNames(listings.map((l) => l.server));
  const dir = path.join(root, SERVERS_DIR);
  await recoverServersSwap(root);
  // The tree is replaced below: never through a ./servers that is a link.
  await realFolder(dir);
  const warnings: string[] = [];
  const before = await readToolIndex(root).catch((error: unknown) => {
    if (!(error instanceof SkillsError) || error.code !== 'ETOOLINDEX') throw error;
    warnings.push(`${error.message}; writing a new one`);
    return undefined;
  });
  const index: ToolIndex = { ...emptyIndex(), servers: { ...(before?.servers ?? {}) } };
  const planned: { listing: ServerListing; files: Map<string, string>; synced: SyncedServer }[] = [];
  for (const listing of [...listings].sort((a, b) => (a.server < b.server ? -1 : 1))) {
    const { entry, skipped } = indexServer(listing.server, listing.tools, listing.purpose, listing.config);
    const changes = serverChanges(before?.servers[listing.server], entry);
    index.servers[listing.server] = entry;
    const rendered = serverFiles(listing.server, entry);
    planned.push({ listing, files: rendered.files, synced: { server: listing.server, tools: entry.tools.length, ...changes, skipped, grouped: rendered.grouped, dir: `${SERVERS_DIR}/${listing.server}/` } });
  }
  // Servers an older index kept (not synced now) are listed in the README too: their names are checked as well.
  checkServerNames(Object.keys(index.servers));
  const sortedIndex: ToolIndex = { version: index.version, servers: Object.fromEntries(Object.entries(index.servers).sort(([a], [b]) => (a < b ? -1 : 1))) };
  // Every folder to replace is checked before anything is staged.
  for (const plan of planned) await realFolder(path.join(dir, plan.listing.server));

  const tag = randomBytes(6).toString('hex');
  const staged = path.join(root, `.${SERVERS_DIR}.new-${tag}`);
  const old = path.join(root, `.${SERVERS_DIR}.old-${tag}`);
  let readme = '';
  try {
    await fs.mkdir(staged);
    for (const plan of planned) await writeFiles(path.join(staged, plan.listing.server), plan.files);
    await fs.writeFile(path.join(staged, 'runtime.ts'), RUNTIME_FILE, { flag: 'wx' });
    await fs.writeFile(path.join(staged, 'globals.d.ts'), GLOBALS_FILE, { flag: 'wx' });
    // Schemas keep their text as the server sent it; invisible characters are \u-escaped in the file.
    await fs.writeFile(path.join(staged, TOOL_INDEX_FILE), `${JSON.stringify(sortedIndex).replace(INVISIBLE_RE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`, { flag: 'wx' });
    // What the old tree holds that this sync does not rewrite is carried over as it is.
    const generated = new Set(GENERATED_NAMES.map((n) => n.toLowerCase()));
    const rewritten = new Set(planned.map((p) => p.listing.server));
    const kept = await fs.readdir(dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [] as string[];
      throw error;
    });
    for (const name of kept.sort()) {
      if (rewritten.has(name) || generated.has(name.toLowerCase()) || STAGING_RE.test(name)) continue;
      await carryOver(path.join(dir, name), path.join(staged, name));
    }
    // Folders from an older tree that the index does not know are named, not guessed at.
    const folders = (await fs.readdir(staged, { withFileTypes: true })).filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name);
    const unindexed = folders.filter((f) => !(f in sortedIndex.servers)).sort();
    readme = entryReadme(sortedIndex, unindexed);
    await fs.writeFile(path.join(staged, 'README.md'), readme, { flag: 'wx' });
    await realFolder(dir);
    const had = await fs.rename(dir, old).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return false;
        throw error;
      },
    );
    try {
      await fs.rename(staged, dir);
    } catch (error) {
      if (had) await fs.rename(old, dir);
      throw error;
    }
  } catch (error) {
    if (isSkillsError(error)) throw error;
    throw new SkillsError('EWRITE', `cannot write ${SERVERS_DIR}/: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; it was left as it was`, {
      hint: 'check that the workspace folder is writable and has space, then run `skills servers sync` again',
      cause: error,
    });
  } finally {
    await fs.rm(staged, { recursive: true, force: true });
    await fs.rm(old, { recursive: true, force: true });
  }
  return {
    servers: planned.map((p) => p.synced),
    readme: { file: `${SERVERS_DIR}/README.md`, chars: readme.length, tokens: estimateTokens(readme) },
    index: `${SERVERS_DIR}/${TOOL_INDEX_FILE}`,
    warnings,
  };
}
