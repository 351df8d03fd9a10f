/**
 * A registry's log lines captured in memory: the registry's own pino logger (createRegistryLogger,
 * redaction included) writing into an array, so a test sees exactly the JSON lines an operator's
 * file would hold. And the check any suite can run on them: no line holds a secret the suite used
 * (a token or any 16 characters of its secret, a session id, a cookie value).
 */
import { createRegistryLogger, type LogLevel } from '../registry-server/log';

export type LogEntry = Record<string, unknown>;

export interface LogCapture {
  /** The logger to give createApp or startRegistry. */
  logger: ReturnType<typeof createRegistryLogger>;
  /** Every line as written (with its newline). */
  lines: string[];
  /** Every line parsed, in order. */
  entries: LogEntry[];
  /** The secrets the suite used; remember() adds to them. */
  secrets: Set<string>;
  /** Adds values (tokens, session ids, cookie values) that no line may hold. */
  remember(...values: (string | undefined | null)[]): void;
  /** The lines holding any remembered secret (or one of `extra`), with which. */
  leaks(extra?: Iterable<string>): string[];
  /** Throws, naming the first lines, when leaks() finds any. */
  expectNoSecrets(extra?: Iterable<string>): void;
}

/** A registry token: its id is logged, its secret never. */
const TOKEN = /skr_[A-Za-z0-9]{16}_[A-Za-z0-9_-]{43}/g;
const TOKEN_PREFIX = 'skr_'.length + 16 + 1;
/** Any 16 characters of a secret in a line is a leak (96 bits: never there by chance). */
const WINDOW = 16;

/** Tokens anywhere in `text` (a URL, a form body, a JSON body). */
export function tokensIn(text: string): string[] {
  return [...text.matchAll(TOKEN)].map((m) => m[0]);
}

/** What of `secret` no line may hold: a token's secret part, else all of it. */
function secretPart(secret: string): string {
  return /^skr_[A-Za-z0-9]{16}_/.test(secret) ? secret.slice(TOKEN_PREFIX) : secret;
}

/** The lines of `lines` holding any WINDOW characters of a secret (or a short secret whole). */
export function secretLeaks(lines: readonly string[], secrets: Iterable<string>): string[] {
  const windows = new Map<string, string>();
  const whole: string[] = [];
  for (const secret of secrets) {
    const part = secretPart(secret);
    if (part.length < 8) continue;
    if (part.length < WINDOW) whole.push(part);
    for (let i = 0; i + WINDOW <= part.length; i++) windows.set(part.slice(i, i + WINDOW), secret);
  }
  const found: string[] = [];
  lines.forEach((line, n) => {
    let hit = whole.find((w) => line.includes(w));
    for (let i = 0; hit === undefined && i + WINDOW <= line.length; i++) hit = windows.get(line.slice(i, i + WINDOW));
    if (hit !== undefined) found.push(`line ${n + 1} holds part of ${hit.slice(0, 8)}...: ${line.trim().slice(0, 300)}`);
  });
  return found;
}

export function captureLogs(level: LogLevel = 'info'): LogCapture {
  const lines: string[] = [];
  const entries: LogEntry[] = [];
  const secrets = new Set<string>();
  const logger = createRegistryLogger({
    level,
    destination: {
      write(line: string) {
        lines.push(line);
        entries.push(JSON.parse(line) as LogEntry);
      },
    },
  });
  const leaks = (extra: Iterable<string> = []) => secretLeaks(lines, [...secrets, ...extra]);
  return {
    logger,
    lines,
    entries,
    secrets,
    remember(...values) {
      for (const value of values) if (value) secrets.add(value);
    },
    leaks,
    expectNoSecrets(extra) {
      const found = leaks(extra);
      if (found.length > 0) throw new Error(`${found.length} registry log line(s) hold a secret the tests used:\n${found.slice(0, 5).join('\n')}`);
    },
  };
}

/** The secrets in a request a test sends: its token, Authorization and Cookie values, tokens in the URL and body. */
export function secretsOfRequest(url: string, headers: Record<string, string>, body: unknown): string[] {
  const out = tokensIn(url);
  for (const [name, value] of Object.entries(headers)) {
    const header = name.toLowerCase();
    if (header === 'authorization') out.push(value.replace(/^\S+\s+/, ''));
    if (header === 'cookie') for (const pair of value.split(/;\s*/)) out.push(pair.slice(pair.indexOf('=') + 1));
  }
  if (typeof body === 'string') out.push(...tokensIn(body));
  else if (body !== undefined && !(body instanceof Uint8Array)) out.push(...tokensIn(JSON.stringify(body)));
  return out;
}

/** The secrets a response hands out: the values of its cookies, and tokens in a JSON body (read from a clone). */
export async function secretsOfResponse(res: Response): Promise<string[]> {
  const out = res.headers.getSetCookie().map((line) => {
    const pair = line.split(';')[0] ?? '';
    return pair.slice(pair.indexOf('=') + 1);
  });
  if (res.headers.get('content-type')?.startsWith('application/json')) out.push(...tokensIn(await res.clone().text()));
  return out;
}
