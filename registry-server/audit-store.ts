/**
 * The registry's side of the static audit: each version's report (stored with the version, in
 * the same transaction), and the allowances a scope's owner recorded for a skill's rules.
 */
import { auditReportSchema, summarizeAudit, type Allowance, type AuditReport, type AuditSummary } from '../schema/audit-report';
import { now } from './auth';
import type { Db } from './db';
import { statements, type Sql } from './statements';

interface AllowanceRow {
  skill: string;
  rule: string;
  file: string;
  reason: string;
  by: string | null;
  created_at: string;
}

export class AuditStore {
  private readonly sql: Sql;

  constructor(db: Db) {
    this.sql = statements(db);
  }

  /** Stores the report of a version just inserted (call inside the publish transaction). */
  save(name: string, version: string, report: AuditReport): void {
    const row = this.sql('SELECT v.id FROM versions v JOIN skills s ON s.id = v.skill_id WHERE s.name = ? AND v.version = ?').get(name, version) as { id: number } | undefined;
    if (!row) throw new Error(`no version row for ${name}@${version}`);
    this.sql('INSERT INTO version_audits (version_id, summary, report) VALUES (?, ?, ?)').run(row.id, JSON.stringify(summarizeAudit(report)), JSON.stringify(report));
  }

  summary(versionId: number): AuditSummary | undefined {
    const row = this.sql('SELECT summary FROM version_audits WHERE version_id = ?').get(versionId) as { summary: string } | undefined;
    return row ? (JSON.parse(row.summary) as AuditSummary) : undefined;
  }

  report(skillId: number, version: string): AuditReport | undefined {
    const row = this.sql('SELECT a.report FROM version_audits a JOIN versions v ON v.id = a.version_id WHERE v.skill_id = ? AND v.version = ?').get(skillId, version) as { report: string } | undefined;
    if (!row) return undefined;
    const parsed = auditReportSchema.safeParse(JSON.parse(row.report));
    return parsed.success ? parsed.data : undefined;
  }

  allowances(skill: string): Allowance[] {
    const rows = this.sql('SELECT a.skill, a.rule, a.file, a.reason, u.name AS by, a.created_at FROM audit_allowances a LEFT JOIN users u ON u.id = a.created_by WHERE a.skill = ? ORDER BY a.rule, a.file').all(skill) as AllowanceRow[];
    return rows.map(toAllowance);
  }

  allow(entry: { skill: string; rule: string; file: string | null; reason: string; userId: number }): Allowance {
    this.sql(
      `INSERT INTO audit_allowances (skill, rule, file, reason, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (skill, rule, file) DO UPDATE SET reason = excluded.reason, created_by = excluded.created_by, created_at = excluded.created_at`,
    ).run(entry.skill, entry.rule, entry.file ?? '', entry.reason, entry.userId, now());
    const row = this.sql('SELECT a.skill, a.rule, a.file, a.reason, u.name AS by, a.created_at FROM audit_allowances a LEFT JOIN users u ON u.id = a.created_by WHERE a.skill = ? AND a.rule = ? AND a.file = ?').get(entry.skill, entry.rule, entry.file ?? '') as AllowanceRow;
    return toAllowance(row);
  }

  disallow(skill: string, rule: string, file: string | null): boolean {
    return this.sql('DELETE FROM audit_allowances WHERE skill = ? AND rule = ? AND file = ?').run(skill, rule, file ?? '').changes === 1;
  }
}

function toAllowance(row: AllowanceRow): Allowance {
  return { name: row.skill, rule: row.rule, file: row.file === '' ? null : row.file, reason: row.reason, by: row.by, at: row.created_at };
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
