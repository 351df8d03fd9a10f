/**
 * Reading request bodies with a limit: a declared Content-Length over the limit is refused before
 * anything is read, and a streamed body is counted as it arrives and refused as soon as it passes
 * the limit, so no body ever costs the registry more than its limit in memory.
 */
import { SkillsError } from '../schema/errors';
import type { Ctx } from './context';

export function payloadTooLarge(c: Ctx, limit: number, what: string, hint?: string): SkillsError {
  // The client may still be sending: do not keep the connection around to drain it.
  c.header('Connection', 'close');
  return new SkillsError('EPAYLOADTOOLARGE', `${what} is over the ${limit} byte limit`, { status: 413, ...(hint ? { hint } : {}) });
}

export function declaredLength(c: Ctx): number | undefined {
  const header = c.req.header('Content-Length');
  if (header === undefined) return undefined;
  const n = Number(header);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

export async function readBody(c: Ctx, limit: number, tooLarge: () => SkillsError): Promise<Uint8Array> {
  const declared = declaredLength(c);
  if (declared !== undefined && declared > limit) throw tooLarge();
  const stream = c.req.raw.body;
  if (!stream) return new Uint8Array(0);
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limit) {
        void reader.cancel().catch(() => undefined);
        throw tooLarge();
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof SkillsError) throw error;
    throw new SkillsError('EBODY', 'the request body could not be read (was the upload cut short?)', { status: 400 });
  }
  return Buffer.concat(chunks, total);
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
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new SkillsError('EBODYJSON', 'the request body is not UTF-8 JSON', { status: 400 });
  }
  if (jsonDepthExceeds(text, maxJsonDepth)) {
    throw new SkillsError('EBODYDEPTH', `the request body nests arrays and objects more than ${maxJsonDepth} deep`, { status: 400 });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new SkillsError('EBODYJSON', 'the request body is not JSON', { status: 400 });
  }
}
