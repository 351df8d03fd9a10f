/**
 * The static checks an install runs on every new or changed skill besides the sandbox: the audit
 * (before staging, under the workspace's `audit.failOn` policy), and the MCP tool contracts of the
 * skills it installed against the tool index `servers sync` saved (after the commit; offline, no
 * server is started; drift is reported, never fatal, since servers change on their own).
 */
import type { LiveServer } from '../../../audit/contracts';
import { checkContracts, type ContractProblem } from '../../../audit/contracts';
import { auditError, describeFinding } from '../../../audit/verdict';
import { AUDITOR_VERSION, auditReportSchema, reaches, type AuditReport, type AuditSummary, type FailOn, summarizeAudit } from '../../../schema/audit-report';
import type { PackageFile } from '../../../schema/package-files';
import { contentDigest } from '../../../tarball/digest';
import type { Cache } from '../registry/cache';
import type { RegistryClient } from '../registry/client';
import { readToolIndex } from '../servers/tool-index';
import type { Acceptance } from '../trust/store';

export interface AuditTarget {
  name: string;
  version: string;
  files: readonly PackageFile[];
  /** Set for a registry skill: its report there carries the scope owner's allowances. */
  registry?: RegistryClient | undefined;
}

/**
 * Audits each skill; findings of medium and above are passed to `warn`; any finding at or above
 * `failOn` refuses the install (EAUDIT), unless the registry the skill came from recorded the
 * scope owner's allowance for that rule and file.
 */
/** The default threshold: what a workspace may only tighten by itself. */
export const DEFAULT_FAIL_ON: FailOn = 'high';

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

export async function auditInstall(targets: readonly AuditTarget[], policy: AuditPolicy, warn: (message: string) => void, cache: Cache): Promise<{ summaries: Map<string, AuditSummary>; accept: Acceptance[] }> {
  const summaries = new Map<string, AuditSummary>();
  const accept: Acceptance[] = [];
  for (const t of targets) {
    const digest = contentDigest(t.files);
    const { failOn, acceptNow } = auditThreshold(policy, digest);
    let report = await localReport(t, cache, digest);
    if (t.registry && report.findings.some((f) => f.allowed !== true && reaches(f.severity, failOn))) {
      report = withAllowances(report, await registryReport(t.registry, t.name, t.version));
    }
    for (const f of report.findings) {
      if (reaches(f.severity, 'medium')) warn(`audit ${t.name}@${t.version}: ${f.severity}${f.allowed ? ' (allowed by the scope owner)' : ''} ${describeFinding(f)}`);
    }
    const asked = policy.requested !== failOn;
    const error = auditError(`${t.name}@${t.version}`, report, failOn, {
      hint: asked
        ? `skills.json sets "audit": { "failOn": "${policy.requested}" }, but you have not accepted this content on this machine (a workspace cannot lower its own audit threshold): \`skills audit ${t.name}@${t.version}\` shows every finding; to accept them, run \`skills install --trust-workspace\`. Nothing was installed`
        : `\`skills audit ${t.name}@${t.version}\` shows every finding; nothing was installed. To accept it, ask the scope's owner to allow the rule, or set "audit": { "failOn": "none" } in skills.json and accept it once with --trust-workspace`,
    });
    if (error) throw error;
    if (acceptNow && auditError(t.name, report, DEFAULT_FAIL_ON, { hint: '' })) accept.push({ digest, name: t.name, about: 'audit' });
    summaries.set(t.name, summarizeAudit(report));
  }
  return { summaries, accept };
}

/**
 * The audit of the same content by the same auditor is the same report: a warm install reads it
 * back from the cache (checked against the schema, like everything read from there).
 */
async function localReport(t: AuditTarget, cache: Cache, digest: string): Promise<AuditReport> {
  // Hashed by the caller from these files, not taken from the plan: the key must name exactly the content this report is for.
  const key = `${AUDITOR_VERSION}\u0000${digest}`;
  const cached = auditReportSchema.safeParse(await cache.document('audits', key));
  if (cached.success && cached.data.auditor === AUDITOR_VERSION) return cached.data;
  const { auditFiles } = await import('../../../audit/audit');
  const report = auditFiles(t.files);
  await cache.putDocument('audits', key, report);
  return report;
}

async function registryReport(client: RegistryClient, name: string, version: string): Promise<AuditReport | undefined> {
  // Extra detail: a registry that cannot send it leaves the local verdict as it is.
  return client.call(auditReportSchema, 'GET', `/v1/skills/${name}/versions/${version}/audit`).catch(() => undefined);
}

/** Marks the local findings the registry's report shows as allowed (same rule, same file). */
function withAllowances(local: AuditReport, remote: AuditReport | undefined): AuditReport {
  if (!remote) return local;
  const allowed = new Set(remote.findings.filter((f) => f.allowed === true).map((f) => `${f.rule}\u0000${f.file}`));
  if (allowed.size === 0) return local;
  return { ...local, findings: local.findings.map((f) => (allowed.has(`${f.rule}\u0000${f.file}`) ? { ...f, allowed: true } : f)) };
}

/**
 * The contracts of the skills in `folders` against the tool index of `servers sync` (offline).
 * Nothing to compare with (no index, or the skills use servers it does not hold) is no problem.
 */
export async function contractProblems(root: string, folders: ReadonlySet<string>): Promise<ContractProblem[]> {
  if (folders.size === 0) return [];
  const index = await readToolIndex(root).catch(() => undefined);
  if (!index) return [];
  // Loaded only here: contracts.ts also holds the live checks, which bring in the MCP SDK.
  const { loadSkillContracts } = await import('../servers/contracts');
  const { skills } = await loadSkillContracts(root);
  const mine = skills.filter((s) => folders.has(s.folder));
  if (mine.length === 0) return [];
  const live = new Map<string, LiveServer>(Object.entries(index.servers).map(([server, entry]) => [server, { tools: entry.tools.map((t) => ({ name: t.name, inputSchema: t.inputSchema, ...(t.outputSchema ? { outputSchema: t.outputSchema } : {}) })) }]));
  return checkContracts(mine, live, new Set(live.keys())).filter((p) => live.has(p.server));
}
