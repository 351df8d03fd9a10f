/** Reading and writing a workspace's skills.json and skills-lock.json. */
import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { SkillsError } from '../../../schema/errors';
import { LOCKFILE, LOCKFILE_VERSION, lockfileSchema, serializeLockfile, sortRecord, WORKSPACE_FILE, type Lockfile, type Workspace } from '../../../schema/workspace';
import { parseWorkspaceText, type UnknownKey } from './text';

export interface LoadedWorkspace {
  root: string;
  /** undefined when there is no skills.json yet. */
  workspace: Workspace | undefined;
  lockfile: Lockfile | undefined;
  /** Keys of skills.json skills does not know (kept in the file as written). */
  unknownKeys: UnknownKey[];
}

export async function loadWorkspace(root: string): Promise<LoadedWorkspace> {
  const text = await readWorkspaceFile(root, WORKSPACE_FILE);
  const document = text === undefined ? undefined : parseWorkspaceText(text, path.join(root, WORKSPACE_FILE));
  const lockfile = await readJson(root, LOCKFILE, (raw) => lockfileSchema.safeParse(raw), 'ELOCKFILE');
  return { root, workspace: document?.workspace, lockfile, unknownKeys: document?.unknownKeys ?? [] };
}

const MAX_WORKSPACE_FILE_BYTES = 16 * 1024 * 1024;

/**
 * The text of skills.json or skills-lock.json (undefined when absent): a regular file of bounded
 * size, opened without blocking (a named pipe there would otherwise hang every command).
 */
export async function readWorkspaceFile(root: string, name: typeof WORKSPACE_FILE | typeof LOCKFILE): Promise<string | undefined> {
  const file = path.join(root, name);
  const code = name === LOCKFILE ? 'ELOCKFILE' : 'EWORKSPACE';
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new SkillsError(code, `${file} is not a regular file`, { hint: `replace it with a ${name} file` });
    if (stat.size > MAX_WORKSPACE_FILE_BYTES) throw new SkillsError(code, `${file} is larger than ${MAX_WORKSPACE_FILE_BYTES} bytes`, { hint: `check what wrote it` });
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

async function readJson<T>(root: string, name: typeof LOCKFILE, parse: (raw: unknown) => { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } }, code: 'ELOCKFILE'): Promise<T | undefined> {
  const file = path.join(root, name);
  const text = await readWorkspaceFile(root, name);
  if (text === undefined) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new SkillsError(code, `${file} is not valid JSON`, { hint: 'delete it and run `skills install` to regenerate it' });
  }
  const parsed = parse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SkillsError(code, `${file} is invalid${issue ? `: ${issue.path.join('.') || '(root)'} ${issue.message}` : ''}`, {
      hint: 'delete it and run `skills install` to regenerate it',
    });
  }
  return parsed.data;
}

export function skillsDir(root: string): string {
  return path.join(root, 'skills');
}

/**
 * The workspace's real path and its skills/ folder (undefined when absent). skills/ must be a real
 * folder: nothing is ever written or removed through a link there.
 */
export async function workspaceDirs(root: string): Promise<{ root: string; skills: string | undefined }> {
  const real = await fs.realpath(root).catch(() => path.resolve(root));
  const skills = skillsDir(real);
  const stat = await fs.lstat(skills).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (stat === undefined) return { root: real, skills: undefined };
  if (stat.isSymbolicLink()) {
    throw new SkillsError('EWORKSPACELINK', `${skills} is a symbolic link; skills never writes through a link`, {
      hint: 'make ./skills a real folder (move what it points to into it), then run the command again',
    });
  }
  if (!stat.isDirectory()) throw new SkillsError('EWRITE', `cannot write to ${skills}: it is not a folder`, { hint: 'move that file away; nothing was changed' });
  return { root: real, skills };
}

/** A new skills.json (none existed): the house's 2-space format. An existing one is only ever edited (cli/core/workspace/text.ts). */
export function serializeWorkspace(workspace: Workspace): string {
  const out: Record<string, unknown> = {};
  if (workspace.$schema !== undefined) out.$schema = workspace.$schema;
  if (workspace.name !== undefined) out.name = workspace.name;
  if (workspace.description !== undefined) out.description = workspace.description;
  if (workspace.registry !== undefined) out.registry = workspace.registry;
  if (workspace.scope !== undefined) out.scope = workspace.scope;
  out.dependencies = sortRecord(workspace.dependencies);
  if (Object.keys(workspace.servers).length > 0) out.servers = sortRecord(workspace.servers);
  if (workspace.privacy !== undefined) out.privacy = workspace.privacy;
  if (workspace.trust !== undefined && workspace.trust.allowUnverified.length > 0) out.trust = { allowUnverified: [...new Set(workspace.trust.allowUnverified)].sort() };
  if (workspace.audit !== undefined) out.audit = workspace.audit;
  if (workspace.agents !== undefined) out.agents = workspace.agents;
  if (workspace.link !== undefined) out.link = workspace.link;
  if (workspace.alias !== undefined && Object.keys(workspace.alias).length > 0) out.alias = sortRecord(workspace.alias);
  return `${JSON.stringify(out, null, 2)}\n`;
}

export function emptyLockfile(): Lockfile {
  return { lockfileVersion: LOCKFILE_VERSION, skills: {} };
}

export { serializeLockfile, LOCKFILE, WORKSPACE_FILE };
