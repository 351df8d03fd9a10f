/** A validation problem: every validator returns all of them at once, each with a path and a code. */
export type Severity = 'error' | 'warning';

export interface Problem {
  severity: Severity;
  /** Stable code: `E...` for errors, `W...` for warnings. */
  code: string;
  /** Where: a file, optionally followed by `#` and a JSON-pointer-like key path, e.g. `SKILL.md#name`. */
  path: string;
  message: string;
}

export function error(code: string, path: string, message: string): Problem {
  return { severity: 'error', code, path, message };
}

export function warning(code: string, path: string, message: string): Problem {
  return { severity: 'warning', code, path, message };
}

export function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}
