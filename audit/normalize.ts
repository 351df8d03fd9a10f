/**
 * Text as a model reads it, for matching: NFKC (fullwidth and mathematical letters become plain
 * ones), invisible characters removed (zero-width, soft hyphen, bidi controls, tag characters,
 * variation selectors), and look-alike letters (Cyrillic "о" in "ignоre") mapped to the Latin
 * letters they imitate, using Unicode's confusables data as the `confusables` package ships it.
 *
 * Look-alikes are mapped only inside words that also hold Latin letters, or in words made wholly
 * of look-alikes within mostly-Latin text: Russian, Greek, Arabic or Hebrew prose is left as it
 * is. Every change is recorded with its original offsets, so a match found in the normalised text
 * is reported at its real place, and a match that needed a change is itself evidence of hiding.
 */
import { confusablesMap } from 'confusables';

export type Change = 'invisible' | 'lookalike' | 'compatibility';

export interface Normalized {
  /** The text to match. */
  text: string;
  /** The original offset of each UTF-16 unit of `text` (undefined: the text is unchanged). */
  origin: Int32Array | undefined;
  /** Changed places, as [start, end) original offsets, sorted. */
  changes: { start: number; end: number; kind: Change }[];
}

/** Characters a reader does not see: removed before matching. */
const INVISIBLE = /[\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\u3164\uFE00-\uFE0F\uFEFF\uFFA0\u{E0000}-\u{E007F}\u{E0100}-\u{E01EF}]/u;
const LATIN_LETTER = /[A-Za-z]/;
const LETTER = /[\p{L}\p{M}]/u;
const NON_ASCII = /[^\x00-\x7F]/;

/** The Latin letter a look-alike imitates ('' when none); ASCII itself is never mapped (the data maps `|` to `l`). */
function lookalike(ch: string): string {
  if (ch.charCodeAt(0) < 0x80 || /\p{Script=Latin}/u.test(ch)) return '';
  const base = confusablesMap.get(ch);
  return base !== undefined && /^[A-Za-z]$/.test(base) ? base : '';
}

/** Runs of letters, digits and invisibles holding at least one character outside ASCII: the only places normalising can change. */
const WORDS = /[\p{L}\p{M}\p{N}\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\u3164\uFE00-\uFE0F\uFEFF\uFFA0\u{E0000}-\u{E007F}\u{E0100}-\u{E01EF}]+/gu;
const LATIN = /\p{Script=Latin}/u;

export function normalizeForMatching(text: string): Normalized {
  if (!NON_ASCII.test(text)) return { text, origin: undefined, changes: [] };
  let mostlyLatin: boolean | undefined;
  const pieces: string[] = [];
  const origin: number[] = [];
  const changes: Normalized['changes'] = [];
  const note = (start: number, end: number, kind: Change): void => {
    const last = changes[changes.length - 1];
    if (last && last.kind === kind && last.end === start) last.end = end;
    else changes.push({ start, end, kind });
  };
  let copied = 0;
  /** Copies text[copied, upTo) unchanged. */
  const copy = (upTo: number): void => {
    if (upTo <= copied) return;
    pieces.push(text.slice(copied, upTo));
    for (let k = copied; k < upTo; k++) origin.push(k);
    copied = upTo;
  };
  for (const m of text.matchAll(WORDS)) {
    const word = m[0];
    if (!NON_ASCII.test(word)) continue;
    const at = m.index ?? 0;
    copy(at);
    const chars = Array.from(word);
    const visible = chars.filter((c) => !INVISIBLE.test(c));
    const isLatin = (c: string): boolean => LATIN_LETTER.test(c) || (c.charCodeAt(0) >= 0x80 && LATIN.test(c));
    const hasLatin = visible.some(isLatin);
    const foreign = visible.filter((c) => LETTER.test(c) && !isLatin(c));
    let mapLookalikes = hasLatin && foreign.length > 0;
    if (!mapLookalikes && foreign.length >= 2 && foreign.length === visible.length && foreign.every((c) => lookalike(c) !== '')) {
      mostlyLatin ??= latinShare(text) >= 0.6;
      mapLookalikes = mostlyLatin;
    }
    let offset = at;
    for (const c of chars) {
      const start = offset;
      offset += c.length;
      if (c.charCodeAt(0) < 0x80) {
        pieces.push(c);
        origin.push(start);
        continue;
      }
      if (INVISIBLE.test(c)) {
        note(start, offset, 'invisible');
        continue;
      }
      let replacement = mapLookalikes ? lookalike(c) : '';
      if (replacement !== '') note(start, offset, 'lookalike');
      else {
        const compat = c.normalize('NFKC');
        if (compat !== c && /^[\x20-\x7E]+$/.test(compat)) {
          replacement = compat;
          note(start, offset, 'compatibility');
        } else replacement = c;
      }
      pieces.push(replacement);
      for (let u = 0; u < replacement.length; u++) origin.push(start);
    }
    copied = offset;
  }
  if (changes.length === 0) return { text, origin: undefined, changes };
  copy(text.length);
  return { text: pieces.join(''), origin: Int32Array.from(origin), changes };
}

/** The original offset of offset `i` of the normalised text (`i` may be its length). */
export function originalOffset(n: Normalized, i: number, original: string): number {
  if (!n.origin) return i;
  if (i >= n.origin.length) return original.length;
  return n.origin[i] ?? original.length;
}

/** The kinds of change inside the original span [start, end). */
export function changesWithin(n: Normalized, start: number, end: number): Change[] {
  const kinds = new Set<Change>();
  for (const c of n.changes) if (c.start < end && c.end > start) kinds.add(c.kind);
  return [...kinds];
}

/** Share of letters that are Latin (ASCII or accented), among all letters. */
function latinShare(text: string): number {
  const all = text.match(/\p{L}/gu)?.length ?? 0;
  const latin = text.match(/\p{Script=Latin}/gu)?.length ?? 0;
  return all === 0 ? 1 : latin / all;
}
