/**
 * The registry's side of the static audit: each version's report (stored with the version, in
 * the same transaction), and the allowances a scope's owner recorded for a skill's rules.
 */
import { auditReportSchema, summarizeAudit, type Allowance, type AuditReport, type AuditSummary } from '../schema/audit-report';
import { isStorableText } from '../schema/utf8';
import { now } from './auth';
import type { SqlDatabase, SqlExecutor } from './storage/sql';

interface AllowanceRow {
  skill: string;
  rule: string;
  file: string;
  reason: string;
  by_name: string | null;
  created_at: string;
}

const ALLOWANCE_COLUMNS = 'a.skill, a.rule, a.file, a.reason, u.name AS by_name, a.created_at';

export class AuditStore {
  constructor(private readonly db: SqlDatabase) {}

  /** Stores the report of a version just inserted (call inside the publish transaction). */
  async save(tx: SqlExecutor, name: string, version: string, report: AuditReport): Promise<void> {
    const row = await tx.get<{ id: number }>('SELECT v.id FROM versions v JOIN skills s ON s.id = v.skill_id WHERE s.name = ? AND v.version = ?', [name, version]);
    if (!row) throw new Error(`no version row for ${name}@${version}`);
    await tx.run('INSERT INTO version_audits (version_id, summary, report) VALUES (?, ?, ?)', [row.id, JSON.stringify(summarizeAudit(report)), JSON.stringify(report)]);
  }

  async summary(versionId: number): Promise<AuditSummary | undefined> {
    const row = await this.db.get<{ summary: string }>('SELECT summary FROM version_audits WHERE version_id = ?', [versionId]);
    return row ? (JSON.parse(row.summary) as AuditSummary) : undefined;
  }

  async report(skillId: number, version: string): Promise<AuditReport | undefined> {
    const row = await this.db.get<{ report: string }>('SELECT a.report FROM version_audits a JOIN versions v ON v.id = a.version_id WHERE v.skill_id = ? AND v.version = ?', [skillId, version]);
    if (!row) return undefined;
    const parsed = auditReportSchema.safeParse(JSON.parse(row.report));
    return parsed.success ? parsed.data : undefined;
  }

  async allowances(skill: string): Promise<Allowance[]> {
    const rows = await this.db.all<AllowanceRow>(`SELECT ${ALLOWANCE_COLUMNS} FROM audit_allowances a LEFT JOIN users u ON u.id = a.created_by WHERE a.skill = ? ORDER BY a.rule, a.file`, [skill]);
    return rows.map(toAllowance);
  }

  async allow(tx: SqlExecutor, entry: { skill: string; rule: string; file: string | null; reason: string; userId: number }): Promise<Allowance> {
    await tx.run(
      `INSERT INTO audit_allowances (skill, rule, file, reason, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (skill, rule, file) DO UPDATE SET reason = excluded.reason, created_by = excluded.created_by, created_at = excluded.created_at`,
      [entry.skill, entry.rule, entry.file ?? '', entry.reason, entry.userId, now()],
    );
    const row = await tx.get<AllowanceRow>(`SELECT ${ALLOWANCE_COLUMNS} FROM audit_allowances a LEFT JOIN users u ON u.id = a.created_by WHERE a.skill = ? AND a.rule = ? AND a.file = ?`, [
      entry.skill,
      entry.rule,
      entry.file ?? '',
    ]);
    if (!row) throw new Error(`no allowance row for ${entry.skill} ${entry.rule}`);
    return toAllowance(row);
  }

  async disallow(tx: SqlExecutor, skill: string, rule: string, file: string | null): Promise<boolean> {
    // The file comes from the query string; allowances never hold a NUL or an unpaired surrogate.
    if (file !== null && !isStorableText(file)) return false;
    return (await tx.run('DELETE FROM audit_allowances WHERE skill = ? AND rule = ? AND file = ?', [skill, rule, file ?? ''])).changes === 1;
  }
}

function toAllowance(row: AllowanceRow): Allowance {
  return { name: row.skill, rule: row.rule, file: row.file === '' ? null : row.file, reason: row.reason, by: row.by_name, at: row.created_at };
}

/**
 * The report with the skill's allowances applied: each finding an allowance covers (same rule,
 * and same file when the allowance names one) is marked `allowed`, and the allowances used are
 * listed in the report.
 */
export function applyAllowances(report: AuditReport, allowances: readonly Allowance[]): AuditReport {
  if (allowances.length === 0) return report;
  const used = new Set<Allowance>();
  const findings = report.findings.map((f) => {
    const match = allowances.find((a) => a.rule === f.rule && (a.file === null || a.file === f.file));
    if (!match) return f;
    used.add(match);
    return { ...f, allowed: true };
  });
  const listed = [...used].map((a) => ({ rule: a.rule, file: a.file, reason: a.reason, by: a.by }));
  return { ...report, findings, ...(listed.length > 0 ? { allowances: listed } : {}) };
}
