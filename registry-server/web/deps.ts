/**
 * What every route of the web catalog shares, made once per app: the browser's session and its
 * cookies, the page frame, answering with a page, the middleware that lets only browsers reach a
 * page route, what the caller may read, and the data behind the pages.
 */
import type { MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie } from 'hono/cookie';
import { SkillsError } from '../../schema/errors';
import type { Ctx, Env, Services } from '../context';
import { CatalogData } from './catalog';
import { Csrf } from './csrf';
import { pageHeaders, wantsHtml, type PageCaching } from './headers';
import type { Html } from './html';
import type { PageFrame } from './layout';
import { PackageFiles } from './package-files';
import { safeNext } from './safe-next';
import { WebSessions, type Session } from './sessions';

/** Largest unpacked version the catalog unpacks to show its files (anonymous GETs must stay cheap). */
export const MAX_BROWSE_BYTES = 16 * 1024 * 1024;

/** The address of a scope's page; a skill's pages are below it. */
export const SCOPE_ROUTE = '/:scope{@[a-z0-9]+(?:-[a-z0-9]+)*}';

export interface RequestState {
  session: Session | undefined;
  sessionId: string | undefined;
}

export interface CookieOptions {
  path: string;
  httpOnly: boolean;
  secure: boolean;
  sameSite: 'Strict';
}

export interface WebDeps {
  services: Services;
  sessions: WebSessions;
  csrf: Csrf;
  catalog: CatalogData;
  packages: PackageFiles;
  sessionCookie(c: Ctx): string;
  /** The pre-session cookie the sign-in form's CSRF token is bound to. */
  anonCookie(c: Ctx): string;
  cookieOptions(c: Ctx): CookieOptions;
  /** Who the browser is signed in as (read once per request). */
  /** The request's session, once loadState or the page middleware read it (else none). */
  state(c: Ctx): RequestState;
  /** Reads the request's session cookie and its row (once per request). */
  loadState(c: Ctx): Promise<RequestState>;
  frame(c: Ctx, query?: string): PageFrame;
  respond(c: Ctx, page: Html, status?: number, caching?: PageCaching): Response;
  /** Page routes answer browsers only, with the caller of the header or the session cookie. */
  page: MiddlewareHandler<Env>;
  /** The private scopes the caller may read. */
  readable(c: Ctx): Promise<ReadonlySet<string> | 'all'>;
  visibleScopes(c: Ctx): Promise<string[]>;
}

export function createWebDeps(services: Services): WebDeps {
  const { auth, store, deps } = services;
  const sessions = new WebSessions(deps.storage.db, deps.config.sessionHours);
  const csrf = new Csrf(deps.storage.db);
  const states = new WeakMap<Request, RequestState>();

  const https = (c: Ctx) => new URL(c.req.url).protocol === 'https:' || (deps.config.publicUrl ?? '').startsWith('https:');
  const sessionCookie = (c: Ctx) => (https(c) ? '__Host-skills_session' : 'skills_session');
  const anonCookie = (c: Ctx) => (https(c) ? '__Host-skills_csrf' : 'skills_csrf');
  const cookieOptions = (c: Ctx) => ({ path: '/', httpOnly: true, secure: https(c), sameSite: 'Strict' as const });

  function state(c: Ctx): RequestState {
    return states.get(c.req.raw) ?? { session: undefined, sessionId: undefined };
  }

  async function loadState(c: Ctx): Promise<RequestState> {
    const known = states.get(c.req.raw);
    if (known) return known;
    const sessionId = getCookie(c, sessionCookie(c));
    const session = await sessions.lookup(sessionId);
    const found = { session, sessionId: session ? sessionId : undefined };
    states.set(c.req.raw, found);
    return found;
  }

  function frame(c: Ctx, query = ''): PageFrame {
    const { session } = state(c);
    const caller = c.get('caller');
    return {
      caller,
      signOutCsrf: session ? csrf.token(`s:${session.binding}`) : undefined,
      path: safeNext(`${c.req.path}${new URL(c.req.url).search}`, new URL(c.req.url).origin),
      query,
    };
  }

  function respond(c: Ctx, page: Html, status = 200, caching?: PageCaching): Response {
    pageHeaders(c, caching ?? (c.get('caller') ? 'private' : 'revalidate'));
    return c.html(page.toString(), status as 200);
  }

  const page: MiddlewareHandler<Env> = async (c, next) => {
    // Caches must not hand a browser the JSON an API client got at the same address, or back.
    c.header('Vary', 'Accept');
    if (!wantsHtml(c)) throw new SkillsError('ENOTFOUND', 'no such route', { status: 404 });
    await csrf.ready();
    if (!c.get('caller')) {
      const { session } = await loadState(c);
      if (session) c.set('caller', session.caller);
      else if (getCookie(c, sessionCookie(c)) !== undefined) deleteCookie(c, sessionCookie(c), cookieOptions(c));
    }
    await next();
  };

  function readable(c: Ctx): Promise<ReadonlySet<string> | 'all'> {
    return auth.readablePrivateScopes(c.get('caller'));
  }

  async function visibleScopes(c: Ctx): Promise<string[]> {
    const r = await readable(c);
    return (await auth.listScopes()).filter((s) => !s.private || r === 'all' || r.has(s.name)).map((s) => s.name);
  }

  return {
    services,
    sessions,
    csrf,
    catalog: new CatalogData(deps.storage.db, deps.storage.search),
    packages: new PackageFiles(store, { ...deps.config.unpackLimits, maxUnpackedBytes: Math.min(deps.config.unpackLimits?.maxUnpackedBytes ?? MAX_BROWSE_BYTES, MAX_BROWSE_BYTES) }),
    sessionCookie,
    anonCookie,
    cookieOptions,
    state,
    loadState,
    frame,
    respond,
    page,
    readable,
    visibleScopes,
  };
}
