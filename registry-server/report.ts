/**
 * What a refused upload's verification report may carry back: every case's fields cut to an
 * excerpt, failed cases first, and no more cases than fit in the byte budget (the rest counted).
 * A skill's return values and console output are attacker-sized; the answer to it is not.
 */
import type { VerificationReport } from '../sandbox/verify';
import type { CaseReport } from '../sandbox/verify-case';

export interface ReportLimits {
  maxBytes: number;
  excerptBytes: number;
}

export type CompactCase = Omit<CaseReport, 'returned' | 'console'> & {
  console: { level: string; text: string }[];
  returned?: unknown;
  /** The start of the return value's JSON, when the value itself is too large to send. */
  returnedExcerpt?: string;
  /** Set when any field of this case was cut. */
  truncated?: true;
};

export type CompactReport = Omit<VerificationReport, 'cases'> & { cases: CompactCase[]; casesOmitted: number };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** `text` cut to at most `maxBytes` of UTF-8, ending in `…` when cut. */
export function excerpt(text: string, maxBytes: number): string {
  if (text.length <= maxBytes / 3 || Buffer.byteLength(text) <= maxBytes) return text;
  const bytes = encoder.encode(text.slice(0, maxBytes));
  return `${decoder.decode(bytes.subarray(0, Math.max(0, maxBytes - 3))).replace(/\uFFFD+$/, '')}\u2026`;
}

function compactCase(report: CaseReport, max: number): CompactCase {
  let truncated = false;
  const cut = (text: string): string => {
    const out = excerpt(text, max);
    if (out !== text) truncated = true;
    return out;
  };
  const { returned, console: lines, ...rest } = report;
  const out: CompactCase = { ...rest, console: [] };
  if (rest.message !== undefined) out.message = cut(rest.message);
  if (rest.diff !== undefined) out.diff = cut(rest.diff);
  if (rest.threw !== undefined) {
    out.threw = { name: cut(rest.threw.name), message: cut(rest.threw.message), ...(rest.threw.stack === undefined ? {} : { stack: cut(rest.threw.stack) }) };
  }
  let budget = max;
  for (const line of lines) {
    if (budget <= 0) {
      truncated = true;
      break;
    }
    const text = excerpt(line.text, budget);
    if (text !== line.text) truncated = true;
    out.console.push({ level: line.level.slice(0, 16), text });
    budget -= Buffer.byteLength(text);
  }
  if (returned !== undefined) {
    const json = JSON.stringify(returned) ?? 'undefined';
    if (Buffer.byteLength(json) <= max) out.returned = returned;
    else {
      out.returnedExcerpt = excerpt(json, max);
      truncated = true;
    }
  }
  if (truncated) out.truncated = true;
  return out;
}

export function compactReport(report: VerificationReport, limits: ReportLimits): CompactReport {
  const { cases, ...rest } = report;
  const ordered = [...cases.filter((c) => c.status === 'failed'), ...cases.filter((c) => c.status !== 'failed')];
  let used = Buffer.byteLength(JSON.stringify(rest)) + 64;
  const kept: CompactCase[] = [];
  for (const c of ordered) {
    const compact = compactCase(c, limits.excerptBytes);
    const size = Buffer.byteLength(JSON.stringify(compact)) + 1;
    if (used + size > limits.maxBytes) break;
    kept.push(compact);
    used += size;
  }
  return { ...rest, cases: kept, casesOmitted: cases.length - kept.length };
}
