/**
 * The one error class of the project. Every user-reachable failure is a SkillsError with a
 * stable code (`E` + upper-case letters/digits), a one-line message saying what went wrong, and
 * an optional hint saying what to do. The registry maps `status` to the HTTP status; the CLI maps
 * any SkillsError to exit code 1, but EUSAGE to 2 like commander's own usage errors. Messages must
 * never contain secrets.
 */
export type ErrorCode = `E${string}`;

export interface SkillsErrorOptions {
  hint?: string;
  /** HTTP status when this error crosses the registry's boundary. Defaults to 400. */
  status?: number;
  /** Structured, JSON-safe details (e.g. a list of validation problems or a report). */
  details?: unknown;
  cause?: unknown;
}

export class SkillsError extends Error {
  override readonly name = 'SkillsError';
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly status: number;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, options: SkillsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.status = options.status ?? 400;
    this.details = options.details;
  }

  toJSON(): ErrorBody['error'] {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint === undefined ? {} : { hint: this.hint }),
      ...(this.details === undefined ? {} : { details: this.details }),
    };
  }
}

export interface ErrorBody {
  error: { code: string; message: string; hint?: string; details?: unknown };
}

export function isSkillsError(value: unknown): value is SkillsError {
  return value instanceof SkillsError;
}
