/**
 * PII tokenization for live runs. Personal data in what enters the sandbox (tool results, the
 * run's arguments, `./workspace` reads) becomes stable tokens (`[EMAIL_1]`) before skill code sees
 * it, and tokens in what leaves for a tool become the real values again, so data flows from tool
 * to tool without reaching the skill, its output or the model.
 *
 * What is tokenized is the value skill code gets, not the wire text: object keys as well as
 * values, JSON held in strings after parsing it (so `\u0040` escapes are decoded first), and
 * base64 (MCP `image`/`audio` data, resource blobs, base64 runs in strings) after decoding it;
 * text found there is tokenized and encoded back the same way. Binary that is not text cannot be
 * checked: it is refused (EPIIBINARY) unless `privacy.binary` is "allow". What cannot be checked
 * within the bounds (nesting, decoding depth, number of candidates) is refused (EPIIUNCHECKED):
 * privacy fails closed.
 *
 * The map lives only in a PiiVault object: one `skills run` process, or one `skills mcp` session.
 */
import { isSupportedCountry, type CountryCode } from 'libphonenumber-js/max';
import { SkillsError } from '../schema/errors';
import { asText, BASE64_RUN, decodeBase64, encodeBase64 } from './pii-base64';
import { findPii, TOKEN_RE, type Detectors, type PiiSpan } from './pii-detect';
import { findPhones, isPhoneKey, type PhoneBudget } from './pii-phones';

export interface PrivacyOptions {
  /** Extra patterns (JavaScript regular expressions) by token label, e.g. `{ "IBAN": "..." }`. */
  patterns?: Readonly<Record<string, string>>;
  /** Regions (ISO 3166 alpha-2) for phone numbers written without a country code. */
  phoneRegions?: readonly string[];
  /** What binary content (not decodable as text) does: refused (default) or passed unchecked. */
  binary?: 'refuse' | 'allow';
}

export const DEFAULT_PHONE_REGIONS: readonly string[] = ['US'];
export const RESERVED_LABELS: readonly string[] = ['EMAIL', 'PHONE'];
/** Nesting of objects and arrays checked in one value. */
const MAX_DEPTH = 64;
/** JSON or base64 inside a string inside ... : levels decoded. */
const MAX_DECODE = 4;
/** Distinct values (and foreign tokens) one vault holds. */
const MAX_VALUES = 100_000;
/** libphonenumber calls for one value (a result, an argument list, a console line). */
const PHONE_CHECKS = 5_000;

function unchecked(what: string): SkillsError {
  return new SkillsError('EPIIUNCHECKED', `personal data could not be checked: ${what}`, { hint: 'privacy.tokenizePii refuses what it cannot check; ask the tool for less or simpler data' });
}

/** The token map of one run or session: canonical value -> token -> the value tools get back. */
export class PiiVault {
  readonly #tokenOf = new Map<string, string>();
  readonly #valueOf = new Map<string, string | number>();
  readonly #counters = new Map<string, number>();
  readonly #foreign = new Set<string>();

  get size(): number {
    return this.#valueOf.size;
  }

  issue(label: string, canonical: string, plain: string | number): string {
    const id = `${label}\0${canonical}`;
    const known = this.#tokenOf.get(id);
    if (known) return known;
    if (this.#valueOf.size + this.#foreign.size >= MAX_VALUES) throw unchecked(`more than ${MAX_VALUES} distinct values in one run or skills mcp session`);
    let n = this.#counters.get(label) ?? 0;
    let token: string;
    do token = `[${label}_${++n}]`;
    while (this.#foreign.has(token));
    this.#counters.set(label, n);
    this.#tokenOf.set(id, token);
    this.#valueOf.set(token, plain);
    return token;
  }

  /**
   * A token that arrives in an input but was not issued here comes from another run: it is never
   * issued by this vault, so passing it to a tool can never resolve to someone else's value.
   */
  seen(token: string): void {
    if (this.#valueOf.has(token) || this.#foreign.has(token)) return;
    if (this.#valueOf.size + this.#foreign.size >= MAX_VALUES) throw unchecked(`more than ${MAX_VALUES} distinct values in one run or skills mcp session`);
    this.#foreign.add(token);
  }

  valueOf(token: string): string | number | undefined {
    return this.#valueOf.get(token);
  }
}

interface Pass {
  budget: PhoneBudget;
  /** Short strings already tokenized in this value (rows repeat keys and values). */
  seen?: Map<string, string>;
}

const CACHED_CHARS = 200;
const CACHED_STRINGS = 20_000;

export class PiiTokenizer {
  readonly vault: PiiVault;
  readonly #detectors: Detectors;
  readonly #binary: 'refuse' | 'allow';

  constructor(options: PrivacyOptions = {}, vault: PiiVault = new PiiVault()) {
    this.vault = vault;
    this.#binary = options.binary ?? 'refuse';
    const patterns = Object.entries(options.patterns ?? {}).map(([label, source]) => {
      if (RESERVED_LABELS.includes(label)) throw new SkillsError('EWORKSPACE', `privacy.patterns.${label}: ${label} is built in and cannot be replaced`, { hint: 'choose another label' });
      try {
        return [label, new RegExp(source, 'g')] as const;
      } catch {
        throw new SkillsError('EWORKSPACE', `privacy.patterns.${label} is not a valid regular expression`, { hint: 'fix it in skills.json' });
      }
    });
    const regions = (options.phoneRegions ?? DEFAULT_PHONE_REGIONS).map((region) => {
      if (!isSupportedCountry(region)) throw new SkillsError('EWORKSPACE', `privacy.phoneRegions: ${region} is not a region with phone-number metadata`, { hint: 'use ISO 3166 alpha-2 codes such as "US", "GB", "DE"' });
      return region as CountryCode;
    });
    this.#detectors = { patterns, regions };
  }

  /** Tokenizes a value: every key and string, recursively, and numbers under phone-like keys. */
  tokenize<T>(value: T, key?: string): T {
    this.#reserveForeign(value);
    return this.#walk(value, key, 0, 0, { budget: { left: PHONE_CHECKS } }) as T;
  }

  tokenizeText(text: string, key?: string): string {
    this.#reserveForeign(text);
    return this.#text(text, key, 0, { budget: { left: PHONE_CHECKS } });
  }

  /** Tokens written anywhere in the input are reserved before any value in it is tokenized (order must not matter). */
  #reserveForeign(value: unknown): void {
    let text: string | undefined;
    try {
      text = typeof value === 'string' ? value : JSON.stringify(value);
    } catch {
      return;
    }
    if (text?.includes('[')) for (const m of text.matchAll(TOKEN_RE)) this.vault.seen(m[0]);
  }

  /** Replaces tokens this vault issued with their values, in keys and strings, inside JSON and base64 text too. */
  detokenize<T>(value: T): T {
    return this.#unwalk(value, 0, 0) as T;
  }

  detokenizeText(text: string): string {
    return this.#untext(text, 0);
  }

  #walk(value: unknown, key: string | undefined, depth: number, decode: number, pass: Pass): unknown {
    if (depth > MAX_DEPTH) throw unchecked(`a value nested deeper than ${MAX_DEPTH} levels`);
    if (typeof value === 'string') return this.#text(value, key, decode, pass);
    if (typeof value === 'number') return isPhoneKey(key) ? this.#phoneNumber(value, key, pass) : value;
    if (Array.isArray(value)) return value.map((v) => this.#walk(v, key, depth + 1, decode, pass));
    if (value === null || typeof value !== 'object') return value;
    const object = value as Record<string, unknown>;
    const carrier = carrierField(object);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(object)) {
      const next = k === carrier && typeof v === 'string' ? this.#binaryContent(v, decode, pass) : this.#walk(v, k, depth + 1, decode, pass);
      define(out, this.#text(k, undefined, decode, pass), next);
    }
    return out;
  }

  #phoneNumber(value: number, key: string | undefined, pass: Pass): unknown {
    if (!Number.isSafeInteger(value) || value < 0) return value;
    const text = String(value);
    const found = findPhones(text, key, this.#detectors.regions, pass.budget)[0];
    return found && found.start === 0 && found.end === text.length ? this.vault.issue('PHONE', found.canonical, value) : value;
  }

  /** Base64 that MCP marks as binary: text inside is tokenized and encoded back; real binary is refused. */
  #binaryContent(data: string, decode: number, pass: Pass): string {
    const decoded = decodeBase64(data);
    if (!decoded) return this.#text(data, undefined, decode, pass);
    const text = asText(decoded.bytes);
    if (text === undefined) {
      if (this.#binary === 'allow') return data;
      throw new SkillsError('EPIIBINARY', `a tool result holds ${decoded.bytes.length} bytes of binary content, which cannot be checked for personal data`, {
        hint: 'with privacy.tokenizePii on, binary content is refused; "privacy": { "binary": "allow" } in skills.json lets it through unchecked',
      });
    }
    const out = this.#text(text, undefined, decode + 1, pass);
    return out === text ? data : encodeBase64(Buffer.from(out, 'utf8'), decoded.form);
  }

  #text(text: string, key: string | undefined, decode: number, pass: Pass): string {
    if (text.length === 0) return text;
    if (text.length > CACHED_CHARS) return this.#textOnce(text, key, decode, pass);
    const id = `${decode}\0${key ?? ''}\0${text}`;
    const known = pass.seen?.get(id);
    if (known !== undefined) return known;
    const out = this.#textOnce(text, key, decode, pass);
    pass.seen ??= new Map();
    if (pass.seen.size < CACHED_STRINGS) pass.seen.set(id, out);
    return out;
  }

  #textOnce(text: string, key: string | undefined, decode: number, pass: Pass): string {
    if (/^\s*[[{"]/.test(text)) {
      const parsed = parseJson(text);
      if (parsed !== undefined) {
        if (decode >= MAX_DECODE) throw unchecked(`JSON nested in strings more than ${MAX_DECODE} levels deep`);
        const out = this.#walk(parsed.value, key, 0, decode + 1, pass);
        return sameJson(out, parsed.value) ? text : JSON.stringify(out, null, text.includes('\n') ? 2 : undefined);
      }
    }
    const spans = findPii(text, key, this.#detectors, pass.budget);
    const replaced = spans.length > 0 ? this.#replace(text, spans) : text;
    if (replaced.length < 8) return replaced;
    return replaced.replace(BASE64_RUN, (run) => {
      const decoded = decodeBase64(run);
      if (!decoded) return run;
      const inner = asText(decoded.bytes);
      if (inner === undefined) {
        this.#checkBinary(decoded.bytes, pass);
        return run;
      }
      if (decode >= MAX_DECODE) throw unchecked(`base64 nested more than ${MAX_DECODE} levels deep`);
      const out = this.#text(inner, undefined, decode + 1, pass);
      return out === inner ? run : encodeBase64(Buffer.from(out, 'utf8'), decoded.form);
    });
  }

  /** Binary inside a string (not marked as binary content): refused only when personal data shows in its bytes. */
  #checkBinary(bytes: Buffer, pass: Pass): void {
    if (this.#binary === 'allow') return;
    // Single-byte text, and UTF-16 (either byte order) when there are zero bytes.
    const views = [bytes.toString('latin1')];
    if (bytes.includes(0)) views.push(bytes.toString('utf16le'), bytes.subarray(1).toString('utf16le'));
    const found = views.flatMap((view) => findPii(view, undefined, this.#detectors, pass.budget).filter((s) => !s.keep));
    if (found.length > 0) {
      throw new SkillsError('EPIIBINARY', `a tool result holds base64 binary data with ${found[0]?.label === 'PHONE' ? 'a phone number' : 'personal data'} inside, which cannot be tokenized in place`, {
        hint: 'with privacy.tokenizePii on, such binary is refused; "privacy": { "binary": "allow" } in skills.json lets it through unchecked',
      });
    }
  }

  #replace(text: string, spans: readonly PiiSpan[]): string {
    let out = '';
    let at = 0;
    for (const span of spans) {
      out += text.slice(at, span.start);
      if (span.keep) {
        this.vault.seen(span.canonical);
        out += text.slice(span.start, span.end);
      } else {
        out += this.vault.issue(span.label, span.canonical, span.plain);
      }
      at = span.end;
    }
    return out + text.slice(at);
  }

  #unwalk(value: unknown, depth: number, decode: number): unknown {
    if (depth > MAX_DEPTH) return value;
    if (typeof value === 'string') {
      const whole = /^\[[A-Z][A-Z0-9_]*_[1-9]\d{0,8}\]$/.test(value) ? this.vault.valueOf(value) : undefined;
      return typeof whole === 'number' ? whole : this.#untext(value, decode);
    }
    if (Array.isArray(value)) return value.map((v) => this.#unwalk(v, depth + 1, decode));
    if (value === null || typeof value !== 'object') return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) define(out, this.#untext(k, decode), this.#unwalk(v, depth + 1, decode));
    return out;
  }

  #untext(text: string, decode: number): string {
    if (decode < MAX_DECODE && /^\s*[[{"]/.test(text)) {
      const parsed = parseJson(text);
      if (parsed !== undefined) {
        const out = this.#unwalk(parsed.value, 0, decode + 1);
        return sameJson(out, parsed.value) ? text : JSON.stringify(out, null, text.includes('\n') ? 2 : undefined);
      }
    }
    const replaced = text.replace(TOKEN_RE, (token) => {
      const value = this.vault.valueOf(token);
      return value === undefined ? token : String(value);
    });
    if (decode >= MAX_DECODE) return replaced;
    return replaced.replace(BASE64_RUN, (run) => {
      const decoded = decodeBase64(run);
      const inner = decoded ? asText(decoded.bytes) : undefined;
      if (!decoded || inner === undefined || !inner.includes('[')) return run;
      const out = this.#untext(inner, decode + 1);
      return out === inner ? run : encodeBase64(Buffer.from(out, 'utf8'), decoded.form);
    });
  }
}

/** The field of an MCP content block (or resource) that holds base64 binary, if any. */
function carrierField(object: Record<string, unknown>): string | undefined {
  if ((object.type === 'image' || object.type === 'audio') && typeof object.data === 'string') return 'data';
  if (typeof object.blob === 'string') return 'blob';
  return undefined;
}

/** Sets an own property (even `__proto__`); a key that tokenizes like an earlier one gets `#2`, `#3`, ... */
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  let name = key;
  for (let n = 2; Object.hasOwn(target, name); n++) name = `${key}#${n}`;
  Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
}

function parseJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
