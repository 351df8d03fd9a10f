/**
 * The registry's own audit of an upload, whatever the client checked: the report with the
 * skill's allowances applied, or EAUDIT (422) when a high finding is not allowed.
 */
import { auditFiles } from '../audit/audit';
import { describeFinding, failingCount, failingFindings } from '../audit/verdict';
import type { AuditReport } from '../schema/audit-report';
import { SkillsError } from '../schema/errors';
import type { PackageFile } from '../schema/package-files';
import { applyAllowances } from './audit-store';
import type { Services } from './context';

const SHOWN_FINDINGS = 50;

export async function auditUpload(services: Services, name: string, version: string, files: readonly PackageFile[]): Promise<AuditReport> {
  // On the server this runs on a worker thread (audit-pool.ts): a hostile upload costs seconds of CPU.
  const run = services.deps.audit ?? ((all: readonly PackageFile[]) => Promise.resolve(auditFiles(all)));
  const audit = async () => applyAllowances(await run(files), await services.audits.allowances(name));
  const timer = services.deps.metrics;
  const report = timer ? await timer.timeStep('audit', audit, (r) => (r.ok ? (failingCount(r.value, 'high') > 0 ? 'refused' : 'passed') : 'error')) : await audit();
  const count = failingCount(report, 'high');
  if (count > 0) {
    const failing = failingFindings(report, 'high');
    const first = failing[0];
    throw new SkillsError('EAUDIT', `${name}@${version} has ${count} high audit finding${count === 1 ? '' : 's'}${first ? `, first: ${describeFinding(first)}` : ''}; nothing was published`, {
      status: 422,
      hint: `run \`skills audit\` on the folder and fix them; if a finding is intended, a team owner of the scope can allow its rule: skills audit allow ${name} <rule> --reason "..."`,
      details: { counts: report.counts, findings: failing.slice(0, SHOWN_FINDINGS) },
    });
  }
  return report;
}
