/**
 * The admin log (issue 26): every privileged route the app has writes its entry, with the user, the
 * token id and the socket's address (never a proxy header), in the same transaction as its change;
 * `GET /v1/admin/log` and the `/admin/log` page show it to unscoped admins only, newest first, in
 * pages; hostile parameters are refused; hostile details are shown as text; no entry holds a token.
 * The schema step that added the address keeps every row of a version 6 database.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPLICATION_ID, openDatabase, SCHEMA_VERSION } from '../registry-server/db';
import { MIGRATIONS } from '../registry-server/migrations';
import { boundedDetails, MAX_DETAILS_CHARS, MAX_DETAIL_STRING_CHARS } from '../registry-server/admin-log';
import { sinceTime } from '../cli/commands/registry-log';
import { adminLogPageSchema, parseIsoTime, type AdminLogEntryView } from '../schema/registry';
import { requestInit, type ApiOptions } from '../testkit/http';
import { createTestRegistry, echoSkill, tarballOf, type TestRegistry } from '../testkit/registry';
import { tempDir } from '../testkit/temp';

let r: TestRegistry;
const HTML = { Accept: 'text/html,application/xhtml+xml' };
/** The address every request below comes from, as its socket would say. */
const ADDRESS = '203.0.113.7';
/** Every token minted in this file: none may appear in any entry. */
const minted: string[] = [];

/** A request from ADDRESS's socket (what @hono/node-server hands the app as its env). */
function request(method: string, url: string, options: ApiOptions = {}, address: string = ADDRESS): Promise<Response> {
  return Promise.resolve(r.app.request(url, requestInit(method, options), { incoming: { socket: { remoteAddress: address } } }));
}

async function ok(res: Promise<Response>, status = 200): Promise<Record<string, unknown>> {
  const answered = await res;
  const text = await answered.text();
  expect(answered.status, text).toBe(status);
  return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
}

async function mint(body: object, token = r.admin): Promise<{ id: string; token: string }> {
  const made = (await ok(request('POST', '/v1/tokens', { token, body }), 201)) as { id: string; token: string };
  minted.push(made.token);
  return made;
}

interface Row {
  id: number;
  at: string;
  user_id: number | null;
  token_id: string | null;
  address: string | null;
  action: string;
  target: string;
  details: string | null;
}

const rows = () => r.db.prepare('SELECT * FROM audit_log ORDER BY id').all() as Row[];
const lastId = () => (r.db.prepare('SELECT COALESCE(MAX(id), 0) AS n FROM audit_log').get() as { n: number }).n;
const tokenIdOf = (token: string) => token.split('_')[1] ?? '';

async function log(query = '', token = r.admin): Promise<{ entries: AdminLogEntryView[]; next: number | null }> {
  return adminLogPageSchema.parse(await ok(request('GET', `/v1/admin/log${query}`, { token })));
}

beforeAll(async () => {
  r = await createTestRegistry();
  minted.push(r.admin, r.alice, r.bobRead);
}, 60_000);

afterAll(async () => {
  await r?.close();
});

describe('the schema step that adds the address (version 7)', () => {
  it('keeps every row of a version 6 log, with no address, and indexes the log by time', async () => {
    const dir = await tempDir('admin-log-schema');
    const file = path.join(dir, 'registry.db');
    const old = new Database(file);
    for (const step of MIGRATIONS.slice(0, 6)) {
      if (typeof step === 'string') old.exec(step);
      else step(old);
    }
    old.pragma('user_version = 6');
    old.pragma(`application_id = ${APPLICATION_ID}`);
    const insert = old.prepare('INSERT INTO audit_log (at, user_id, token_id, action, target, details) VALUES (?, ?, ?, ?, ?, ?)');
    insert.run('2025-01-01T00:00:00.000Z', 1, 'AAAAAAAAAAAAAAAA', 'publish', '@acme/a@1.0.0', '{"tag":"latest"}');
    insert.run('2025-01-02T00:00:00.000Z', null, null, 'token-revoke', 'BBBBBBBBBBBBBBBB', null);
    const before = old.prepare('SELECT * FROM audit_log ORDER BY id').all() as Record<string, unknown>[];
    old.close();
    const db = openDatabase(file);
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      expect(SCHEMA_VERSION).toBe(7);
      expect(db.prepare('SELECT * FROM audit_log ORDER BY id').all()).toEqual(before.map((row) => ({ ...row, address: null })));
      const plan = db.prepare("EXPLAIN QUERY PLAN SELECT id FROM audit_log WHERE at >= '2025' ORDER BY at DESC, id DESC LIMIT 5").all() as { detail: string }[];
      expect(plan.map((p) => p.detail).join('; ')).toContain('audit_log_at');
    } finally {
      db.close();
    }
  });
});

/**
 * Every route that changes something, by its method and path as the app registers it, with a
 * request that succeeds and the entry it must write. Reads (GET, HEAD) change nothing; the two
 * exemptions below change nothing privileged.
 */
const NOT_PRIVILEGED = new Map([
  ['ALL /mcp', 'discovery tools only: reads'],
  ['POST /sign-out', "ends the browser's own session"],
]);

interface Walk {
  run(): Promise<void>;
  action: string;
  /** The target, known only once run() has been (a minted token's id). */
  target(): string;
  token(): string;
  details?: Record<string, unknown>;
}

let revocable: { id: string; token: string };
let signInSession = '';

function walks(): Map<string, Walk> {
  const skill = '/v1/skills/:scope{@[^/]+}/:name';
  const walk = (action: string, target: string | (() => string), run: () => Promise<unknown>, token: () => string = () => r.admin, details?: Record<string, unknown>): Walk => ({
    run: async () => {
      await run();
    },
    action,
    target: typeof target === 'string' ? () => target : target,
    token,
    ...(details ? { details } : {}),
  });
  const alice = () => r.alice;
  return new Map<string, Walk>([
    ['POST /v1/users', walk('user-create', 'dave', () => ok(request('POST', '/v1/users', { token: r.admin, body: { name: 'dave' } }), 201))],
    ['POST /v1/teams', walk('team-create', 'crew', () => ok(request('POST', '/v1/teams', { token: r.admin, body: { name: 'crew' } }), 201))],
    ['POST /v1/teams/:team/members', walk('team-member', 'crew', () => ok(request('POST', '/v1/teams/crew/members', { token: r.admin, body: { user: 'dave', role: 'member' } }), 201), undefined, { user: 'dave', role: 'member' })],
    ['POST /v1/scopes', walk('scope-create', '@crew', () => ok(request('POST', '/v1/scopes', { token: r.admin, body: { name: '@crew', team: 'crew' } }), 201), undefined, { team: 'crew', private: false })],
    [
      'POST /v1/tokens',
      walk(
        'token-create',
        () => revocable.id,
        async () => {
          revocable = await mint({ user: 'dave', permission: 'publish', description: 'for the walk' });
        },
        undefined,
        { user: 'dave', permission: 'publish' },
      ),
    ],
    ['DELETE /v1/tokens/:id', walk('token-revoke', () => revocable.id, () => ok(request('DELETE', `/v1/tokens/${revocable.id}`, { token: r.admin })))],
    ['PUT /v1/skills/:scope{@[^/]+}/:name', walk('publish', '@acme/walk@1.0.0', async () => ok(request('PUT', '/v1/skills/@acme/walk', { token: r.alice, body: await tarballOf(echoSkill('@acme/walk')) }), 201), alice, { tag: 'latest' })],
    [`PUT ${skill}/dist-tags/:tag`, walk('dist-tag', '@acme/walk', () => ok(request('PUT', '/v1/skills/@acme/walk/dist-tags/next', { token: r.alice, body: { version: '1.0.0' } })), alice, { tag: 'next', version: '1.0.0' })],
    [`DELETE ${skill}/dist-tags/:tag`, walk('dist-tag-rm', '@acme/walk', () => ok(request('DELETE', '/v1/skills/@acme/walk/dist-tags/next', { token: r.alice })), alice, { tag: 'next' })],
    [`POST ${skill}/versions/:version/yank`, walk('yank', '@acme/walk@1.0.0', () => ok(request('POST', '/v1/skills/@acme/walk/versions/1.0.0/yank', { token: r.alice })), alice)],
    [`POST ${skill}/versions/:version/unyank`, walk('unyank', '@acme/walk@1.0.0', () => ok(request('POST', '/v1/skills/@acme/walk/versions/1.0.0/unyank', { token: r.alice })), alice)],
    [`POST ${skill}/versions/:version/deprecate`, walk('deprecate', '@acme/walk@1.0.0', () => ok(request('POST', '/v1/skills/@acme/walk/versions/1.0.0/deprecate', { token: r.alice, body: { message: 'use 2' } })), alice, { message: 'use 2' })],
    [
      `POST ${skill}/audit-allowances`,
      walk('audit-allow', '@acme/walk', () => ok(request('POST', '/v1/skills/@acme/walk/audit-allowances', { token: r.alice, body: { rule: 'script-pipe-to-shell', reason: 'vendor installer' } }), 201), alice, {
        rule: 'script-pipe-to-shell',
        reason: 'vendor installer',
      }),
    ],
    [`DELETE ${skill}/audit-allowances/:rule`, walk('audit-disallow', '@acme/walk', () => ok(request('DELETE', '/v1/skills/@acme/walk/audit-allowances/script-pipe-to-shell', { token: r.alice })), alice, { rule: 'script-pipe-to-shell' })],
    [`DELETE ${skill}/versions/:version`, walk('delete', '@acme/walk@1.0.0', () => ok(request('DELETE', '/v1/skills/@acme/walk/versions/1.0.0', { token: r.alice })), alice)],
    [
      'POST /sign-in',
      walk(
        'web-sign-in',
        'alice',
        async () => {
          const form = await request('GET', '/sign-in', { headers: HTML });
          const anon = /skills_csrf=([^;]+)/.exec(form.headers.getSetCookie().join('\n'))?.[1] ?? '';
          const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
          const res = await request('POST', '/sign-in', {
            headers: { ...HTML, 'Content-Type': 'application/x-www-form-urlencoded', Cookie: `skills_csrf=${anon}`, Origin: 'http://localhost' },
            body: new URLSearchParams({ csrf, next: '/', token: r.alice }).toString(),
          });
          expect(res.status).toBe(303);
          signInSession = /skills_session=([^;]+)/.exec(res.headers.getSetCookie().join('\n'))?.[1] ?? '';
          expect(signInSession).not.toBe('');
        },
        alice,
      ),
    ],
  ]);
}

describe('every privileged route writes its entry', () => {
  it('walks every route the app registers that changes something: one entry each, with user, token id and the socket address', async () => {
    const registered = [...new Set(r.app.routes.filter((route) => route.method !== 'GET' && route.method !== 'HEAD' && route.path !== '/*').map((route) => `${route.method} ${route.path}`))];
    const table = walks();
    // A new route that changes something needs a walk (and its entry) or a reason here.
    expect(registered.filter((key) => !table.has(key) && !NOT_PRIVILEGED.has(key)).sort()).toEqual([]);
    expect([...table.keys(), ...NOT_PRIVILEGED.keys()].filter((key) => !registered.includes(key))).toEqual([]);
    for (const [key, walk] of table) {
      const before = lastId();
      await walk.run();
      const written = rows().filter((row) => row.id > before);
      expect(written.map((row) => row.action), key).toEqual([walk.action]);
      const [entry] = written;
      const tokenId = tokenIdOf(walk.token());
      expect(entry, key).toMatchObject({ action: walk.action, target: walk.target(), token_id: tokenId, address: ADDRESS });
      const owner = r.db.prepare('SELECT user_id FROM tokens WHERE id = ?').get(tokenId) as { user_id: number };
      expect(entry?.user_id, key).toBe(owner.user_id);
      if (walk.details) expect(JSON.parse(entry?.details ?? 'null'), key).toMatchObject(walk.details);
    }
  }, 60_000);

  it('records the first admin, made by the registry itself, with no user, token or address', () => {
    const first = rows().slice(0, 2);
    expect(first).toMatchObject([
      { action: 'user-create', target: 'admin', user_id: null, token_id: null, address: null },
      { action: 'token-create', target: tokenIdOf(r.admin), user_id: null, token_id: null, address: null },
    ]);
  });

  it('takes the socket address, never X-Forwarded-For or X-Real-IP', async () => {
    await ok(request('POST', '/v1/users', { token: r.admin, body: { name: 'erin' }, headers: { 'X-Forwarded-For': '198.51.100.1', 'X-Real-IP': '198.51.100.2', Forwarded: 'for=198.51.100.3' } }, '::ffff:192.0.2.4'), 201);
    expect(rows().at(-1)).toMatchObject({ action: 'user-create', target: 'erin', address: '::ffff:192.0.2.4' });
  });

  it('writes no entry for a change that fails, and no change when its entry cannot be written', async () => {
    const before = lastId();
    expect((await request('POST', '/v1/teams', { token: r.admin, body: { name: 'crew' } })).status).toBe(409);
    expect((await request('DELETE', `/v1/tokens/${revocable.id}`, { token: r.admin })).status).toBe(409);
    expect((await request('POST', '/v1/scopes', { token: r.alice, body: { name: '@mine', team: 'crew' } })).status).toBe(403);
    expect(lastId()).toBe(before);
    // The entry is written inside the change's transaction: when it fails, the change is undone.
    r.db.exec("CREATE TRIGGER refuse_log BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'the log is refused'); END");
    try {
      expect((await request('POST', '/v1/teams', { token: r.admin, body: { name: 'unlogged' } })).status).toBe(500);
      expect((await request('POST', '/v1/tokens', { token: r.admin, body: { permission: 'read' } })).status).toBe(500);
    } finally {
      r.db.exec('DROP TRIGGER refuse_log');
    }
    expect(r.db.prepare("SELECT COUNT(*) AS n FROM teams WHERE name = 'unlogged'").get()).toEqual({ n: 0 });
    expect((r.db.prepare('SELECT COUNT(*) AS n FROM tokens').get() as { n: number }).n).toBe((r.db.prepare("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'token-create'").get() as { n: number }).n);
    expect(lastId()).toBe(before);
  });
});

describe('GET /v1/admin/log', () => {
  it('answers unscoped admins, newest first, in pages that follow each other to the end', async () => {
    const all = rows().reverse();
    const first = await log('?limit=3');
    expect(first.entries.map((e) => e.id)).toEqual(all.slice(0, 3).map((e) => e.id));
    expect(first.next).toBe(all[2]?.id);
    const seen: number[] = [];
    let next: number | null = null;
    do {
      const page = await log(`?limit=4${next === null ? '' : `&before=${next}`}`);
      seen.push(...page.entries.map((e) => e.id));
      ({ next } = page);
    } while (next !== null);
    expect(seen).toEqual(all.map((e) => e.id));
    // The newest: the user made from another address in the walk above.
    expect(first.entries[0]).toMatchObject({ action: 'user-create', target: 'erin', user: 'admin', tokenId: tokenIdOf(r.admin), address: '::ffff:192.0.2.4', details: null });
    expect((await log('?limit=500')).entries.find((e) => e.action === 'token-create' && e.target === tokenIdOf(r.admin))).toMatchObject({ user: null, tokenId: null, address: null, details: { user: 'admin', permission: 'admin' } });
  });

  it('keeps to since: entries at or after it', async () => {
    const all = rows();
    const middle = all[Math.floor(all.length / 2)];
    const since = middle?.at ?? '';
    const page = await log(`?limit=500&since=${encodeURIComponent(since)}`);
    expect(page.entries.map((e) => e.id).sort((a, b) => a - b)).toEqual(all.filter((e) => e.at >= since).map((e) => e.id));
    expect((await log('?since=2999-01-01')).entries).toEqual([]);
    expect((await log('?since=2000-01-01T00:00:00%2B02:00&limit=1')).entries).toHaveLength(1);
  });

  it('is refused to every token but an unscoped admin: 401 without one, 403 (EFORBIDDEN) for read, publish and scoped admin tokens, an admin user\'s publish token included', async () => {
    const anonymous = await request('GET', '/v1/admin/log');
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe('EAUTHREQUIRED');
    const adminsPublish = await mint({ permission: 'publish' });
    const scopedAdmin = await mint({ user: 'admin', permission: 'admin', scopes: ['@acme'] });
    for (const token of [r.bobRead, r.alice, adminsPublish.token, scopedAdmin.token]) {
      const res = await request('GET', '/v1/admin/log', { token });
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('EFORBIDDEN');
    }
  });

  it('refuses a since that is not a time, a limit out of range and a before that names no entry (400, EQUERYINVALID)', async () => {
    for (const query of [
      'since=yesterday',
      'since=24h',
      'since=2025-02-30',
      'since=2025-13-01',
      "since=2025-01-01'%20OR%201=1",
      `since=${'9'.repeat(5000)}`,
      'limit=0',
      'limit=501',
      'limit=100000000000000000000',
      'limit=-1',
      'limit=1.5',
      'before=abc',
      'before=0',
      'before=99999999999999999999',
      'before=999999999',
    ]) {
      const res = await request('GET', `/v1/admin/log?${query}`, { token: r.admin });
      expect(res.status, query).toBe(400);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code, query).toBe('EQUERYINVALID');
      expect(body.error.message.length, query).toBeLessThan(300);
    }
    expect((await log('?limit=500')).entries.length).toBeLessThanOrEqual(500);
  });
});

describe('hostile details and secrets', () => {
  it('keeps details bounded and masks anything shaped like a token', () => {
    const token = `skr_${'A'.repeat(16)}_${'b'.repeat(43)}`;
    const masked = JSON.parse(boundedDetails({ message: `see ${token}`, url: 'https://user:hunter2@example.com/x' })) as Record<string, string>;
    expect(masked.message).toBe(`see skr_${'A'.repeat(16)}_***`);
    expect(masked.url).not.toContain('hunter2');
    const long = JSON.parse(boundedDetails({ text: 'x'.repeat(100_000), emoji: '😀'.repeat(2000) })) as Record<string, string>;
    expect(long.text?.length).toBe(MAX_DETAIL_STRING_CHARS);
    expect(long.emoji?.length).toBeLessThanOrEqual(MAX_DETAIL_STRING_CHARS);
    expect(long.emoji).not.toMatch(/[\uD800-\uDBFF]…$/);
    const wide = boundedDetails(Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, 'y'.repeat(1000)])));
    expect(wide.length).toBeLessThanOrEqual(MAX_DETAILS_CHARS);
    expect(JSON.parse(wide)).toMatchObject({ truncated: true });
    const deep = JSON.parse(boundedDetails({ a: { b: { c: { d: { e: { f: 1 } } } } } })) as unknown;
    expect(JSON.stringify(deep)).not.toContain('"f"');
  });

  it('shows details holding HTML and script as text on the page, and never puts a token or session id in an entry', async () => {
    await ok(request('PUT', '/v1/skills/@acme/hostile', { token: r.alice, body: await tarballOf(echoSkill('@acme/hostile')) }), 201);
    const evil = '<script>alert(1)</script><img src=x onerror=alert(2)>"\'&';
    await ok(request('POST', '/v1/skills/@acme/hostile/versions/1.0.0/deprecate', { token: r.alice, body: { message: evil } }));
    await ok(request('POST', '/v1/skills/@acme/hostile/audit-allowances', { token: r.alice, body: { rule: 'script-pipe-to-shell', reason: `</code></td><script>alert(3)</script>` } }), 201);
    for (let i = 0; i < 3; i++) await mint({ permission: 'read', description: `<b>${i}</b>` });
    const res = await request('GET', '/admin/log', { token: r.admin, headers: HTML });
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(body).toContain('&lt;/code&gt;&lt;/td&gt;&lt;script&gt;alert(3)');
    expect(body).not.toContain('<script>alert');
    expect(body).not.toMatch(/<img\b/);
    expect(body.match(/<script\b[^>]*>/g)).toHaveLength(1);
    // Every token minted in this file, and the session of the sign-in above, in no entry.
    const dump = JSON.stringify(rows());
    expect(minted.length).toBeGreaterThan(6);
    for (const token of minted) {
      expect(dump).not.toContain(token);
      // The secret after skr_<16-character id>_ (which may itself hold '_').
      expect(dump).not.toContain(token.slice('skr_'.length + 16 + 1));
    }
    expect(signInSession).not.toBe('');
    expect(dump).not.toContain(signInSession);
    const api = JSON.stringify(await log('?limit=500'));
    for (const token of minted) expect(api).not.toContain(token);
  });
});

describe('the /admin/log page', () => {
  it('shows the entries to an unscoped admin, paged, and links to it from the header for admins only', async () => {
    while (lastId() <= 60) await mint({ permission: 'read' });
    const res = await request('GET', '/admin/log', { token: r.admin, headers: HTML });
    expect(res.status).toBe(200);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    const body = await res.text();
    expect(body).toContain('<h1>Admin log</h1>');
    expect(body).toContain(`<code>${tokenIdOf(r.alice)}</code>`);
    expect(body).toContain(ADDRESS);
    expect(body).toContain('href="/admin/log">Admin log</a>');
    const older = /href="(\/admin\/log\?before=\d+)" rel="next"/.exec(body)?.[1];
    expect(older).toBeDefined();
    const second = await (await request('GET', older ?? '', { token: r.admin, headers: HTML })).text();
    expect(second).toContain('&larr; Newest');
    const firstIds = [...body.matchAll(/datetime="([^"]+)"/g)].length;
    expect(firstIds).toBe(50);
    expect(await (await request('GET', '/', { token: r.admin, headers: HTML })).text()).toContain('href="/admin/log"');
    expect(await (await request('GET', '/', { token: r.alice, headers: HTML })).text()).not.toContain('/admin/log');
  });

  it('sends an anonymous browser to sign in, shows others the 403 page, and a bad since the 400 page', async () => {
    const anonymous = await request('GET', '/admin/log?since=2025-01-01', { headers: HTML });
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('Location')).toBe(`/sign-in?next=${encodeURIComponent('/admin/log?since=2025-01-01')}`);
    for (const headers of [{ ...HTML, Cookie: `skills_session=${signInSession}` }, { ...HTML, Authorization: `Bearer ${r.bobRead}` }]) {
      const res = await request('GET', '/admin/log', { headers });
      expect(res.status).toBe(403);
      const text = await res.text();
      expect(text).toContain('Cannot show this page');
      expect(text).not.toContain(ADDRESS);
    }
    const bad = await request('GET', '/admin/log?since=%3Cscript%3E', { token: r.admin, headers: HTML });
    expect(bad.status).toBe(400);
    const text = await bad.text();
    expect(text).toContain('&lt;script&gt;');
    expect(text).not.toContain('<script>');
    // An API client at the page's address gets the JSON 404, as at every page.
    expect((await request('GET', '/admin/log', { token: r.admin })).status).toBe(404);
  });
});

describe('times', () => {
  it('reads ISO times and durations, and nothing else', () => {
    expect(parseIsoTime('2025-06-01')).toBe('2025-06-01T00:00:00.000Z');
    expect(parseIsoTime('2025-06-01T12:00:00+02:00')).toBe('2025-06-01T10:00:00.000Z');
    for (const bad of ['2025-02-29', '2025-06-01T12:00:00', 'now', '', '2025-06-01T25:00:00Z']) expect(parseIsoTime(bad), bad).toBeUndefined();
    const now = Date.parse('2025-06-08T00:00:00.000Z');
    expect(sinceTime('24h', now)).toBe('2025-06-07T00:00:00.000Z');
    expect(sinceTime('7d', now)).toBe('2025-06-01T00:00:00.000Z');
    expect(sinceTime('2025-06-01', now)).toBe('2025-06-01T00:00:00.000Z');
    for (const bad of ['yesterday', '24', 'h', '-1d', '1y']) expect(() => sinceTime(bad, now), bad).toThrow(expect.objectContaining({ code: 'EUSAGE', hint: expect.stringContaining('24h') }));
  });
});
