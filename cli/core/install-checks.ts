/**
 * The static checks an install runs on every new or changed skill besides the sandbox: the audit
 * (before staging, under the workspace's `audit.failOn` policy), and the MCP tool contracts of the
 * skills it installed against the tool index `servers sync` saved (after the commit; offline, no
 * server is started; drift is reported, never fatal, since servers change on their own).
 */
import type { LiveServer } from '../../audit/contracts';
import { checkContracts, type ContractProblem } from '../../audit/contracts';
import { auditError, describeFinding } from '../../audit/verdict';
import { AUDITOR_VERSION, auditReportSchema, reaches, type AuditReport, type AuditSummary, type FailOn, summarizeAudit } from '../../schema/audit-report';
import type { PackageFile } from '../../schema/package-files';
import { contentDigest } from '../../tarball/digest';
import type { Cache } from './cache';
import type { RegistryClient } from './registry-client';
import { readToolIndex } from './tool-index';

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
export async function auditInstall(targets: readonly AuditTarget[], failOn: FailOn, warn: (message: string) => void, cache: Cache): Promise<Map<string, AuditSummary>> {
  const summaries = new Map<string, AuditSummary>();
  for (const t of targets) {
    let report = await localReport(t, cache);
    if (t.registry && report.findings.some((f) => f.allowed !== true && reaches(f.severity, failOn))) {
      report = withAllowances(report, await registryReport(t.registry, t.name, t.version));
    }
    for (const f of report.findings) {
      if (reaches(f.severity, 'medium')) warn(`audit ${t.name}@${t.version}: ${f.severity}${f.allowed ? ' (allowed by the scope owner)' : ''} ${describeFinding(f)}`);
    }
    const error = auditError(`${t.name}@${t.version}`, report, failOn, {
      hint: `\`skills audit ${t.name}@${t.version}\` shows every finding; nothing was installed. To accept it, set "audit": { "failOn": ... } in skills.json, or ask the scope's owner to allow the rule`,
    });
    if (error) throw error;
    summaries.set(t.name, summarizeAudit(report));
  }
  return summaries;
}

/**
 * The audit of the same content by the same auditor is the same report: a warm install reads it
 * back from the cache (checked against the schema, like everything read from there).
 */
async function localReport(t: AuditTarget, cache: Cache): Promise<AuditReport> {
  // Hashed here, not taken from the plan: the key must name exactly the content this report is for.
  const key = `${AUDITOR_VERSION}\u0000${contentDigest(t.files)}`;
  const cached = auditReportSchema.safeParse(await cache.document('audits', key));
  if (cached.success && cached.data.auditor === AUDITOR_VERSION) return cached.data;
  const { auditFiles } = await import('../../audit/audit');
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
  const { loadSkillContracts } = await import('./contracts');
  const { skills } = await loadSkillContracts(root);
  const mine = skills.filter((s) => folders.has(s.folder));
  if (mine.length === 0) return [];
  const live = new Map<string, LiveServer>(Object.entries(index.servers).map(([server, entry]) => [server, { tools: entry.tools.map((t) => ({ name: t.name, inputSchema: t.inputSchema, ...(t.outputSchema ? { outputSchema: t.outputSchema } : {}) })) }]));
  return checkContracts(mine, live, new Set(live.keys())).filter((p) => live.has(p.server));
}
