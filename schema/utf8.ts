/** The project's one strict UTF-8 decoder: text from untrusted bytes, or undefined when they are not UTF-8. */

const decoder = new TextDecoder('utf-8', { fatal: true });

/** A NUL character, or a UTF-16 surrogate without its pair (text no UTF-8 can carry). */
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Whether the registry can store `text` as it is, on every database: no NUL character (PostgreSQL's
 * text cannot hold one) and no unpaired surrogate (which a JSON or YAML escape can make: SQLite
 * would keep its invalid UTF-8 bytes, PostgreSQL a replacement character). No name, description or
 * message needs either.
 */
export function isStorableText(text: string): boolean {
  return !UNSTORABLE.test(text);
}

export const UNSTORABLE_MESSAGE = 'must be text without NUL characters (U+0000) or unpaired surrogates';

/** The bytes as UTF-8 text, or undefined when they are not valid UTF-8. A leading BOM is dropped. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return decoder.decode(bytes);
  } catch {
    return undefined;
  }
}
