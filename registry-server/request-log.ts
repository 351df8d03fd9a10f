/**
 * One log line per request, and the request id. The line is built field by field from an
 * allow-list (no header, cookie, query string or body is ever copied into it): the id, method,
 * route pattern, path (secrets masked, bounded), status, error code, duration, bytes, the caller's
 * user and token id (never the token), and the client address. Every response carries the id in
 * `X-Request-Id`, and JSON errors in `error.requestId`; server errors log an error line with it.
 */
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { clientAddress, type Ctx, type Env } from './context';
import { maskLogText, type LogFields, type Logger } from './log';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/**
 * A request id a client or proxy sends is kept when it is 8 to 36 letters, digits, `-` or `_` (a
 * UUID, nginx's `$request_id`, a ULID, the registry's own). Anything else is replaced. 36 is below
 * the length of a token's secret (43) or a session id (43), so neither can be logged through it.
 */
export const INCOMING_REQUEST_ID = /^[A-Za-z0-9_-]{8,36}$/;

const ID_BYTES = 12;
let pool = Buffer.alloc(0);
let offset = 0;

/** 16 random URL-safe characters (96 bits), from a pool filled 256 ids at a time. */
export function newRequestId(): string {
  if (offset + ID_BYTES > pool.length) {
    pool = randomBytes(ID_BYTES * 256);
    offset = 0;
  }
  const id = pool.toString('base64url', offset, offset + ID_BYTES);
  offset += ID_BYTES;
  return id;
}

/** The id of a request: the client's when it passes INCOMING_REQUEST_ID, else a new one. */
export function requestIdOf(incoming: string | undefined): string {
  return incoming !== undefined && INCOMING_REQUEST_ID.test(incoming) ? incoming : newRequestId();
}

/** The longest path a line holds (longer ones end in `...`). */
export const MAX_LOGGED_PATH = 200;
/** Characters of a path examined at all: masking stays linear in a bounded text. */
const MAX_EXAMINED_PATH = 1024;

const CONTROL = /[\u0000-\u001f\u007f]/g;

/** A request path as a line holds it: secrets masked, control characters escaped, bounded. */
export function shownPath(path: string): string {
  const examined = path.length > MAX_EXAMINED_PATH ? path.slice(0, MAX_EXAMINED_PATH) : path;
  const masked = maskLogText(examined).replace(CONTROL, (ch) => `%${ch.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`);
  return masked.length > MAX_LOGGED_PATH || examined !== path ? `${masked.slice(0, MAX_LOGGED_PATH)}...` : masked;
}

function shownMethod(method: string): string {
  return /^[A-Z]{1,16}$/.test(method) ? method : 'OTHER';
}

const isMiddleware = (path: string) => path === '*' || path === '/*';

/**
 * The route pattern that answered (`/v1/tokens/:id`): the handler that ran last, or when a
 * middleware answered (a refused token, a body over the limit) the most specific route the path
 * matched; null when it matched none (404).
 */
export function routeOf(c: Ctx): string | null {
  const routes = matchedRoutes(c);
  const answered = routes[c.req.routeIndex];
  if (answered && !isMiddleware(answered.path)) return answered.path;
  for (let i = routes.length - 1; i >= 0; i--) {
    const path = routes[i]?.path;
    if (path !== undefined && !isMiddleware(path)) return path;
  }
  return null;
}

/**
 * Sets a header on the response a handler already made. Hono's `c.header()` at this point copies
 * the response around its body stream, which takes @hono/node-server off its fast path for bodies
 * it holds whole (a cached packument or tarball), and that copy cost more than the rest of such a
 * GET together. A response whose headers cannot change (one made by fetch) still goes through
 * `c.header()`.
 */
function setAnswered(c: Ctx, name: string, value: string): void {
  try {
    c.res.headers.set(name, value);
  } catch {
    c.header(name, value);
  }
}

interface RequestLine extends LogFields {
  reqId: string;
  method: string;
  route: string | null;
  path: string;
  status: number;
  code?: string;
  ms: number;
  bytes: number | null;
  user: string | null;
  token: string | null;
  ip: string | null;
  aborted?: true;
}

/**
 * The first middleware: gives the request its id, puts it on the response, and logs the line once
 * the response is sent (on a port: its duration to the last byte and the bytes written to the
 * connection, headers included) or at once in process (bytes: the Content-Length, when set).
 */
export function requestLog(log: Logger): MiddlewareHandler<Env> {
  return async (c, next) => {
    const started = performance.now();
    const id = requestIdOf(c.req.header(REQUEST_ID_HEADER));
    c.set('requestId', id);
    const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
    const socket = outgoing?.socket ?? undefined;
    const sentBefore = socket?.bytesWritten ?? 0;
    await next();
    setAnswered(c, REQUEST_ID_HEADER, id);
    const status = c.res.status;
    const level = status >= 500 ? 'error' : 'info';
    if (!log.isLevelEnabled(level)) return;
    const caller = c.get('caller');
    const code = c.get('errorCode');
    const line: RequestLine = {
      reqId: id,
      method: shownMethod(c.req.method),
      route: routeOf(c),
      path: shownPath(c.req.path),
      status,
      ...(code === undefined ? {} : { code }),
      ms: 0,
      bytes: null,
      user: caller?.user ?? null,
      token: caller?.tokenId ?? null,
      ip: clientAddress(c) ?? null,
    };
    const write = () => {
      line.ms = Math.round((performance.now() - started) * 10) / 10;
      log[level](line);
    };
    if (outgoing && socket) {
      outgoing.once('close', () => {
        line.bytes = socket.bytesWritten - sentBefore;
        if (!outgoing.writableFinished) line.aborted = true;
        write();
      });
      return;
    }
    const length = c.res.headers.get('content-length');
    line.bytes = length === null ? null : Number(length);
    write();
  };
}
