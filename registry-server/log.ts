/**
 * The registry's logger: pino, one instance per process, passed to createApp (tests and benches
 * pass their own, or none). Lines are JSON, one object a line, or pino-pretty's text for a person
 * at a terminal, rendered in this process: no transport worker thread. What a request line holds
 * is decided in request-log.ts from an allow-list of fields; `redact` here is a second guard, for
 * header-shaped fields no code of the registry logs.
 */
import fs from 'node:fs';
import { isatty } from 'node:tty';
import pino, { type DestinationStream } from 'pino';
import { maskSecrets } from '../schema/errors';

export const LOG_LEVELS = ['info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
export type LogFields = Record<string, unknown>;

/** What the registry logs through: a pino logger satisfies it; a test may pass its own. */
export interface Logger {
  info(fields: LogFields, message?: string): void;
  warn(fields: LogFields, message?: string): void;
  error(fields: LogFields, message?: string): void;
  isLevelEnabled(level: 'info' | 'warn' | 'error'): boolean;
}

/** The logger of an app given none: writes nothing. */
export const SILENT_LOGGER: Logger = {
  info() {},
  warn() {},
  error() {},
  isLevelEnabled: () => false,
};

/**
 * Paths pino censors whatever code logs them. Request lines never carry headers, cookies or bodies
 * (request-log.ts builds them field by field); this catches a future `log.info({ headers })`.
 */
export const REDACTED_PATHS: readonly string[] = [
  'authorization',
  'cookie',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  '*.authorization',
  '*.cookie',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["set-cookie"]',
];

export const REDACTED = '[redacted]';

/**
 * A pino logger writing JSON lines to `destination`: ISO time, the level as a word (`"info"`), the
 * process id and host name on every line, and REDACTED_PATHS censored.
 */
export function createRegistryLogger(options: { level: LogLevel; destination: DestinationStream }): pino.Logger {
  return pino(
    {
      level: options.level,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: [...REDACTED_PATHS], censor: REDACTED },
    },
    options.destination,
  );
}

/**
 * 24 or more letters, digits, `-` and `_` mixing upper and lower case: the shape of a token's
 * secret, a session id or a CSRF token (base64url), never of a registry name (names are lower
 * case) or a digest (hex).
 */
const OPAQUE_RUN = /[A-Za-z0-9_-]{24,}/g;

function maskOpaque(text: string): string {
  return text.replace(OPAQUE_RUN, (run) => (/[A-Z]/.test(run) && /[a-z]/.test(run) ? '***' : run));
}

/** `text` with registry tokens, URL passwords and anything shaped like a secret replaced by `***`. */
export function maskLogText(text: string): string {
  return maskOpaque(maskSecrets(text));
}

const MAX_ERROR_MESSAGE = 1000;
const MAX_FRAMES = 20;

/**
 * An error as a log line holds it: its name, a code when it is one (`SQLITE_IOERR`), its message
 * masked (maskLogText) and bounded, and the stack's frames (code locations) masked. Never its
 * other properties or its cause, which may hold anything (a query's values, a connection string).
 */
export function errorFields(error: unknown): LogFields {
  if (!(error instanceof Error)) return { type: typeof error, message: maskLogText(String(error).slice(0, MAX_ERROR_MESSAGE)) };
  const type = /^[A-Za-z0-9_$.]{1,64}$/.test(error.name) ? error.name : 'Error';
  const code = (error as { code?: unknown }).code;
  const message = maskLogText(error.message.slice(0, MAX_ERROR_MESSAGE));
  const frames = (error.stack ?? '')
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .slice(0, MAX_FRAMES)
    .map((line) => maskSecrets(line.slice(0, 300)));
  return { type, ...(typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code) ? { code } : {}), message, stack: [`${type}: ${message}`, ...frames].join('\n') };
}

/** An error line for `error`, with the id of the request it happened in, if any. */
export function logError(log: Logger, message: string, error: unknown, requestId?: string): void {
  if (!log.isLevelEnabled('error')) return;
  log.error({ ...(requestId === undefined ? {} : { reqId: requestId }), error: errorFields(error) }, maskLogText(message));
}

/** Where log lines go: stderr, stdout, or a file (appended, created with mode 0600). */
export type LogTarget = 'stderr' | 'stdout' | { file: string };

export interface LogOutputOptions {
  target: LogTarget;
  format: LogFormat;
  level: LogLevel;
  /** Hears of a file that cannot be opened or a failed write (a full disk); logging then stops. */
  onError?: (error: Error) => void;
}

export interface LogOutput {
  logger: pino.Logger;
  /** Whether lines are rendered for a person (pino-pretty) rather than JSON. */
  pretty: boolean;
  /** Opens the target (creates the file); lines logged before wait in memory (at most MAX_PENDING). */
  open(): void;
  /** Writes what is still buffered, then closes a file (stdout and stderr stay open). */
  close(): Promise<void>;
}

/** Lines kept while the target is not open yet (the registry logs nothing before it serves). */
const MAX_PENDING = 1000;

/** `auto` is pretty on a terminal and JSON anywhere else (a file, a pipe, a log shipper). */
export function prettyFor(format: LogFormat, isTerminal: boolean): boolean {
  return format === 'pretty' || (format === 'auto' && isTerminal);
}

/** How pino-pretty shows a request line: one line a request, its fields in a fixed order. */
function prettyMessage(line: Record<string, unknown>, messageKey: string): string {
  const id = typeof line.reqId === 'string' ? ` [${line.reqId}]` : '';
  if (typeof line.method !== 'string') return `${String(line[messageKey] ?? '')}${id}`;
  const who = typeof line.user === 'string' ? ` ${line.user} (token ${String(line.token)})` : '';
  const code = typeof line.code === 'string' ? ` ${line.code}` : '';
  return `${line.method} ${String(line.path)} ${String(line.status)}${code} ${String(line.ms)} ms ${line.bytes === null ? '-' : String(line.bytes)} B${who} ${String(line.ip ?? '-')}${id}`;
}

/** Fields prettyMessage already shows, left out of pino-pretty's list of the rest. */
const SHOWN_IN_MESSAGE = 'pid,hostname,reqId,method,route,path,status,code,ms,bytes,user,token,ip';

/**
 * The registry's logger on `target`, through pino's own asynchronous writer (sonic-boom, in this
 * thread): JSON, or pretty text when `format` asks for it or is `auto` and the target is a
 * terminal (a file never counts as one). open() creates the file, so a registry that fails to
 * start leaves none behind; close() flushes.
 */
export async function createLogOutput(options: LogOutputOptions): Promise<LogOutput> {
  const { target } = options;
  const stdFd = target === 'stderr' ? 2 : target === 'stdout' ? 1 : undefined;
  const terminal = stdFd !== undefined && isatty(stdFd);
  const pretty = prettyFor(options.format, terminal);
  let sink: ReturnType<typeof pino.destination> | undefined;
  const pending: string[] = [];
  // After a failed open or write, and once closing, lines are dropped (a closed sink throws).
  let stopped = false;
  const stop = (error: Error) => {
    if (stopped) return;
    stopped = true;
    options.onError?.(error);
  };
  const write = (text: string) => {
    if (stopped) return;
    if (sink) sink.write(text);
    else if (pending.length < MAX_PENDING) pending.push(text);
  };
  let destination: DestinationStream = { write };
  if (pretty) {
    const { prettyFactory } = await import('pino-pretty');
    const render = prettyFactory({ colorize: terminal && !process.env.NO_COLOR, translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l', ignore: SHOWN_IN_MESSAGE, messageFormat: prettyMessage });
    destination = { write: (line: string) => write(render(line)) };
  }
  const logger = createRegistryLogger({ level: options.level, destination });
  let closing: Promise<void> | undefined;
  return {
    logger,
    pretty,
    open() {
      if (sink || stopped) return;
      let fd: number;
      try {
        fd = stdFd ?? fs.openSync((target as { file: string }).file, 'a', 0o600);
      } catch (error) {
        stop(error as Error);
        return;
      }
      const opened = pino.destination({ dest: fd, sync: false });
      opened.on('error', stop);
      sink = opened;
      for (const text of pending.splice(0)) opened.write(text);
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        const failed = stopped;
        stopped = true;
        const open = sink;
        if (!open) return resolve();
        open.once('close', () => resolve());
        open.once('error', () => resolve());
        // end() writes what is buffered and closes a file; it leaves descriptors 1 and 2 open. A
        // sink that failed is closed without writing again.
        if (failed) open.destroy();
        else open.end();
      });
      return closing;
    },
  };
}
