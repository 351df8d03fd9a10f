/**
 * Writes the progressive-disclosure tree an agent reads on demand (`skills servers sync`) and the
 * tool index `search-tools` reads offline. Everything is computed before the first write; each
 * server folder is written beside the old one and swapped in by rename, then the index and the
 * README. Output is deterministic: tools sorted, no timestamps.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { SkillsError } from '../../schema/errors';
import { serverChanges, TOOL_INDEX_FILE, type ServerChanges, type ToolIndex } from '../../schema/tool-index';
import { estimateTokens } from '../../schema/tokens';
import { INVISIBLE_RE } from '../../schema/tool-text';
import type { ServerConfig } from '../../schema/workspace';
import { entryReadme, GLOBALS_FILE, RUNTIME_FILE, serverFiles } from './servers-files';
import { emptyIndex, indexServer, readToolIndex, SERVERS_DIR, type SkippedTool } from './tool-index';
import { writeFileAtomic } from './write-atomic';

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

/** Writes `files` (relative paths) into a new folder, then swaps it in for `target`. */
async function replaceFolder(parent: string, name: string, files: ReadonlyMap<string, string>): Promise<void> {
  const tag = randomBytes(6).toString('hex');
  const staged = path.join(parent, `.${name}.new-${tag}`);
  const old = path.join(parent, `.${name}.old-${tag}`);
  const target = path.join(parent, name);
  try {
    await fs.mkdir(staged);
    const dirs = new Set([...files.keys()].map((f) => path.dirname(f)).filter((d) => d !== '.'));
    for (const dir of [...dirs].sort()) await fs.mkdir(path.join(staged, dir), { recursive: true });
    for (const [file, text] of files) await fs.writeFile(path.join(staged, file), text, { flag: 'wx' });
    await realFolder(target);
    const had = await fs.rename(target, old).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return false;
        throw error;
      },
    );
    try {
      await fs.rename(staged, target);
    } catch (error) {
      if (had) await fs.rename(old, target);
      throw error;
    }
  } finally {
    await fs.rm(staged, { recursive: true, force: true });
    await fs.rm(old, { recursive: true, force: true });
  }
}

export async function writeServersTree(root: string, listings: readonly ServerListing[]): Promise<SyncResult> {
  const dir = path.join(root, SERVERS_DIR);
  // Server folders are replaced below: never through a ./servers that is a link.
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
  const sortedIndex: ToolIndex = { version: index.version, servers: Object.fromEntries(Object.entries(index.servers).sort(([a], [b]) => (a < b ? -1 : 1))) };

  await fs.mkdir(dir, { recursive: true });
  // Every folder to replace is checked before the first is touched.
  for (const plan of planned) await realFolder(path.join(dir, plan.listing.server));
  for (const plan of planned) await replaceFolder(dir, plan.listing.server, plan.files);
  await writeFileAtomic(path.join(dir, 'runtime.ts'), RUNTIME_FILE);
  await writeFileAtomic(path.join(dir, 'globals.d.ts'), GLOBALS_FILE);
  // Schemas keep their text as the server sent it; invisible characters are \u-escaped in the file.
  await writeFileAtomic(path.join(dir, TOOL_INDEX_FILE), `${JSON.stringify(sortedIndex).replace(INVISIBLE_RE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`);
  // Folders from an older tree that the index does not know are named, not guessed at.
  const folders = (await fs.readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name);
  const unindexed = folders.filter((f) => !(f in sortedIndex.servers)).sort();
  const readme = entryReadme(sortedIndex, unindexed);
  await writeFileAtomic(path.join(dir, 'README.md'), readme);
  return {
    servers: planned.map((p) => p.synced),
    readme: { file: `${SERVERS_DIR}/README.md`, chars: readme.length, tokens: estimateTokens(readme) },
    index: `${SERVERS_DIR}/${TOOL_INDEX_FILE}`,
    warnings,
  };
}
