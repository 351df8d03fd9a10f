/**
 * Reading request bodies with a limit: a declared Content-Length over the limit is refused before
 * anything is read, and a streamed body is counted as it arrives and refused as soon as it passes
 * the limit, so no body ever costs the registry more than its limit in memory.
 */
import { contentLength, readCappedBody } from '../schema/capped-body';
import { SkillsError } from '../schema/errors';
import { decodeUtf8 } from '../schema/utf8';
import type { Ctx } from './context';

export function payloadTooLarge(c: Ctx, limit: number, what: string, hint?: string): SkillsError {
  // The client may still be sending: do not keep the connection around to drain it.
  c.header('Connection', 'close');
  return new SkillsError('EPAYLOADTOOLARGE', `${what} is over the ${limit} byte limit`, { status: 413, ...(hint ? { hint } : {}) });
}

export function declaredLength(c: Ctx): number | undefined {
  return contentLength(c.req.header('Content-Length'));
}

export async function readBody(c: Ctx, limit: number, tooLarge: () => SkillsError): Promise<Uint8Array> {
  const declared = declaredLength(c);
  if (declared !== undefined && declared > limit) throw tooLarge();
  return readCappedBody(c.req.raw.body, {
    maxBytes: limit,
    tooLarge,
    readFailed: () => new SkillsError('EBODY', 'the request body could not be read (was the upload cut short?)', { status: 400 }),
  });
}

/**
 * The nesting depth of a JSON text (arrays and objects), counted without parsing it; brackets
 * inside strings do not count. Stops counting once past `max`.
 */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c) i++; // backslash: skip the escaped character
      else if (ch === 0x22) inString = false;
      continue;
    }
    if (ch === 0x22) inString = true;
    else if (ch === 0x5b || ch === 0x7b) {
      if (++depth > max) return true;
    } else if (ch === 0x5d || ch === 0x7d) depth--;
  }
  return false;
}

/** A JSON body within the size and depth limits, parsed (not yet checked against a schema). */
export async function readJson(c: Ctx): Promise<unknown> {
  const { maxJsonBodyBytes, maxJsonDepth } = c.get('services').deps.config;
  const bytes = await readBody(c, maxJsonBodyBytes, () => payloadTooLarge(c, maxJsonBodyBytes, 'the request body'));
  const text = decodeUtf8(bytes);
  if (text === undefined) throw new SkillsError('EBODYJSON', 'the request body is not UTF-8 JSON', { status: 400 });
  if (jsonDepthExceeds(text, maxJsonDepth)) {
    throw new SkillsError('EBODYDEPTH', `the request body nests arrays and objects more than ${maxJsonDepth} deep`, { status: 400 });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new SkillsError('EBODYJSON', 'the request body is not JSON', { status: 400 });
  }
}
