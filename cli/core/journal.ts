/**
 * Making an install all-or-nothing across a kill -9. Everything is downloaded, verified and
 * written into `skills/.staging-*` first; then a journal naming every move and the new
 * skills.json/lockfile text is written atomically, and applied. Applying is idempotent, so the
 * next run of any workspace command rolls an interrupted install forward to completion; a run
 * killed before the journal existed left only a staging folder, which is removed.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { SkillsError } from '../../schema/errors';
import { writeFileAtomic } from './write-atomic';

export const JOURNAL = '.skills-journal.json';

export interface Journal {
  staging: string;
  trash: string;
  /** Folders (under skills/) to replace with their staged copies. */
  install: string[];
  /** Folders to remove. */
  remove: string[];
  files: { path: string; content: string }[];
}

export function skillsDir(root: string): string {
  return path.join(root, 'skills');
}

async function exists(p: string): Promise<boolean> {
  return fs.lstat(p).then(
    () => true,
    () => false,
  );
}

export async function commitJournal(root: string, journal: Journal): Promise<void> {
  await writeFileAtomic(path.join(skillsDir(root), JOURNAL), JSON.stringify(journal));
  await applyJournal(root, journal);
}

export async function applyJournal(root: string, journal: Journal): Promise<void> {
  const dir = skillsDir(root);
  await fs.mkdir(path.join(dir, journal.trash), { recursive: true });
  for (const folder of [...journal.remove, ...journal.install]) {
    const target = path.join(dir, folder);
    const staged = path.join(dir, journal.staging, folder);
    const isInstall = journal.install.includes(folder);
    // Already done for an install: the staged copy was moved in.
    if (isInstall && !(await exists(staged))) continue;
    if (await exists(target)) {
      const trashed = path.join(dir, journal.trash, folder);
      await fs.rm(trashed, { recursive: true, force: true });
      await fs.rename(target, trashed);
    }
    if (isInstall) await fs.rename(staged, target);
  }
  for (const file of journal.files) await writeFileAtomic(path.join(root, file.path), file.content);
  await fs.rm(path.join(dir, journal.trash), { recursive: true, force: true });
  await fs.rm(path.join(dir, journal.staging), { recursive: true, force: true });
  await fs.rm(path.join(dir, JOURNAL), { force: true });
}

/** Finishes an interrupted install, and clears staging folders of runs that never committed. */
export async function recover(root: string): Promise<'completed' | 'cleaned' | 'none'> {
  const dir = skillsDir(root);
  const text = await fs.readFile(path.join(dir, JOURNAL), 'utf8').catch(() => undefined);
  if (text !== undefined) {
    let journal: Journal;
    try {
      journal = JSON.parse(text) as Journal;
    } catch {
      throw new SkillsError('EJOURNAL', `${path.join(dir, JOURNAL)} is damaged`, { hint: 'remove it and run `skills install` again' });
    }
    await applyJournal(root, journal);
    return 'completed';
  }
  const entries = await fs.readdir(dir).catch(() => [] as string[]);
  const stale = entries.filter((e) => e.startsWith('.staging-') || e.startsWith('.trash-'));
  for (const e of stale) await fs.rm(path.join(dir, e), { recursive: true, force: true });
  return stale.length > 0 ? 'cleaned' : 'none';
}
