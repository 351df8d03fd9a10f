/**
 * Hidden Unicode: text that reads one way to a person and another to a model or a compiler.
 *
 * - `unicode-tag-chars`: characters of the U+E0000 tag block, invisible everywhere, which models
 *   read as ASCII (the hidden text is decoded into the message). Emoji flag sequences (🏴 + tag
 *   letters + cancel tag, e.g. the flag of Scotland) are legitimate and skipped.
 * - `unicode-bidi-control`: embeddings, overrides and isolates (U+202A-202E, U+2066-2069) that
 *   reorder what is displayed ("Trojan Source"). Right-to-left *text* (Arabic, Hebrew) needs none
 *   of them and is never flagged; nor are the marks LRM, RLM and ALM.
 * - `unicode-invisible`: zero-width and blank characters (ZWSP, word joiner, invisible operators,
 *   Hangul fillers, a BOM inside a file, runs of variation selectors). ZWJ and ZWNJ are skipped
 *   after letters of scripts that use them and in emoji sequences; one variation selector after a
 *   character is an ordinary emoji or ideograph variant.
 * - `unicode-confusable-name`: a `name` (SKILL.md, skill.json) or file name mixing Latin with
 *   look-alike Cyrillic or Greek letters.
 */
import type { Severity } from '../../schema/audit-report';
import { escapeInvisible, excerptAround } from '../text';
import { finding, type Emit, type TextFile } from '../types';

const TAGS = /[\u{E0000}-\u{E007F}]+/gu;
const FLAG_TAGS = /^[\u{E0030}-\u{E0039}\u{E0061}-\u{E007A}]{2,7}\u{E007F}$/u;
const BIDI = /[\u202A-\u202E\u2066-\u2069]/gu;
const BIDI_OVERRIDE = /[\u202D\u202E]/u;
/** Invisible characters; a run of them (or of selectors) can carry an encoded payload. */
const INVISIBLE = /[\u200B\u200C\u200D\u2060-\u2064\uFEFF\u180E\u3164\uFFA0\u115F\u1160\uFE00-\uFE0F\u{E0100}-\u{E01EF}]+/gu;
const SELECTORS_ONLY = /^[\uFE00-\uFE0F\u{E0100}-\u{E01EF}]+$/u;
const FILLERS = /[\u3164\uFFA0\u115F\u1160]/u;
const JOINERS = /^[\u200C\u200D]$/u;
/** A joiner with an emoji presentation selector (❤️‍🔥 is U+2764 U+FE0F U+200D U+1F525). */
const JOIN_OR_SELECT = /^(?:[\u200C\u200D]|\uFE0F)+$/u;
const JOINING_CONTEXT = /[\p{Extended_Pictographic}\u{1F3FB}-\u{1F3FF}\uFE0F]|(?![A-Za-z])[\p{L}\p{M}]/u;

const MAX_PER_RULE = 10;

function codePoints(s: string): string {
  return [...s].map((c) => `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`).slice(0, 4).join(' ') + ([...s].length > 4 ? ' ...' : '');
}

/** The ASCII that a run of tag characters spells (what a model reads). */
export function decodeTags(run: string): string {
  let out = '';
  for (const c of run.slice(0, 1000)) {
    const cp = (c.codePointAt(0) ?? 0) - 0xe0000;
    out += cp >= 0x20 && cp < 0x7f ? String.fromCharCode(cp) : '';
  }
  return out;
}

export function scanUnicodeText(file: TextFile, emit: Emit): void {
  const { text, lines, path } = file;
  const code = file.kind === 'script';

  let tags = 0;
  for (const m of text.matchAll(TAGS)) {
    const before = text.codePointAt(Math.max(0, (m.index ?? 0) - 2));
    if (before === 0x1f3f4 && FLAG_TAGS.test(m[0])) continue;
    if (++tags > MAX_PER_RULE) break;
    const hidden = decodeTags(m[0]);
    const start = m.index ?? 0;
    emit(
      finding(
        'unicode-tag-chars',
        'high',
        path,
        lines.lineOf(start),
        hidden.trim().length > 0
          ? `${m[0].length / 2} invisible tag characters spell hidden text: "${escapeInvisible(hidden.slice(0, 120))}"`
          : `${m[0].length / 2} invisible tag characters (U+E0000 block)`,
        excerptAround(text, start, start + m[0].length),
      ),
    );
  }

  let bidi = 0;
  let lastBidiLine = -1;
  for (const m of text.matchAll(BIDI)) {
    const start = m.index ?? 0;
    const line = lines.lineOf(start);
    if (line === lastBidiLine) continue;
    lastBidiLine = line;
    if (++bidi > MAX_PER_RULE) break;
    const override = BIDI_OVERRIDE.test(m[0]);
    const severity: Severity = override || code ? 'high' : 'medium';
    emit(
      finding(
        'unicode-bidi-control',
        severity,
        path,
        line,
        `bidirectional ${override ? 'override' : 'embedding/isolate'} control ${codePoints(m[0])}: the text displays in a different order than it is read`,
        excerptAround(text, start, start + m[0].length),
      ),
    );
  }

  let invisible = 0;
  for (const m of text.matchAll(INVISIBLE)) {
    const start = m.index ?? 0;
    const run = m[0];
    if (run === '\uFEFF' && start === 0) continue;
    if (JOINERS.test(run) || (run.length <= 3 && JOIN_OR_SELECT.test(run))) {
      const before = text.slice(Math.max(0, start - 2), start);
      const after = text.slice(start + 1, start + 3);
      if (JOINING_CONTEXT.test(before) || JOINING_CONTEXT.test(after)) continue;
    }
    const onlySelectors = SELECTORS_ONLY.test(run);
    // One selector after a character is an ordinary emoji or ideograph variant.
    if (onlySelectors && (run.length === 1 || (run.length === 2 && (run.codePointAt(0) ?? 0) > 0xffff))) continue;
    const length = [...run.slice(0, 64)].length;
    const selectors = /[\uFE00-\uFE0F\u{E0100}-\u{E01EF}]{2,}/u.test(run.slice(0, 64));
    let severity: Severity = 'low';
    if (length >= 4 || selectors) severity = 'high';
    else if (code) severity = FILLERS.test(run) ? 'high' : 'medium';
    if (++invisible > MAX_PER_RULE) break;
    emit(
      finding(
        'unicode-invisible',
        severity,
        path,
        lines.lineOf(start),
        length >= 4 || selectors
          ? `a run of ${run.length > 64 ? 'more than 32' : length} invisible characters (${codePoints(run.slice(0, 16))}): enough to encode hidden data`
          : `invisible character${length > 1 ? 's' : ''} ${codePoints(run)}${code ? ' in code: identifiers or strings that look equal may differ' : ''}`,
        excerptAround(text, start, start + run.length),
      ),
    );
  }
}

/** Bidi controls, invisible and tag characters in a file's path. */
export function scanUnicodeName(path: string, emit: Emit): void {
  const shown = escapeInvisible(path);
  if (/[\u{E0000}-\u{E007F}]/u.test(path)) {
    emit(finding('unicode-tag-chars', 'high', path, 0, 'the file name holds invisible tag characters', shown));
  }
  if (/[\u202A-\u202E\u2066-\u2069]/u.test(path)) {
    emit(finding('unicode-bidi-control', 'high', path, 0, 'the file name holds a bidirectional control: it displays differently from what it is (e.g. evil\\u{202E}gpj.exe shows as evilexe.jpg)', shown));
  }
  if (/[\u200B-\u200F\u2060-\u2064\uFEFF\u180E\u3164\uFFA0\u115F\u1160\u00AD]/u.test(path)) {
    emit(finding('unicode-invisible', 'high', path, 0, 'the file name holds an invisible character: two names that look equal differ', shown));
  }
  for (const segment of path.split('/')) {
    // Per word: "справка.md" is Cyrillic with a Latin extension, not a spoof.
    const mixed = segment.split(/[^\p{L}\p{M}]+/u).map(mixedScript).find((m) => m !== undefined);
    if (mixed) emit(finding('unicode-confusable-name', 'medium', path, 0, `the file name "${escapeInvisible(segment)}" mixes Latin with ${mixed} letters that look like Latin ones`, shown));
  }
}

/** Latin letters and their look-alikes in Cyrillic and Greek (the ones used in spoofed names). */
const CONFUSABLE = /[\u0430\u0435\u043E\u0440\u0441\u0443\u0445\u0456\u0458\u0455\u0501\u04BB\u04CF\u0410\u0412\u0415\u041A\u041C\u041D\u041E\u0420\u0421\u0422\u0425\u0406\u0408\u0405\u03BF\u03B1\u03B5\u03B9\u03BA\u03BD\u03C1\u03C4\u03C5\u03C7\u0391\u0392\u0395\u0396\u0397\u0399\u039A\u039C\u039D\u039F\u03A1\u03A4\u03A5\u03A7]/u;

/** The other script when a word mixes Latin letters with Cyrillic or Greek ones, else undefined. */
export function mixedScript(word: string): string | undefined {
  if (!/\p{Script=Latin}/u.test(word)) return undefined;
  if (/\p{Script=Cyrillic}/u.test(word)) return 'Cyrillic';
  if (/\p{Script=Greek}/u.test(word)) return 'Greek';
  return undefined;
}

/**
 * A skill's `name` (from SKILL.md or skill.json): names are lower-case ASCII, so any look-alike
 * letter from another script is a spoof of the name it resembles.
 */
export function scanIdentityName(name: string, where: { file: string; line: number; field: string }, emit: Emit): void {
  const shown = escapeInvisible(name);
  const mixed = mixedScript(name);
  if (mixed || CONFUSABLE.test(name)) {
    emit(
      finding(
        'unicode-confusable-name',
        'high',
        where.file,
        where.line,
        `${where.field} "${shown}" uses ${mixed ?? 'non-Latin'} letters that look like Latin ones: it impersonates "${name.replace(new RegExp(CONFUSABLE.source, 'gu'), (c) => LATIN[c] ?? '?')}"`,
        shown,
      ),
    );
  }
}

const LATIN: Record<string, string> = {
  '\u0430': 'a', '\u0435': 'e', '\u043E': 'o', '\u0440': 'p', '\u0441': 'c', '\u0443': 'y', '\u0445': 'x', '\u0456': 'i', '\u0458': 'j', '\u0455': 's', '\u0501': 'd', '\u04BB': 'h', '\u04CF': 'l',
  '\u0410': 'A', '\u0412': 'B', '\u0415': 'E', '\u041A': 'K', '\u041C': 'M', '\u041D': 'H', '\u041E': 'O', '\u0420': 'P', '\u0421': 'C', '\u0422': 'T', '\u0425': 'X', '\u0406': 'I', '\u0408': 'J', '\u0405': 'S',
  '\u03BF': 'o', '\u03B1': 'a', '\u03B5': 'e', '\u03B9': 'i', '\u03BA': 'k', '\u03BD': 'v', '\u03C1': 'p', '\u03C4': 't', '\u03C5': 'u', '\u03C7': 'x',
  '\u0391': 'A', '\u0392': 'B', '\u0395': 'E', '\u0396': 'Z', '\u0397': 'H', '\u0399': 'I', '\u039A': 'K', '\u039C': 'M', '\u039D': 'N', '\u039F': 'O', '\u03A1': 'P', '\u03A4': 'T', '\u03A5': 'Y', '\u03A7': 'X',
};
