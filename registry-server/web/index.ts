/**
 * The web catalog, served by the registry process itself: pages rendered on the server for
 * people with a browser, at addresses they can type (`/`, `/search?q=csv`, `/@scope`,
 * `/@scope/name`, `/@scope/name/v/1.2.0`). A page route answers only a client that asks for HTML;
 * any other client gets the JSON API's own 404, so nothing an API client sees changes. Sessions
 * come from signing in with a token (sessions.ts); private scopes show only to their readers.
 */
import { randomBytes } from 'node:crypto';
import type { Hono, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import semver from 'semver';
import { isSkillsError, SkillsError } from '../../schema/errors';
import { answeredError } from '../error-response';
import { decodeUtf8, fixtureCaseName } from '../../schema/package';
import type { PackumentVersion } from '../../schema/registry';
import { SCOPE_RE, SERVER_NAME_RE } from '../../schema/names';
import { parseSkillMd } from '../../schema/skill-md';
import { TRUST_LEVELS, type TrustLevel } from '../../schema/trust';
import { notFound, origin, readableSkill, scopeNotFound, type Ctx, type Env, type Services } from '../context';
import { routeName, routeVersion } from '../names';
import { payloadTooLarge, readBody } from '../request-body';
import type { SkillRow } from '../skills-store';
import { ASSETS } from './assets';
import { rasterType } from './images';
import { CatalogData } from './catalog';
import { checkSameOrigin, Csrf, csrfError } from './csrf';
import { auditOf, provenanceOf, trustOf } from './extras';
import { IMAGE_CSP, isApiPath, pageHeaders, wantsHtml, type PageCaching } from './headers';
import { trusted, type Html } from './html';
import type { PageFrame } from './layout';
import { createMarkdownRenderer, MAX_MARKDOWN_CHARS } from './markdown';
import { PackageFiles, type FileMap } from './package-files';
import { homePage, notFoundPage, scopePage, searchPage, signInPage, type FilterValues } from './pages/lists';
import { filePage, filePath, rawPath, skillPage, type CaseCalls } from './pages/skill';
import { WebSessions, type Session } from './sessions';

export const PAGE_SIZE = 20;
const MAX_PAGE = 500;
/** Largest file the viewer shows (the start of longer text files is shown). */
export const MAX_VIEW_BYTES = 256 * 1024;
const MAX_FORM_BYTES = 8 * 1024;
const RECENT = 12;
const DEPENDENTS_SHOWN = 50;
const CACHED_RENDERS = 2000;
const ANON_ID_RE = /^[A-Za-z0-9_-]{43}$/;
/** Largest unpacked version the catalog unpacks to show its files (anonymous GETs must stay cheap). */
export const MAX_BROWSE_BYTES = 16 * 1024 * 1024;


export interface WebCatalog {
  /** The error page for a browser's request of a page (undefined: answer in JSON as before). */
  errorPage(c: Ctx, error: unknown): Response | undefined;
}

interface RequestState {
  session: Session | undefined;
  sessionId: string | undefined;
}

/** A bounded map that forgets its oldest entries. */
class Recent<V> {
  readonly #map = new Map<string, V>();
  constructor(private readonly max: number) {}
  get(key: string): V | undefined {
    return this.#map.get(key);
  }
  set(key: string, value: V): void {
    if (this.#map.size >= this.max) {
      const oldest = this.#map.keys().next().value;
      if (oldest !== undefined) this.#map.delete(oldest);
    }
    this.#map.set(key, value);
  }
}

/**
 * Where sign-in may send the browser afterwards: `next` parsed with the WHATWG URL parser against
 * this registry's own origin, accepted only when it is a path of that origin, and then only its
 * parsed pathname and search, re-serialised (never the raw value, never the fragment). A result a
 * browser could read as another host (`//host`, `/\host`, which `/.//host`, `/%2e//host`,
 * `/a/..//host` or a tab inside `//` normalise into) is refused as well, and re-parsed once more
 * to be sure it stays put. Anything refused becomes `/`; only the accepted value is ever rendered.
 */
export function safeNext(next: string | undefined, origin: string): string {
  if (next === undefined || next.length > 512 || !next.startsWith('/')) return '/';
  let url: URL;
  try {
    url = new URL(next, origin);
  } catch {
    return '/';
  }
  if (url.origin !== origin) return '/';
  const path = `${url.pathname}${url.search}`;
  if (!path.startsWith('/') || path.startsWith('//') || path.includes('\\')) return '/';
  try {
    const again = new URL(path, origin);
    if (again.origin !== origin || `${again.pathname}${again.search}` !== path) return '/';
  } catch {
    return '/';
  }
  return path;
}

function pageNumber(value: string | undefined): number {
  const n = Number(value ?? '1');
  return Number.isInteger(n) && n >= 1 ? Math.min(n, MAX_PAGE) : 1;
}

export function webCatalog(app: Hono<Env>, services: Services): WebCatalog {
  const { auth, store, downloads, deps } = services;
  const sessions = new WebSessions(deps.db);
  const csrf = new Csrf();
  const catalog = new CatalogData(deps.db);
  const render = createMarkdownRenderer();
  const packages = new PackageFiles(store, { ...deps.config.unpackLimits, maxUnpackedBytes: Math.min(deps.config.unpackLimits?.maxUnpackedBytes ?? MAX_BROWSE_BYTES, MAX_BROWSE_BYTES) });
  const readmes = new Recent<{ html: Html; cut: boolean }>(CACHED_RENDERS);
  const caseCalls = new Recent<CaseCalls>(CACHED_RENDERS);
  const states = new WeakMap<Request, RequestState>();

  const https = (c: Ctx) => new URL(c.req.url).protocol === 'https:' || (deps.config.publicUrl ?? '').startsWith('https:');
  const sessionCookie = (c: Ctx) => (https(c) ? '__Host-skills_session' : 'skills_session');
  const anonCookie = (c: Ctx) => (https(c) ? '__Host-skills_csrf' : 'skills_csrf');
  const cookieOptions = (c: Ctx) => ({ path: '/', httpOnly: true, secure: https(c), sameSite: 'Strict' as const });

  /** Who the browser is signed in as (read once per request). */
  function state(c: Ctx): RequestState {
    const known = states.get(c.req.raw);
    if (known) return known;
    const sessionId = getCookie(c, sessionCookie(c));
    const session = sessions.lookup(sessionId);
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

  /** Page routes answer browsers only, with the caller of the header or the session cookie. */
  const page: MiddlewareHandler<Env> = async (c, next) => {
    // Caches must not hand a browser the JSON an API client got at the same address, or back.
    c.header('Vary', 'Accept');
    if (!wantsHtml(c)) throw new SkillsError('ENOTFOUND', 'no such route', { status: 404 });
    if (!c.get('caller')) {
      const { session } = state(c);
      if (session) c.set('caller', session.caller);
      else if (getCookie(c, sessionCookie(c)) !== undefined) deleteCookie(c, sessionCookie(c), cookieOptions(c));
    }
    await next();
  };

  function readable(c: Ctx) {
    return auth.readablePrivateScopes(c.get('caller'));
  }

  function visibleScopes(c: Ctx): string[] {
    const r = readable(c);
    return auth
      .listScopes()
      .filter((s) => !s.private || r === 'all' || r.has(s.name))
      .map((s) => s.name);
  }

  async function readme(skill: SkillRow, doc: PackumentVersion, files: ReadonlySet<string>): Promise<{ html: Html; cut: boolean }> {
    const name = skill.name;
    const key = `${skill.id} ${doc.version}`;
    const cached = readmes.get(key);
    if (cached) return cached;
    const body = parseSkillMd(doc.skillMd).body;
    const images = new Set<string>();
    // Only a body that names a package image needs the package unpacked.
    if (/!\[/.test(body)) {
      const unpacked = await packages.get(skill, doc.version).catch(() => undefined);
      for (const [path, bytes] of unpacked ?? []) if (rasterType(bytes)) images.add(path);
    }
    const out = {
      html: trusted(
        render(body, {
          files,
          images,
          fileUrl: (path) => filePath(name, doc.version, path),
          imageUrl: (path) => rawPath(name, doc.version, path),
        }),
      ),
      cut: body.length > MAX_MARKDOWN_CHARS,
    };
    readmes.set(key, out);
    return out;
  }

  /** The MCP calls each case's fixture records (what a passing case made), in order of first use. */
  async function callsOf(skill: SkillRow, doc: PackumentVersion): Promise<CaseCalls | undefined> {
    if (doc.verification.cases.length === 0) return new Map();
    const key = `${skill.id} ${doc.version}`;
    const cached = caseCalls.get(key);
    if (cached) return cached;
    let files: FileMap | undefined;
    try {
      files = await packages.get(skill, doc.version);
    } catch {
      return undefined;
    }
    if (!files) return undefined;
    const out = new Map<string, { call: string; times: number }[]>();
    for (const [path, bytes] of files) {
      const name = fixtureCaseName(path);
      if (name === undefined) continue;
      try {
        const fixture = JSON.parse(decodeUtf8(bytes) ?? 'null') as { mcp?: { server?: unknown; tool?: unknown }[] } | null;
        const counted = new Map<string, number>();
        for (const call of Array.isArray(fixture?.mcp) ? fixture.mcp : []) {
          const label = `${String(call?.server).slice(0, 64)}.${String(call?.tool).slice(0, 64)}`;
          counted.set(label, (counted.get(label) ?? 0) + 1);
          if (counted.size >= 50) break;
        }
        out.set(name, [...counted].map(([call, times]) => ({ call, times })));
      } catch {
        // A fixture the registry verified is JSON; anything else just shows no calls.
      }
    }
    caseCalls.set(key, out);
    return out;
  }

  async function skillResponse(c: Ctx, versionParam: string | undefined): Promise<Response> {
    const name = routeName(c);
    const { skill, scope } = readableSkill(c, name);
    const distTags = store.distTags(skill.id);
    const versions = catalog.versions(skill.id);
    const latest = distTags.latest ?? semver.rsort(versions.map((v) => v.version))[0];
    const chosen = versionParam ?? latest;
    const doc = chosen === undefined ? undefined : store.version(skill, chosen, origin(c));
    if (!doc) throw notFound(`${name}@${chosen ?? 'latest'}`);
    const files = catalog.files(skill.id, doc.version) ?? [];
    const { html: readmeHtml, cut } = await readme(skill, doc, new Set(files.map((f) => f.path)));
    const page = skillPage(frame(c), {
      name,
      scope: scope.name,
      isPrivate: scope.private === 1,
      doc,
      isLatestPage: versionParam === undefined,
      latest,
      versions,
      distTags,
      readme: readmeHtml,
      readmeCut: cut,
      files,
      calls: await callsOf(skill, doc),
      dependents: catalog.dependents(name, readable(c), DEPENDENTS_SHOWN),
      downloads: downloads.stats(skill.id),
      trust: trustOf(doc) ?? versions.find((v) => v.version === doc.version)?.trust,
      provenance: provenanceOf(doc),
      audit: auditOf(doc, services.audits.report(skill.id, doc.version)),
    });
    return respond(c, page);
  }

  /** One file of a version, found in its unpacked tarball. */
  async function packageFile(c: Ctx): Promise<{ name: string; version: string; path: string; bytes: Uint8Array; isPrivate: boolean }> {
    const name = routeName(c);
    const version = routeVersion(c);
    const path = c.req.param('path') ?? '';
    const { skill, scope } = readableSkill(c, name);
    let files: FileMap | undefined;
    try {
      files = await packages.get(skill, version);
    } catch {
      throw new SkillsError('EBROWSELIMIT', `${name}@${version} unpacks to more than ${MAX_BROWSE_BYTES / 1024 / 1024} MiB, too large to browse here; download its tarball`, { status: 413 });
    }
    const bytes = files?.get(path);
    if (!files) throw notFound(`${name}@${version}`);
    if (!bytes) throw notFound(`${path.slice(0, 200)} in ${name}@${version}`);
    return { name, version, path, bytes, isPrivate: scope.private === 1 };
  }

  async function formBody(c: Ctx): Promise<URLSearchParams> {
    const type = (c.req.header('Content-Type') ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/x-www-form-urlencoded') throw new SkillsError('EBODY', 'send the form as application/x-www-form-urlencoded', { status: 415 });
    const bytes = await readBody(c, MAX_FORM_BYTES, () => payloadTooLarge(c, MAX_FORM_BYTES, 'the form'));
    return new URLSearchParams(Buffer.from(bytes).toString('utf8'));
  }

  function sameOrigin(c: Ctx): void {
    const origins = [new URL(c.req.url).origin];
    const configured = deps.config.publicUrl;
    if (configured) origins.push(new URL(configured).origin);
    checkSameOrigin(origins, { origin: c.req.header('Origin'), fetchSite: c.req.header('Sec-Fetch-Site') });
  }

  function signInForm(c: Ctx, next: string, error: string | undefined, status: number): Response {
    let anon = getCookie(c, anonCookie(c));
    if (anon === undefined || !ANON_ID_RE.test(anon)) {
      anon = randomBytes(32).toString('base64url');
      setCookie(c, anonCookie(c), anon, { ...cookieOptions(c), maxAge: 3600 });
    }
    return respond(c, signInPage(frame(c), { csrf: csrf.token(`a:${anon}`), next, error }), status, 'no-store');
  }

  for (const asset of ASSETS) {
    app.get(asset.path, (c) => {
      c.header('X-Content-Type-Options', 'nosniff');
      c.header('Cache-Control', 'public, max-age=31536000, immutable');
      return c.body(asset.body, 200, { 'Content-Type': asset.type });
    });
  }

  app.get('/', page, (c) => {
    const r = readable(c);
    return respond(
      c,
      homePage(frame(c), {
        count: catalog.skillCount(r),
        recent: catalog.recent(r, RECENT),
        choices: { scopes: visibleScopes(c), servers: catalog.publicServers() },
      }),
    );
  });

  app.get('/search', page, (c) => {
    const query = (c.req.query('q') ?? '').slice(0, 256);
    const scope = c.req.query('scope') || undefined;
    const server = c.req.query('server') || undefined;
    const trustParam = c.req.query('trust') || undefined;
    const values: FilterValues = {
      query,
      scope: scope !== undefined && SCOPE_RE.test(scope) ? scope : undefined,
      server: server !== undefined && SERVER_NAME_RE.test(server) ? server : undefined,
      trust: (TRUST_LEVELS as readonly string[]).includes(trustParam ?? '') ? (trustParam as TrustLevel) : undefined,
    };
    const page = pageNumber(c.req.query('page'));
    const found = catalog.search({ ...values, limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE, readable: readable(c) });
    const params = new URLSearchParams();
    if (values.query) params.set('q', values.query);
    if (values.scope) params.set('scope', values.scope);
    if (values.server) params.set('server', values.server);
    if (values.trust) params.set('trust', values.trust);
    return respond(
      c,
      searchPage(frame(c, values.query), {
        values,
        choices: { scopes: visibleScopes(c), servers: catalog.publicServers() },
        total: found.total,
        results: found.results,
        page,
        pageSize: PAGE_SIZE,
        params,
      }),
    );
  });

  app.get('/sign-in', page, (c) => signInForm(c, safeNext(c.req.query('next'), new URL(c.req.url).origin), undefined, 200));

  app.post('/sign-in', page, async (c) => {
    sameOrigin(c);
    const form = await formBody(c);
    const anon = getCookie(c, anonCookie(c));
    if (anon === undefined || !ANON_ID_RE.test(anon) || !csrf.valid(`a:${anon}`, form.get('csrf') ?? undefined)) throw csrfError();
    const next = safeNext(form.get('next') ?? undefined, new URL(c.req.url).origin);
    const ip = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress ?? 'local';
    const limiter = services.authFailureLimiter;
    if (limiter.blocked(ip)) {
      c.header('Retry-After', String(limiter.retryAfterSeconds(ip)));
      return signInForm(c, next, 'Too many failed sign-ins from this address; try again shortly.', 429);
    }
    const token = (form.get('token') ?? '').trim();
    let caller;
    try {
      caller = auth.authenticate(`Bearer ${token}`);
    } catch (error) {
      limiter.hit(ip);
      const message = isSkillsError(error) && error.code !== 'ETOKENINVALID' ? `${error.message}.` : 'That is not a valid token of this registry.';
      return signInForm(c, next, message, 401);
    }
    if (!caller) return signInForm(c, next, 'Paste a token to sign in.', 400);
    sessions.destroy(getCookie(c, sessionCookie(c)));
    const created = sessions.create(caller);
    store.audit({ userId: caller.userId, tokenId: caller.tokenId, action: 'web-sign-in', target: caller.user });
    setCookie(c, sessionCookie(c), created.id, { ...cookieOptions(c), expires: created.expiresAt });
    deleteCookie(c, anonCookie(c), cookieOptions(c));
    c.set('caller', caller);
    pageHeaders(c, 'no-store');
    return c.redirect(next, 303);
  });

  app.post('/sign-out', page, async (c) => {
    sameOrigin(c);
    const form = await formBody(c);
    const { session, sessionId } = state(c);
    if (session) {
      if (!csrf.valid(`s:${session.binding}`, form.get('csrf') ?? undefined)) throw csrfError();
      sessions.destroy(sessionId);
    }
    deleteCookie(c, sessionCookie(c), cookieOptions(c));
    pageHeaders(c, 'no-store');
    return c.redirect('/', 303);
  });

  const SCOPE = '/:scope{@[a-z0-9]+(?:-[a-z0-9]+)*}';

  app.get(SCOPE, page, (c) => {
    const name = c.req.param('scope');
    const scope = auth.scope(name);
    if (!scope || !auth.canRead(c.get('caller'), scope)) throw scopeNotFound(name);
    const pageNo = pageNumber(c.req.query('page'));
    const found = catalog.scopeSkills(scope.id, scope.private === 1, PAGE_SIZE, (pageNo - 1) * PAGE_SIZE);
    return respond(c, scopePage(frame(c), { scope: name, isPrivate: scope.private === 1, team: catalog.team(scope.team_id), total: found.total, results: found.results, page: pageNo, pageSize: PAGE_SIZE }));
  });

  app.get(`${SCOPE}/:name`, page, (c) => skillResponse(c, undefined));
  app.get(`${SCOPE}/:name/v/:version`, page, (c) => skillResponse(c, routeVersion(c)));

  app.get(`${SCOPE}/:name/v/:version/files/:path{.+}`, page, async (c) => {
    const file = await packageFile(c);
    const { bytes } = file;
    const head = bytes.subarray(0, Math.min(bytes.byteLength, 8192));
    const raster = rasterType(bytes);
    let text: string | undefined;
    let cut = false;
    if (!raster && !head.includes(0)) {
      cut = bytes.byteLength > MAX_VIEW_BYTES;
      const shown = cut ? new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, MAX_VIEW_BYTES)).replace(/\uFFFD+$/, '') : decodeUtf8(bytes);
      text = shown;
    }
    const image = raster ? rawPath(file.name, file.version, file.path) : undefined;
    return respond(c, filePage(frame(c), { name: file.name, version: file.version, path: file.path, size: bytes.byteLength, text, image, cut }));
  });

  // Package images for SKILL.md and the file viewer: raster formats only, recognised by their bytes.
  app.get(`${SCOPE}/:name/v/:version/raw/:path{.+}`, async (c) => {
    if (!c.get('caller')) {
      const { session } = state(c);
      if (session) c.set('caller', session.caller);
    }
    const file = await packageFile(c);
    const raster = rasterType(file.bytes);
    if (!raster) throw notFound(`an image at ${file.path.slice(0, 200)}`);
    c.header('Content-Security-Policy', IMAGE_CSP);
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Cross-Origin-Resource-Policy', 'same-origin');
    c.header('Cache-Control', file.isPrivate ? 'private, max-age=31536000, immutable' : 'public, max-age=31536000, immutable');
    if (file.isPrivate) c.header('Vary', 'Cookie');
    return c.body(new Uint8Array(file.bytes), 200, { 'Content-Type': raster });
  });

  return {
    errorPage(c, error) {
      if (!wantsHtml(c) || isApiPath(c.req.path)) return undefined;
      if (!c.get('caller')) {
        try {
          const { session } = state(c);
          if (session) c.set('caller', session.caller);
        } catch {
          // The error page never fails on account of the session.
        }
      }
      const status = answeredError(error).status;
      let message = 'The registry failed to show this page.';
      if (isSkillsError(error)) {
        if (status === 404) message = error.code === 'ENOTFOUND' && error.message === 'no such route' ? 'There is no page at this address.' : `${error.message.charAt(0).toUpperCase()}${error.message.slice(1)}.`;
        else message = error.message;
      }
      const shown = status >= 400 && status < 600 ? status : 500;
      return respond(c, notFoundPage(frame(c), shown, message), shown, c.get('caller') ? 'private' : 'no-store');
    },
  };
}
