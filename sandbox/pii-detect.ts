/**
 * Finding personal data in one string: e-mail addresses (also with the `@` written as `%40`,
 * `&#64;`, `&commat;`, `\u0040`), phone numbers (pii-phones.ts), the workspace's own patterns, and
 * tokens already in the text (kept as they are). Overlaps resolve to the earliest, then longest
 * match, so a detector never rewrites part of another's match or of a token.
 */
import type { CountryCode } from 'libphonenumber-js/max';
import { findPhones, type PhoneBudget } from './pii-phones';

export interface PiiSpan {
  start: number;
  end: number;
  label: string;
  /** The identity of the value: one token per canonical value (E.164 for phones, a plain `@` for e-mails). */
  canonical: string;
  /** The value tools get back when the token is passed to them. */
  plain: string;
  /** A token already in the text: left as it is. */
  keep?: boolean;
}

export interface Detectors {
  patterns: readonly (readonly [label: string, re: RegExp])[];
  regions: readonly CountryCode[];
}

/** A token as this module writes it: `[EMAIL_1]`, `[PHONE_12]`, `[IBAN_3]`. */
export const TOKEN_RE = /\[([A-Z][A-Z0-9_]*)_([1-9]\d{0,8})\]/g;

const AT = String.raw`(?:@|%40|&#0*64;|&#[xX]0*40;|&commat;|\\u0040|\\x40)`;
const DOT = String.raw`(?:\.|%2[eE]|&#0*46;|&#[xX]0*2[eE];|&period;|\\u002[eE]|\\x2[eE])`;
const LOCAL = String.raw`[\p{L}\p{N}._%+\-]`;
const LABEL = String.raw`[\p{L}\p{N}\-]+`;
// Starts only where a local part can start, so each run of letters is tried once (linear time).
const EMAIL_RE = new RegExp(String.raw`(?<!${LOCAL})${LOCAL}+${AT}${LABEL}(?:${DOT}${LABEL})*${DOT}\p{L}{2,}`, 'gu');
const AT_VARIANT = new RegExp(AT, 'u');
const DOT_VARIANTS = new RegExp(DOT.replace('\\.|', ''), 'gu');

// Cheap tests that let most strings skip a detector.
const MAY_HOLD_EMAIL = /@|%40|&#|&commat;|\\[ux]0*40/i;
const MAY_HOLD_PHONE = /\d[^\d]?\d/;

export function findPii(text: string, key: string | undefined, detectors: Detectors, budget: PhoneBudget): PiiSpan[] {
  const spans: PiiSpan[] = [];
  if (text.includes('[')) for (const m of text.matchAll(TOKEN_RE)) spans.push({ start: m.index, end: m.index + m[0].length, label: '', canonical: m[0], plain: m[0], keep: true });
  if (MAY_HOLD_EMAIL.test(text)) for (const m of text.matchAll(EMAIL_RE)) {
    const plain = m[0].replace(AT_VARIANT, '@').replace(DOT_VARIANTS, '.');
    spans.push({ start: m.index, end: m.index + m[0].length, label: 'EMAIL', canonical: plain, plain });
  }
  for (const [label, re] of detectors.patterns) {
    re.lastIndex = 0;
    for (const m of text.matchAll(re)) {
      if (m[0].length === 0) continue;
      spans.push({ start: m.index, end: m.index + m[0].length, label, canonical: m[0], plain: m[0] });
    }
  }
  if (MAY_HOLD_PHONE.test(text)) for (const p of findPhones(text, key, detectors.regions, budget)) {
    spans.push({ start: p.start, end: p.end, label: 'PHONE', canonical: p.canonical, plain: text.slice(p.start, p.end) });
  }
  return spans.length > 1 ? resolveOverlaps(spans) : spans;
}

function resolveOverlaps(spans: PiiSpan[]): PiiSpan[] {
  spans.sort((a, b) => a.start - b.start || Number(b.keep === true) - Number(a.keep === true) || b.end - a.end);
  const out: PiiSpan[] = [];
  let reached = 0;
  for (const span of spans) {
    if (span.start < reached) continue;
    out.push(span);
    reached = span.end;
  }
  return out;
}
