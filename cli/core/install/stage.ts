/**
 * The last step of an install: write the new skills into `skills/.staging-<hex>`, then commit
 * through the sealed journal (journal.ts), which moves them in, removes what goes, and writes
 * skills.json and the lockfile last. A failure before the journal exists leaves nothing behind
 * (not even a ./skills this run created); after, the next command completes it.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { SkillsError } from '../../../schema/errors';
import type { PackageFile } from '../../../schema/package-files';
import { inParallel, writeFiles } from '../../../tarball/write';
import { commitJournal, currentHash, JOURNAL, sha256 } from './journal';
import { journalKey } from './journal-key';
import { LOCKFILE, readWorkspaceFile, WORKSPACE_FILE } from '../workspace/files';

/** Skills staged at once, and files written at once within each (bounded: file handles are finite). */
const STAGE_CONCURRENCY = 8;
const FILE_CONCURRENCY = 8;

export interface StageRequest {
  env: NodeJS.ProcessEnv;
  /** The workspace's real root, and its ./skills when it exists. */
  dirs: { root: string; skills: string | undefined };
  /** ./skills (to be created when absent). */
  dir: string;
  folders: { folder: string; files: readonly PackageFile[] }[];
  remove: string[];
  /**
   * The new skills.json from the text on disk now (undefined: there is none). Called at commit
   * time, after staging, so an edit made by hand while the install ran is kept; it throws
   * (EWORKSPACE, ...) when that text can no longer be read, and nothing is changed.
   */
  workspaceText: (current: string | undefined) => string;
  lockText: string;
}

export async function stageAndCommit(request: StageRequest): Promise<void> {
  const { dirs, dir } = request;
  // The key first: failing to make it must not leave a staging folder behind.
  const key = await journalKey(request.env, { create: true });
  if (!key) throw new SkillsError('EJOURNALKEY', 'no install journal key');
  const suffix = randomBytes(6).toString('hex');
  const staging = `.staging-${suffix}`;
  const createdSkillsDir = dirs.skills === undefined;
  const unstage = async () => {
    await fs.rm(path.join(dir, staging), { recursive: true, force: true }).catch(() => undefined);
    // A ./skills this run created goes too (rmdir: only while it is empty).
    if (createdSkillsDir) await fs.rmdir(dir).catch(() => undefined);
  };
  try {
    await fs.mkdir(dir, { recursive: true });
    await fs.mkdir(path.join(dir, staging));
    // Skills side by side, files in parallel within each: the thread pool stays busy.
    await inParallel(request.folders, STAGE_CONCURRENCY, async ({ folder, files }) => {
      const out = path.join(dir, staging, folder);
      await fs.mkdir(out);
      await writeFiles(out, files, { concurrency: FILE_CONCURRENCY });
    });
  } catch (error) {
    await unstage();
    throw writeError(dir, error);
  }
  try {
    const current = await readWorkspaceFile(dirs.root, WORKSPACE_FILE);
    const workspaceText = request.workspaceText(current);
    await commitJournal(
      dirs.root,
      {
        staging,
        trash: `.trash-${suffix}`,
        install: request.folders.map((f) => f.folder),
        remove: request.remove,
        files: [
          { path: WORKSPACE_FILE, before: current === undefined ? null : sha256(current), content: workspaceText },
          { path: LOCKFILE, before: await currentHash(dirs.root, LOCKFILE), content: request.lockText },
        ],
      },
      key,
    );
  } catch (error) {
    // Before the journal exists nothing was moved: undo the staging. After, the next command completes it.
    if (!(await fs.lstat(path.join(dir, JOURNAL)).then(() => true, () => false))) await unstage();
    throw writeError(dir, error);
  }
}

function writeError(dir: string, error: unknown): SkillsError {
  if (error instanceof SkillsError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  return new SkillsError('EWRITE', `cannot write to ${dir}: ${code ?? (error as Error).message}`, {
    hint: code === 'ENOSPC' ? 'free some disk space and run it again' : 'check the permissions of ./skills; nothing was changed',
  });
}
