/**
 * Reads a skill folder into memory for packing. Sizes and counts are checked by `stat` before a
 * byte is read, so a 200 MiB file in the folder fails at once instead of filling memory.
 */
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { SkillsError } from '../schema/errors';
import type { PackageFile } from '../schema/package-files';
import { ALWAYS_IGNORED, parseIgnoreFile, type IgnoreMatcher } from './ignore';
import { DEFAULT_PACKAGE_LIMITS, type PackageLimits } from './limits';
import { checkEntryPath, checkPathSet } from './paths';

export const IGNORE_FILE = '.skillsignore';

interface Found {
  path: string;
  absolute: string;
  size: number;
  executable: boolean;
}

export async function collectFiles(dir: string, limits: Partial<PackageLimits> = {}): Promise<PackageFile[]> {
  const max = { ...DEFAULT_PACKAGE_LIMITS, ...limits };
  const root = path.resolve(dir);
  const rootStat = await fs.stat(root).catch(() => undefined);
  if (!rootStat?.isDirectory()) {
    throw new SkillsError('ENOTDIR', `${root} is not a folder`, { hint: 'pass the folder that holds SKILL.md and skill.json' });
  }
  const ignoreBytes = await readRegularFile(path.join(root, IGNORE_FILE), IGNORE_FILE, max.maxFileBytes).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Uint8Array();
    throw error;
  });
  const ignoreText = new TextDecoder().decode(ignoreBytes);
  const ignored = parseIgnoreFile(ignoreText);
  const found: Found[] = [];
  let total = 0;
  await walk(root, '', ignored, async (entry) => {
    found.push(entry);
    if (found.length > max.maxEntries) {
      throw new SkillsError('EPACKTOOMANY', `${root} holds more than ${max.maxEntries} files`, {
        hint: `leave generated or large folders out with ${IGNORE_FILE}`,
      });
    }
    if (entry.size > max.maxFileBytes) {
      throw new SkillsError('EPACKFILETOOBIG', `${entry.path} is ${entry.size} bytes, over the ${max.maxFileBytes} byte limit for one file`, {
        hint: `remove it or list it in ${IGNORE_FILE}`,
      });
    }
    total += entry.size;
    if (total > max.maxUnpackedBytes) {
      throw new SkillsError('EPACKTOOBIG', `${root} holds more than ${max.maxUnpackedBytes} bytes`, {
        hint: `leave large files out with ${IGNORE_FILE}`,
      });
    }
  });
  found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const problem = checkPathSet(found.map((f) => f.path));
  if (problem) throw new SkillsError(problem.code, problem.message, { hint: 'rename the files so every path is distinct on every file system' });
  const files: PackageFile[] = [];
  for (const f of found) {
    const bytes = await readRegularFile(f.absolute, f.path, max.maxFileBytes);
    files.push(f.executable ? { path: f.path, bytes, executable: true } : { path: f.path, bytes });
  }
  return files;
}

/**
 * Reads a file that must still be the regular file the walk saw: opened without following a link
 * (it may have been swapped for one since `readdir`) and without blocking on a FIFO, checked with
 * `fstat` on the open handle, and read no further than the limit (it may have grown since).
 */
async function readRegularFile(absolute: string, rel: string, maxBytes: number): Promise<Uint8Array> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(absolute, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new SkillsError('EPACKSYMLINK', `${rel} is a symbolic link; a skill package cannot carry links`, { hint: `replace it with a copy of the file or list it in ${IGNORE_FILE}` });
    }
    throw error;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new SkillsError('EPACKFILETYPE', `${rel} is not a regular file (a socket, FIFO or device)`, { hint: `remove it or list it in ${IGNORE_FILE}` });
    const tooBig = () => new SkillsError('EPACKFILETOOBIG', `${rel} is over the ${maxBytes} byte limit for one file`, { hint: `remove it or list it in ${IGNORE_FILE}` });
    if (stat.size > maxBytes) throw tooBig();
    // Read to the end, never past the limit: the file may have changed size since the stat.
    const chunks: Uint8Array[] = [];
    let length = 0;
    for (;;) {
      const chunk = new Uint8Array(Math.min(Math.max(stat.size - length, 64 * 1024), maxBytes + 1 - length));
      const { bytesRead } = await handle.read(chunk, 0, chunk.byteLength, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      length += bytesRead;
      if (length > maxBytes) throw tooBig();
    }
    return Buffer.concat(chunks, length);
  } finally {
    await handle.close();
  }
}

/**
 * A link inside the skill folder is carried as a copy of the file it names, when that file is
 * inside the folder too (however many links lead there). A link out of the folder, to a folder, to
 * nothing, or round in a loop is refused: a package holds files only, and only the folder's own.
 */
async function followLink(root: string, rel: string, absolute: string): Promise<Found> {
  const refuse = (why: string) => new SkillsError('EPACKSYMLINK', `${rel} is a symbolic link ${why}`, { hint: `replace it with a copy of the file or list it in ${IGNORE_FILE}` });
  let target: string;
  try {
    target = await fs.realpath(absolute);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw refuse('that leads round in a loop');
    if (code === 'ENOENT' || code === 'ENOTDIR') throw refuse('to a file that does not exist');
    throw error;
  }
  const realRoot = await fs.realpath(root);
  const inside = path.relative(realRoot, target);
  if (inside === '' || inside.startsWith('..') || path.isAbsolute(inside)) throw refuse(`to ${JSON.stringify(inside === '' ? '.' : target.slice(0, 200))}, outside the skill folder; only links to files inside it are carried (as copies)`);
  const stat = await fs.stat(target);
  if (stat.isDirectory()) throw refuse(`to a folder (${inside.split(path.sep).join('/')}); only links to files are carried, as copies`);
  if (!stat.isFile()) throw refuse('to something that is not a regular file');
  return { path: rel, absolute: target, size: stat.size, executable: (stat.mode & 0o111) !== 0 };
}

async function walk(root: string, relative: string, ignored: IgnoreMatcher, onFile: (f: Found) => Promise<void>): Promise<void> {
  const absoluteDir = path.join(root, relative);
  const entries = await fs.readdir(absoluteDir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (ALWAYS_IGNORED.has(entry.name)) continue;
    const rel = relative === '' ? entry.name : `${relative}/${entry.name}`;
    const absolute = path.join(root, rel);
    if (entry.isSymbolicLink()) {
      if (ignored(rel, false) || ignored(rel, true)) continue;
      const problem = checkEntryPath(rel);
      if (problem) throw new SkillsError(problem.code, problem.message, { hint: 'rename the link' });
      await onFile(await followLink(root, rel, absolute));
      continue;
    }
    if (entry.isDirectory()) {
      if (ignored(rel, true)) continue;
      await walk(root, rel, ignored, onFile);
      continue;
    }
    if (ignored(rel, false)) continue;
    if (!entry.isFile()) {
      throw new SkillsError('EPACKFILETYPE', `${rel} is not a regular file (a socket, FIFO or device)`, { hint: `remove it or list it in ${IGNORE_FILE}` });
    }
    const problem = checkEntryPath(rel);
    if (problem) throw new SkillsError(problem.code, problem.message, { hint: 'rename the file' });
    const stat = await fs.stat(absolute);
    await onFile({ path: rel, absolute, size: stat.size, executable: (stat.mode & 0o111) !== 0 });
  }
}
