/**
 * `/sign-in` (the form, and signing in with a registry token) and `/sign-out`: same-origin form
 * posts with a CSRF token, failed sign-ins counted per address, a new session id each time.
 */
import { randomBytes } from 'node:crypto';
import type { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { isSkillsError, SkillsError } from '../../../schema/errors';
import { recordAdminAction } from '../../admin-log';
import { actorOf, clientAddress, type Ctx, type Env } from '../../context';
import { payloadTooLarge, readBody } from '../../request-body';
import { checkSameOrigin, csrfError } from '../csrf';
import type { WebDeps } from '../deps';
import { pageHeaders } from '../headers';
import { signInPage } from '../pages/lists';
import { safeNext } from '../safe-next';

const MAX_FORM_BYTES = 8 * 1024;
const ANON_ID_RE = /^[A-Za-z0-9_-]{43}$/;

export function signInRoutes(app: Hono<Env>, web: WebDeps): void {
  const { sessions, csrf, page, loadState, frame, respond, sessionCookie, anonCookie, cookieOptions } = web;
  const { auth, deps } = web.services;

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

  app.get('/sign-in', page, (c) => signInForm(c, safeNext(c.req.query('next'), new URL(c.req.url).origin), undefined, 200));

  app.post('/sign-in', page, async (c) => {
    sameOrigin(c);
    const form = await formBody(c);
    const anon = getCookie(c, anonCookie(c));
    if (anon === undefined || !ANON_ID_RE.test(anon) || !csrf.valid(`a:${anon}`, form.get('csrf') ?? undefined)) throw csrfError();
    const next = safeNext(form.get('next') ?? undefined, new URL(c.req.url).origin);
    const ip = clientAddress(c) ?? 'local';
    const limiter = web.services.authFailureLimiter;
    if (limiter.blocked(ip)) {
      c.header('Retry-After', String(limiter.retryAfterSeconds(ip)));
      return signInForm(c, next, 'Too many failed sign-ins from this address; try again shortly.', 429);
    }
    const token = (form.get('token') ?? '').trim();
    let caller;
    try {
      caller = await auth.authenticate(`Bearer ${token}`);
    } catch (error) {
      limiter.hit(ip);
      const message = isSkillsError(error) && error.code !== 'ETOKENINVALID' ? `${error.message}.` : 'That is not a valid token of this registry.';
      return signInForm(c, next, message, 401);
    }
    if (!caller) return signInForm(c, next, 'Paste a token to sign in.', 400);
    await sessions.destroy(getCookie(c, sessionCookie(c)));
    const signedIn = caller;
    const created = await sessions.create(caller, (tx) => recordAdminAction(tx, actorOf(c, signedIn), { action: 'web-sign-in', target: signedIn.user }));
    setCookie(c, sessionCookie(c), created.id, { ...cookieOptions(c), expires: created.expiresAt });
    deleteCookie(c, anonCookie(c), cookieOptions(c));
    c.set('caller', caller);
    pageHeaders(c, 'no-store');
    return c.redirect(next, 303);
  });

  app.post('/sign-out', page, async (c) => {
    sameOrigin(c);
    const form = await formBody(c);
    const { session, sessionId } = await loadState(c);
    if (session) {
      if (!csrf.valid(`s:${session.binding}`, form.get('csrf') ?? undefined)) throw csrfError();
      await sessions.destroy(sessionId);
    }
    deleteCookie(c, sessionCookie(c), cookieOptions(c));
    pageHeaders(c, 'no-store');
    return c.redirect('/', 303);
  });
}
