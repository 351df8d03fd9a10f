/** Building in-memory packages for the audit tests and reading their findings. */
import { auditFiles } from '../audit/audit';
import type { AuditFile } from '../audit/types';
import type { AuditReport, Finding, Severity } from '../schema/audit-report';

const enc = new TextEncoder();

export const PLAIN_SKILL_MD = `---
name: csv-tools
description: Cleans and summarises CSV files.
---

# CSV tools

Read the CSV the user names, drop empty rows and report the row count.
`;

/** A package: SKILL.md (a plain, clean one unless given) plus the files named. */
export function pkg(entries: Record<string, string | Uint8Array>, options: { executable?: string[] } = {}): AuditFile[] {
  const all: Record<string, string | Uint8Array> = { 'SKILL.md': PLAIN_SKILL_MD, ...entries };
  return Object.entries(all).map(([path, content]) => ({ path, bytes: typeof content === 'string' ? enc.encode(content) : content, ...(options.executable?.includes(path) ? { executable: true } : {}) }));
}

export function audit(entries: Record<string, string | Uint8Array>): AuditReport {
  return auditFiles(pkg(entries));
}

const RANK: Record<Severity, number> = { info: 0, low: 1, medium: 2, high: 3 };

/** The most severe finding of `rule` (in `file`, when given), or undefined. */
export function worst(report: AuditReport, rule: string, file?: string): Finding | undefined {
  return report.findings.filter((f) => f.rule === rule && (file === undefined || f.file === file)).sort((a, b) => RANK[b.severity] - RANK[a.severity])[0];
}

export function highs(report: AuditReport): Finding[] {
  return report.findings.filter((f) => f.severity === 'high');
}

/** The tag characters that spell `text` (invisible; models read them as ASCII). */
export function tagged(text: string): string {
  return [...text].map((c) => String.fromCodePoint(0xe0000 + (c.codePointAt(0) ?? 0))).join('');
}

/** An ELF header followed by bytes. */
export function elf(size = 256): Uint8Array {
  const bytes = new Uint8Array(size);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);
  return bytes;
}

/** mulberry32: a small deterministic generator, so "random" test keys are the same every run. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A token of `length` characters from `alphabet` that looks random (deterministic, authenticates nothing). */
export function randomish(length: number, alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', seed = 11): string {
  const next = generator(seed);
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet.charAt(Math.floor(next() * alphabet.length));
  return out;
}

/** A PEM private key block with a body of real-looking base64 (random, authenticates nothing). */
export function pemKey(kind = 'RSA PRIVATE KEY'): string {
  const body = randomish(12 * 64, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', 7);
  const lines = Array.from({ length: 12 }, (_, i) => body.slice(i * 64, i * 64 + 64));
  return `-----BEGIN ${kind}-----\n${lines.join('\n')}\n-----END ${kind}-----\n`;
}
