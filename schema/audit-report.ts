/**
 * The static audit's report (`skills audit --json`, stored by the registry with each version):
 * findings `{ rule, severity, file, line, message, excerpt }` plus an inventory. The rules live in
 * `audit/`; this is only the wire format, so the registry, the CLI and stored rows agree on it.
 */
import { z } from 'zod';
import { UNSTORABLE_MESSAGE, isStorableText } from './utf8';

export const SEVERITIES = ['high', 'medium', 'low', 'info'] as const;
export const severitySchema = z.enum(SEVERITIES);
export type Severity = z.infer<typeof severitySchema>;

/** `--fail-on` takes a severity, or `none` to never fail. */
export const FAIL_ON = [...SEVERITIES, 'none'] as const;
export const failOnSchema = z.enum(FAIL_ON);
export type FailOn = z.infer<typeof failOnSchema>;

const RANK: Record<Severity, number> = { info: 0, low: 1, medium: 2, high: 3 };

/** Whether a finding of `severity` reaches the `failOn` threshold. */
export function reaches(severity: Severity, failOn: FailOn): boolean {
  return failOn !== 'none' && RANK[severity] >= RANK[failOn];
}

export function compareSeverity(a: Severity, b: Severity): number {
  return RANK[b] - RANK[a];
}

export const RULE_ID_RE = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

export const findingSchema = z.object({
  /** A stable rule id, e.g. `unicode-tag-chars`. */
  rule: z.string().max(64).regex(RULE_ID_RE),
  severity: severitySchema,
  /** The file's path in the package ("" for a finding about the whole package). */
  file: z.string().max(1024),
  /** 1-based; 0 when the finding is about the file's name or the whole file. */
  line: z.number().int().min(0),
  message: z.string().max(500),
  /** The text around the finding, with invisible characters escaped and secrets masked. */
  excerpt: z.string().max(300),
  /**
   * Where the data of a flow finding came from (a download, a decode, a secret read) when that is
   * not the finding's own line: the finding's `line` is where it runs or is sent (the sink).
   */
  source: z.object({ file: z.string().max(1024), line: z.number().int().min(0) }).optional(),
  /** Set by a registry when a team owner allowed this rule for the skill. */
  allowed: z.boolean().optional(),
});
export type Finding = z.infer<typeof findingSchema>;

export const auditCountsSchema = z.object({ high: z.number().int(), medium: z.number().int(), low: z.number().int(), info: z.number().int() });
export type AuditCounts = z.infer<typeof auditCountsSchema>;

export const inventorySchema = z.object({
  /** Files per language or kind ("Markdown", "Python", "shell", "JSON", ...). */
  languages: z.record(z.string().max(64), z.number().int()),
  /** Executable files and binaries (by the trust classification), with size and why. */
  executables: z.array(z.object({ file: z.string().max(1024), size: z.number().int(), why: z.string().max(100) })).max(200),
  /** Network endpoints (hosts of URLs), where each is first named. */
  endpoints: z.array(z.object({ host: z.string().max(255), file: z.string().max(1024), line: z.number().int() })).max(200),
});
export type Inventory = z.infer<typeof inventorySchema>;

export const AUDITOR_VERSION = 'audit-2';

export const auditReportSchema = z.object({
  auditor: z.string().max(32),
  files: z.number().int(),
  bytes: z.number().int(),
  /** Counts over every finding, including those left out of `findings` past the cap. */
  counts: auditCountsSchema,
  findings: z.array(findingSchema).max(1000),
  /** Findings left out of `findings` (the most severe are kept). */
  truncated: z.number().int(),
  inventory: inventorySchema,
  /** Rules a team owner allowed for this skill (registry only). */
  allowances: z.array(z.object({ rule: z.string().max(64), file: z.string().max(1024).nullable(), reason: z.string().max(500), by: z.string().max(64).nullable() })).max(100).optional(),
});
export type AuditReport = z.infer<typeof auditReportSchema>;

/** What a packument carries per version: counts only (the findings are at `/versions/:v/audit`). */
export const auditSummarySchema = z.object({
  auditor: z.string().max(32),
  counts: auditCountsSchema,
  /** High findings a team owner allowed (they did not stop the publish). */
  allowed: z.number().int(),
});
export type AuditSummary = z.infer<typeof auditSummarySchema>;

export function summarizeAudit(report: AuditReport): AuditSummary {
  return { auditor: report.auditor, counts: report.counts, allowed: report.findings.filter((f) => f.allowed === true).length };
}

/** An owner's decision that a rule's findings do not stop publishing one skill (`file` null: every file). */
export const allowanceSchema = z.object({
  name: z.string(),
  rule: z.string().max(64),
  file: z.string().max(1024).nullable(),
  reason: z.string().max(500),
  by: z.string().nullable(),
  at: z.string(),
});
export type Allowance = z.infer<typeof allowanceSchema>;
export const allowanceListSchema = z.object({ name: z.string(), allowances: z.array(allowanceSchema) });
export const allowanceBodySchema = z.strictObject({
  rule: z.string().max(64).regex(RULE_ID_RE),
  file: z.string().min(1).max(1024).refine(isStorableText, UNSTORABLE_MESSAGE).optional(),
  reason: z.string().trim().min(1).max(500).refine(isStorableText, UNSTORABLE_MESSAGE),
});
export const allowanceRemovedSchema = z.object({ name: z.string(), rule: z.string(), file: z.string().nullable(), removed: z.boolean() });
