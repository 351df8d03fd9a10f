/** Writes unpacked package files into a fresh folder, never following or replacing anything. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { SkillsError } from '../schema/errors';
import type { PackageFile } from '../schema/package-files';
import { checkEntryPath } from './paths';

/** `dir` must exist and be empty; parents are created as needed. */
export async function writeFiles(dir: string, files: readonly PackageFile[]): Promise<void> {
  const root = path.resolve(dir);
  const existing = await fs.readdir(root);
  if (existing.length > 0) throw new SkillsError('EWRITE', `${root} is not empty`, { hint: 'unpack into a fresh folder' });
  for (const file of files) {
    const problem = checkEntryPath(file.path);
    if (problem) throw new SkillsError(problem.code, problem.message);
    const target = path.resolve(root, ...file.path.split('/'));
    if (!target.startsWith(root + path.sep)) throw new SkillsError('ETARDOTDOT', `${file.path} resolves outside ${root}`);
    await fs.mkdir(path.dirname(target), { recursive: true });
    // 'wx' = O_CREAT|O_EXCL: fails on anything already there, symlinks included.
    const handle = await fs.open(target, 'wx', file.executable ? 0o755 : 0o644);
    try {
      await handle.writeFile(file.bytes);
      await handle.chmod(file.executable ? 0o755 : 0o644);
    } finally {
      await handle.close();
    }
  }
}
