/** Writes unpacked package files into a fresh folder, never following or replacing anything. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { SkillsError } from '../schema/errors';
import type { PackageFile } from '../schema/package-files';
import { checkEntryPath } from './paths';

export interface WriteOptions {
  /** Files written at once (each is open, write, chmod, close on the thread pool). Default 8. */
  concurrency?: number;
}

/**
 * `dir` must exist and be empty. Every path is checked before anything is written; folders are
 * made once each, parents first; then the files are written in parallel, each created with
 * O_EXCL so nothing already there (a link included) is followed or replaced.
 */
export async function writeFiles(dir: string, files: readonly PackageFile[], options: WriteOptions = {}): Promise<void> {
  const root = path.resolve(dir);
  const existing = await fs.readdir(root);
  if (existing.length > 0) throw new SkillsError('EWRITE', `${root} is not empty`, { hint: 'unpack into a fresh folder' });
  const targets = files.map((file) => {
    const problem = checkEntryPath(file.path);
    if (problem) throw new SkillsError(problem.code, problem.message);
    const target = path.resolve(root, ...file.path.split('/'));
    if (!target.startsWith(root + path.sep)) throw new SkillsError('ETARDOTDOT', `${file.path} resolves outside ${root}`);
    return { file, target };
  });
  const folders = new Set<string>();
  for (const { target } of targets) {
    for (let d = path.dirname(target); d !== root && !folders.has(d); d = path.dirname(d)) folders.add(d);
  }
  // Parents before children: one level of depth at a time, each level in parallel.
  const byDepth = new Map<number, string[]>();
  for (const d of folders) {
    const depth = d.split(path.sep).length;
    byDepth.set(depth, [...(byDepth.get(depth) ?? []), d]);
  }
  for (const depth of [...byDepth.keys()].sort((a, b) => a - b)) await Promise.all((byDepth.get(depth) ?? []).map((d) => fs.mkdir(d)));
  await inParallel(targets, options.concurrency ?? 8, async ({ file, target }) => {
    const mode = file.executable ? 0o755 : 0o644;
    // 'wx' = O_CREAT|O_EXCL: fails on anything already there, symlinks included.
    const handle = await fs.open(target, 'wx', mode);
    try {
      await handle.writeFile(file.bytes);
      // The mode given to open is reduced by the umask; the package's mode is exact.
      await handle.chmod(mode);
    } finally {
      await handle.close();
    }
  });
}

/** Runs `task` over `items` with at most `limit` at once; the first failure stops new starts and is thrown. */
export async function inParallel<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  await Promise.all(
    Array.from({ length: Math.min(Math.max(1, limit), items.length) }, async () => {
      while (next < items.length && !failed) {
        const item = items[next++] as T;
        try {
          await task(item);
        } catch (error) {
          failed = true;
          throw error;
        }
      }
    }),
  );
}
