/**
 * Base64 in tool results (MCP binary content, resource blobs, base64url message bodies, data
 * URLs): decoding it the way skill code could, and encoding a rewritten text back in the same
 * form (alphabet, padding, line length), so a skill that decodes it still can.
 */
import { isUtf8 } from 'node:buffer';

/** A run of base64 or base64url characters (at least 8, the size of 6 encoded bytes), lines allowed. */
export const BASE64_RUN = /(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{8,}(?:\r?\n[A-Za-z0-9+/_-]+)*={0,2}(?![A-Za-z0-9+/_=-])/g;

export interface Base64Form {
  url: boolean;
  padded: boolean;
  /** Characters per line when the original was wrapped (MIME), else 0. */
  lineLength: number;
  newline: string;
}

export interface Decoded {
  bytes: Buffer;
  form: Base64Form;
}

/** Decodes `text` when it is entirely base64 (whitespace between lines allowed); else undefined. */
export function decodeBase64(text: string): Decoded | undefined {
  const trimmed = text.trim();
  const lines = trimmed.includes('\n') ? trimmed.split(/\r?\n/) : [trimmed];
  const compact = lines.length > 1 ? lines.join('') : trimmed;
  const body = compact.replace(/={1,2}$/, '');
  const url = /[-_]/.test(body);
  if (url ? !/^[A-Za-z0-9_-]*$/.test(body) : !/^[A-Za-z0-9+/]*$/.test(body)) return undefined;
  if (body.length % 4 === 1) return undefined;
  const form: Base64Form = { url, padded: compact.length > body.length, lineLength: lines.length > 1 ? (lines[0]?.length ?? 0) : 0, newline: trimmed.includes('\r\n') ? '\r\n' : '\n' };
  return { bytes: Buffer.from(body, url ? 'base64url' : 'base64'), form };
}

export function encodeBase64(bytes: Buffer, form: Base64Form): string {
  let text = bytes.toString(form.url ? 'base64url' : 'base64').replace(/=+$/, '');
  if (form.padded) text += '='.repeat((4 - (text.length % 4)) % 4);
  if (form.lineLength > 0) {
    const lines: string[] = [];
    for (let i = 0; i < text.length; i += form.lineLength) lines.push(text.slice(i, i + form.lineLength));
    text = lines.join(form.newline);
  }
  return text;
}

/** The bytes as text when they are valid UTF-8 without control characters (other than tab and line breaks); else undefined (binary). */
export function asText(bytes: Buffer): string | undefined {
  for (const byte of bytes) if ((byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) || byte === 0x7f) return undefined;
  return isUtf8(bytes) ? bytes.toString('utf8') : undefined;
}
