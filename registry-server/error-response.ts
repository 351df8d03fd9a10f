/**
 * The registry's one JSON error renderer: anything thrown becomes `{ error: { code, message, hint,
 * details? } }` with the catalog's status for its code; anything that is not a SkillsError is
 * EINTERNAL with a fixed message, so no stack or secret of a bug reaches the caller.
 */
import { asSkillsError, type SkillsError } from '../schema/errors';

export const INTERNAL_MESSAGE = 'the registry failed to handle this request';

/** `error` as the registry answers it: a SkillsError as it is, anything else as EINTERNAL. */
export function answeredError(error: unknown): SkillsError {
  return asSkillsError(error, INTERNAL_MESSAGE);
}

/** The JSON answer for `error`, with extra headers (e.g. Retry-After). */
export function errorResponse(error: unknown, headers: Record<string, string> = {}): Response {
  const answered = answeredError(error);
  return new Response(JSON.stringify({ error: answered.toJSON() }), { status: answered.status, headers: { 'Content-Type': 'application/json', ...headers } });
}
