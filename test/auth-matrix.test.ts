/**
 * The whole permission matrix: every route of the app x every kind of token, with the status and
 * error code each gets, and proof that a refused request changed no row of any table. A route
 * added to the app without a row here fails the completeness check.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASSETS } from '../registry-server/web/assets';
import { dumpDb } from '../testkit/db-dump';
import { createTestRegistry, echoSkill, tarballOf, type TestRegistry } from '../testkit/registry';

/**
 * - read: a read token of alice, owner of team acme (which owns @acme, public, and @secret, private)
 * - publish: alice's unscoped publish token; admin: the first admin token (unscoped)
 * - scoped / scopedAdmin: a publish token of alice and an admin token, both limited to @elsewhere
 * - outsider: a publish token of bob, who is in no team
 * - expired / revoked: publish tokens of alice; malformed: not a token at all
 */
const KINDS = ['none', 'read', 'publish', 'admin', 'scoped', 'scopedAdmin', 'outsider', 'expired', 'revoked', 'malformed'] as const;
type Kind = (typeof KINDS)[number];

let r: TestRegistry;
/** The metrics' own token (metrics.token): no registry token reads the metrics. */
const METRICS_TOKEN = 'metrics-token-of-the-auth-matrix-0123456789';
const tokens = {} as Record<Kind, string | undefined>;
let counter = 0;
const next = () => counter++;

async function created(token: string | undefined, body: object): Promise<{ id: string; token: string }> {
  const res = await r.request('POST', '/v1/tokens', { token, body });
  if (res.status !== 201) throw new Error(`setup: ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: string; token: string };
}

async function setup(method: string, url: string, body?: object | Uint8Array): Promise<void> {
  const res = await r.request(method, url, { token: r.admin, ...(body ? { body } : {}) });
  if (res.status >= 300) throw new Error(`setup ${method} ${url}: ${res.status} ${await res.text()}`);
}

beforeAll(async () => {
  r = await createTestRegistry({ authFailuresPerMinute: 100_000, publishesPerMinute: 100_000, metricsToken: METRICS_TOKEN });
  await setup('POST', '/v1/scopes', { name: '@elsewhere', team: 'acme' });
  await setup('POST', '/v1/users', { name: 'carol' });
  tokens.none = undefined;
  tokens.read = (await created(r.admin, { user: 'alice', permission: 'read' })).token;
  tokens.publish = r.alice;
  tokens.admin = r.admin;
  tokens.scoped = (await created(r.admin, { user: 'alice', permission: 'publish', scopes: ['@elsewhere'] })).token;
  tokens.scopedAdmin = (await created(r.admin, { permission: 'admin', scopes: ['@elsewhere'] })).token;
  tokens.outsider = (await created(r.admin, { user: 'bob', permission: 'publish' })).token;
  const expired = await created(r.admin, { user: 'alice', permission: 'publish' });
  r.db.prepare("UPDATE tokens SET expires_at = '2001-01-01T00:00:00.000Z' WHERE id = ?").run(expired.id);
  tokens.expired = expired.token;
  const revoked = await created(r.admin, { user: 'alice', permission: 'publish' });
  await setup('DELETE', `/v1/tokens/${revoked.id}`);
  tokens.revoked = revoked.token;
  tokens.malformed = 'skr_not-a-real-token';
  for (const scope of ['@acme', '@secret']) {
    await setup('PUT', `/v1/skills/${scope}/hello`, await tarballOf(echoSkill(`${scope}/hello`)));
    // One deletable version per kind, so a kind that may delete never finds it gone.
    for (let i = 0; i < KINDS.length; i++) await setup('PUT', `/v1/skills/${scope}/del`, await tarballOf(echoSkill(`${scope}/del`, `1.0.${i}`)));
  }
});
afterAll(async () => {
  await r.close();
});

/** `status` or `status CODE`; for /mcp, `200 hidden` when the tool answered "not found". */
type Outcome = string;
const BAD: Record<'expired' | 'revoked' | 'malformed', Outcome> = { expired: '401 ETOKENEXPIRED', revoked: '401 ETOKENREVOKED', malformed: '401 ETOKENINVALID' };
const OPEN = (ok: Outcome): Record<Kind, Outcome> => ({ none: ok, read: ok, publish: ok, admin: ok, scoped: ok, scopedAdmin: ok, outsider: ok, ...BAD });
/** The same for every kind: a route that reads no registry token. */
const EVERY = (outcome: Outcome): Record<Kind, Outcome> => Object.fromEntries(KINDS.map((k) => [k, outcome])) as Record<Kind, Outcome>;
const SIGNED_IN = (ok: Outcome): Record<Kind, Outcome> => ({ ...OPEN(ok), none: '401 EAUTHREQUIRED' });
/** Changing a skill in the public @acme: publish permission and membership of its team. */
const CHANGE_PUBLIC = (ok: Outcome): Record<Kind, Outcome> => ({
  none: '401 EAUTHREQUIRED',
  read: '403 EFORBIDDEN',
  publish: ok,
  admin: ok,
  scoped: '403 ESCOPEFORBIDDEN',
  scopedAdmin: '403 ESCOPEFORBIDDEN',
  outsider: '403 ESCOPEFORBIDDEN',
  ...BAD,
});
/** Changing a skill in the private @secret: whoever may not read it gets the answer for a missing skill. */
const CHANGE_PRIVATE = (ok: Outcome, missing = '404 ENOTFOUND'): Record<Kind, Outcome> => ({ ...CHANGE_PUBLIC(ok), scoped: missing, scopedAdmin: missing, outsider: missing });
const READ_PRIVATE: Record<Kind, Outcome> = { ...OPEN('200'), none: '404 ENOTFOUND', scoped: '404 ENOTFOUND', scopedAdmin: '404 ENOTFOUND', outsider: '404 ENOTFOUND' };
/** Accounts: only an unscoped admin token. */
const ACCOUNTS = (ok: Outcome): Record<Kind, Outcome> => ({
  none: '401 EAUTHREQUIRED',
  read: '403 EFORBIDDEN',
  publish: '403 EFORBIDDEN',
  admin: ok,
  scoped: '403 EFORBIDDEN',
  scopedAdmin: '403 EFORBIDDEN',
  outsider: '403 EFORBIDDEN',
  ...BAD,
});

/** Allowing audit findings: a team owner of the scope (alice) or an admin token allowed for it. */
const ALLOW_PUBLIC = (ok: Outcome): Record<Kind, Outcome> => ({ ...CHANGE_PUBLIC(ok), scoped: '403 EAUDITALLOWFORBIDDEN', scopedAdmin: '403 EAUDITALLOWFORBIDDEN', outsider: '403 EAUDITALLOWFORBIDDEN' });
const ALLOW_PRIVATE = (ok: Outcome): Record<Kind, Outcome> => ({ ...CHANGE_PUBLIC(ok), scoped: '404 ESCOPENOTFOUND', scopedAdmin: '404 ESCOPENOTFOUND', outsider: '404 ESCOPENOTFOUND' });

interface Row {
  /** The route as the app declares it (`app.routes`), for the completeness check. */
  route: string;
  label: string;
  prepare?: (kind: Kind) => Promise<void>;
  request: (kind: Kind) => Promise<Response>;
  expect: Record<Kind, Outcome>;
}

const SKILL = '/v1/skills/:scope{@[^/]+}/:name';
const req = (method: string, url: string, body?: object | Uint8Array) => (k: Kind) => r.request(method, url, { token: tokens[k], ...(body ? { body } : {}) });
const mcp = (tool: string, args: object) => (k: Kind) =>
  r.request('POST', '/mcp', { token: tokens[k], headers: { Accept: 'application/json, text/event-stream' }, body: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: tool, arguments: args } } });
const KIND_INDEX = (k: Kind) => KINDS.indexOf(k);
const WEB_SCOPE = '/:scope{@[a-z0-9]+(?:-[a-z0-9]+)*}';
const page = (url: string) => (k: Kind) => r.request('GET', url, { token: tokens[k], headers: { Accept: 'text/html' } });
const pagePost = (url: string, body: string) => (k: Kind) =>
  r.request('POST', url, { token: tokens[k], body, headers: { Accept: 'text/html', 'Content-Type': 'application/x-www-form-urlencoded' } });
const PAGE_BAD: Record<'expired' | 'revoked' | 'malformed', Outcome> = { expired: '401 page', revoked: '401 page', malformed: '401 page' };
const PAGE_OPEN = (ok: Outcome): Record<Kind, Outcome> => ({ ...OPEN(ok), ...PAGE_BAD });
const PAGE_READ_PRIVATE: Record<Kind, Outcome> = { ...PAGE_OPEN('200'), none: '404 page', scoped: '404 page', scopedAdmin: '404 page', outsider: '404 page' };
let revokeTarget = '';

const rows: Row[] = [
  { route: 'GET /-/ping', label: 'ping', request: req('GET', '/-/ping'), expect: OPEN('200') },
  { route: 'GET /-/health/live', label: 'liveness', request: req('GET', '/-/health/live'), expect: EVERY('200') },
  { route: 'GET /-/health/ready', label: 'readiness', request: req('GET', '/-/health/ready'), expect: EVERY('200') },
  { route: 'GET /-/metrics', label: 'metrics, with a registry token or none', request: req('GET', '/-/metrics'), expect: EVERY('401 EMETRICSTOKEN') },
  { route: 'GET /-/whoami', label: 'whoami', request: req('GET', '/-/whoami'), expect: SIGNED_IN('200') },
  { route: `GET ${SKILL}`, label: 'public packument', request: req('GET', '/v1/skills/@acme/hello'), expect: OPEN('200') },
  { route: `GET ${SKILL}`, label: 'private packument', request: req('GET', '/v1/skills/@secret/hello'), expect: READ_PRIVATE },
  { route: `GET ${SKILL}/versions/:version`, label: 'public version', request: req('GET', '/v1/skills/@acme/hello/versions/1.0.0'), expect: OPEN('200') },
  { route: `GET ${SKILL}/versions/:version`, label: 'private version', request: req('GET', '/v1/skills/@secret/hello/versions/1.0.0'), expect: READ_PRIVATE },
  { route: `GET ${SKILL}/versions/:version/skill.md`, label: 'public SKILL.md', request: req('GET', '/v1/skills/@acme/hello/versions/1.0.0/skill.md'), expect: OPEN('200') },
  { route: `GET ${SKILL}/versions/:version/skill.md`, label: 'private SKILL.md', request: req('GET', '/v1/skills/@secret/hello/versions/1.0.0/skill.md'), expect: READ_PRIVATE },
  { route: `GET ${SKILL}/-/:file`, label: 'public tarball', request: req('GET', '/v1/skills/@acme/hello/-/hello-1.0.0.tgz'), expect: OPEN('200') },
  { route: `GET ${SKILL}/-/:file`, label: 'private tarball', request: req('GET', '/v1/skills/@secret/hello/-/hello-1.0.0.tgz'), expect: READ_PRIVATE },
  {
    route: `PUT ${SKILL}`,
    label: 'publish to public @acme',
    request: async (k) => req('PUT', '/v1/skills/@acme/matrix', await tarballOf(echoSkill('@acme/matrix', `1.0.${next()}`)))(k),
    expect: CHANGE_PUBLIC('201'),
  },
  {
    route: `PUT ${SKILL}`,
    label: 'publish to private @secret',
    request: async (k) => req('PUT', '/v1/skills/@secret/matrix', await tarballOf(echoSkill('@secret/matrix', `1.0.${next()}`)))(k),
    expect: CHANGE_PRIVATE('201', '404 ESCOPENOTFOUND'),
  },
  {
    route: `PUT ${SKILL}`,
    label: 'publish to a scope that does not exist',
    request: async (k) => req('PUT', '/v1/skills/@nosuch/matrix', await tarballOf(echoSkill('@nosuch/matrix', `1.0.${next()}`)))(k),
    expect: { ...CHANGE_PRIVATE('404 ESCOPENOTFOUND', '404 ESCOPENOTFOUND'), scoped: '404 ESCOPENOTFOUND', scopedAdmin: '404 ESCOPENOTFOUND' },
  },
  { route: `PUT ${SKILL}/dist-tags/:tag`, label: 'set dist-tag public', request: req('PUT', '/v1/skills/@acme/hello/dist-tags/stable', { version: '1.0.0' }), expect: CHANGE_PUBLIC('200') },
  { route: `PUT ${SKILL}/dist-tags/:tag`, label: 'set dist-tag private', request: req('PUT', '/v1/skills/@secret/hello/dist-tags/stable', { version: '1.0.0' }), expect: CHANGE_PRIVATE('200') },
  {
    route: `DELETE ${SKILL}/dist-tags/:tag`,
    label: 'remove dist-tag public',
    prepare: () => setup('PUT', '/v1/skills/@acme/hello/dist-tags/gone', { version: '1.0.0' }),
    request: req('DELETE', '/v1/skills/@acme/hello/dist-tags/gone'),
    expect: CHANGE_PUBLIC('200'),
  },
  {
    route: `DELETE ${SKILL}/dist-tags/:tag`,
    label: 'remove dist-tag private',
    prepare: () => setup('PUT', '/v1/skills/@secret/hello/dist-tags/gone', { version: '1.0.0' }),
    request: req('DELETE', '/v1/skills/@secret/hello/dist-tags/gone'),
    expect: CHANGE_PRIVATE('200'),
  },
  { route: `DELETE ${SKILL}/dist-tags/:tag`, label: 'remove latest (refused after auth)', request: req('DELETE', '/v1/skills/@secret/hello/dist-tags/latest'), expect: CHANGE_PRIVATE('400 ETAGLATEST') },
  { route: `POST ${SKILL}/versions/:version/yank`, label: 'yank public', request: req('POST', '/v1/skills/@acme/hello/versions/1.0.0/yank'), expect: CHANGE_PUBLIC('200') },
  { route: `POST ${SKILL}/versions/:version/yank`, label: 'yank private', request: req('POST', '/v1/skills/@secret/hello/versions/1.0.0/yank'), expect: CHANGE_PRIVATE('200') },
  { route: `POST ${SKILL}/versions/:version/unyank`, label: 'unyank public', request: req('POST', '/v1/skills/@acme/hello/versions/1.0.0/unyank'), expect: CHANGE_PUBLIC('200') },
  { route: `POST ${SKILL}/versions/:version/unyank`, label: 'unyank private', request: req('POST', '/v1/skills/@secret/hello/versions/1.0.0/unyank'), expect: CHANGE_PRIVATE('200') },
  { route: `POST ${SKILL}/versions/:version/deprecate`, label: 'deprecate public', request: req('POST', '/v1/skills/@acme/hello/versions/1.0.0/deprecate', { message: 'old' }), expect: CHANGE_PUBLIC('200') },
  { route: `POST ${SKILL}/versions/:version/deprecate`, label: 'deprecate private', request: req('POST', '/v1/skills/@secret/hello/versions/1.0.0/deprecate', { message: 'old' }), expect: CHANGE_PRIVATE('200') },
  { route: `DELETE ${SKILL}/versions/:version`, label: 'delete version public', request: (k) => req('DELETE', `/v1/skills/@acme/del/versions/1.0.${KIND_INDEX(k)}`)(k), expect: CHANGE_PUBLIC('200') },
  { route: `DELETE ${SKILL}/versions/:version`, label: 'delete version private', request: (k) => req('DELETE', `/v1/skills/@secret/del/versions/1.0.${KIND_INDEX(k)}`)(k), expect: CHANGE_PRIVATE('200') },
  { route: `GET ${SKILL}/versions/:version/audit`, label: 'public audit report', request: req('GET', '/v1/skills/@acme/hello/versions/1.0.0/audit'), expect: OPEN('200') },
  { route: `GET ${SKILL}/versions/:version/audit`, label: 'private audit report', request: req('GET', '/v1/skills/@secret/hello/versions/1.0.0/audit'), expect: READ_PRIVATE },
  { route: `GET ${SKILL}/audit-allowances`, label: 'public audit allowances', request: req('GET', '/v1/skills/@acme/hello/audit-allowances'), expect: OPEN('200') },
  {
    route: `GET ${SKILL}/audit-allowances`,
    label: 'private audit allowances',
    request: req('GET', '/v1/skills/@secret/hello/audit-allowances'),
    expect: { ...READ_PRIVATE, none: '404 ESCOPENOTFOUND', scoped: '404 ESCOPENOTFOUND', scopedAdmin: '404 ESCOPENOTFOUND', outsider: '404 ESCOPENOTFOUND' },
  },
  { route: `POST ${SKILL}/audit-allowances`, label: 'allow an audit rule public', request: req('POST', '/v1/skills/@acme/hello/audit-allowances', { rule: 'script-pipe-to-shell', reason: 'matrix' }), expect: ALLOW_PUBLIC('201') },
  { route: `POST ${SKILL}/audit-allowances`, label: 'allow an audit rule private', request: req('POST', '/v1/skills/@secret/hello/audit-allowances', { rule: 'script-pipe-to-shell', reason: 'matrix' }), expect: ALLOW_PRIVATE('201') },
  {
    route: `DELETE ${SKILL}/audit-allowances/:rule`,
    label: 'remove an audit allowance public',
    prepare: () => setup('POST', '/v1/skills/@acme/hello/audit-allowances', { rule: 'secret-env-file', reason: 'matrix' }),
    request: req('DELETE', '/v1/skills/@acme/hello/audit-allowances/secret-env-file'),
    expect: ALLOW_PUBLIC('200'),
  },
  {
    route: `DELETE ${SKILL}/audit-allowances/:rule`,
    label: 'remove an audit allowance private',
    prepare: () => setup('POST', '/v1/skills/@secret/hello/audit-allowances', { rule: 'secret-env-file', reason: 'matrix' }),
    request: req('DELETE', '/v1/skills/@secret/hello/audit-allowances/secret-env-file'),
    expect: ALLOW_PRIVATE('200'),
  },
  { route: 'GET /v1/search', label: 'search', request: req('GET', '/v1/search?q=hello'), expect: OPEN('200') },
  { route: 'GET /.well-known/agent-skills/index.json', label: 'discovery index', request: req('GET', '/.well-known/agent-skills/index.json'), expect: OPEN('200') },
  { route: 'POST /v1/users', label: 'create user', request: (k) => req('POST', '/v1/users', { name: `user-${next()}` })(k), expect: ACCOUNTS('201') },
  { route: 'GET /v1/tokens', label: 'list tokens', request: req('GET', '/v1/tokens'), expect: SIGNED_IN('200') },
  {
    route: 'POST /v1/tokens',
    label: 'mint own read token (unscoped)',
    request: req('POST', '/v1/tokens', { permission: 'read' }),
    expect: { ...SIGNED_IN('201'), read: '403 EFORBIDDEN', scoped: '403 EFORBIDDEN', scopedAdmin: '403 EFORBIDDEN' },
  },
  {
    route: 'POST /v1/tokens',
    label: 'mint own read token for @elsewhere',
    request: req('POST', '/v1/tokens', { permission: 'read', scopes: ['@elsewhere'] }),
    expect: { ...SIGNED_IN('201'), read: '403 EFORBIDDEN' },
  },
  {
    route: 'POST /v1/tokens',
    label: 'mint own read token for private @secret',
    request: req('POST', '/v1/tokens', { permission: 'read', scopes: ['@secret'] }),
    expect: { ...SIGNED_IN('201'), read: '403 EFORBIDDEN', scoped: '403 EFORBIDDEN', scopedAdmin: '403 EFORBIDDEN', outsider: '404 ESCOPENOTFOUND' },
  },
  { route: 'POST /v1/tokens', label: 'mint own admin token', request: req('POST', '/v1/tokens', { permission: 'admin' }), expect: ACCOUNTS('201') },
  { route: 'POST /v1/tokens', label: 'mint a token for another user', request: req('POST', '/v1/tokens', { user: 'carol', permission: 'read' }), expect: ACCOUNTS('201') },
  {
    route: 'DELETE /v1/tokens/:id',
    label: "revoke another of alice's publish tokens",
    prepare: async () => {
      revokeTarget = (await created(r.admin, { user: 'alice', permission: 'publish' })).id;
    },
    request: (k) => req('DELETE', `/v1/tokens/${revokeTarget}`)(k),
    expect: { ...SIGNED_IN('200'), read: '403 EFORBIDDEN', scoped: '403 EFORBIDDEN', scopedAdmin: '404 ENOTFOUND', outsider: '404 ENOTFOUND' },
  },
  { route: 'GET /v1/teams', label: 'list teams', request: req('GET', '/v1/teams'), expect: ACCOUNTS('200') },
  { route: 'POST /v1/teams', label: 'create team', request: (k) => req('POST', '/v1/teams', { name: `team-${next()}` })(k), expect: ACCOUNTS('201') },
  {
    route: 'POST /v1/teams/:team/members',
    label: 'add a member to acme',
    request: req('POST', '/v1/teams/acme/members', { user: 'carol', role: 'member' }),
    expect: { ...ACCOUNTS('201'), publish: '201' },
  },
  { route: 'POST /v1/teams/:team/members', label: 'add a member to a team that does not exist', request: req('POST', '/v1/teams/nosuch/members', { user: 'carol' }), expect: ACCOUNTS('404 ENOTFOUND') },
  { route: 'GET /v1/scopes', label: 'list scopes', request: req('GET', '/v1/scopes'), expect: OPEN('200') },
  { route: 'POST /v1/scopes', label: 'create a free scope', request: (k) => req('POST', '/v1/scopes', { name: `@scope-${next()}`, team: 'acme' })(k), expect: ACCOUNTS('201') },
  { route: 'POST /v1/scopes', label: 'create a scope that exists privately', request: req('POST', '/v1/scopes', { name: '@secret', team: 'acme' }), expect: ACCOUNTS('409 ESCOPEEXISTS') },
  { route: 'GET /v1/admin/log', label: 'admin log', request: req('GET', '/v1/admin/log'), expect: ACCOUNTS('200') },
  { route: 'ALL /mcp', label: 'mcp get_skill public', request: mcp('get_skill', { name: '@acme/hello' }), expect: OPEN('200') },
  { route: 'ALL /mcp', label: 'mcp get_skill private', request: mcp('get_skill', { name: '@secret/hello' }), expect: { ...OPEN('200'), none: '200 hidden', scoped: '200 hidden', scopedAdmin: '200 hidden', outsider: '200 hidden' } },
  { route: 'ALL /mcp', label: 'mcp list_versions private', request: mcp('list_versions', { name: '@secret/hello' }), expect: { ...OPEN('200'), none: '200 hidden', scoped: '200 hidden', scopedAdmin: '200 hidden', outsider: '200 hidden' } },
  // The web catalog: pages answer a browser (Accept: text/html); a refusal is an HTML page (`page`).
  ...ASSETS.map((asset): Row => ({ route: `GET ${asset.path}`, label: 'web asset', request: req('GET', asset.path), expect: OPEN('200') })),
  { route: 'GET /', label: 'web home', request: page('/'), expect: PAGE_OPEN('200') },
  { route: 'GET /search', label: 'web search', request: page('/search?q=hello'), expect: PAGE_OPEN('200') },
  { route: 'GET /sign-in', label: 'web sign-in form', request: page('/sign-in'), expect: PAGE_OPEN('200') },
  { route: 'POST /sign-in', label: 'web sign-in without a CSRF token', request: pagePost('/sign-in', 'token=x'), expect: PAGE_OPEN('403 page') },
  { route: 'POST /sign-out', label: 'web sign-out without a session', request: pagePost('/sign-out', ''), expect: PAGE_OPEN('303') },
  {
    route: 'GET /admin/log',
    label: 'web admin log (anonymous: to the sign-in form)',
    request: page('/admin/log'),
    expect: { ...PAGE_OPEN('403 page'), none: '303', admin: '200' },
  },
  { route: `GET ${WEB_SCOPE}`, label: 'web public scope', request: page('/@acme'), expect: PAGE_OPEN('200') },
  { route: `GET ${WEB_SCOPE}`, label: 'web private scope', request: page('/@secret'), expect: PAGE_READ_PRIVATE },
  { route: `GET ${WEB_SCOPE}/:name`, label: 'web public skill', request: page('/@acme/hello'), expect: PAGE_OPEN('200') },
  { route: `GET ${WEB_SCOPE}/:name`, label: 'web private skill', request: page('/@secret/hello'), expect: PAGE_READ_PRIVATE },
  { route: `GET ${WEB_SCOPE}/:name/v/:version`, label: 'web private version', request: page('/@secret/hello/v/1.0.0'), expect: PAGE_READ_PRIVATE },
  { route: `GET ${WEB_SCOPE}/:name/v/:version/files/:path{.+}`, label: 'web private file', request: page('/@secret/hello/v/1.0.0/files/SKILL.md'), expect: PAGE_READ_PRIVATE },
  { route: `GET ${WEB_SCOPE}/:name/v/:version/raw/:path{.+}`, label: 'web private image (not an image)', request: page('/@secret/hello/v/1.0.0/raw/SKILL.md'), expect: { ...PAGE_READ_PRIVATE, read: '404 page', publish: '404 page', admin: '404 page' } },
];

async function outcome(res: Response): Promise<Outcome> {
  if ((res.headers.get('Content-Type') ?? '').startsWith('text/html')) return res.status >= 400 ? `${res.status} page` : String(res.status);
  const text = await res.text();
  if (res.status >= 400) return `${res.status} ${(JSON.parse(text) as { error: { code: string } }).error.code}`;
  if (text.startsWith('{"result"') && (JSON.parse(text) as { result: { isError?: boolean } }).result.isError === true) return `${res.status} hidden`;
  return String(res.status);
}

describe('auth matrix: every route x every token kind (status, code, and no row changed when refused)', () => {
  it('has a row for every route of the app', () => {
    const declared = new Set(r.app.routes.filter((x) => x.path !== '/*').map((x) => `${x.method} ${x.path}`));
    expect(new Set(rows.map((row) => row.route))).toEqual(declared);
  });

  for (const row of rows) {
    it(`${row.route.replace(SKILL, '<skill>')}: ${row.label}`, async () => {
      const got = {} as Record<Kind, Outcome>;
      const changed: string[] = [];
      for (const kind of KINDS) {
        await row.prepare?.(kind);
        await r.settle();
        const before = dumpDb(r.db);
        got[kind] = await outcome(await row.request(kind));
        if (Number(got[kind].slice(0, 3)) >= 400 && dumpDb(r.db) !== before) changed.push(kind);
      }
      expect(got).toEqual(row.expect);
      expect(changed, 'refused requests that changed a row').toEqual([]);
    });
  }

  it('never leaks a private skill: search, scopes, discovery and MCP show it only to readers', async () => {
    const readers: Kind[] = ['read', 'publish', 'admin'];
    for (const kind of KINDS.filter((k) => !(k in BAD))) {
      const search = (await (await r.request('GET', '/v1/search?q=hello', { token: tokens[kind] })).json()) as { results: { name: string }[] };
      expect(search.results.some((x) => x.name === '@secret/hello'), kind).toBe(readers.includes(kind));
      const scopes = (await (await r.request('GET', '/v1/scopes', { token: tokens[kind] })).json()) as { scopes: { name: string }[] };
      expect(scopes.scopes.some((s) => s.name === '@secret'), kind).toBe(readers.includes(kind));
      const found = await mcp('search_skills', { query: 'hello' })(kind);
      expect((await found.text()).includes('@secret/hello'), kind).toBe(readers.includes(kind));
    }
    for (const kind of KINDS.filter((k) => !(k in BAD))) {
      const index = (await (await r.request('GET', '/.well-known/agent-skills/index.json', { token: tokens[kind] })).json()) as { skills: { package: string; url: string }[] };
      expect(index.skills.length, kind).toBeGreaterThan(0);
      expect(index.skills.some((s) => s.package.startsWith('@secret/') || s.url.includes('@secret')), kind).toBe(false);
    }
  });
});
