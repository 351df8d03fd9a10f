/**
 * Facts about a version that other parts of the registry add to its document: the trust level,
 * where a skill came from (provenance), and the static audit's findings. Pages show them when the
 * version carries them and say nothing when it does not. Each is read from untyped data, so every
 * value is checked, bounded and cut here; pages escape what they print.
 */
import { TRUST_LEVELS, type TrustLevel } from '../../schema/trust';

const MAX_TEXT = 300;
const MAX_FINDINGS = 200;
const MAX_PROVENANCE_FIELDS = 20;

export interface AuditFinding {
  severity: string;
  code: string;
  path: string | undefined;
  line: number | undefined;
  message: string;
  /** The scope's owner allowed this rule in this file. */
  allowed: boolean;
}

/** A scope owner's answer to a finding: the rule, where, why, and who. */
export interface AuditAllowanceView {
  rule: string;
  file: string | undefined;
  reason: string;
  by: string | undefined;
}

export interface AuditView {
  findings: AuditFinding[];
  /** Findings beyond those shown. */
  omitted: number;
  allowances: AuditAllowanceView[];
}

export interface ProvenanceField {
  label: string;
  value: string;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value.length > MAX_TEXT ? `${value.slice(0, MAX_TEXT)}\u2026` : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return undefined;
}

export function isTrustLevel(value: unknown): value is TrustLevel {
  return typeof value === 'string' && (TRUST_LEVELS as readonly string[]).includes(value);
}

/** `trust` of a version document: a level, or an object with a `level`. */
export function trustOf(doc: unknown): TrustLevel | undefined {
  const trust = record(doc)?.trust;
  if (isTrustLevel(trust)) return trust;
  const level = record(trust)?.level;
  return isTrustLevel(level) ? level : undefined;
}

/** `provenance` of a version document, as label/value pairs (strings, numbers, booleans only). */
export function provenanceOf(doc: unknown): ProvenanceField[] | undefined {
  const provenance = record(doc)?.provenance;
  if (typeof provenance === 'string') return [{ label: 'source', value: text(provenance) ?? '' }];
  const fields = record(provenance);
  if (!fields) return undefined;
  const out: ProvenanceField[] = [];
  for (const [key, value] of Object.entries(fields)) {
    const shown = text(value);
    if (shown === undefined) continue;
    out.push({ label: key.slice(0, 40), value: shown });
    if (out.length >= MAX_PROVENANCE_FIELDS) break;
  }
  return out.length > 0 ? out : undefined;
}

/**
 * The audit of a version: its stored report (`{ findings, allowances }`, as the registry made it
 * at publish), else the version document's `audit` (`{ findings: [...] }` or the list itself).
 * Findings of `info` severity are the inventory, not shown.
 */
export function auditOf(doc: unknown, report?: unknown): AuditView | undefined {
  const audit = report ?? record(doc)?.audit;
  const list = Array.isArray(audit) ? audit : record(audit)?.findings;
  if (!Array.isArray(list)) return undefined;
  const shown = list.filter((item) => record(item)?.severity !== 'info');
  const findings: AuditFinding[] = [];
  for (const item of shown.slice(0, MAX_FINDINGS)) {
    const f = record(item);
    if (!f) continue;
    const line = f.line;
    findings.push({
      severity: text(f.severity ?? f.level) ?? 'info',
      code: text(f.code ?? f.rule ?? f.id) ?? '',
      path: text(f.path ?? f.file),
      line: typeof line === 'number' && Number.isInteger(line) && line > 0 ? line : undefined,
      message: text(f.message ?? f.description) ?? '',
      allowed: f.allowed === true,
    });
  }
  const allowances: AuditAllowanceView[] = [];
  const given = record(audit)?.allowances;
  for (const item of Array.isArray(given) ? given.slice(0, MAX_FINDINGS) : []) {
    const a = record(item);
    const rule = a ? text(a.rule) : undefined;
    const reason = a ? text(a.reason) : undefined;
    if (!a || rule === undefined || reason === undefined) continue;
    allowances.push({ rule, file: text(a.file), reason, by: text(a.by) });
  }
  return { findings, omitted: Math.max(0, shown.length - MAX_FINDINGS), allowances };
}

/** A provenance value worth a link: an http(s) URL, re-serialised by the URL parser. */
export function safeHttpUrl(value: string): string | undefined {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.username === '' && url.password === '' ? url.href : undefined;
  } catch {
    return undefined;
  }
}
