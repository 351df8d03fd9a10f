/**
 * The one error class of the project. Every user-reachable failure is a SkillsError with a code
 * from the catalog (schema/error-catalog.ts), a one-line message saying what went wrong, and a
 * hint saying what to do (the catalog's default when the thrower gives none). The catalog gives
 * the CLI's exit status and the registry's HTTP status of each code. Messages and hints never
 * carry secrets: tokens and URL passwords in them are masked here, whoever built the text.
 */
import { ERRORS, httpStatusOf, type ErrorCode } from './error-catalog';

export { ERRORS, isErrorCode, type ErrorCode } from './error-catalog';

export interface SkillsErrorOptions {
  /** What to do; defaults to the catalog's hint for the code. */
  hint?: string;
  /**
   * HTTP status when this error crosses the registry's boundary: the catalog's for the code,
   * unless a route answers the code differently, or the CLI's client keeps the status it received.
   */
  status?: number;
  /** Structured, JSON-safe details (e.g. a list of validation problems or a report). */
  details?: unknown;
  cause?: unknown;
}

export class SkillsError extends Error {
  override readonly name = 'SkillsError';
  readonly code: ErrorCode;
  readonly hint: string;
  readonly status: number;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, options: SkillsErrorOptions = {}) {
    super(maskSecrets(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = maskSecrets(options.hint ?? ERRORS[code].hint);
    this.status = options.status ?? httpStatusOf(code);
    this.details = options.details;
  }

  /** The CLI's exit status for this error (2 for invalid usage, else 1). */
  get exitCode(): 1 | 2 {
    return ERRORS[this.code].exit;
  }

  toJSON(): ErrorBody['error'] {
    return {
      code: this.code,
      message: this.message,
      hint: this.hint,
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

/**
 * Any thrown value as a SkillsError: itself, or EINTERNAL with `message` (a bug's own message
 * stays out of answers to other machines, where it could carry anything).
 */
export function asSkillsError(value: unknown, message: string): SkillsError {
  return isSkillsError(value) ? value : new SkillsError('EINTERNAL', message, { cause: value });
}

// Registry tokens (skr_<id>_<secret>) keep their id; passwords in URLs (scheme://user:pass@, and
// query parameters such as ?password= or &sslpassword= that libpq's URLs accept) go.
const TOKEN = /\b(skr_[A-Za-z0-9]{16}_)[A-Za-z0-9_-]{8,}/g;
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/:@]*):[^\s/@]*@/gi;
const PARAM_PASSWORD = /([?&][^=&#\s]*password[^=&#\s]*=)[^&#\s]*/gi;

/** `text` with registry token secrets and URL passwords replaced by `***`. */
export function maskSecrets(text: string): string {
  return text.replace(TOKEN, '$1***').replace(URL_PASSWORD, '$1:***@').replace(PARAM_PASSWORD, '$1***');
}
