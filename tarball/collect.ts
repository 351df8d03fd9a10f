/**
 * Reads a skill folder into memory for packing. Sizes and counts are checked by `stat` before a
 * byte is read, so a 200 MiB file in the folder fails at once instead of filling memory.
 */
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
  const ignoreText = await fs.readFile(path.join(root, IGNORE_FILE), 'utf8').catch(() => '');
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
    const bytes = await fs.readFile(f.absolute);
    // The file may have grown between stat and read.
    if (bytes.byteLength > max.maxFileBytes) {
      throw new SkillsError('EPACKFILETOOBIG', `${f.path} is over the ${max.maxFileBytes} byte limit for one file`, { hint: `remove it or list it in ${IGNORE_FILE}` });
    }
    files.push(f.executable ? { path: f.path, bytes: new Uint8Array(bytes), executable: true } : { path: f.path, bytes: new Uint8Array(bytes) });
  }
  return files;
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
      throw new SkillsError('EPACKSYMLINK', `${rel} is a symbolic link; a skill package cannot carry links`, {
        hint: `replace it with a copy of the file or list it in ${IGNORE_FILE}`,
      });
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
