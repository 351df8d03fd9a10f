/**
 * Phone numbers in text, found with libphonenumber (its metadata knows each region's lengths and
 * number ranges) rather than one regular expression. A cheap scan picks digit runs; the library
 * decides. What counts as a phone number (the rest are ordinary numbers: ids, sizes, dates,
 * versions):
 * - written internationally (`+44 20 7946 0958`): when it is a possible number;
 * - labelled as a phone by its JSON key or the words just before it (`phone`, `call`, `mobile`...):
 *   when possible (`"phone": "5551234567"`);
 * - formatted like a phone (`(415) 555-0100`, `030 1234567`): when possible, unless something
 *   labels it as an identifier or it has the shape of a date, a decimal, an IP address or digit
 *   groups of three (`2 147 483 647`);
 * - a bare run of digits (`5551234567`) when labelled as a phone, or when other phone numbers are
 *   in the same text (a list of them), or, unlabelled, when it is written the way a configured
 *   region writes its own numbers at home (bareNational): ten digits with an area code of 2-9 in a
 *   +1 (NANP) region (`5551234567`, not `1735689600`, a timestamp), or the region's trunk prefix 0
 *   and a number libphonenumber finds valid there (`02079460958` for GB). Anything labelled as an
 *   identifier (`order 4155550123`, `"orderId": "4155550123"`) stays a number, as do other bare
 *   runs: checking every one would cost a library call per number and drown ids.
 * Numbers that are JSON numbers are phones only under a phone-like key (isPhoneKey).
 * Library calls are cached per value and budgeted: a value with more distinct candidates than the
 * budget cannot be checked (EPIIUNCHECKED).
 */
import { findNumbers, getCountryCallingCode, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { SkillsError } from '../schema/errors';

export interface PhoneSpan {
  start: number;
  end: number;
  /** E.164, so every way of writing one number gets the same token. */
  canonical: string;
}

/** Counts libphonenumber calls, so a result made of millions of digit groups cannot stall a run. */
export interface PhoneBudget {
  left: number;
  /** Verdicts by candidate text and context, for this value. */
  cache?: Map<string, readonly PhoneSpan[]>;
}

const CANDIDATE = /(?<![\p{L}\p{N}_@.\-/+(])(?:\+\s?)?\(?\d[\d \u00a0.\-()]*\d(?![\p{L}\p{N}_@])/gu;
const SEPARATOR = /[ \u00a0.\-()]/;
const GROUP = /\d+/g;
/** Shapes of numbers that are not phone numbers even when formatted. */
const NOT_A_PHONE = [
  /^\d{1,3}(?:[ \u00a0.,'’]\d{3})+$/, // digit groups of three: 2 147 483 647
  /^\d{4}[-.]\d{1,2}[-.]\d{1,2}$/, // 2024-01-15
  /^\d{1,2}[-.]\d{1,2}[-.]\d{2,4}$/, // 15.01.2024
  /^\d{1,3}(?:\.\d{1,3}){3}$/, // 192.168.0.1
  /^\d+\.\d+$/, // 1234567.89
];
const MAX_GROUPS = 6;

const PHONE_WORDS = new Set(['phone', 'phones', 'tel', 'telephone', 'telephones', 'mobile', 'mobiles', 'mob', 'cell', 'cellphone', 'fax', 'faxes', 'sms', 'whatsapp', 'msisdn', 'handy', 'telefon', 'telefono', 'téléphone', 'portable']);
/** Words that label a phone number unless an identifier word is there too (`contactId`). */
const WEAK_PHONE_WORDS = new Set(['contact', 'contacts', 'call', 'dial', 'ring', 'reach']);
const ID_WORDS = new Set(['id', 'ids', 'uuid', 'guid', 'order', 'invoice', 'ref', 'reference', 'sku', 'isbn', 'account', 'acct', 'size', 'bytes', 'length', 'count', 'total', 'amount', 'price', 'timestamp', 'ts', 'time', 'date', 'created', 'updated', 'version', 'port', 'pid', 'zip', 'postal', 'serial', 'hash', 'checksum']);

/** Words of a key or text: camelCase and snake_case split, lower-cased. */
export function contextWords(text: string): string[] {
  return text
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

function labelOf(words: readonly string[]): 'phone' | 'id' | undefined {
  if (words.some((w) => PHONE_WORDS.has(w))) return 'phone';
  if (words.some((w) => ID_WORDS.has(w))) return 'id';
  if (words.some((w) => WEAK_PHONE_WORDS.has(w))) return 'phone';
  return undefined;
}

function digitCount(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) n++;
  }
  return n;
}

/**
 * Phone numbers in `text`. `key` is the JSON key the text is the value of (its words label the
 * whole value); `regions` are ISO 3166 codes for numbers written without a country code.
 */
export function findPhones(text: string, key: string | undefined, regions: readonly CountryCode[], budget: PhoneBudget): PhoneSpan[] {
  const keyLabel = key === undefined ? undefined : labelOf(contextWords(key));
  const spans = scan(text, keyLabel, regions, budget, false);
  // A bare number among phone numbers (`+44 20 7946 0958 or 5551234567`) is one too, when possible.
  return spans.length > 0 && keyLabel === undefined ? [...spans, ...scan(text, keyLabel, regions, budget, true)] : spans;
}

function scan(text: string, keyLabel: 'phone' | 'id' | undefined, regions: readonly CountryCode[], budget: PhoneBudget, neighbours: boolean): PhoneSpan[] {
  const spans: PhoneSpan[] = [];
  for (const match of text.matchAll(CANDIDATE)) {
    const candidate = match[0];
    const at = match.index;
    const digits = digitCount(candidate);
    if (digits < 7) continue;
    if (candidate.length <= 40 && digits <= 15) {
      spans.push(...judge(text, at, candidate, keyLabel, regions, budget, true, neighbours));
      continue;
    }
    if (neighbours) continue;
    // A long run of digit groups (numbers run together with single spaces): read phone numbers
    // one after another from its start; a run that does not start with one is not a list of them.
    const groups = [...candidate.matchAll(GROUP)].map((g) => ({ start: g.index, end: g.index + g[0].length, digits: g[0].length }));
    let i = 0;
    while (i < groups.length) {
      let reached = -1;
      let sum = 0;
      let last = i;
      while (last < groups.length && last - i < MAX_GROUPS && sum + (groups[last]?.digits ?? 0) <= 15) sum += groups[last++]?.digits ?? 0;
      for (let j = last - 1; j >= i && reached < 0; j--) {
        const first = groups[i];
        const end = groups[j];
        if (!first || !end) break;
        let start = first.start;
        if (start > 0 && candidate[start - 1] === '(') start--;
        if (start > 0 && candidate[start - 1] === '+') start--;
        const piece = candidate.slice(start, end.end + (candidate[end.end] === ')' ? 1 : 0));
        if (digitCount(piece) < 7) break;
        const found = judge(text, at + start, piece, keyLabel, regions, budget, false, false).filter((f) => f.start === at + start);
        if (found.length > 0) {
          spans.push(...found);
          reached = Math.max(...found.map((f) => f.end)) - at;
        }
      }
      if (reached < 0) break;
      while (i < groups.length && (groups[i]?.start ?? 0) < reached) i++;
    }
  }
  return spans;
}

const NANP_BARE = /^[2-9]\d{9}$/;
const TRUNK_BARE = /^0[1-9]\d{5,13}$/;

/**
 * The configured region whose own way of writing numbers a bare, unlabelled run of digits has:
 * ten digits with a 2-9 area code in a +1 region (no library call), or a trunk prefix 0 and a
 * number libphonenumber finds valid (not merely possible) in a region that dials 0 at home.
 */
function bareNational(candidate: string, regions: readonly CountryCode[], budget: PhoneBudget): CountryCode | undefined {
  if (NANP_BARE.test(candidate)) return regions.find((r) => getCountryCallingCode(r) === '1');
  if (!TRUNK_BARE.test(candidate)) return undefined;
  for (const region of regions) {
    if (getCountryCallingCode(region) === '1') continue;
    if (budget.left-- <= 0) throw new SkillsError('EPIIUNCHECKED', 'a tool result holds too many number sequences to check for phone numbers', { hint: 'ask the tool for fewer rows at a time' });
    if (parsePhoneNumberFromString(candidate, region)?.isValid() === true) return region;
  }
  return undefined;
}

/**
 * Whether `candidate` (at `at` in `text`) is a phone number. `whole`: it is a whole candidate, not
 * a window of a long one; `neighbours`: other phone numbers are in the same text.
 */
function judge(text: string, at: number, candidate: string, keyLabel: 'phone' | 'id' | undefined, regions: readonly CountryCode[], budget: PhoneBudget, whole: boolean, neighbours: boolean): PhoneSpan[] {
  const international = candidate.startsWith('+') || /^00[1-9]/.test(candidate);
  if (!international && NOT_A_PHONE.some((re) => re.test(candidate))) return [];
  if ((candidate.match(GROUP)?.length ?? 0) > MAX_GROUPS) return [];
  const label = keyLabel === 'phone' ? 'phone' : (labelOf(contextWords(text.slice(Math.max(0, at - 40), at)).slice(-3)) ?? keyLabel);
  const formatted = SEPARATOR.test(candidate);
  // An unlabelled bare run written the way a configured region writes its numbers: a phone number.
  if (!international && !formatted && label === undefined && whole) {
    const bareKey = `bare\0${candidate}`;
    let national = budget.cache?.get(bareKey);
    if (national === undefined) {
      const region = bareNational(candidate, regions, budget);
      const number = region === undefined ? undefined : parsePhoneNumberFromString(candidate, region);
      national = number ? [{ start: 0, end: candidate.length, canonical: number.number }] : [];
      budget.cache ??= new Map();
      budget.cache.set(bareKey, national);
    }
    // Found here in the first pass; the pass for numbers among phone numbers does not count it twice.
    if (national.length > 0) return neighbours ? [] : national.map((s) => ({ ...s, start: s.start + at, end: s.end + at }));
  }
  const phoneish = label === 'phone' || (label === undefined && neighbours);
  // Unlabelled bare digits (not written as a region's own), or labelled as an id: not a phone number, whatever the library says.
  if (!international && !phoneish && (!formatted || label === 'id')) return [];
  if (neighbours && (international || formatted || label === 'phone')) return []; // judged in the first pass
  const cacheKey = `${label ?? ''}\0${whole ? 1 : 0}\0${phoneish ? 1 : 0}\0${candidate}`;
  const cached = budget.cache?.get(cacheKey);
  if (cached) return cached.map((s) => ({ ...s, start: s.start + at, end: s.end + at }));
  const spans: PhoneSpan[] = [];
  // 00 is the international prefix almost everywhere outside North America: 0044 20 ... is +44 20 ...
  const written = /^00[1-9]/.test(candidate) ? `+${candidate.slice(2)}` : candidate;
  const shift = candidate.length - written.length;
  for (const region of regions) {
    if (budget.left-- <= 0) throw new SkillsError('EPIIUNCHECKED', 'a tool result holds too many number sequences to check for phone numbers', { hint: 'ask the tool for fewer rows at a time' });
    // `leniency` is a real option of findNumbers that its type declarations leave out (default VALID).
    const options = { defaultCountry: region, v2: true as const, leniency: 'POSSIBLE' };
    for (const m of findNumbers(written, options)) {
      if (m.number.isPossible()) spans.push({ start: m.startsAt === 0 ? 0 : m.startsAt + shift, end: m.endsAt + shift, canonical: m.number.number });
    }
    if (spans.length > 0) break;
  }
  // A whole candidate labelled as a phone but of a region not configured: still a phone number, by its digits.
  const digits = digitCount(candidate);
  if (spans.length === 0 && whole && label === 'phone' && digits >= 7 && digits <= 15) spans.push({ start: 0, end: candidate.length, canonical: `${international ? '+' : ''}${candidate.replace(/\D/g, '')}` });
  budget.cache ??= new Map();
  budget.cache.set(cacheKey, spans);
  return spans.map((s) => ({ ...s, start: s.start + at, end: s.end + at }));
}

/** A value under a phone-like key that is a JSON number (`"phone": 5551234567`) is a phone too. */
export function isPhoneKey(key: string | undefined): boolean {
  return key !== undefined && labelOf(contextWords(key)) === 'phone';
}
