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
  /** Past MAX_CHANGES changed characters the rest was left as written (no real text comes near). */
  truncated?: boolean;
}

/** Most characters changed in one text; each costs a little, and hostile text could change millions. */
export const MAX_CHANGES = 50_000;

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

interface CharInfo {
  invisible: boolean;
  /** A letter of the Latin script (ASCII or not). */
  latin: boolean;
  /** A letter or mark of any script. */
  letter: boolean;
  /** The Latin letter it imitates, '' when none. */
  lookalike: string;
  /** Its NFKC form when that is printable ASCII and differs (fullwidth, mathematical letters), else ''. */
  compat: string;
}

/** Per-character facts by code point, cached: hostile text repeats few distinct characters, real text too. */
const INFO = new Map<number, CharInfo>();

let lastCp = -1;
let lastInfo: CharInfo | undefined;

function info(cp: number): CharInfo {
  if (cp === lastCp && lastInfo) return lastInfo;
  let known = INFO.get(cp);
  if (known) {
    lastCp = cp;
    lastInfo = known;
    return known;
  }
  if (known) return known;
  const c = String.fromCodePoint(cp);
  const ascii = cp < 0x80;
  const compat = ascii ? c : c.normalize('NFKC');
  known = {
    invisible: !ascii && INVISIBLE.test(c),
    latin: ascii ? LATIN_LETTER.test(c) : LATIN.test(c),
    letter: ascii ? LATIN_LETTER.test(c) : LETTER.test(c),
    lookalike: ascii ? '' : lookalike(c),
    compat: !ascii && compat !== c && /^[\x20-\x7E]+$/.test(compat) ? compat : '',
  };
  if (INFO.size < 20_000) INFO.set(cp, known);
  return known;
}

/** Runs of letters, digits and invisibles holding at least one character outside ASCII: the only places normalising can change. */
const WORDS = /[\p{L}\p{M}\p{N}\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\u3164\uFE00-\uFE0F\uFEFF\uFFA0\u{E0000}-\u{E007F}\u{E0100}-\u{E01EF}]+/gu;
const LATIN = /\p{Script=Latin}/u;

/** Offsets of the output, growing as needed. */
class Origins {
  data: Int32Array;
  length = 0;
  constructor(capacity: number) {
    this.data = new Int32Array(Math.max(16, capacity));
  }
  /** Appends `count` offsets: `from`, `from + 1`, ... when `step`, else `count` times `from`. */
  push(from: number, count: number, step: boolean): void {
    if (this.length + count > this.data.length) {
      const grown = new Int32Array(Math.max(this.data.length * 2, this.length + count));
      grown.set(this.data.subarray(0, this.length));
      this.data = grown;
    }
    for (let k = 0; k < count; k++) this.data[this.length++] = step ? from + k : from;
  }
}

export function normalizeForMatching(text: string): Normalized {
  if (!NON_ASCII.test(text)) return { text, origin: undefined, changes: [] };
  let mostlyLatin: boolean | undefined;
  const pieces: string[] = [];
  const origin = new Origins(text.length + 64);
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
    origin.push(copied, upTo - copied, true);
    copied = upTo;
  };
  let changed = 0;
  let truncated = false;
  for (const m of text.matchAll(WORDS)) {
    if (truncated) break;
    const word = m[0];
    if (!NON_ASCII.test(word)) continue;
    const at = m.index ?? 0;
    const end = at + word.length;
    // What the word holds, once: Latin letters, other letters, and whether all of those imitate Latin ones.
    let hasLatin = false;
    let visible = 0;
    let foreign = 0;
    let foreignLookalikes = 0;
    // No word is hundreds of letters long: a run that is gets its invisibles and compatibility forms
    // handled, not look-alike mapping (and is not walked twice).
    for (let i = at; i < (word.length > 256 ? at : end); ) {
      const unit = text.charCodeAt(i);
      if (unit < 0x80) {
        i++;
        visible++;
        if ((unit | 0x20) >= 0x61 && (unit | 0x20) <= 0x7a) hasLatin = true;
        continue;
      }
      const cp = text.codePointAt(i) ?? 0;
      i += cp > 0xffff ? 2 : 1;
      const f = info(cp);
      if (f.invisible) continue;
      visible++;
      if (f.latin) hasLatin = true;
      else if (f.letter) {
        foreign++;
        if (f.lookalike !== '') foreignLookalikes++;
      }
    }
    let mapLookalikes = hasLatin && foreign > 0;
    if (!mapLookalikes && foreign >= 2 && foreign === visible && foreignLookalikes === foreign) {
      mostlyLatin ??= latinShare(text) >= 0.6;
      mapLookalikes = mostlyLatin;
    }
    for (let i = at; i < end; ) {
      if (text.charCodeAt(i) < 0x80) {
        i++;
        continue;
      }
      const cp = text.codePointAt(i) ?? 0;
      const start = i;
      i += cp > 0xffff ? 2 : 1;
      const f = info(cp);
      let replacement: string | undefined;
      let kind: Change | undefined;
      if (f.invisible) {
        replacement = '';
        kind = 'invisible';
      } else if (mapLookalikes && f.lookalike !== '') {
        replacement = f.lookalike;
        kind = 'lookalike';
      } else if (f.compat !== '') {
        replacement = f.compat;
        kind = 'compatibility';
      }
      if (replacement === undefined || kind === undefined) continue;
      if (++changed > MAX_CHANGES) {
        truncated = true;
        break;
      }
      copy(start);
      note(start, i, kind);
      if (replacement !== '') {
        pieces.push(replacement);
        origin.push(start, replacement.length, false);
      }
      copied = i;
    }
  }
  if (changes.length === 0) return { text, origin: undefined, changes };
  copy(text.length);
  return { text: pieces.join(''), origin: origin.data.subarray(0, origin.length), changes, ...(truncated ? { truncated } : {}) };
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
