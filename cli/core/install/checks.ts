/**
 * The static checks an install runs on every new or changed skill besides the sandbox: the audit
 * (before staging, under the workspace's `audit.failOn` policy), and the MCP tool contracts of the
 * skills it installed against the tool index `servers sync` saved (after the commit; offline, no
 * server is started; drift is reported, never fatal, since servers change on their own).
 */
import type { LiveServer } from '../../../audit/contracts';
import { checkContracts, type ContractProblem } from '../../../audit/contracts';
import { AUDITOR_VERSION, auditReportSchema, type AuditReport, type AuditSummary } from '../../../schema/audit-report';
import type { PackageFile } from '../../../schema/package-files';
import { contentDigest } from '../../../tarball/digest';
import type { Cache } from '../registry/cache';
import type { RegistryClient } from '../registry/client';
import { readToolIndex } from '../servers/tool-index';
import type { Acceptance } from '../trust/store';
import { auditThreshold, auditVerdict, needsAllowances, type AuditPolicy } from './decide';
import type { PlanTarget } from './plan';

export interface AuditTarget {
  name: string;
  version: string;
  files: readonly PackageFile[];
  /** Set for a registry skill: its report there carries the scope owner's allowances. */
  registry?: RegistryClient | undefined;
}

export { auditThreshold, DEFAULT_FAIL_ON, type AuditPolicy } from './decide';

/** The new or changed skills (those with fetched files), in the plan's order; a registry skill's report there is read through `registry`. */
export function auditTargets(targets: readonly PlanTarget[], files: ReadonlyMap<string, readonly PackageFile[]>, registry: RegistryClient | undefined): AuditTarget[] {
  return targets.flatMap((t) => {
    const fetched = files.get(t.name);
    return fetched ? [{ name: t.name, version: t.version, files: fetched, registry: t.source ? undefined : registry }] : [];
  });
}

/**
 * Audits each skill in turn under the policy (the verdict is decide.ts's): the findings of medium
 * and above are passed to `warn`; EAUDIT stops at the first skill refused, before the next is
 * audited. A registry skill's report there is read only when findings reach the threshold: it
 * carries the scope owner's allowances.
 */
export async function auditInstall(targets: readonly AuditTarget[], policy: AuditPolicy, warn: (message: string) => void, cache: Cache): Promise<{ summaries: Map<string, AuditSummary>; accept: Acceptance[] }> {
  const summaries = new Map<string, AuditSummary>();
  const accept: Acceptance[] = [];
  for (const t of targets) {
    const digest = contentDigest(t.files);
    let report = await localReport(t, cache, digest);
    if (t.registry && needsAllowances(report, auditThreshold(policy, digest).failOn)) {
      report = withAllowances(report, await registryReport(t.registry, t.name, t.version));
    }
    const verdict = auditVerdict({ name: t.name, version: t.version, digest }, report, policy);
    for (const message of verdict.warnings) warn(message);
    if (verdict.error) throw verdict.error;
    if (verdict.accept) accept.push(verdict.accept);
    summaries.set(t.name, verdict.summary);
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
