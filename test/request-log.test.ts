/**
 * The registry's logs (issue 26, logs), in process: one JSON line per request with its id; the id
 * in X-Request-Id on every answer and in JSON errors; a client's own id kept only when it is
 * plainly an id; server errors as error lines with the same id; and no token, cookie or session
 * id in any line, wherever a client puts it (Authorization, cookies, query strings, paths, bodies,
 * bad and revoked tokens, a request id, a bug's message). On a port: bytes and the client address.
 * The output: levels, JSON or pretty text, a file created 0600 only once opened, flushed by close().
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type RegistryApp } from '../registry-server/app';
import { createLogOutput, maskLogText, prettyFor, REDACTED } from '../registry-server/log';
import { INCOMING_REQUEST_ID, MAX_LOGGED_PATH, newRequestId, shownPath } from '../registry-server/request-log';
import { startRegistry } from '../registry-server/server';
import { sqliteStorage } from '../registry-server/storage/open';
import { captureLogs, secretLeaks, type LogEntry } from '../testkit/logs';
import { requestInit } from '../testkit/http';
import { createTestRegistry, echoSkill, tarballOf, type TestRegistry } from '../testkit/registry';
import { tempDir } from '../testkit/temp';

let r: TestRegistry;
let dir: string;
beforeAll(async () => {
  r = await createTestRegistry({ authFailuresPerMinute: 1000 });
  dir = await tempDir('request-log');
  const res = await r.request('PUT', '/v1/skills/@acme/hello', { token: r.alice, body: await tarballOf(echoSkill('@acme/hello')) });
  if (res.status !== 201) throw new Error(await res.text());
}, 60_000);

afterAll(async () => {
  await r.close();
  await fs.rm(dir, { recursive: true, force: true });
});

const HTML = { Accept: 'text/html,application/xhtml+xml' };
const tokenId = (token: string) => token.slice('skr_'.length, 'skr_'.length + 16);
/** A well-formed token this registry never issued. */
const unknownToken = () => `skr_${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}_${randomBytes(32).toString('base64url')}`;

/** The request lines of the answers with these ids. */
function linesOf(entries: readonly LogEntry[], ids: readonly string[]): LogEntry[] {
  return entries.filter((e) => e.method !== undefined && ids.includes(e.reqId as string));
}

describe('a line per request', () => {
  it('JSON with the time, level, request id, method, route pattern, path, status, duration, bytes, user and token id, and address', async () => {
    const res = await r.request('GET', '/-/whoami', { token: r.alice });
    expect(res.status).toBe(200);
    const id = res.headers.get('X-Request-Id') ?? '';
    expect(id).toMatch(/^[A-Za-z0-9_-]{16}$/);
    const [line, ...more] = linesOf(r.logs, [id]);
    expect(more).toEqual([]);
    expect(line).toEqual({
      level: 'info',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      pid: process.pid,
      hostname: expect.any(String),
      reqId: id,
      method: 'GET',
      route: '/-/whoami',
      path: '/-/whoami',
      status: 200,
      ms: expect.any(Number),
      bytes: null,
      user: 'alice',
      token: tokenId(r.alice),
      // In process there is no socket.
      ip: null,
    });
    // The raw line is the same object, one line.
    const raw = r.logCapture.lines.find((l) => l.includes(`"reqId":"${id}"`)) ?? '';
    expect(raw.endsWith('}\n')).toBe(true);
    expect(raw.slice(0, -1)).not.toContain('\n');
  });

  it('names the route pattern, not the path, and no route for a path that matches none; an error line carries its code', async () => {
    const tarball = await r.request('GET', '/v1/skills/@acme/hello/-/hello-1.0.0.tgz');
    const missing = await r.request('GET', '/no/such/route');
    const anonymous = await r.request('GET', '/-/whoami');
    const [t, m, a] = [tarball, missing, anonymous].map((res) => linesOf(r.logs, [res.headers.get('X-Request-Id') ?? ''])[0]);
    expect(t).toMatchObject({ status: 200, path: '/v1/skills/@acme/hello/-/hello-1.0.0.tgz', user: null, token: null, bytes: Number(tarball.headers.get('Content-Length')) });
    expect(t?.route).toMatch(/^\/v1\/skills\/.*:file/);
    expect(t?.route).not.toContain('hello');
    expect(t).not.toHaveProperty('code');
    expect(m).toMatchObject({ status: 404, route: null, path: '/no/such/route', code: 'ENOTFOUND' });
    expect(a).toMatchObject({ status: 401, route: '/-/whoami', code: 'EAUTHREQUIRED' });
  });
});

describe('the request id', () => {
  it('is on every answer, errors and web pages included, and in every JSON error', async () => {
    const answers = [
      await r.request('GET', '/-/ping'),
      await r.request('GET', '/v1/skills/@acme/nothing'),
      await r.request('GET', '/-/whoami', { token: unknownToken() }),
      await r.request('POST', '/v1/teams', { token: r.admin, body: 'x'.repeat(70_000), headers: { 'Content-Type': 'application/json' } }),
      await r.request('GET', `/v1/search?q=${'a'.repeat(9000)}`),
      await r.request('GET', '/@acme/nothing', { headers: HTML }),
      await r.request('GET', '/@acme/hello', { headers: HTML }),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 404, 401, 413, 414, 404, 200]);
    const ids = answers.map((a) => a.headers.get('X-Request-Id'));
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(new Set(ids).size).toBe(ids.length);
    for (const a of answers.slice(1, 5)) expect(((await a.json()) as { error: { requestId: string } }).error.requestId).toBe(a.headers.get('X-Request-Id'));
    expect(linesOf(r.logs, ids as string[]).map((l) => l.status)).toEqual([200, 404, 401, 413, 414, 404, 200]);
  });

  it("keeps a client's id only when it is 8 to 36 letters, digits, - or _; a token sent as one is replaced and never logged", async () => {
    const uuid = '3f1c9a52-7b2e-4c1d-9e8f-0a1b2c3d4e5f';
    const sent = ['abcd-123_XYZ', uuid, 'short', 'x'.repeat(37), 'has space in it', '<script>alert(1)</script>', 'idé-accent-1234', r.alice];
    const kept: string[] = [];
    for (const id of sent) {
      const res = await r.request('GET', '/-/ping', { headers: { 'X-Request-Id': id } });
      const answered = res.headers.get('X-Request-Id') ?? '';
      if (answered === id) kept.push(id);
      else expect(answered).toMatch(/^[A-Za-z0-9_-]{16}$/);
      expect(linesOf(r.logs, [answered])).toHaveLength(1);
    }
    expect(kept).toEqual(['abcd-123_XYZ', uuid]);
    expect(INCOMING_REQUEST_ID.test(r.alice)).toBe(false);
    expect(r.logCapture.leaks([r.alice])).toEqual([]);
    const generated = new Set(Array.from({ length: 1000 }, () => newRequestId()));
    expect(generated.size).toBe(1000);
  });

  it('a bug answers 500 EINTERNAL with the id, and an error line with the same id holds the error, masked', async () => {
    const capture = captureLogs();
    const secret = unknownToken();
    const session = randomBytes(32).toString('base64url');
    const app: RegistryApp = createApp({
      storage: sqliteStorage(r.db),
      log: capture.logger,
      verify: () => Promise.reject(new Error(`the sandbox broke on ${secret} with session ${session}`)),
    });
    try {
      const res = await app.request('/v1/skills/@acme/broken', requestInit('PUT', { token: r.alice, body: await tarballOf(echoSkill('@acme/broken')) }));
      expect(res.status).toBe(500);
      const id = res.headers.get('X-Request-Id');
      expect(await res.json()).toEqual({ error: { code: 'EINTERNAL', message: 'the registry failed to handle this request', hint: expect.any(String), requestId: id } });
      const [error, request, ...more] = capture.entries;
      expect(more).toEqual([]);
      expect(error).toMatchObject({ level: 'error', reqId: id, msg: 'unhandled error', error: { type: 'Error', message: `the sandbox broke on skr_${tokenId(secret)}_*** with session ***` } });
      expect((error?.error as { stack: string }).stack).toMatch(/^Error: the sandbox broke on skr_\w{16}_\*\*\* with session \*\*\*\n\s+at /);
      expect(request).toMatchObject({ level: 'error', reqId: id, method: 'PUT', status: 500, code: 'EINTERNAL', user: 'alice' });
      expect(capture.leaks([secret, session, r.alice])).toEqual([]);
    } finally {
      await app.close();
    }
  });
});

describe('no secret in any line', () => {
  it('tokens and session ids in Authorization, cookies, query strings, paths, bodies, bad and revoked tokens: none in any line', async () => {
    const minted = (await (await r.request('POST', '/v1/tokens', { token: r.admin, body: { user: 'alice', permission: 'read' } })).json()) as { token: string };
    const revoked = minted.token;
    expect((await r.request('DELETE', `/v1/tokens/${tokenId(revoked)}`, { token: r.admin })).status).toBe(200);
    const bogus = unknownToken();
    const opaque = randomBytes(32).toString('base64url');

    // A web session: the sign-in form posts alice's token; the cookie then carries the session id.
    const form = await r.request('GET', '/sign-in', { headers: HTML });
    const anon = /skills_csrf=([^;]+)/.exec(form.headers.get('Set-Cookie') ?? '')?.[1] ?? '';
    const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
    const signedIn = await r.request('POST', '/sign-in', {
      headers: { ...HTML, 'Content-Type': 'application/x-www-form-urlencoded', Cookie: `skills_csrf=${anon}`, Origin: 'http://localhost' },
      body: new URLSearchParams({ csrf, next: '/', token: r.alice }).toString(),
    });
    expect(signedIn.status).toBe(303);
    const session = /skills_session=([^;]+)/.exec(signedIn.headers.get('Set-Cookie') ?? '')?.[1] ?? '';
    expect(session).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const secrets = [r.admin, r.alice, r.bobRead, revoked, bogus, opaque, session, anon, csrf];
    const requests: [string, string, Parameters<TestRegistry['request']>[2]][] = [
      // Authorization: valid, revoked, unknown, malformed, another scheme.
      ['GET', '/-/whoami', { token: r.bobRead }],
      ['GET', '/-/whoami', { token: revoked }],
      ['GET', '/-/whoami', { token: bogus }],
      ['GET', '/-/whoami', { headers: { Authorization: `Bearer ${opaque}` } }],
      ['GET', '/-/whoami', { headers: { Authorization: `Basic ${Buffer.from(`alice:${r.alice}`).toString('base64')}` } }],
      // Cookies: the live session, a made-up one, on pages and on the API.
      ['GET', '/@secret', { headers: { ...HTML, Cookie: `skills_session=${session}` } }],
      ['GET', '/', { headers: { ...HTML, Cookie: `skills_session=${opaque}; other=${bogus}` } }],
      ['GET', '/v1/skills/@acme/hello', { headers: { Cookie: `skills_session=${session}` } }],
      // Query strings.
      ['GET', `/v1/search?q=${r.alice}`, {}],
      ['GET', `/-/whoami?access_token=${encodeURIComponent(r.admin)}&session=${session}`, {}],
      ['GET', `/@acme/hello?token=${revoked}`, { headers: HTML }],
      // Paths, also percent-encoded and in the middle of a word.
      ['GET', `/-/whoami/${r.alice}`, {}],
      ['DELETE', `/v1/tokens/${r.bobRead}`, { token: r.admin }],
      ['GET', `/v1/skills/@acme/${encodeURIComponent(bogus).replace(/_/g, '%5F')}`, {}],
      ['GET', `/${session}`, { headers: HTML }],
      ['GET', `/v1/skills/@acme/x${r.admin}`, {}],
      // Bodies: JSON and a form.
      ['POST', '/v1/tokens', { token: r.alice, body: { permission: 'read', description: `copied ${r.admin}` } }],
      ['POST', '/v1/users', { token: r.admin, body: { name: r.bobRead } }],
      ['POST', '/sign-in', { headers: { ...HTML, 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'http://localhost' }, body: `token=${bogus}&csrf=${opaque}` }],
      // A request id that is a secret.
      ['GET', '/-/ping', { headers: { 'X-Request-Id': session } }],
    ];
    const ids: string[] = [];
    for (const [method, url, options] of requests) {
      const res = await r.request(method, url, options);
      await res.arrayBuffer();
      ids.push(res.headers.get('X-Request-Id') ?? '');
    }
    const lines = linesOf(r.logs, ids);
    // Every request has its line, once.
    expect(lines.map((l) => l.reqId)).toEqual(ids);
    expect(lines.map((l) => l.status)).toEqual([200, 401, 401, 401, 401, 200, 200, 200, 200, 401, 200, 404, 404, 400, 404, 400, 201, 400, 403, 200]);
    // The lines say who called (the token id) and where, with the secrets in the paths masked.
    expect(lines[0]).toMatchObject({ user: 'bob', token: tokenId(r.bobRead) });
    expect(lines[5]).toMatchObject({ user: 'alice', token: tokenId(r.alice), path: '/@secret' });
    expect(lines[11]).toMatchObject({ path: `/-/whoami/skr_${tokenId(r.alice)}_***` });
    expect(lines[14]).toMatchObject({ path: '/***' });
    expect(lines[15]).toMatchObject({ path: '/v1/skills/@acme/***' });
    expect(lines.slice(8, 11).map((l) => l.path)).toEqual(['/v1/search', '/-/whoami', '/@acme/hello']);
    expect(secretLeaks(r.logCapture.lines, secrets)).toEqual([]);
    // The registry handle collected the same secrets by itself (its close() checks them too).
    for (const secret of [r.alice, revoked, bogus, session]) expect(r.logCapture.secrets.has(secret)).toBe(true);
  });

  it('finds a leak when there is one (the check is not vacuous)', () => {
    const secret = unknownToken();
    const lines = [`{"path":"/x/${secret.slice(20, 40)}"}\n`, '{"path":"/y"}\n'];
    expect(secretLeaks(lines, [secret])).toHaveLength(1);
    expect(secretLeaks([`{"token":"${tokenId(secret)}"}\n`], [secret])).toEqual([]);
  });

  it("pino's redact censors authorization and cookie fields whatever code logs them (the second guard)", () => {
    const capture = captureLogs();
    capture.logger.info({ authorization: `Bearer ${r.alice}`, cookie: 'a=b', headers: { authorization: r.admin, cookie: 'c=d', 'set-cookie': 'e=f' }, req: { headers: { authorization: r.bobRead, cookie: 'g=h' } } }, 'careless');
    expect(capture.entries[0]).toMatchObject({
      authorization: REDACTED,
      cookie: REDACTED,
      headers: { authorization: REDACTED, cookie: REDACTED, 'set-cookie': REDACTED },
      req: { headers: { authorization: REDACTED, cookie: REDACTED } },
    });
    expect(capture.leaks([r.alice, r.admin, r.bobRead])).toEqual([]);
  });

  it('paths: bounded, control characters escaped, secrets masked even where the bound cuts them; names and digests kept', () => {
    const token = unknownToken();
    expect(shownPath(`/${'a'.repeat(190)}/${token}`)).toBe(`/${'a'.repeat(190)}/skr_${tokenId(token).slice(0, 4)}...`);
    expect(shownPath(`/${'a'.repeat(180)}/${randomBytes(32).toString('base64url')}`)).toBe(`/${'a'.repeat(180)}/***`);
    expect(shownPath(`/x/${'b'.repeat(5000)}${token}`)).toHaveLength(MAX_LOGGED_PATH + 3);
    expect(shownPath('/a\nb\u0000c')).toBe('/a%0Ab%00c');
    const digest = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
    const named = `/v1/skills/@acme-tools/a-long-descriptive-skill-name-2/versions/1.2.3-beta.1/${digest}`;
    expect(shownPath(named)).toBe(named);
    expect(maskLogText(`postgres://u:pw@h/db?password=x ${token}`)).toBe(`postgres://u:***@h/db?password=*** skr_${tokenId(token)}_***`);
  });
});

describe('on a port', () => {
  it('bytes written to the connection, the client address, and the line once the answer is sent', async () => {
    const capture = captureLogs();
    const served = await tempDir('request-log-port', { in: dir });
    const registry = await startRegistry({ port: 0, db: path.join(served, 'registry.db'), workers: 1, log: capture.logger });
    capture.remember(registry.adminToken);
    const ping = await fetch(`${registry.url}/-/ping`, { headers: { 'X-Request-Id': 'from-the-proxy-0001' } });
    const body = await ping.text();
    const whoami = await fetch(`${registry.url}/-/whoami`, { headers: { Authorization: `Bearer ${registry.adminToken}` } });
    await whoami.arrayBuffer();
    await registry.close();
    expect(ping.headers.get('X-Request-Id')).toBe('from-the-proxy-0001');
    const [p, w] = [ping, whoami].map((res) => linesOf(capture.entries, [res.headers.get('X-Request-Id') ?? ''])[0]);
    // Headers included: more than the body, less than a kilobyte.
    expect(p).toMatchObject({ reqId: 'from-the-proxy-0001', route: '/-/ping', status: 200, ip: '127.0.0.1' });
    expect(p?.bytes).toBeGreaterThan(Buffer.byteLength(body) + 40);
    expect(p?.bytes).toBeLessThan(1024);
    expect(w).toMatchObject({ status: 200, user: 'admin', token: tokenId(registry.adminToken ?? ''), ip: '127.0.0.1' });
    expect(p).not.toHaveProperty('aborted');
    capture.expectNoSecrets();
  });
});

describe('levels and output', () => {
  it('"warn" keeps the lines of requests answered 5xx and server errors, and drops the rest; "silent" writes nothing', async () => {
    for (const [level, expected] of [
      ['warn', ['error', 'error']],
      ['silent', []],
    ] as const) {
      const capture = captureLogs(level);
      const app = createApp({ storage: sqliteStorage(r.db), log: capture.logger, verify: () => Promise.reject(new Error('broken')) });
      try {
        expect((await app.request('/-/ping')).status).toBe(200);
        expect((await app.request('/nothing')).status).toBe(404);
        expect((await app.request('/v1/skills/@acme/w', requestInit('PUT', { token: r.alice, body: await tarballOf(echoSkill('@acme/w')) }))).status).toBe(500);
        expect(capture.entries.map((e) => e.level)).toEqual(expected);
      } finally {
        await app.close();
      }
    }
  });

  it('a file: created with mode 0600 only once opened, appended to, everything written by close(); JSON unless pretty is asked for', async () => {
    const file = path.join(dir, 'logs', 'registry.log');
    await fs.mkdir(path.dirname(file));
    const output = await createLogOutput({ target: { file }, format: 'auto', level: 'info' });
    expect(output.pretty).toBe(false);
    output.logger.info({ n: 0 }, 'before open');
    await expect(fs.stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
    output.open();
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    for (let n = 1; n <= 5000; n++) output.logger.info({ n }, 'a line');
    await output.close();
    // After close(), lines are dropped rather than thrown.
    output.logger.info({ n: -1 }, 'after close');
    const first = (await fs.readFile(file, 'utf8')).split('\n').filter(Boolean);
    expect(first.map((l) => (JSON.parse(l) as { n: number }).n)).toEqual(Array.from({ length: 5001 }, (_, n) => n));

    const pretty = await createLogOutput({ target: { file }, format: 'pretty', level: 'info' });
    expect(pretty.pretty).toBe(true);
    pretty.open();
    pretty.logger.info({ reqId: 'abcdefgh12345678', method: 'GET', route: '/-/ping', path: '/-/ping', status: 200, ms: 1.5, bytes: 120, user: null, token: null, ip: '127.0.0.1' });
    pretty.logger.error({ reqId: 'abcdefgh12345678', error: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at here (file.ts:1:1)' } }, 'unhandled error');
    await pretty.close();
    const text = (await fs.readFile(file, 'utf8')).split('\n').slice(5001).join('\n');
    expect(text).toMatch(/INFO.*: GET \/-\/ping 200 1\.5 ms 120 B 127\.0\.0\.1 \[abcdefgh12345678\]/);
    expect(text).toMatch(/ERROR.*: unhandled error \[abcdefgh12345678\]/);
    expect(text).toContain('at here (file.ts:1:1)');
    // No colour codes in a file.
    expect(text).not.toContain('\u001b[');
  });

  it('auto is pretty on a terminal only', () => {
    expect([prettyFor('auto', true), prettyFor('auto', false), prettyFor('json', true), prettyFor('pretty', false)]).toEqual([true, false, false, true]);
  });
});
