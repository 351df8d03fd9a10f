/**
 * The install's decisions, pure (no disk, no network, tested in test/install-decide.test.ts): the
 * trust of every skill and whether the trust policy lets it in, the audit threshold and verdict of
 * each new or changed skill, the warnings about the plan, the new lockfile and the skills.json
 * edits, and what the install reports per skill. The phases around them (fetch.ts, checks.ts,
 * commit.ts) do the I/O.
 */
import { reaches, summarizeAudit, type AuditReport, type AuditSummary, type FailOn } from '../../../schema/audit-report';
import { SkillsError } from '../../../schema/errors';
import type { PackageFile } from '../../../schema/package-files';
import type { TrustLevel } from '../../../schema/trust';
import type { Lockfile, Workspace } from '../../../schema/workspace';
import { auditError, describeFinding } from '../../../audit/verdict';
import { computeTrust, decideInstallTrust, type ComputedTrust, type TrustDecision, type VerificationOutcome } from '../trust/levels';
import type { AcceptedAbout, Acceptance } from '../trust/store';
import { emptyLockfile, LOCKFILE, serializeLockfile, serializeWorkspace, WORKSPACE_FILE } from '../workspace/files';
import { applyWorkspaceEdits, parseWorkspaceText, workspaceEdits, type WorkspaceEdit } from '../workspace/text';
import type { Fetched } from './fetch';
import { lockEntryOf, type AddedSpec, type InstallPlan, type PlanTarget } from './plan';

/** The default threshold: what a workspace may only tighten by itself. */
export const DEFAULT_FAIL_ON: FailOn = 'high';

export interface InstalledSkill {
  name: string;
  version: string;
  folder: string;
  verified: 'sandbox' | 'cache' | 'skipped' | 'unchanged' | 'not-run';
  trust: TrustLevel;
  source: 'registry' | 'git' | 'folder' | 'well-known';
  /** The static audit's counts, for the skills this install added or changed. */
  audit?: AuditSummary | undefined;
}

/** The trust of every skill the workspace will hold: new or changed ones from their files and verification, kept ones from the lockfile (or their installed files when it says unverified, or says nothing). */
export function trustOf(targets: readonly PlanTarget[], fetched: Pick<Fetched, 'files' | 'kinds' | 'outcomes' | 'keptFiles'>): Map<string, ComputedTrust> {
  const trusts = new Map<string, ComputedTrust>();
  for (const t of targets) {
    const files = fetched.files.get(t.name);
    if (files) trusts.set(t.name, computeTrust(files, fetched.kinds.get(t.name)?.kind ?? 'code', fetched.outcomes.get(t.name) ?? 'not-code'));
  }
  for (const t of targets) {
    if (trusts.has(t.name) || !t.kept) continue;
    if (t.kept.trust !== undefined && t.kept.trust !== 'unverified') {
      trusts.set(t.name, { level: t.kept.trust, because: [], kind: 'code', verification: 'cache' });
      continue;
    }
    const installed: readonly PackageFile[] = fetched.keptFiles.get(t.name) ?? [];
    const kind = installed.some((f) => f.path === 'skill.json') ? 'code' : 'plain';
    if (t.kept.trust === 'unverified') {
      // The files that make it so, for the policy's message.
      const computed = computeTrust(installed, kind, t.kept.skipVerify ? 'skipped' : kind === 'code' ? 'no-fixtures' : 'not-code');
      trusts.set(t.name, { ...computed, level: 'unverified' });
    } else {
      // A lockfile written before trust levels: judged from the installed files.
      trusts.set(t.name, computeTrust(installed, kind, t.kept.skipVerify ? 'skipped' : kind === 'code' ? 'cache' : 'not-code'));
    }
  }
  return trusts;
}

export interface TrustChoice {
  /** The skills this command names (its specs). */
  add: readonly AddedSpec[];
  /** --allow-unverified: for the skills this command names. */
  allowUnverified: boolean;
  trustWorkspace: boolean;
  update?: { names: readonly string[] | 'all' } | undefined;
  /** Whether the user's own trust store accepted this content before. */
  accepted(digest: string, about: AcceptedAbout): boolean;
}

/**
 * The trust policy on the plan (EUNVERIFIED when it refuses). Trust is lowered only by the person
 * at the keyboard: skills this command names with --allow-unverified, content their own trust
 * store accepted, or --trust-workspace.
 */
export function decideTrust(plan: InstallPlan, trusts: ReadonlyMap<string, ComputedTrust>, outcomes: ReadonlyMap<string, VerificationOutcome>, choice: TrustChoice): TrustDecision {
  const requested = new Set(plan.workspace.trust?.allowUnverified ?? []);
  // `update --allow-unverified` with no names accepts new content of the skills the workspace already allows.
  const updated = choice.update ? (choice.update.names === 'all' ? [...requested] : choice.update.names) : [];
  const named = new Set(choice.allowUnverified ? [...choice.add.map((a) => (a.type === 'registry' ? a.name : a.skill.name)), ...updated] : []);
  return decideInstallTrust({
    subjects: plan.targets.map((t) => {
      const trust = trusts.get(t.name);
      const skipped = t.kept ? t.kept.skipVerify === true : outcomes.get(t.name) === 'skipped';
      // A kept skill whose reasons are not in the lockfile: the policy names the lock entry.
      const because = trust && trust.because.length > 0 ? trust.because : [{ path: LOCKFILE, why: 'recorded as unverified' }];
      return { name: t.name, digest: t.digest, trust: trust?.level ?? 'unverified', because, skipped };
    }),
    named,
    requested,
    trustWorkspace: choice.trustWorkspace,
    accepted: (digest, about) => choice.accepted(digest, about),
  });
}

export interface AuditPolicy {
  /** `audit.failOn` in skills.json: a tighter threshold applies as is; a looser one (`none`) is a request. */
  requested: FailOn;
  /** --trust-workspace: accept the looser threshold for the content at hand (recorded). */
  trustWorkspace: boolean;
  /** Whether the user's own trust store accepted this content's audit findings before. */
  accepted(digest: string): boolean;
}

/**
 * The threshold for one skill: the workspace's when it is at least as strict as the default, else
 * the default, unless the user accepted this content (before, or now with --trust-workspace).
 */
export function auditThreshold(policy: AuditPolicy, digest: string): { failOn: FailOn; acceptNow: boolean } {
  if (policy.requested !== 'none') return { failOn: policy.requested, acceptNow: false };
  if (policy.accepted(digest)) return { failOn: 'none', acceptNow: false };
  if (policy.trustWorkspace) return { failOn: 'none', acceptNow: true };
  return { failOn: DEFAULT_FAIL_ON, acceptNow: false };
}

/** Whether the report has findings at the threshold that the registry's report might show as allowed by the scope owner. */
export function needsAllowances(report: AuditReport, failOn: FailOn): boolean {
  return report.findings.some((f) => f.allowed !== true && reaches(f.severity, failOn));
}

export interface AuditVerdict {
  /** One line per finding of medium and above, to show whatever the verdict. */
  warnings: string[];
  /** EAUDIT: the install stops. */
  error: SkillsError | undefined;
  /** Set when --trust-workspace accepts findings the default threshold would refuse (recorded in the user's trust store). */
  accept: Acceptance | undefined;
  summary: AuditSummary;
}

/**
 * One skill's audit under the policy: findings of medium and above become warnings; any at or
 * above the threshold refuses the install (EAUDIT), unless the scope owner allowed that rule and
 * file (marked in the report).
 */
export function auditVerdict(skill: { name: string; version: string; digest: string }, report: AuditReport, policy: AuditPolicy): AuditVerdict {
  const { failOn, acceptNow } = auditThreshold(policy, skill.digest);
  const label = `${skill.name}@${skill.version}`;
  const warnings = report.findings.filter((f) => reaches(f.severity, 'medium')).map((f) => `audit ${label}: ${f.severity}${f.allowed ? ' (allowed by the scope owner)' : ''} ${describeFinding(f)}`);
  const asked = policy.requested !== failOn;
  const error = auditError(label, report, failOn, {
    hint: asked
      ? `skills.json sets "audit": { "failOn": "${policy.requested}" }, but you have not accepted this content on this machine (a workspace cannot lower its own audit threshold): \`skills audit ${label}\` shows every finding; to accept them, run \`skills install --trust-workspace\`. Nothing was installed`
      : `\`skills audit ${label}\` shows every finding; nothing was installed. To accept it, ask the scope's owner to allow the rule, or set "audit": { "failOn": "none" } in skills.json and accept it once with --trust-workspace`,
  });
  const accept = !error && acceptNow && auditError(skill.name, report, DEFAULT_FAIL_ON, { hint: '' }) ? { digest: skill.digest, name: skill.name, about: 'audit' as const } : undefined;
  return { warnings, error, accept, summary: summarizeAudit(report) };
}

/** What the plan warns about: deprecated versions, and MCP servers the skills use that skills.json does not configure. */
export function planWarnings(plan: InstallPlan, mcp: ReadonlyMap<string, Record<string, string[]>>): string[] {
  const warnings: string[] = [];
  for (const t of plan.targets) {
    if (t.deprecated) warnings.push(`${t.name}@${t.version} is deprecated: ${t.deprecated}`);
    for (const server of Object.keys(mcp.get(t.name) ?? t.mcp)) {
      if (!(server in plan.workspace.servers)) warnings.push(`${t.name} uses the MCP server "${server}", which ${WORKSPACE_FILE} does not configure under "servers"`);
    }
  }
  return warnings;
}

/** The lockfile and skills.json the install writes. */
export interface NextFiles {
  lock: Lockfile;
  lockText: string;
  /** skills.json as the install leaves it. */
  workspace: Workspace;
  /** The key-level edits from skills.json as read to `workspace`, applied at commit time to the text as it is then. */
  edits: WorkspaceEdit[];
}

/** The new lockfile (every target, with its trust) and skills.json (the plan's, plus the names accepted with --allow-unverified). */
export function nextFiles(plan: InstallPlan, before: Workspace | undefined, trusts: ReadonlyMap<string, ComputedTrust>, outcomes: ReadonlyMap<string, VerificationOutcome>, allowed: readonly string[]): NextFiles {
  const lock: Lockfile = emptyLockfile();
  for (const t of plan.targets) {
    const skipped = outcomes.get(t.name) === 'skipped' || t.kept?.skipVerify === true;
    lock.skills[t.name] = lockEntryOf(t, trusts.get(t.name)?.level, skipped);
  }
  const workspace: Workspace = { ...plan.workspace };
  const listed = plan.workspace.trust?.allowUnverified ?? [];
  const toAllow = [...new Set(allowed)].filter((n) => !listed.includes(n)).sort();
  if (toAllow.length > 0) workspace.trust = { allowUnverified: [...listed, ...toAllow] };
  return { lock, lockText: serializeLockfile(lock), workspace, edits: workspaceEdits(before ?? { dependencies: {}, servers: {} }, workspace) };
}

/**
 * skills.json's new text from the text on disk at commit time (undefined: there is none): written
 * whole when new, else edited key by key so the user's formatting and any edit made while the
 * install ran are kept. That text must still read, and so must the result.
 */
export function nextWorkspaceText(current: string | undefined, next: NextFiles, file: string): { text: string; created: boolean; changed: boolean } {
  if (current === undefined) return { text: serializeWorkspace(next.workspace), created: true, changed: false };
  parseWorkspaceText(current, file);
  const text = applyWorkspaceEdits(current, next.edits);
  try {
    parseWorkspaceText(text, file);
  } catch (error) {
    throw new SkillsError('EINTERNAL', `editing ${WORKSPACE_FILE} would leave it unreadable (${(error as Error).message}); nothing was installed`, { cause: error });
  }
  return { text, created: false, changed: text !== current };
}

/** What the install reports for each skill the workspace holds. */
export function installedSkills(targets: readonly PlanTarget[], outcomes: ReadonlyMap<string, VerificationOutcome>, trusts: ReadonlyMap<string, ComputedTrust>, audits: ReadonlyMap<string, AuditSummary>): InstalledSkill[] {
  return targets.map((t) => ({
    name: t.name,
    version: t.version,
    folder: `skills/${t.folder}`,
    verified: t.kept ? 'unchanged' : verifiedLabel(outcomes.get(t.name)),
    trust: trusts.get(t.name)?.level ?? 'unverified',
    source: t.source?.type ?? 'registry',
    ...(audits.has(t.name) ? { audit: audits.get(t.name) } : {}),
  }));
}

function verifiedLabel(outcome: VerificationOutcome | undefined): InstalledSkill['verified'] {
  if (outcome === 'sandbox' || outcome === 'cache' || outcome === 'skipped') return outcome;
  return 'not-run';
}
