/**
 * The last step of every commit through the install journal (journal.ts), and of its recovery:
 * bring the agent folders in line with the skills.json and lockfile the journal wrote. Target
 * problems never fail here (an install checked them before committing; a recovery must finish):
 * what cannot be done is left and returned, and `skills doctor` finds it.
 */
import { isSkillsError } from '../../../schema/errors';
import { LOCKFILE, lockfileSchema, WORKSPACE_FILE, type Lockfile, type Workspace } from '../../../schema/workspace';
import { applyLinks, planLinks, type LinkIssue } from './link';
import { scopeOf } from './scope';
import { readWorkspaceFile } from '../workspace/files';
import { parseWorkspaceText } from '../workspace/text';

function parsed<T>(text: string | undefined, parse: (raw: unknown) => { success: true; data: T } | { success: false }): T | undefined {
  if (text === undefined) return undefined;
  try {
    const result = parse(JSON.parse(text));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}

function workspaceOf(text: string): Workspace | undefined {
  try {
    return parseWorkspaceText(text, WORKSPACE_FILE).workspace;
  } catch {
    return undefined;
  }
}

/** Links as skills.json and the lockfile (the given texts, else the files on disk) ask. */
export async function syncLinks(root: string, key: Buffer | undefined, texts: { workspace?: string | undefined; lock?: string | undefined } = {}): Promise<LinkIssue[]> {
  const workspaceText = texts.workspace ?? (await readWorkspaceFile(root, WORKSPACE_FILE).catch(() => undefined));
  const lockText = texts.lock ?? (await readWorkspaceFile(root, LOCKFILE).catch(() => undefined));
  const workspace: Workspace | undefined = workspaceText === undefined ? { dependencies: {}, servers: {} } : workspaceOf(workspaceText);
  const lock: Lockfile | undefined = lockText === undefined ? { lockfileVersion: 1, skills: {} } : parsed(lockText, (raw) => lockfileSchema.safeParse(raw));
  if (!workspace || !lock) return [{ code: 'EWORKSPACE', path: WORKSPACE_FILE, message: `${WORKSPACE_FILE} or ${LOCKFILE} cannot be read; agent folders were not updated` }];
  try {
    return await applyLinks(await planLinks({ scope: await scopeOf(root, key), workspace, lock }));
  } catch (error) {
    return [{ code: isSkillsError(error) ? error.code : 'EAGENTTARGET', path: WORKSPACE_FILE, message: `agent folders were not updated: ${(error as Error).message}` }];
  }
}
