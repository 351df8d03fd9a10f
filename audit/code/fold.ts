/**
 * What the code analysers share: the abstract value an expression folds to (a constant string
 * when every part of it is known, with the places an unknown part sits marked), where its data
 * came from (a network read, a decode, a secret), and the findings a flow into a sink gives.
 *
 * The analysis is per file, flow-insensitive (a variable holds the join of everything assigned to
 * it) and bounded: strings are cut at MAX_STRING characters, the walk of a file at MAX_NODES.
 */
import type { Severity } from '../../schema/audit-report';

/** Where tainted data came from: its kind and the 1-based line of the read. */
export interface Source {
  kind: 'network' | 'decode' | 'secret' | 'home';
  line: number;
  what: string;
  /** A secret read from the environment: the variable's name. */
  envVar?: string;
}

/** A secret-named environment variable read on `line`. */
export function envSecret(name: string, line: number): Source {
  return { kind: 'secret', line, what: `the environment variable ${name}`, envVar: name };
}

/**
 * An abstract value. `str` is the folded text (unknown parts as UNKNOWN); `folded` says it was
 * built (concatenation, join, escapes, a decode) rather than written as one literal; `decoded`
 * that a base64/hex/rot13/char-code decode produced it.
 */
export interface Value {
  str?: string;
  num?: number;
  arr?: Value[];
  folded?: boolean;
  decoded?: boolean;
  sources: Source[];
  /** What the value is when it is a module or a function the analyser knows ("child_process", "eval"). */
  ref?: string;
  /** The ref was reached through a computed name (obfuscation). */
  hidden?: boolean;
  /** An object literal's known properties (a request's options: method, body, headers). */
  obj?: Map<string, Value>;
}

export const UNKNOWN = '\u2047';
export const MAX_STRING = 64 * 1024;

export const unknown = (): Value => ({ sources: [] });
export const lit = (str: string): Value => ({ str: str.slice(0, MAX_STRING), sources: [] });

export function merge(...values: Value[]): Source[] {
  const out: Source[] = [];
  for (const v of values) for (const s of v.sources) if (out.length < 8 && !out.some((o) => o.kind === s.kind && o.line === s.line)) out.push(s);
  return out;
}

/** The text of a value, unknown parts as UNKNOWN. */
export function textOf(v: Value): string {
  if (v.str !== undefined) return v.str;
  if (v.num !== undefined) return String(v.num);
  return UNKNOWN;
}

/**
 * The work one package's code analysis may do: steps (nodes evaluated, tokens read) and
 * characters of folded strings built. Past either, the analysis stops (BudgetExceeded) and the
 * file is reported as not fully analysed. Reset by `scanCode`'s caller for each package.
 */
export const budget = { steps: 0, chars: 0, exhausted: false };

export class BudgetExceeded extends Error {}

export function resetBudget(steps: number, chars: number): void {
  budget.steps = steps;
  budget.chars = chars;
  budget.exhausted = false;
}

export function spend(steps: number, chars = 0): void {
  budget.steps -= steps;
  budget.chars -= chars;
  if (budget.steps < 0 || budget.chars < 0) {
    budget.exhausted = true;
    throw new BudgetExceeded('the code analysis budget is spent');
  }
}

export function concat(...values: Value[]): Value {
  const str = values.map(textOf).join('').slice(0, MAX_STRING);
  spend(1, str.length);
  return { str, folded: true, decoded: values.some((v) => v.decoded), sources: merge(...values) };
}

export function decodeBase64(s: string): string | undefined {
  const clean = s.replace(/\s+/g, '');
  if (clean.length < 4 || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(clean)) return undefined;
  const text = Buffer.from(clean, clean.includes('-') || clean.includes('_') ? 'base64url' : 'base64').toString('latin1');
  return printable(text) ? text : undefined;
}

export function decodeHex(s: string): string | undefined {
  const clean = s.replace(/\s+/g, '');
  if (clean.length < 2 || clean.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(clean)) return undefined;
  const text = Buffer.from(clean, 'hex').toString('latin1');
  return printable(text) ? text : undefined;
}

export function rot13(s: string): string {
  return s.replace(/[a-zA-Z]/g, (c) => {
    const base = c <= 'Z' ? 65 : 97;
    return String.fromCharCode(((c.charCodeAt(0) - base + 13) % 26) + base);
  });
}

/** Mostly printable text (a decoded image is not a program). */
export function printable(text: string): boolean {
  if (text.length === 0) return false;
  let bad = 0;
  for (let i = 0; i < Math.min(text.length, 4096); i++) {
    const c = text.charCodeAt(i);
    if ((c < 32 && c !== 9 && c !== 10 && c !== 13) || c === 127) bad++;
  }
  return bad / Math.min(text.length, 4096) < 0.05;
}

/** Secret-looking names of environment variables. */
export const SECRET_ENV = /(?:KEY|TOKEN|SECRET|PASS(?:WORD|WD)?|PWD|AUTH|CRED|SESSION|COOKIE|PRIVATE|AWS_|GITHUB_|GH_|NPM_|OPENAI|ANTHROPIC|DATABASE_URL|DSN)/i;

/** A path that is a credential store (after folding: `~/.ssh/id_rsa`, `/home/x/.aws/credentials`, `.env`). */
export const CREDENTIAL_PATH = /(?:^|[\\/])\.ssh(?:[\\/](?!known_hosts|config\b|authorized_keys|[\w.-]+\.pub\b)|$)|\.aws[\\/]credentials|\.git-credentials|\.netrc|\.npmrc|\.pypirc|\.docker[\\/]config\.json|\.kube[\\/]config|(?:^|[\\/])\.env(?:\.[\w-]+)?$|\/etc\/shadow|\.config[\\/]gcloud|Login Data|cookies\.sqlite|logins\.json|key4\.db|\.gnupg/;

/** The home folder itself (an archive of it holds every secret). */
export const HOME_PATH = /^(?:~|\$HOME|\$\{HOME\}|\/home\/[^/]+|\/Users\/[^/]+|\/root)\/?$/;

/** A finding of a code analyser: its line, the line its data came from, and the words. */
export interface CodeFinding {
  rule: string;
  severity: Severity;
  line: number;
  source?: number;
  message: string;
  /** `code-exfiltration` of an environment variable: the variable's name. */
  envVar?: string;
}

/** `leak` sent over the network by `sink` on `line`: a high `code-exfiltration`. */
export function exfiltration(leak: Source, line: number, sink: string): CodeFinding {
  return { rule: 'code-exfiltration', severity: 'high', line, source: leak.line, message: `${leak.what} is sent over the network by ${sink}`, ...(leak.envVar === undefined ? {} : { envVar: leak.envVar }) };
}

/** The words for where data came from. */
export function describeSource(s: Source): string {
  return `${s.what} (line ${s.line})`;
}

/** A folded string shown in a message: short, on one line. */
export function shown(s: string): string {
  const one = s.replace(/\s+/g, ' ').replaceAll(UNKNOWN, '\u2026').trim();
  return one.length > 80 ? `${one.slice(0, 79)}\u2026` : one;
}

/** The first source of the most telling kind. */
export function pick(sources: readonly Source[], kinds: readonly Source['kind'][]): Source | undefined {
  for (const kind of kinds) {
    const s = sources.find((x) => x.kind === kind);
    if (s) return s;
  }
  return undefined;
}
