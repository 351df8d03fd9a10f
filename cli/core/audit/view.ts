/** How audit reports print (kept light: `info` loads it at start, the audit rules load on demand). */
import { escapeInvisible } from '../../../audit/text';
import { describeFinding } from '../../../audit/verdict';
import type { AuditReport } from '../../../schema/audit-report';

/** The lines `info` shows for a registry's report: counts, then findings above info (at most 20). */
export function auditLines(report: AuditReport | undefined): string[] {
  if (!report) return [];
  const allowed = report.findings.filter((f) => f.allowed === true).length;
  const { high, medium, low } = report.counts;
  const lines = [`audit: ${high} high${allowed > 0 ? ` (${allowed} allowed by a team owner)` : ''}, ${medium} medium, ${low} low (${report.auditor})`];
  for (const f of report.findings.filter((x) => x.severity !== 'info').slice(0, 20)) lines.push(`  ${f.severity} ${escapeInvisible(describeFinding(f))}${f.allowed ? ' [allowed]' : ''}`);
  for (const a of report.allowances ?? []) lines.push(`  allowed ${a.rule}${a.file ? ` in ${escapeInvisible(a.file)}` : ''} by ${a.by ?? 'unknown'}: ${a.reason}`);
  return lines;
}
