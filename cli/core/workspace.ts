/** Reading and writing a workspace's skills.json and skills-lock.json. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { SkillsError } from '../../schema/errors';
import { LOCKFILE, LOCKFILE_VERSION, lockfileSchema, serializeLockfile, sortRecord, WORKSPACE_FILE, workspaceSchema, type Lockfile, type Workspace } from '../../schema/workspace';

export interface LoadedWorkspace {
  root: string;
  /** undefined when there is no skills.json yet. */
  workspace: Workspace | undefined;
  lockfile: Lockfile | undefined;
}

export async function loadWorkspace(root: string): Promise<LoadedWorkspace> {
  const workspace = await readJson(path.join(root, WORKSPACE_FILE), (raw) => workspaceSchema.safeParse(raw), 'EWORKSPACE');
  const lockfile = await readJson(path.join(root, LOCKFILE), (raw) => lockfileSchema.safeParse(raw), 'ELOCKFILE');
  return { root, workspace, lockfile };
}

async function readJson<T>(file: string, parse: (raw: unknown) => { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } }, code: 'EWORKSPACE' | 'ELOCKFILE'): Promise<T | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new SkillsError(code, `${file} is not valid JSON`, { hint: code === 'ELOCKFILE' ? 'delete it and run `skills install` to regenerate it' : 'fix the JSON' });
  }
  const parsed = parse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SkillsError(code, `${file} is invalid${issue ? `: ${issue.path.join('.') || '(root)'} ${issue.message}` : ''}`, {
      hint: code === 'ELOCKFILE' ? 'delete it and run `skills install` to regenerate it' : 'see schema/json/skills.schema.json',
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

export function serializeWorkspace(workspace: Workspace): string {
  const out: Record<string, unknown> = {};
  if (workspace.registry !== undefined) out.registry = workspace.registry;
  out.dependencies = sortRecord(workspace.dependencies);
  if (Object.keys(workspace.servers).length > 0) out.servers = sortRecord(workspace.servers);
  if (workspace.privacy !== undefined) out.privacy = workspace.privacy;
  return `${JSON.stringify(out, null, 2)}\n`;
}

export function emptyLockfile(): Lockfile {
  return { lockfileVersion: LOCKFILE_VERSION, skills: {} };
}

export { serializeLockfile, LOCKFILE, WORKSPACE_FILE };
