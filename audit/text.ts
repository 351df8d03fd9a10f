/** Text helpers for the rules: line numbers by offset, and excerpts safe to print and store. */

/** Offsets of line starts, for mapping a match offset to a 1-based line number in O(log n). */
export class LineIndex {
  readonly #starts: number[] = [0];

  constructor(text: string) {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.#starts.push(i + 1);
  }

  get count(): number {
    return this.#starts.length;
  }

  /** The 1-based line holding `offset`. */
  lineOf(offset: number): number {
    let lo = 0;
    let hi = this.#starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.#starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  /** [start, end) offsets of the 1-based line (without its newline). */
  bounds(line: number, text: string): [number, number] {
    const start = this.#starts[line - 1] ?? text.length;
    const next = this.#starts[line];
    return [start, next === undefined ? text.length : next - 1];
  }
}

export const EXCERPT_CHARS = 160;

/**
 * Characters that must never be printed or stored raw: controls, bidi controls, zero-width and
 * other invisible characters, tag characters, variation selectors, lone surrogates.
 */
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u2028-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb\u{e0000}-\u{e0fff}\u{1bca0}-\u{1bca3}]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/gu;

const UNSAFE_RUN = new RegExp(`(?:${UNSAFE.source}){4,}`, 'gu');

function escapeOne(c: string): string {
  return `\\u{${(c.codePointAt(0) ?? 0).toString(16).toUpperCase()}}`;
}

/**
 * Escapes every invisible or control character as `\u{...}` so the excerpt shows it; a run of
 * four or more shows its first two and a count.
 */
export function escapeInvisible(text: string): string {
  return text
    .replace(UNSAFE_RUN, (run) => {
      const chars = [...run];
      return `${chars.slice(0, 2).map(escapeOne).join('')}\u2026(${chars.length} invisible)`;
    })
    .replace(UNSAFE, escapeOne)
    .replace(/\t/g, ' ');
}

/** The line around [start, end) of `text`, cut to EXCERPT_CHARS, escaped. */
export function excerptAround(text: string, start: number, end: number, mask?: (s: string) => string): string {
  let lineStart = text.lastIndexOf('\n', start - 1) + 1;
  let lineEnd = text.indexOf('\n', end);
  if (lineEnd === -1) lineEnd = text.length;
  const room = Math.max(60, EXCERPT_CHARS - (end - start));
  if (start - lineStart > room / 2) lineStart = start - Math.floor(room / 2);
  if (lineEnd - end > room - (start - lineStart)) lineEnd = end + Math.max(0, room - (start - lineStart));
  const before = text.slice(lineStart, start);
  const hit = text.slice(start, Math.min(end, start + EXCERPT_CHARS));
  const after = text.slice(end, lineEnd);
  const shown = `${before}${mask ? mask(hit) : hit}${after}`.trim();
  return clip(escapeInvisible(shown), 300);
}

export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max - 1)}\u2026`;
}

/** Whether the bytes hold a NUL in the first 8 KiB (binary content). */
export function hasNul(bytes: Uint8Array): boolean {
  const end = Math.min(bytes.length, 8192);
  for (let i = 0; i < end; i++) if (bytes[i] === 0) return true;
  return false;
}

export function extensionOf(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot <= 0 ? '' : base.slice(dot + 1).toLowerCase();
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
