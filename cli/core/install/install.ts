/**
 * The install executor, one phase per file, under the workspace lock (so every caller, the CLI's
 * install, update, uninstall and ci and `skills mcp`, is serialised):
 *   gather.ts  read the workspace, what this command names, and what ./skills holds;
 *   plan.ts    decide, purely, every skill the workspace will hold and what changes (gathering
 *              the packuments and sources it asks for until it has everything);
 *   fetch.ts   download, check, unpack, validate and sandbox-verify what is new or changed;
 *   decide.ts  trust and its policy, the audit's verdict (checks.ts runs the audit), the new
 *              lockfile and skills.json: pure;
 *   commit.ts  stage and commit through the journal (stage.ts, journal.ts), then the catalog.
 * Any failure before the commit leaves ./skills, skills.json and the lockfile exactly as they were.
 */
import type { InstallChange } from './plan';
import type { Recovered } from './journal';
import type { LinkSummary } from '../agents/install';
import { catalogInstalled } from '../workspace/catalog';
import { withWorkspaceLock } from '../workspace/lock';
import { readTrustStore } from '../trust/store';
import { auditInstall, auditTargets } from './checks';
import { commit } from './commit';
import { decideTrust, DEFAULT_FAIL_ON, installedSkills, nextFiles, planWarnings, trustOf, type InstalledSkill } from './decide';
import { fetchAndVerify } from './fetch';
import { gather, gatherMore, planInput } from './gather';
import { localChangesError } from './local-changes';
import { planInstall } from './plan';
import type { InstallRequest } from './request';

export { listSourceSkills, type ListedSkill } from '../sources/list';
export type { InstallChange, InstalledSkill };
export { catalogInstalled };

export type { InstallRequest };

export interface InstallResult {
  root: string;
  changes: InstallChange[];
  skills: InstalledSkill[];
  catalog: { file: string; chars: number; overBudget: boolean };
  recovered: Recovered;
  /** What changed in the agent folders. */
  links: LinkSummary;
  /** skills.json: whether this command created it (there was none) or changed it. */
  workspaceFile: { file: string; created: boolean; changed: boolean };
}

function commandOf(request: InstallRequest): string {
  if (request.command) return request.command;
  if (request.frozen) return 'skills ci';
  if (request.update) return 'skills update';
  if ((request.remove ?? []).length > 0) return 'skills uninstall';
  return 'skills install';
}

export async function install(request: InstallRequest): Promise<InstallResult> {
  return withWorkspaceLock(request.root, { command: commandOf(request), env: request.env, progress: request.progress }, () => installLocked(request));
}

async function installLocked(request: InstallRequest): Promise<InstallResult> {
  // Gather, then plan (pure), gathering what the plan asks for until it has everything.
  const { gathered, sources } = await gather(request);
  let outcome = planInstall(planInput(gathered, request));
  while (outcome.status === 'need') {
    await gatherMore(gathered, sources, outcome, request);
    outcome = planInstall(planInput(gathered, request));
  }
  const { plan } = outcome;
  if (plan.localChanges.length > 0 && !request.force) throw await localChangesError(plan, gathered.lock, gathered.dir, sources.cache, sources.connected());

  // Fetch and verify what is new or changed.
  const fetched = await fetchAndVerify(plan, gathered, sources, request);

  // Decide: trust under the policy, the audit under the workspace's threshold, the new lockfile and skills.json.
  const store = await readTrustStore(request.env);
  const trusts = trustOf(plan.targets, fetched);
  const trust = decideTrust(plan, trusts, fetched.outcomes, { add: gathered.add, allowUnverified: request.allowUnverified === true, trustWorkspace: request.trustWorkspace === true, update: request.update, accepted: (digest, about) => store.has(digest, about) });
  const audited = await auditInstall(
    auditTargets(plan.targets, fetched.files, sources.connected()?.client),
    { requested: plan.workspace.audit?.failOn ?? DEFAULT_FAIL_ON, trustWorkspace: request.trustWorkspace === true, accepted: (digest) => store.has(digest, 'audit') },
    request.warn,
    sources.cache,
  );
  for (const message of planWarnings(plan, fetched.mcp)) request.warn(message);
  const next = nextFiles(plan, gathered.loaded, trusts, fetched.outcomes, trust.record);

  // Commit: stage, then the journal moves everything in and writes skills.json and the lockfile.
  const { dirs, dir, owned, scope } = gathered;
  const committed = await commit({ env: request.env, root: request.root, scope, dirs, dir, owned, plan, files: fetched.files, next, accept: [...trust.accept, ...audited.accept], warn: request.warn });
  const skills = installedSkills(plan.targets, fetched.outcomes, trusts, audited.summaries);
  return { root: request.root, changes: plan.changes, skills, catalog: committed.catalog, recovered: gathered.recovered, links: committed.links, workspaceFile: committed.workspaceFile };
}
