/** Turning a report into a decision: which findings reach `--fail-on`, and the EAUDIT error. */
import { reaches, SEVERITIES, type AuditReport, type FailOn, type Finding } from '../schema/audit-report';
import { SkillsError } from '../schema/errors';

/** How many findings (listed or not) reach `failOn`, not counting those a team owner allowed. */
export function failingCount(report: AuditReport, failOn: FailOn): number {
  const allowed = report.findings.filter((f) => f.allowed === true && reaches(f.severity, failOn)).length;
  return SEVERITIES.filter((s) => reaches(s, failOn)).reduce((n, s) => n + report.counts[s], 0) - allowed;
}

export function failingFindings(report: AuditReport, failOn: FailOn): Finding[] {
  return report.findings.filter((f) => f.allowed !== true && reaches(f.severity, failOn));
}

export function describeFinding(f: Finding): string {
  return `${f.rule} in ${f.file || '(package)'}${f.line > 0 ? `:${f.line}` : ''}: ${f.message}`;
}

export interface AuditErrorOptions {
  status?: number;
  hint: string;
}

/** EAUDIT when the report has findings at or above `failOn`; undefined otherwise. */
export function auditError(label: string, report: AuditReport, failOn: FailOn, options: AuditErrorOptions): SkillsError | undefined {
  const count = failingCount(report, failOn);
  if (count <= 0) return undefined;
  const first = failingFindings(report, failOn)[0];
  return new SkillsError('EAUDIT', `${label} has ${count} audit finding${count === 1 ? '' : 's'} at or above ${failOn}${first ? `, first: ${describeFinding(first)}` : ''}`, {
    hint: options.hint,
    status: options.status ?? 422,
    details: { report },
  });
}
