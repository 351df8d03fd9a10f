/**
 * Making an install all-or-nothing across a kill -9. Everything is downloaded, verified and
 * written into `skills/.staging-<hex>` first; then a journal naming every move and the new
 * skills.json/lockfile text is written atomically, and applied. Applying is idempotent, so the
 * next workspace command (under the workspace lock) rolls an interrupted install forward to
 * completion; a run killed before the journal existed left only a staging folder, which is removed.
 *
 * On the way back the journal is hostile input: anything that can write the workspace (a skill
 * through a filesystem MCP server, a cloned repository) can plant one. So recovery accepts only
 * what this program writes: a journal sealed with an HMAC whose key is outside the workspace
 * (cli/core/install/journal-key.ts), bound to the skills.json and skills-lock.json it was written against, naming
 * only generated staging/trash folders, single-segment skill folder names and those two files,
 * with nothing on the way a link. Anything else is EJOURNAL, and nothing is changed.
 *
 * Applying a journal ends by bringing the agent folders (cli/core/agents/link.ts) in line with the
 * skills.json and lockfile it wrote, so a kill between moving skill folders in and linking them is
 * completed by the next command like the rest. The links are derived, never read from the journal:
 * target folders come from the agent table, names from the validated lockfile, and the home folder
 * only from the global store's sealed marker (cli/core/agents/scope.ts).
 */
import { createHash } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { SkillsError } from '../../../schema/errors';
import { SKILL_NAME_MAX, SKILL_NAME_RE } from '../../../schema/names';
import { LOCKFILE, lockfileSchema, WORKSPACE_FILE } from '../../../schema/workspace';
import { randomBytes } from 'node:crypto';
import { syncLinks } from '../agents/sync';
import { journalKey, sealMac, sealVerifies } from './journal-key';
import { pauseAfterMoves } from '../workspace/test-hooks';
import { readWorkspaceFile, skillsDir, workspaceDirs } from '../workspace/files';
import { isValidWorkspaceText } from '../workspace/text';
import { writeFileAtomic } from '../workspace/write-atomic';

export const JOURNAL = '.skills-journal.json';
const FORMAT = 'skills-journal/2';
const MAX_JOURNAL_BYTES = 16 * 1024 * 1024;
const MAX_FOLDERS = 10_000;
export const STAGING_RE = /^\.staging-([0-9a-f]{12})$/;
export const TRASH_RE = /^\.trash-([0-9a-f]{12})$/;
/** Temporary files writeFileAtomic leaves when killed, for the files only written under the lock. */
const TMP_RE = new RegExp(`^\\.(?:${[WORKSPACE_FILE, LOCKFILE, JOURNAL].map((f) => f.replace(/[.-]/g, '\\$&')).join('|')})\\.[0-9a-f]{12}\\.tmp$`);

const folderSchema = z.string().max(SKILL_NAME_MAX).regex(SKILL_NAME_RE);
const sha256Schema = z.string().regex(/^[0-9a-f]{64}$/);

const journalSchema = z
  .object({
    staging: z.string().regex(STAGING_RE),
    trash: z.string().regex(TRASH_RE),
    /** Folders (under skills/) to replace with their staged copies. */
    install: z.array(folderSchema).max(MAX_FOLDERS),
    /** Folders to remove. */
    remove: z.array(folderSchema).max(MAX_FOLDERS),
    /** `before`: sha256 of the file when the journal was written (null: it did not exist). */
    files: z.array(z.object({ path: z.enum([WORKSPACE_FILE, LOCKFILE]), before: sha256Schema.nullable(), content: z.string() }).strict()).max(2),
  })
  .strict()
  .superRefine((j, ctx) => {
    if (STAGING_RE.exec(j.staging)?.[1] !== TRASH_RE.exec(j.trash)?.[1]) ctx.addIssue({ code: 'custom', message: 'staging and trash are not a pair' });
    const folders = [...j.install, ...j.remove];
    if (new Set(folders).size !== folders.length) ctx.addIssue({ code: 'custom', message: 'a folder is named twice' });
    if (new Set(j.files.map((f) => f.path)).size !== j.files.length) ctx.addIssue({ code: 'custom', message: 'a file is named twice' });
    for (const file of j.files) {
      // skills.json is JSONC (comments, a BOM) and is written as the user keeps it.
      const valid = file.path === WORKSPACE_FILE ? isValidWorkspaceText(file.content) : lockfileSchema.safeParse(parseJson(file.content)).success;
      if (!valid) ctx.addIssue({ code: 'custom', message: `the new ${file.path} is not valid` });
    }
  });

export type Journal = z.infer<typeof journalSchema>;
export type Recovered = 'completed' | 'cleaned' | 'none';

const sealedSchema = z.object({ format: z.literal(FORMAT), body: z.string(), mac: sha256Schema }).strict();

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The journal file's text: the journal, and an HMAC over it with the user's journal key. */
export function sealJournal(journal: Journal, key: Buffer): string {
  const body = JSON.stringify(journal);
  return JSON.stringify({ format: FORMAT, body, mac: sealMac(key, FORMAT, body) });
}

async function lstatOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await fs.lstat(p);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function refused(file: string, why: string): SkillsError {
  return new SkillsError('EJOURNAL', `refusing the install journal ${file}: ${why}; nothing was changed`, {
    hint: 'if you did not interrupt an install here, something else wrote it: delete it and any skills/.staging-* and skills/.trash-* folders, then run `skills install`',
  });
}

/** Writes the journal (sealed) and applies it. The caller holds the workspace lock. */
export async function commitJournal(root: string, journal: Journal, key: Buffer): Promise<void> {
  const dirs = await workspaceDirs(root);
  if (!dirs.skills) throw new SkillsError('EWRITE', `${skillsDir(dirs.root)} is missing; nothing was installed`);
  // Never write a journal recovery would refuse.
  const valid = journalSchema.safeParse(journal);
  if (!valid.success) throw new SkillsError('EINTERNAL', `the install journal is invalid: ${valid.error.issues[0]?.message ?? 'unknown'}; nothing was installed`);
  await checkJournal(dirs.root, dirs.skills, journal, path.join(dirs.skills, JOURNAL));
  await writeFileAtomic(path.join(dirs.skills, JOURNAL), sealJournal(journal, key));
  await applyJournal(dirs.root, dirs.skills, journal, key);
}

/**
 * Brings the agent folders in line when no skill folder or file changes (an agent folder appeared,
 * links were removed by hand, `doctor --fix`): an empty journal, so a kill midway is completed by
 * the next command. Without ./skills there is nothing to link, only our own links to remove.
 */
export async function commitLinks(root: string, env: NodeJS.ProcessEnv): Promise<void> {
  const dirs = await workspaceDirs(root);
  const key = await journalKey(env, { create: true });
  if (!key) throw new SkillsError('EJOURNALKEY', 'no install journal key');
  if (!dirs.skills) {
    await syncLinks(dirs.root, key);
    return;
  }
  const suffix = randomBytes(6).toString('hex');
  await commitJournal(dirs.root, { staging: `.staging-${suffix}`, trash: `.trash-${suffix}`, install: [], remove: [], files: [] }, key);
}

/** The sha256 of each of the workspace's two files now (null when absent), for `before`. */
export async function currentHash(root: string, file: typeof WORKSPACE_FILE | typeof LOCKFILE): Promise<string | null> {
  const text = await readWorkspaceFile(root, file);
  return text === undefined ? null : sha256(text);
}

/**
 * Everything recovery will touch, checked before anything changes: the files are as they were
 * before the journal or as it leaves them (a journal replayed on a workspace that moved on is
 * refused), and the staging and trash folders and staged copies are real folders, not links.
 */
async function checkJournal(root: string, dir: string, journal: Journal, file: string): Promise<void> {
  for (const f of journal.files) {
    const now = await currentHash(root, f.path);
    if (now !== f.before && now !== sha256(f.content)) throw refused(file, `${f.path} changed since it was written`);
  }
  const mustBeFolder = async (p: string) => {
    const stat = await lstatOrUndefined(p);
    if (stat && (stat.isSymbolicLink() || !stat.isDirectory())) throw refused(file, `${path.relative(root, p)} is ${stat.isSymbolicLink() ? 'a link' : 'not a folder'}`);
    return stat !== undefined;
  };
  await mustBeFolder(path.join(dir, journal.trash));
  if (await mustBeFolder(path.join(dir, journal.staging))) {
    for (const folder of journal.install) await mustBeFolder(path.join(dir, journal.staging, folder));
  }
}

async function applyJournal(root: string, dir: string, journal: Journal, key: Buffer | undefined): Promise<void> {
  const trash = path.join(dir, journal.trash);
  await fs.mkdir(trash).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  let moves = 0;
  for (const folder of [...journal.remove, ...journal.install]) {
    await pauseAfterMoves(moves);
    const target = path.join(dir, folder);
    const staged = path.join(dir, journal.staging, folder);
    const isInstall = journal.install.includes(folder);
    // Already done for an install: the staged copy was moved in.
    if (isInstall && !(await lstatOrUndefined(staged))) continue;
    // rename moves a link itself, never what it points to.
    if (await lstatOrUndefined(target)) {
      const trashed = path.join(trash, folder);
      await fs.rm(trashed, { recursive: true, force: true });
      await fs.rename(target, trashed);
    }
    if (isInstall) await fs.rename(staged, target);
    moves++;
  }
  await pauseAfterMoves(moves);
  for (const f of journal.files) await writeFileAtomic(path.join(root, f.path), f.content);
  await syncLinks(root, key, { workspace: journal.files.find((f) => f.path === WORKSPACE_FILE)?.content, lock: journal.files.find((f) => f.path === LOCKFILE)?.content });
  await fs.rm(trash, { recursive: true, force: true });
  await fs.rm(path.join(dir, journal.staging), { recursive: true, force: true });
  await fs.rm(path.join(dir, JOURNAL), { force: true });
}

async function readJournal(file: string): Promise<string | undefined> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw refused(file, code === 'ELOOP' ? 'it is a link' : `it cannot be read (${code ?? 'error'})`);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw refused(file, 'it is not a file');
    if (stat.size > MAX_JOURNAL_BYTES) throw refused(file, `it is larger than ${MAX_JOURNAL_BYTES} bytes`);
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

async function openJournal(text: string, env: NodeJS.ProcessEnv, file: string): Promise<Journal> {
  const sealed = sealedSchema.safeParse(parseJson(text));
  if (!sealed.success) throw refused(file, 'it is damaged or not sealed');
  const key = await journalKey(env, { create: false });
  if (!key) throw refused(file, 'there is no journal key on this machine to check its seal');
  if (!sealVerifies(key, FORMAT, sealed.data.body, sealed.data.mac)) throw refused(file, 'its seal does not verify (it was not written by skills for this user)');
  const journal = journalSchema.safeParse(parseJson(sealed.data.body));
  if (!journal.success) throw refused(file, `it is invalid: ${journal.error.issues[0]?.message ?? 'unknown'}`);
  return journal.data;
}

/** Whether a journal, staging or trash folder is present (a read-only look, no lock needed). */
export async function needsRecovery(root: string): Promise<boolean> {
  const real = await fs.realpath(root).catch(() => path.resolve(root));
  const inSkills = await fs.readdir(skillsDir(real)).catch(() => [] as string[]);
  if (inSkills.some((e) => e === JOURNAL || STAGING_RE.test(e) || TRASH_RE.test(e) || TMP_RE.test(e))) return true;
  const inRoot = await fs.readdir(real).catch(() => [] as string[]);
  return inRoot.some((e) => TMP_RE.test(e));
}

/**
 * Finishes an interrupted install, and clears what runs that never committed left behind. The
 * caller holds the workspace lock, so nothing found here belongs to a run still going.
 */
export async function recover(root: string, env: NodeJS.ProcessEnv): Promise<Recovered> {
  const dirs = await workspaceDirs(root);
  let cleaned = false;
  let completed = false;
  if (dirs.skills) {
    const file = path.join(dirs.skills, JOURNAL);
    const text = await readJournal(file);
    if (text !== undefined) {
      const journal = await openJournal(text, env, file);
      await checkJournal(dirs.root, dirs.skills, journal, file);
      await applyJournal(dirs.root, dirs.skills, journal, await journalKey(env, { create: false }));
      // The killed run may also have left a temporary file of skills.json or the lockfile
      // (killed between writing it and renaming it): cleared below like any other.
      completed = true;
    }
    // fs.rm removes a link itself, never what it points to.
    for (const e of await fs.readdir(dirs.skills)) {
      if (!STAGING_RE.test(e) && !TRASH_RE.test(e) && !TMP_RE.test(e)) continue;
      await fs.rm(path.join(dirs.skills, e), { recursive: true, force: true });
      cleaned = true;
    }
  }
  for (const e of await fs.readdir(dirs.root).catch(() => [] as string[])) {
    if (!TMP_RE.test(e)) continue;
    await fs.rm(path.join(dirs.root, e), { force: true });
    cleaned = true;
  }
  if (completed) return 'completed';
  return cleaned ? 'cleaned' : 'none';
}
