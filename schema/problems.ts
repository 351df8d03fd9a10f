/** A validation problem: every validator returns all of them at once, each with a path and a code. */
import type { ErrorCode, WarningCode } from './error-catalog';

export type Severity = 'error' | 'warning';

export interface Problem {
  severity: Severity;
  /** Stable code: `E...` for errors, `W...` for warnings. */
  code: string;
  /** Where: a file, optionally followed by `#` and a JSON-pointer-like key path, e.g. `SKILL.md#name`. */
  path: string;
  message: string;
  /** The 1-based line in the file, where it is known. */
  line?: number;
}

export function error(code: ErrorCode, path: string, message: string, line?: number): Problem {
  return line === undefined ? { severity: 'error', code, path, message } : { severity: 'error', code, path, message, line };
}

export function warning(code: WarningCode, path: string, message: string, line?: number): Problem {
  return line === undefined ? { severity: 'warning', code, path, message } : { severity: 'warning', code, path, message, line };
}

export function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}

/** Where a problem is, for people: `SKILL.md#name line 3`, or the path alone. */
export function problemPlace(problem: Problem): string {
  return problem.line === undefined ? problem.path : `${problem.path} (line ${problem.line})`;
}
