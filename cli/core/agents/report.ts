/**
 * Read-only views of the agent folders: `skills agents` (the table, what is detected here, what
 * is linked where) and the link checks of `skills doctor`, whose `--fix` repairs what is ours
 * through the same journaled commit installs use.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ErrorCode } from '../../../schema/errors';
import type { Lockfile, Workspace } from '../../../schema/workspace';
import { AGENTS } from './table';
import { planLinks, type LinkMode, type LinkPlan } from './link';
import { checkStorePath, globalScopeFromEnv, globalStoreDir, scopeOf, writeGlobalMarker, type LinkScope } from './scope';
import { commitLinks, recover } from '../install/journal';
import { journalKey } from '../install/journal-key';
import { emptyLockfile, loadWorkspace } from '../workspace/files';
import { withWorkspaceLock } from '../workspace/lock';

export interface AgentsReport {
  scope: 'project' | 'global';
  root: string;
  mode: LinkMode;
  /** `agents` from skills.json, or null (targets are the detected agents). */
  configured: string[] | null;
  agents: { id: string; name: string; folder: string; globalFolder: string; detected: boolean; target: boolean; linked: string[] }[];
  targets: { folder: string; agents: string[]; target: boolean; exists: boolean; problem: string | null; linked: string[]; missing: string[] }[];
}

/** The scope and what skills.json and the lockfile say, for `root` (or the global store). */
async function loadScope(root: string, env: NodeJS.ProcessEnv, global: boolean): Promise<{ scope: LinkScope; workspace: Workspace; lock: Lockfile }> {
  // The global store through a link in the home folder: EHOMELINK here too (doctor -g --fix writes there).
  if (global) await checkStorePath(env);
  const dir = global ? globalStoreDir(env) : root;
  const exists = await fs.stat(dir).then((s) => s.isDirectory(), () => false);
  const loaded = exists ? await loadWorkspace(dir) : { workspace: undefined, lockfile: undefined };
  const key = await journalKey(env, { create: false }).catch(() => undefined);
  const scope = global ? (exists ? await scopeOf(dir, key) : globalScopeFromEnv(env)) : await scopeOf(dir, key);
  // A store without its marker (never installed into): still the user's home folders.
  const effective = global && scope.kind === 'project' ? { ...globalScopeFromEnv(env), root: scope.root } : scope;
  return { scope: effective, workspace: loaded.workspace ?? { dependencies: {}, servers: {} }, lock: loaded.lockfile ?? emptyLockfile() };
}

export async function agentsReport(root: string, env: NodeJS.ProcessEnv, global: boolean): Promise<AgentsReport> {
  const { scope, workspace, lock } = await loadScope(root, env, global);
  const plan = await planLinks({ scope, workspace, lock });
  const byFolder = new Map(plan.targets.map((t) => [t.folder, t]));
  const targetOf = (id: string) => plan.targets.some((t) => t.target && t.agents.includes(id));
  return {
    scope: scope.kind,
    root: scope.root,
    mode: plan.mode,
    configured: plan.configured,
    agents: AGENTS.map((a) => {
      const folder = scope.kind === 'project' ? a.project : a.global;
      return { id: a.id, name: a.name, folder: a.project, globalFolder: a.global, detected: plan.detected.includes(a.id), target: targetOf(a.id), linked: byFolder.get(folder)?.ours ?? [] };
    }),
    targets: plan.targets
      .filter((t) => t.target || t.ours.length > 0)
      .map((t) => ({
        folder: t.folder,
        agents: t.agents,
        target: t.target,
        exists: t.exists,
        problem: t.problem ?? null,
        linked: t.ours,
        missing: t.target ? t.ops.filter((o) => o.action !== 'remove' && !t.entries.has(o.name)).map((o) => o.name) : [],
      })),
  };
}

export interface LinkProblem {
  code: ErrorCode;
  severity: 'error' | 'warning';
  path: string;
  message: string;
  /** `skills doctor --fix` repairs it (it concerns only what skills made). */
  fixable: boolean;
}

export interface LinkCheck {
  scope: 'project' | 'global';
  root: string;
  mode: LinkMode;
  targets: string[];
  problems: LinkProblem[];
  /** With --fix: the problems that were repaired. */
  fixed: LinkProblem[];
}

function problemsOf(plan: LinkPlan): LinkProblem[] {
  const problems: LinkProblem[] = [];
  const desired = new Set(plan.desired.map((d) => d.name));
  const local = new Set(plan.desired.filter((d) => d.local).map((d) => d.name));
  for (const issue of plan.issues) problems.push({ ...issue, severity: 'error', fixable: false, message: issue.code === 'ECONFLICT' ? issue.message : `${issue.path}: ${issue.message}` });
  for (const t of plan.targets) {
    for (const op of t.ops) {
      const at = `${t.folder}/${op.name}`;
      if (op.action === 'remove') problems.push({ code: 'ELINKSTALE', severity: 'error', path: at, message: `${at} is ${t.target ? `for skills/${op.name}, which is not in the workspace` : `ours, but ${t.folder} is not a target`} (skills made it)`, fixable: true });
      else if (t.entries.has(op.name)) problems.push({ code: 'ELINKOUTDATED', severity: 'error', path: at, message: `${at} is ${plan.mode === 'copy' ? 'not an up-to-date copy' : 'a copy, not a link'} of skills/${op.name}`, fixable: true });
      // A local skill is linked by the next install (or --fix); an installed one should have been.
      else problems.push({ code: 'ELINKMISSING', severity: local.has(op.name) ? 'warning' : 'error', path: at, message: `${at} is missing: ${t.agents.join(', ')} cannot see ${local.has(op.name) ? 'the local skill ' : ''}skills/${op.name}`, fixable: true });
    }
    for (const name of t.leftovers) problems.push({ code: 'ELINKSTALE', severity: 'error', path: `${t.folder}/${name}`, message: `${t.folder}/${name} was left by an interrupted run`, fixable: true });
  }
  for (const d of plan.dangling) {
    const name = path.basename(d.path);
    if (desired.has(name)) problems.push({ ...d, severity: 'error', fixable: false, message: `${d.message}: run \`skills install\` to restore it` });
  }
  for (const f of plan.foreign) problems.push({ ...f, severity: 'warning', fixable: false });
  for (const l of plan.left) problems.push({ ...l, severity: 'warning', fixable: false });
  return problems;
}

/** `skills doctor`'s link checks; with `fix`, repairs what is ours first (under the workspace lock) and checks again. */
export async function checkLinks(root: string, env: NodeJS.ProcessEnv, global: boolean, fix: boolean): Promise<LinkCheck> {
  let { scope, workspace, lock } = await loadScope(root, env, global);
  let plan = await planLinks({ scope, workspace, lock });
  let fixed: LinkProblem[] = [];
  const before = problemsOf(plan);
  if (fix && before.some((p) => p.fixable)) {
    await withWorkspaceLock(scope.root, { command: 'skills doctor --fix', env, progress: () => {} }, async () => {
      if (global) await writeGlobalMarker(scope.root, env, (await journalKey(env, { create: true })) as Buffer);
      await recover(scope.root, env);
      await commitLinks(scope.root, env);
    });
    ({ scope, workspace, lock } = await loadScope(root, env, global));
    plan = await planLinks({ scope, workspace, lock });
    const after = new Set(problemsOf(plan).map((p) => `${p.code} ${p.path}`));
    fixed = before.filter((p) => p.fixable && !after.has(`${p.code} ${p.path}`));
  }
  return {
    scope: scope.kind,
    root: scope.root,
    mode: plan.mode,
    targets: plan.targets.filter((t) => t.target).map((t) => t.folder),
    problems: problemsOf(plan),
    fixed,
  };
}
