/**
 * PII tokenization for live runs: e-mail addresses, phone numbers and configured patterns in tool
 * results become stable tokens (`[EMAIL_1]`) before sandboxed code sees them, and tokens in the
 * arguments of later calls become the real values again on the way out. PII flows from tool to
 * tool without reaching the skill's output or the model. The map lives only in this object.
 */
export const DEFAULT_PII_PATTERNS: Readonly<Record<string, string>> = Object.freeze({
  EMAIL: String.raw`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}`,
  PHONE: String.raw`(?:\+\d{1,3}[\s.-]?)?\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}\b`,
});

const TOKEN_RE = /\[([A-Z][A-Z0-9_]*)_(\d+)\]/g;

export class PiiTokenizer {
  readonly #patterns: [string, RegExp][];
  readonly #tokenOf = new Map<string, string>();
  readonly #valueOf = new Map<string, string>();
  readonly #counters = new Map<string, number>();

  constructor(extra: Record<string, string> = {}) {
    this.#patterns = Object.entries({ ...DEFAULT_PII_PATTERNS, ...extra }).map(([label, source]) => [label, new RegExp(source, 'g')]);
  }

  get size(): number {
    return this.#valueOf.size;
  }

  tokenizeText(text: string): string {
    let out = text;
    for (const [label, re] of this.#patterns) {
      out = out.replace(re, (match) => {
        if (this.#valueOf.has(match)) return match;
        let token = this.#tokenOf.get(match);
        if (!token) {
          const n = (this.#counters.get(label) ?? 0) + 1;
          this.#counters.set(label, n);
          token = `[${label}_${n}]`;
          this.#tokenOf.set(match, token);
          this.#valueOf.set(token, match);
        }
        return token;
      });
    }
    return out;
  }

  detokenizeText(text: string): string {
    return text.replace(TOKEN_RE, (token) => this.#valueOf.get(token) ?? token);
  }

  tokenize<T>(value: T): T {
    return mapStrings(value, (s) => this.tokenizeText(s)) as T;
  }

  detokenize<T>(value: T): T {
    return mapStrings(value, (s) => this.detokenizeText(s)) as T;
  }
}

function mapStrings(value: unknown, fn: (s: string) => string): unknown {
  if (typeof value === 'string') return fn(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, fn));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = mapStrings(v, fn);
    return out;
  }
  return value;
}
