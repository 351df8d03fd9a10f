/** What the rules share: the file being audited and the sink findings go to. */
import type { Finding, Severity } from '../schema/audit-report';
import type { LineIndex } from './text';

/** One file of a package, as packing reads it and unpacking returns it. */
export interface AuditFile {
  path: string;
  bytes: Uint8Array;
  executable?: boolean;
}

/**
 * How a file is read: `markdown` (parsed; prose and code blocks told apart), `script` (code a
 * machine runs: shell, Python, JS/TS, ...), `doc` (plain prose: .txt, .rst, text under
 * references/), `data` (JSON, YAML, CSV, .env, ...), `binary` (not text).
 */
export type TextKind = 'markdown' | 'script' | 'doc' | 'data' | 'binary';

export interface TextFile {
  path: string;
  kind: TextKind;
  text: string;
  lines: LineIndex;
}

export type Emit = (finding: Finding) => void;

export function finding(rule: string, severity: Severity, file: string, line: number, message: string, excerpt: string): Finding {
  return { rule, severity, file, line, message, excerpt };
}
