/**
 * The web catalog over plain HTTP (no browser): security headers, the JSON API left as it was,
 * sign-in sessions (cookie attributes, hashed rows, expiry, revocation with the token), CSRF on
 * every form, open redirects, and download counts (batched, exact on pages, in the packument).
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERRORS } from '../schema/error-catalog';
import type { RegistryApp } from '../registry-server/app';
import { ASSETS, SCRIPT_ASSET, STYLE_ASSET } from '../registry-server/web/assets';
import { dumpDb } from '../testkit/db-dump';
import { createTestRegistry, echoSkill, tarballOf, type TestRegistry } from '../testkit/registry';

let r: TestRegistry;
const HTML = { Accept: 'text/html,application/xhtml+xml' };

beforeAll(async () => {
  r = await createTestRegistry({ authFailuresPerMinute: 1000 });
  for (const [name, version] of [
    ['@acme/hello', '1.0.0'],
    ['@acme/hello', '1.1.0'],
    ['@secret/hidden', '1.0.0'],
  ] as const) {
    const res = await r.request('PUT', `/v1/skills/${name}`, { token: r.alice, body: await tarballOf(echoSkill(name, version)) });
    if (res.status !== 201) throw new Error(await res.text());
  }
}, 60_000);

afterAll(async () => {
  await r.close();
});

function cookiesOf(res: Response): Map<string, { value: string; attributes: string[] }> {
  const out = new Map<string, { value: string; attributes: string[] }>();
  for (const line of res.headers.getSetCookie()) {
    const [pair = '', ...attributes] = line.split(/;\s*/);
    const eq = pair.indexOf('=');
    out.set(pair.slice(0, eq), { value: pair.slice(eq + 1), attributes });
  }
  return out;
}

/** Signs in through the form like a browser: GET the form, POST it with its CSRF token and cookie. */
async function signIn(token: string, app: TestRegistry = r): Promise<{ session: string; res: Response }> {
  const form = await app.request('GET', '/sign-in?next=/@secret', { headers: HTML });
  const anon = cookiesOf(form).get('skills_csrf')?.value ?? '';
  const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
  const res = await app.request('POST', '/sign-in', {
    headers: { ...HTML, 'Content-Type': 'application/x-www-form-urlencoded', Cookie: `skills_csrf=${anon}`, Origin: 'http://localhost' },
    body: new URLSearchParams({ csrf, next: '/@secret', token }).toString(),
  });
  return { session: cookiesOf(res).get('skills_session')?.value ?? '', res };
}

function page(path: string, session?: string, extra: Record<string, string> = {}): Promise<Response> {
  return r.request('GET', path, { headers: { ...HTML, ...(session ? { Cookie: `skills_session=${session}` } : {}), ...extra } });
}

describe('web catalog: headers and the JSON API', () => {
  it('serves pages with a CSP without inline script, no framing, nosniff, and caching that never keeps a signed-in page', async () => {
    for (const path of ['/', '/search?q=hello', '/@acme', '/@acme/hello', '/@acme/hello/v/1.0.0', '/@acme/hello/v/1.0.0/files/SKILL.md', '/sign-in', '/@acme/nope']) {
      const res = await page(path);
      const csp = res.headers.get('Content-Security-Policy') ?? '';
      expect(csp, path).toContain("default-src 'none'");
      expect(csp, path).toContain("script-src 'self'");
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(csp, path).not.toContain('unsafe-inline');
      expect(res.headers.get('X-Content-Type-Options'), path).toBe('nosniff');
      expect(res.headers.get('X-Frame-Options'), path).toBe('DENY');
      expect(res.headers.get('Referrer-Policy'), path).toBe('same-origin');
      expect(res.headers.get('Content-Type'), path).toContain('text/html');
      expect(['no-cache', 'no-store'], path).toContain(res.headers.get('Cache-Control'));
      const body = await res.text();
      expect(body.match(/<script\b[^>]*>/g), path).toEqual([`<script src="${SCRIPT_ASSET.path}" defer>`]);
      expect(body, path).not.toMatch(/\sstyle=|<style|\son[a-z]+=/i);
    }
    const { session } = await signIn(r.alice);
    const signedIn = await page('/@acme/hello', session);
    expect(signedIn.headers.get('Cache-Control')).toBe('private, no-store');
    expect(signedIn.headers.get('Vary')).toContain('Cookie');
  });

  it('serves the style sheet and script with content-hashed names, cached for a year', async () => {
    for (const asset of ASSETS) {
      const res = await r.request('GET', asset.path);
      expect(res.status).toBe(200);
      expect(res.headers.get('Cache-Control')).toBe('public, max-age=31536000, immutable');
      expect(res.headers.get('Content-Type')).toBe(asset.type);
      expect(await res.text()).toBe(asset.body);
    }
    expect(STYLE_ASSET.path).toMatch(/^\/-\/web\/style\.[0-9a-f]{12}\.css$/);
    expect((await r.request('GET', '/-/web/style.000000000000.css')).status).toBe(404);
  });

  it('leaves the JSON API as it was: API clients get JSON, page addresses answer them with the JSON 404', async () => {
    const root = await r.request('GET', '/');
    expect(root.status).toBe(404);
    expect(await root.json()).toEqual({ error: { code: 'ENOTFOUND', message: 'no such route', hint: ERRORS.ENOTFOUND.hint, requestId: root.headers.get('X-Request-Id') } });
    const skill = await r.request('GET', '/@acme/hello', { headers: { Accept: 'application/json' } });
    expect(skill.status).toBe(404);
    expect(await skill.json()).toEqual({ error: { code: 'ENOTFOUND', message: 'no such route', hint: ERRORS.ENOTFOUND.hint, requestId: skill.headers.get('X-Request-Id') } });
    expect(skill.headers.get('Vary')).toContain('Accept');
    // A browser asking the API gets the API's JSON, errors included.
    const packument = await r.request('GET', '/v1/skills/@acme/hello', { headers: HTML });
    expect(packument.headers.get('Content-Type')).toContain('application/json');
    const missing = await r.request('GET', '/v1/skills/@acme/nope', { headers: HTML });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('ENOTFOUND');
    const search = await r.request('GET', '/v1/search?q=hello', { headers: HTML });
    expect(search.headers.get('Content-Type')).toContain('application/json');
  });

  it('shows a private scope, skill and search result to readers only, and answers others exactly as for nothing', async () => {
    const nothing = await (await page('/@nosuch')).text();
    const hidden = await page('/@secret');
    expect(hidden.status).toBe(404);
    expect((await hidden.text()).replace(/(@|%40)secret/g, '$1nosuch')).toBe(nothing);
    expect((await page('/@secret/hidden')).status).toBe(404);
    expect(await (await page('/search?q=hidden')).text()).not.toContain('@secret/hidden');
    expect(await (await page('/')).text()).not.toContain('@secret');
    // bob (in no team) signed in still cannot see it.
    const bob = await signIn(r.bobRead);
    expect((await page('/@secret', bob.session)).status).toBe(404);
    expect(await (await page('/search?q=hidden', bob.session)).text()).not.toContain('@secret/hidden');
  });
});

describe('web catalog: sign-in sessions', () => {
  it('signs in with a token: HttpOnly SameSite=Strict cookie, a hashed server-side row, the token stored nowhere', async () => {
    const { session, res } = await signIn(r.alice);
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe('/@secret');
    const cookie = cookiesOf(res).get('skills_session');
    expect(cookie?.attributes).toEqual(expect.arrayContaining(['Path=/', 'HttpOnly', 'SameSite=Strict']));
    expect(cookie?.attributes.some((a) => a.startsWith('Expires='))).toBe(true);
    expect(cookie?.attributes, 'not Secure over plain http').not.toContain('Secure');
    expect(session).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const row = r.db.prepare('SELECT id_hash, token_id, expires_at FROM web_sessions WHERE id_hash = ?').get(createHash('sha256').update(session).digest()) as { token_id: string; expires_at: string } | undefined;
    expect(row).toBeDefined();
    expect(Date.parse(row?.expires_at ?? '') - Date.now()).toBeLessThanOrEqual(12 * 3600_000);
    const dump = dumpDb(r.db);
    expect(dump).not.toContain(session);
    // The secret is the 43 characters after `skr_<16-char id>_` (it may itself hold `_`, so not "after the last _").
    const secret = r.alice.slice('skr_'.length + 16 + 1);
    expect(secret).toHaveLength(43);
    expect(dump).not.toContain(secret);
    const signedIn = await page('/@secret', session);
    expect(signedIn.status).toBe(200);
    expect(await signedIn.text()).toContain('Signed in as <strong>alice</strong>');
  });

  it('sets Secure __Host- cookies when the registry is served over https', async () => {
    const secure = await createTestRegistry({ publicUrl: 'https://registry.example' });
    try {
      const form = await secure.request('GET', '/sign-in', { headers: HTML });
      const anon = cookiesOf(form).get('__Host-skills_csrf');
      expect(anon?.attributes).toEqual(expect.arrayContaining(['Secure', 'HttpOnly', 'SameSite=Strict', 'Path=/']));
      const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
      const res = await secure.request('POST', '/sign-in', {
        headers: { ...HTML, 'Content-Type': 'application/x-www-form-urlencoded', Cookie: `__Host-skills_csrf=${anon?.value}`, Origin: 'https://registry.example' },
        body: new URLSearchParams({ csrf, token: secure.alice }).toString(),
      });
      expect(res.status).toBe(303);
      expect(cookiesOf(res).get('__Host-skills_session')?.attributes).toEqual(expect.arrayContaining(['Secure', 'HttpOnly', 'SameSite=Strict', 'Path=/']));
    } finally {
      await secure.close();
    }
  });

  it('ends every session of a token when the token is revoked', async () => {
    const created = (await (await r.request('POST', '/v1/tokens', { token: r.admin, body: { user: 'alice', permission: 'read' } })).json()) as { id: string; token: string };
    const one = await signIn(created.token);
    const two = await signIn(created.token);
    expect((await page('/@secret', one.session)).status).toBe(200);
    expect((r.db.prepare('SELECT COUNT(*) AS n FROM web_sessions WHERE token_id = ?').get(created.id) as { n: number }).n).toBe(2);
    expect((await r.request('DELETE', `/v1/tokens/${created.id}`, { token: r.admin })).status).toBe(200);
    expect((r.db.prepare('SELECT COUNT(*) AS n FROM web_sessions WHERE token_id = ?').get(created.id) as { n: number }).n).toBe(0);
    for (const s of [one.session, two.session]) {
      const res = await page('/@secret', s);
      expect(res.status).toBe(404);
      expect(cookiesOf(res).get('skills_session')?.value, 'the dead cookie is cleared').toBe('');
    }
  });

  it('ends a session at its expiry and at its token expiry', async () => {
    const a = await signIn(r.alice);
    r.db.prepare("UPDATE web_sessions SET expires_at = '2001-01-01T00:00:00.000Z' WHERE id_hash = ?").run(createHash('sha256').update(a.session).digest());
    expect((await page('/@secret', a.session)).status).toBe(404);
    expect(r.db.prepare('SELECT 1 FROM web_sessions WHERE id_hash = ?').get(createHash('sha256').update(a.session).digest())).toBeUndefined();

    const created = (await (await r.request('POST', '/v1/tokens', { token: r.admin, body: { user: 'alice', permission: 'read', expiresInDays: 1 } })).json()) as { id: string; token: string };
    const b = await signIn(created.token);
    const row = r.db.prepare('SELECT expires_at FROM web_sessions WHERE id_hash = ?').get(createHash('sha256').update(b.session).digest()) as { expires_at: string };
    expect(Date.parse(row.expires_at)).toBeLessThanOrEqual(Date.now() + 12 * 3600_000);
    expect((await page('/@secret', b.session)).status).toBe(200);
    r.db.prepare("UPDATE tokens SET expires_at = '2001-01-01T00:00:00.000Z' WHERE id = ?").run(created.id);
    expect((await page('/@secret', b.session)).status).toBe(404);
  });

  it('refuses a wrong token with the form again (401), counted as a failed authentication', async () => {
    const limited = await createTestRegistry({ authFailuresPerMinute: 2 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        const { res } = await signIn(`skr_${'a'.repeat(16)}_${'b'.repeat(43)}`, limited);
        statuses.push(res.status);
        if (i === 0) expect(await res.text()).toContain('That is not a valid token of this registry.');
        expect(cookiesOf(res).has('skills_session')).toBe(false);
      }
      expect(statuses).toEqual([401, 401, 429]);
      expect((limited.db.prepare('SELECT COUNT(*) AS n FROM web_sessions').get() as { n: number }).n).toBe(0);
    } finally {
      await limited.close();
    }
  });

  /** Posts the sign-in form with `next` and returns the Location the registry answers with. */
  async function signInTo(next: string): Promise<string> {
    const form = await r.request('GET', '/sign-in', { headers: HTML });
    const anon = cookiesOf(form).get('skills_csrf')?.value ?? '';
    const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
    const res = await r.request('POST', '/sign-in', {
      headers: { ...HTML, 'Content-Type': 'application/x-www-form-urlencoded', Cookie: `skills_csrf=${anon}` },
      body: new URLSearchParams({ csrf, next, token: r.bobRead }).toString(),
    });
    expect(res.status, next).toBe(303);
    return res.headers.get('Location') ?? '';
  }

  /** Every way found so far to make `next` leave the registry; each must come back as `/`. */
  const HOSTILE_NEXT = [
    '//evil.example/x',
    '/\\evil.example',
    '/.//evil.example',
    '/..//evil.example',
    '/%2e//evil.example',
    '/%2E%2E//evil.example',
    '/a/..//evil.example',
    '/.\\/evil.example',
    '/\\/evil.example',
    '/\t/evil.example',
    '/\n/evil.example',
    '//evil',
    'https://evil.example',
    'http://localhost.evil.example/',
    'javascript:alert(1)',
    '%2F%2Fevil.example',
    ' //evil.example',
    '/a/b/../..//evil.example',
  ];

  it('returns only to a path of this registry after signing in (no open redirect)', async () => {
    for (const next of HOSTILE_NEXT) {
      const location = await signInTo(next);
      expect(location, JSON.stringify(next)).toBe('/');
    }
    // encoded slashes stay encoded: a path of this registry, never another host
    const encoded = await signInTo('/%2F%2Fevil.example');
    expect(encoded.startsWith('//') || encoded.startsWith('/\\'), encoded).toBe(false);
    expect(new URL(encoded, 'http://localhost').origin).toBe('http://localhost');
    // a valid path (with a query) is kept, re-serialised; the fragment is dropped
    expect(await signInTo('/@acme/hello?tab=files')).toBe('/@acme/hello?tab=files');
    expect(await signInTo('/search?q=a b#frag')).toBe('/search?q=a%20b');
    expect(await signInTo('/@acme/./hello')).toBe('/@acme/hello');
  });

  it('never renders a refused next into the sign-in form', async () => {
    for (const next of HOSTILE_NEXT) {
      const res = await r.request('GET', `/sign-in?next=${encodeURIComponent(next)}`, { headers: HTML });
      const body = await res.text();
      expect(/name="next" value="([^"]*)"/.exec(body)?.[1], JSON.stringify(next)).toBe('/');
      // every link and form target on the page stays on this registry
      for (const [, url = ''] of body.matchAll(/(?:href|action)="([^"]*)"/g)) {
        expect(new URL(url.replaceAll('&amp;', '&'), 'http://localhost').origin, `${JSON.stringify(next)}: ${url}`).toBe('http://localhost');
      }
    }
    const ok = await r.request('GET', `/sign-in?next=${encodeURIComponent('/@acme/hello?tab=files')}`, { headers: HTML });
    expect(/name="next" value="([^"]*)"/.exec(await ok.text())?.[1]).toBe('/@acme/hello?tab=files');
  });
});

describe('web catalog: CSRF', () => {
  async function refused(res: Response): Promise<void> {
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('this form expired or was sent from another site');
  }

  it('refuses a sign-in without the form token, with another browser token, or from another site, changing nothing', async () => {
    const form = await r.request('GET', '/sign-in', { headers: HTML });
    const anon = cookiesOf(form).get('skills_csrf')?.value ?? '';
    const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
    const other = await r.request('GET', '/sign-in', { headers: HTML });
    const otherAnon = cookiesOf(other).get('skills_csrf')?.value ?? '';
    const post = (body: Record<string, string>, headers: Record<string, string>) =>
      r.request('POST', '/sign-in', { headers: { ...HTML, 'Content-Type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(body).toString() });
    await r.settle();
    const before = dumpDb(r.db);
    await refused(await post({ token: r.alice }, { Cookie: `skills_csrf=${anon}` }));
    await refused(await post({ csrf, token: r.alice }, {}));
    await refused(await post({ csrf, token: r.alice }, { Cookie: `skills_csrf=${otherAnon}` }));
    await refused(await post({ csrf, token: r.alice }, { Cookie: `skills_csrf=${anon}`, Origin: 'https://evil.example' }));
    await refused(await post({ csrf, token: r.alice }, { Cookie: `skills_csrf=${anon}`, 'Sec-Fetch-Site': 'cross-site' }));
    expect(dumpDb(r.db)).toBe(before);
    // The same form, sent properly, works.
    expect((await post({ csrf, token: r.alice }, { Cookie: `skills_csrf=${anon}`, 'Sec-Fetch-Site': 'same-origin' })).status).toBe(303);
  });

  it('refuses a sign-out without the session-bound token; signs out with it and deletes the row', async () => {
    const { session } = await signIn(r.alice);
    const other = await signIn(r.alice);
    const html = await (await page('/', session)).text();
    const csrf = /action="\/sign-out"><input type="hidden" name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
    const otherCsrf = /action="\/sign-out"><input type="hidden" name="csrf" value="([^"]+)"/.exec(await (await page('/', other.session)).text())?.[1] ?? '';
    expect(csrf).not.toBe(otherCsrf);
    const signOut = (body: Record<string, string>) =>
      r.request('POST', '/sign-out', { headers: { ...HTML, 'Content-Type': 'application/x-www-form-urlencoded', Cookie: `skills_session=${session}` }, body: new URLSearchParams(body).toString() });
    await refused(await signOut({}));
    await refused(await signOut({ csrf: otherCsrf }));
    expect((await page('/@secret', session)).status).toBe(200);
    const out = await signOut({ csrf });
    expect(out.status).toBe(303);
    expect(cookiesOf(out).get('skills_session')?.value).toBe('');
    expect(r.db.prepare('SELECT 1 FROM web_sessions WHERE id_hash = ?').get(createHash('sha256').update(session).digest())).toBeUndefined();
    expect((await page('/@secret', session)).status).toBe(404);
    expect((await page('/@secret', other.session)).status, 'other sessions live on').toBe(200);
  });

  it('takes forms only as application/x-www-form-urlencoded and within 8 KiB', async () => {
    const json = await r.request('POST', '/sign-in', { headers: { ...HTML, 'Content-Type': 'application/json' }, body: '{}' });
    expect(json.status).toBe(415);
    const big = await r.request('POST', '/sign-in', { headers: { ...HTML, 'Content-Type': 'application/x-www-form-urlencoded' }, body: `token=${'x'.repeat(70 * 1024)}` });
    expect(big.status).toBe(413);
  });
});

describe('web catalog: downloads', () => {
  it('counts tarball GETs in memory and writes them in one batch; pages are exact meanwhile; the packument carries them', async () => {
    const counter = () => (r.db.prepare('SELECT COUNT(*) AS n FROM downloads').get() as { n: number }).n;
    await (r.app as RegistryApp).close();
    const rowsBefore = counter();
    const etagBefore = (await r.request('GET', '/v1/skills/@acme/hello')).headers.get('ETag');
    for (let i = 0; i < 3; i++) expect((await r.request('GET', '/v1/skills/@acme/hello/-/hello-1.1.0.tgz')).status).toBe(200);
    expect((await r.request('GET', '/v1/skills/@acme/hello/-/hello-1.0.0.tgz')).status).toBe(200);
    expect((await r.request('HEAD', '/v1/skills/@acme/hello/-/hello-1.0.0.tgz')).status).toBe(200);
    expect((await r.request('GET', '/v1/skills/@acme/hello/-/hello-9.9.9.tgz')).status).toBe(404);
    expect(counter(), 'no write per download').toBe(rowsBefore);
    const html = await (await page('/@acme/hello')).text();
    expect(/id="weekly-downloads">(\d+)</.exec(html)?.[1]).toBe('4');

    await (r.app as RegistryApp).close();
    const rows = r.db
      .prepare('SELECT v.version, d.day, d.count FROM downloads d JOIN versions v ON v.id = d.version_id JOIN skills s ON s.id = v.skill_id WHERE s.name = ? ORDER BY v.version')
      .all('@acme/hello') as { version: string; day: string; count: number }[];
    const today = new Date().toISOString().slice(0, 10);
    expect(rows).toEqual([
      { version: '1.0.0', day: today, count: 1 },
      { version: '1.1.0', day: today, count: 3 },
    ]);
    const packument = await r.request('GET', '/v1/skills/@acme/hello');
    expect(packument.headers.get('ETag'), 'the cached packument was dropped').not.toBe(etagBefore);
    expect(((await packument.json()) as { downloads: unknown }).downloads).toEqual({ total: 4, lastWeek: 4, versions: { '1.0.0': 1, '1.1.0': 3 } });
    const install = (await (await r.request('GET', '/v1/skills/@acme/hello', { headers: { Accept: 'application/vnd.skills.install-v1+json' } })).json()) as Record<string, unknown>;
    expect(install).not.toHaveProperty('downloads');
  });

  it('deletes a version with its counts (and keeps the rest)', async () => {
    await r.request('GET', '/v1/skills/@acme/hello/-/hello-1.0.0.tgz');
    await (r.app as RegistryApp).close();
    const res = await r.request('DELETE', '/v1/skills/@acme/hello/versions/1.0.0', { token: r.alice });
    expect(res.status).toBe(200);
    const left = r.db.prepare('SELECT v.version FROM downloads d JOIN versions v ON v.id = d.version_id').all() as { version: string }[];
    expect(left.map((x) => x.version)).toEqual(['1.1.0']);
    const packument = (await (await r.request('GET', '/v1/skills/@acme/hello')).json()) as { downloads: { total: number; versions: Record<string, number> } };
    expect(packument.downloads.versions).toEqual({ '1.1.0': 3 });
  });
});

describe('web catalog: browsing limits', () => {
  it('does not unpack a version over 16 MiB to browse it: the file viewer says so (EBROWSELIMIT), the skill page still renders', async () => {
    // 12 KiB of random text repeated: about 130:1 compressed, under the unpacker's 200:1 bomb ratio.
    const block = randomBytes(12 * 1024).toString('base64');
    const chunk = (n: number) => block.repeat(Math.ceil(n / block.length)).slice(0, n);
    const files = echoSkill('@acme/huge').concat([
      { path: 'references/a.txt', bytes: new TextEncoder().encode(chunk(9 * 1024 * 1024)) },
      { path: 'references/b.txt', bytes: new TextEncoder().encode(chunk(8 * 1024 * 1024)) },
    ]);
    // Text past the audit's per-file bound is a high finding (nothing unread passes); the owner allows it for this test's filler.
    const allowance = await r.request('POST', '/v1/skills/@acme/huge/audit-allowances', { token: r.admin, body: { rule: 'audit-incomplete', reason: 'random filler text, too large to read whole' } });
    expect(allowance.status, await allowance.clone().text()).toBe(201);
    const res = await r.request('PUT', '/v1/skills/@acme/huge', { token: r.alice, body: await tarballOf(files) });
    expect(res.status, await res.clone().text()).toBe(201);
    const viewer = await page('/@acme/huge/v/1.0.0/files/SKILL.md');
    expect(viewer.status).toBe(413);
    expect(await viewer.text()).toContain('too large to browse here; download its tarball');
    const skill = await page('/@acme/huge');
    expect(skill.status).toBe(200);
    expect(await skill.text()).toContain('references/b.txt');
  });
});

describe('web catalog: logs', () => {
  it('no log line holds a session id, a CSRF cookie or a token that signing in, browsing and signing out used', async () => {
    const { session } = await signIn(r.alice);
    expect((await page('/@secret', session)).status).toBe(200);
    const lines = r.logs.filter((l) => l.method !== undefined && l.path === '/@secret');
    expect(lines.at(-1)).toMatchObject({ user: 'alice', status: 200 });
    // What this file's requests sent and got back: tokens, and every cookie value (sessions, CSRF cookies).
    expect(r.logCapture.secrets).toContain(session);
    expect(r.logCapture.secrets).toContain(r.alice);
    r.logCapture.expectNoSecrets();
  });
});
