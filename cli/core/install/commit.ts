/**
 * The install's last phase: check that every agent folder can hold the new set of skills, then
 * stage the new skills and commit them with skills.json and the lockfile through the journal
 * (stage.ts, journal.ts; the commit links the agent folders too), record the user's acceptances,
 * report contract drift, and write skills/INDEX.md. Nothing is written before this phase.
 */
import path from 'node:path';
import { SkillsError } from '../../../schema/errors';
import type { PackageFile } from '../../../schema/package-files';
import { checkLinks, linkSummary, type LinkSummary } from '../agents/install';
import { hasWork } from '../agents/link';
import type { LinkScope } from '../agents/scope';
import { recordAcceptances, type Acceptance } from '../trust/store';
import { catalogInstalled, writeCatalog } from '../workspace/catalog';
import { LOCKFILE, readWorkspaceFile, WORKSPACE_FILE } from '../workspace/files';
import { contractProblems } from './checks';
import { nextWorkspaceText, type NextFiles } from './decide';
import { commitLinks } from './journal';
import type { InstallPlan } from './plan';
import { stageAndCommit } from './stage';

export interface CommitInput {
  env: NodeJS.ProcessEnv;
  root: string;
  scope: LinkScope;
  /** The workspace's real root, and its ./skills when it exists. */
  dirs: { root: string; skills: string | undefined };
  dir: string;
  /** The folders the old lockfile owns. */
  owned: ReadonlySet<string>;
  plan: InstallPlan;
  /** The files of every new or changed skill. */
  files: ReadonlyMap<string, PackageFile[]>;
  next: NextFiles;
  /** What the user accepted on this command (trust and audit), recorded once the workspace holds it. */
  accept: readonly Acceptance[];
  warn(message: string): void;
}

export interface Committed {
  catalog: { file: string; chars: number; overBudget: boolean };
  /** What changed in the agent folders. */
  links: LinkSummary;
  /** skills.json: whether this command created it (there was none) or changed it. */
  workspaceFile: { file: string; created: boolean; changed: boolean };
}

export async function commit(input: CommitInput): Promise<Committed> {
  const { root, plan, next } = input;
  // Every agent folder must be able to hold the new set of skills before anything is written.
  const links = await checkLinks(input.scope, next.workspace, next.lock, input.owned, plan.removeFolders);
  for (const left of links.left) input.warn(left.message);

  const fetching = new Set(plan.fetch);
  const changed = plan.targets.filter((t) => fetching.has(t.name));
  const workspaceFile = { file: path.join(root, WORKSPACE_FILE), created: false, changed: false };
  const nothingToDo = changed.length === 0 && plan.removeFolders.length === 0;
  if (!nothingToDo || next.edits.length > 0 || (await readWorkspaceFile(root, WORKSPACE_FILE)) === undefined || (await readWorkspaceFile(root, LOCKFILE)) !== next.lockText) {
    await stageAndCommit({
      env: input.env,
      dirs: input.dirs,
      dir: input.dir,
      folders: changed.map((t) => ({ folder: t.folder, files: filesOf(input.files, t.name) })),
      remove: plan.removeFolders,
      workspaceText: (current) => {
        workspaceFile.created = current === undefined;
        const written = nextWorkspaceText(current, next, workspaceFile.file);
        workspaceFile.changed = written.changed;
        return written.text;
      },
      lockText: next.lockText,
    });
  } else if (hasWork(links)) {
    await commitLinks(root, input.env);
  }

  // Recorded once the workspace holds them: a failed install leaves the trust store as it was.
  await recordAcceptances(input.env, input.accept);

  // What the new skills expect of the workspace's MCP tools, against what `servers sync` last saw.
  for (const p of await contractProblems(root, new Set(changed.map((t) => t.folder)))) input.warn(`${p.code} ${p.message} (run \`skills doctor\` against the live servers)`);

  const catalog = await writeCatalog(root, catalogInstalled(next.lock));
  if (catalog.overBudget) input.warn(`skills/INDEX.md lists ${catalog.chars} characters of skills, over the ${catalog.budget} character budget of current agent clients`);
  return {
    catalog: { file: catalog.file, chars: catalog.chars, overBudget: catalog.overBudget },
    links: linkSummary(links),
    workspaceFile: { ...workspaceFile, changed: workspaceFile.created || workspaceFile.changed },
  };
}

function filesOf(files: ReadonlyMap<string, PackageFile[]>, name: string): PackageFile[] {
  const found = files.get(name);
  if (!found) throw new SkillsError('EINTERNAL', `${name} was not fetched`);
  return found;
}
