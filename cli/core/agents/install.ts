/**
 * What install, update, uninstall and ci do about agent folders: read the targets from skills.json
 * (adding `--agent` and `--copy`), check before anything is written that every target can hold
 * exactly the new set of skills (ECONFLICT, EAGENTTARGET), and say afterwards what changed. The
 * links themselves are made by the journal's commit (journal.ts), so they are as crash-safe as
 * the skill folders.
 */
import type { Lockfile, Workspace } from '../../../schema/workspace';
import { agentsByIds } from './table';
import { linkError, planLinks, type LinkIssue, type LinkMode, type LinkPlan } from './link';
import { scopeOf, writeGlobalMarker, type LinkScope } from './scope';
import { detectAgents } from './link';
import { journalKey } from '../install/journal-key';

export interface LinkRequest {
  /** Agent ids to add to skills.json "agents" (absent there: it starts as the agents detected now). */
  agents?: string[] | undefined;
  /** Set "link": "copy" in skills.json. */
  copy?: boolean | undefined;
  /** The root is the user's global store: mark it so (cli/core/agents/scope.ts) and link into the home folder. */
  global?: boolean | undefined;
}

export interface LinkSummary {
  scope: 'project' | 'global';
  mode: LinkMode;
  targets: { folder: string; agents: string[]; added: string[]; removed: string[] }[];
  left: LinkIssue[];
}

/** The workspace's scope (writing the global marker first for -g), before anything else is read. */
export async function linkScope(root: string, env: NodeJS.ProcessEnv, request: LinkRequest): Promise<LinkScope> {
  if (request.global) {
    const key = await journalKey(env, { create: true });
    if (key) await writeGlobalMarker(root, env, key);
    return scopeOf(root, key);
  }
  return scopeOf(root, await journalKey(env, { create: false }).catch(() => undefined));
}

/** skills.json with this command's `--agent` and `--copy` applied (EUNKNOWNAGENT for an id not in the table). */
export async function withLinkSettings(workspace: Workspace, scope: LinkScope, request: LinkRequest): Promise<Workspace> {
  if (workspace.agents) agentsByIds(workspace.agents);
  const adding = request.agents ?? [];
  agentsByIds(adding);
  const out: Workspace = { ...workspace };
  if (adding.length > 0) {
    const current = workspace.agents ?? (await detectAgents(scope));
    out.agents = [...new Set([...current, ...adding])];
  }
  if (request.copy) out.link = 'copy';
  return out;
}

/** Checks the new state can be linked; throws ECONFLICT or EAGENTTARGET when not (nothing has changed yet). */
export async function checkLinks(scope: LinkScope, workspace: Workspace, lock: Lockfile, ownedBefore: ReadonlySet<string>, removing: readonly string[]): Promise<LinkPlan> {
  const plan = await planLinks({ scope, workspace, lock, notLocal: ownedBefore, removing: new Set(removing) });
  const error = linkError(plan);
  if (error) throw error;
  return plan;
}

export function linkSummary(plan: LinkPlan): LinkSummary {
  return {
    scope: plan.scope.kind,
    mode: plan.mode,
    targets: plan.targets
      .filter((t) => t.target || t.ops.length > 0)
      .map((t) => ({
        folder: t.folder,
        agents: t.agents,
        added: t.ops.filter((o) => o.action !== 'remove').map((o) => o.name),
        removed: t.ops.filter((o) => o.action === 'remove').map((o) => o.name),
      })),
    left: plan.left,
  };
}
