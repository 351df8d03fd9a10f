import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRegistry, echoSkill, tarballOf, type TestRegistry } from './helpers/registry';

type Kind = 'none' | 'read' | 'publishOther' | 'publishThis' | 'admin' | 'expired' | 'revoked' | 'malformed';
const KINDS: Kind[] = ['none', 'read', 'publishOther', 'publishThis', 'admin', 'expired', 'revoked', 'malformed'];

let r: TestRegistry;
const tokens = {} as Record<Kind, string | undefined>;

beforeAll(async () => {
  r = await createTestRegistry({ authFailuresPerMinute: 10_000, publishesPerMinute: 10_000 });
  const token = async (body: object) => ((await (await r.request('POST', '/v1/tokens', { token: r.admin, body })).json()) as { id: string; token: string });
  tokens.none = undefined;
  tokens.read = r.bobRead;
  tokens.publishOther = (await token({ user: 'bob', permission: 'publish' })).token;
  tokens.publishThis = r.alice;
  tokens.admin = r.admin;
  const expired = await token({ user: 'alice', permission: 'publish' });
  r.db.prepare("UPDATE tokens SET expires_at = '2001-01-01T00:00:00.000Z' WHERE id = ?").run(expired.id);
  tokens.expired = expired.token;
  const revoked = await token({ user: 'alice', permission: 'publish' });
  await r.request('DELETE', `/v1/tokens/${revoked.id}`, { token: r.admin });
  tokens.revoked = revoked.token;
  tokens.malformed = 'skr_not-a-real-token';
  expect((await r.request('PUT', '/v1/skills/@acme/hello', { token: r.alice, body: await tarballOf(echoSkill('@acme/hello')) })).status).toBe(201);
  expect((await r.request('PUT', '/v1/skills/@secret/plan', { token: r.alice, body: await tarballOf(echoSkill('@secret/plan')) })).status).toBe(201);
});
afterAll(async () => {
  await r.close();
});

const BAD = { expired: 401, revoked: 401, malformed: 401 } as const;
let counter = 0;

interface Row {
  route: string;
  request: (kind: Kind) => Promise<Response>;
  expect: Record<Kind, number>;
}

const rows: Row[] = [
  { route: 'GET /-/whoami', request: (k) => r.request('GET', '/-/whoami', { token: tokens[k] }), expect: { none: 401, read: 200, publishOther: 200, publishThis: 200, admin: 200, ...BAD } },
  { route: 'GET public packument', request: (k) => r.request('GET', '/v1/skills/@acme/hello', { token: tokens[k] }), expect: { none: 200, read: 200, publishOther: 200, publishThis: 200, admin: 200, ...BAD } },
  { route: 'GET private packument', request: (k) => r.request('GET', '/v1/skills/@secret/plan', { token: tokens[k] }), expect: { none: 404, read: 404, publishOther: 404, publishThis: 200, admin: 200, ...BAD } },
  { route: 'GET private version', request: (k) => r.request('GET', '/v1/skills/@secret/plan/versions/1.0.0', { token: tokens[k] }), expect: { none: 404, read: 404, publishOther: 404, publishThis: 200, admin: 200, ...BAD } },
  { route: 'GET private SKILL.md', request: (k) => r.request('GET', '/v1/skills/@secret/plan/versions/1.0.0/skill.md', { token: tokens[k] }), expect: { none: 404, read: 404, publishOther: 404, publishThis: 200, admin: 200, ...BAD } },
  { route: 'GET private tarball', request: (k) => r.request('GET', '/v1/skills/@secret/plan/-/plan-1.0.0.tgz', { token: tokens[k] }), expect: { none: 404, read: 404, publishOther: 404, publishThis: 200, admin: 200, ...BAD } },
  {
    route: 'PUT publish to @acme',
    request: async (k) => r.request('PUT', '/v1/skills/@acme/matrix', { token: tokens[k], body: await tarballOf(echoSkill('@acme/matrix', `1.0.${counter++}`)) }),
    expect: { none: 401, read: 403, publishOther: 403, publishThis: 201, admin: 201, ...BAD },
  },
  {
    route: 'PUT publish to private @secret',
    request: async (k) => r.request('PUT', '/v1/skills/@secret/matrix', { token: tokens[k], body: await tarballOf(echoSkill('@secret/matrix', `1.0.${counter++}`)) }),
    expect: { none: 401, read: 403, publishOther: 404, publishThis: 201, admin: 201, ...BAD },
  },
  { route: 'POST yank public', request: (k) => r.request('POST', '/v1/skills/@acme/hello/versions/1.0.0/yank', { token: tokens[k] }), expect: { none: 401, read: 403, publishOther: 403, publishThis: 200, admin: 200, ...BAD } },
  { route: 'POST yank private', request: (k) => r.request('POST', '/v1/skills/@secret/plan/versions/1.0.0/unyank', { token: tokens[k] }), expect: { none: 401, read: 403, publishOther: 404, publishThis: 200, admin: 200, ...BAD } },
  { route: 'PUT dist-tag', request: (k) => r.request('PUT', '/v1/skills/@acme/hello/dist-tags/stable', { token: tokens[k], body: { version: '1.0.0' } }), expect: { none: 401, read: 403, publishOther: 403, publishThis: 200, admin: 200, ...BAD } },
  { route: 'POST deprecate', request: (k) => r.request('POST', '/v1/skills/@acme/hello/versions/1.0.0/deprecate', { token: tokens[k], body: { message: '' } }), expect: { none: 401, read: 403, publishOther: 403, publishThis: 200, admin: 200, ...BAD } },
  { route: 'POST /v1/users', request: (k) => r.request('POST', '/v1/users', { token: tokens[k], body: { name: `user-${counter++}` } }), expect: { none: 401, read: 403, publishOther: 403, publishThis: 403, admin: 201, ...BAD } },
  { route: 'POST /v1/teams', request: (k) => r.request('POST', '/v1/teams', { token: tokens[k], body: { name: `team-${counter++}` } }), expect: { none: 401, read: 403, publishOther: 403, publishThis: 403, admin: 201, ...BAD } },
  { route: 'GET /v1/teams', request: (k) => r.request('GET', '/v1/teams', { token: tokens[k] }), expect: { none: 401, read: 403, publishOther: 403, publishThis: 403, admin: 200, ...BAD } },
  {
    route: 'POST /v1/scopes for team acme',
    request: (k) => r.request('POST', '/v1/scopes', { token: tokens[k], body: { name: `@scope-${counter++}`, team: 'acme' } }),
    expect: { none: 401, read: 403, publishOther: 403, publishThis: 403, admin: 201, ...BAD },
  },
  { route: 'GET /v1/tokens', request: (k) => r.request('GET', '/v1/tokens', { token: tokens[k] }), expect: { none: 401, read: 200, publishOther: 200, publishThis: 200, admin: 200, ...BAD } },
  { route: 'POST /v1/tokens (own, read)', request: (k) => r.request('POST', '/v1/tokens', { token: tokens[k], body: { permission: 'read' } }), expect: { none: 401, read: 403, publishOther: 201, publishThis: 201, admin: 201, ...BAD } },
  { route: 'POST /v1/tokens (admin)', request: (k) => r.request('POST', '/v1/tokens', { token: tokens[k], body: { permission: 'admin' } }), expect: { none: 401, read: 403, publishOther: 403, publishThis: 403, admin: 201, ...BAD } },
  { route: 'GET /v1/search', request: (k) => r.request('GET', '/v1/search?q=plan', { token: tokens[k] }), expect: { none: 200, read: 200, publishOther: 200, publishThis: 200, admin: 200, ...BAD } },
];

describe('auth matrix: every route x every token kind', () => {
  for (const row of rows) {
    it(row.route, async () => {
      const got: Record<string, number> = {};
      for (const kind of KINDS) got[kind] = (await row.request(kind)).status;
      expect(got).toEqual(row.expect);
    });
  }

  it('never leaks a private skill: search, scopes, discovery and MCP hide it from outsiders', async () => {
    for (const kind of KINDS.filter((k) => !(k in BAD))) {
      const search = (await (await r.request('GET', '/v1/search?q=plan', { token: tokens[kind] })).json()) as { results: { name: string }[]; total: number };
      const visible = search.results.some((x) => x.name === '@secret/plan');
      expect(visible, kind).toBe(kind === 'publishThis' || kind === 'admin');
      const scopes = (await (await r.request('GET', '/v1/scopes', { token: tokens[kind] })).json()) as { scopes: { name: string }[] };
      expect(scopes.scopes.some((s) => s.name === '@secret'), kind).toBe(kind === 'publishThis' || kind === 'admin');
    }
    const index = (await (await r.request('GET', '/.well-known/agent-skills/index.json')).json()) as { skills: { name: string }[] };
    expect(index.skills.some((s) => s.name.startsWith('@secret/'))).toBe(false);
    // A missing private skill and an existing one answer identically to outsiders.
    const a = await r.request('GET', '/v1/skills/@secret/plan', { token: tokens.read });
    const b = await r.request('GET', '/v1/skills/@secret/does-not-exist', { token: tokens.read });
    expect([a.status, b.status]).toEqual([404, 404]);
    const [ea, eb] = [(await a.json()) as { error: { code: string } }, (await b.json()) as { error: { code: string } }];
    expect(ea.error.code).toBe(eb.error.code);
  });
});
