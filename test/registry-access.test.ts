/**
 * Who may change teams, scopes and tokens (issue 11, items 3-5): read tokens change nothing, a
 * minted token never exceeds its creator, and an outsider cannot tell a private scope from one
 * that does not exist.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dumpDb } from '../testkit/db-dump';
import { sameIdText } from '../testkit/http';
import { createTestRegistry, echoSkill, tarballOf, type TestRegistry } from '../testkit/registry';

let r: TestRegistry;
let aliceRead: string;
let bobPublish: string;

interface Made {
  id: string;
  token: string;
  permission: string;
  scopes: string[] | null;
  expiresAt: string | null;
  user: string;
}

async function body(res: Response): Promise<{ error?: { code: string; message: string; hint?: string } } & Record<string, unknown>> {
  return (await res.json()) as { error?: { code: string; message: string } } & Record<string, unknown>;
}

async function mint(token: string, payload: object): Promise<Made> {
  const res = await r.request('POST', '/v1/tokens', { token, body: payload });
  if (res.status !== 201) throw new Error(`setup: ${res.status} ${await res.text()}`);
  return (await res.json()) as Made;
}

/** Sends a request that must be refused with this status and code, and leave every row as it was. */
async function refused(method: string, url: string, options: Parameters<TestRegistry['request']>[2], status: number, code: string): Promise<{ code: string; message: string; hint?: string }> {
  await r.settle();
  const before = dumpDb(r.db);
  const res = await r.request(method, url, options);
  const json = await body(res);
  expect({ status: res.status, code: json.error?.code }, `${method} ${url}: ${JSON.stringify(json)}`).toEqual({ status, code });
  expect(dumpDb(r.db)).toBe(before);
  return json.error as { code: string; message: string };
}

beforeAll(async () => {
  r = await createTestRegistry({ authFailuresPerMinute: 10_000, publishesPerMinute: 10_000 });
  aliceRead = (await mint(r.admin, { user: 'alice', permission: 'read' })).token;
  bobPublish = (await mint(r.admin, { user: 'bob', permission: 'publish' })).token;
  expect((await r.request('PUT', '/v1/skills/@secret/plan', { token: r.alice, body: await tarballOf(echoSkill('@secret/plan')) })).status).toBe(201);
});
afterAll(async () => {
  await r.close();
});

describe('read tokens change nothing (item 3)', () => {
  it("a team owner's read token cannot add members to the team, so an outsider never becomes owner", async () => {
    await refused('POST', '/v1/teams/acme/members', { token: aliceRead, body: { user: 'bob', role: 'owner' } }, 403, 'EFORBIDDEN');
    await refused('POST', '/v1/teams/acme/members', { token: aliceRead, body: { user: 'bob', role: 'member' } }, 403, 'EFORBIDDEN');
    // The chain the review ran: bob, never added, still cannot publish into the team's scope.
    await refused('PUT', '/v1/skills/@acme/takeover', { token: bobPublish, body: await tarballOf(echoSkill('@acme/takeover')) }, 403, 'ESCOPEFORBIDDEN');
  });

  it('a read token cannot create scopes, teams, users or tokens, nor revoke another token', async () => {
    await refused('POST', '/v1/scopes', { token: aliceRead, body: { name: '@fresh', team: 'acme' } }, 403, 'EFORBIDDEN');
    await refused('POST', '/v1/teams', { token: aliceRead, body: { name: 'fresh' } }, 403, 'EFORBIDDEN');
    await refused('POST', '/v1/users', { token: aliceRead, body: { name: 'fresh' } }, 403, 'EFORBIDDEN');
    await refused('POST', '/v1/tokens', { token: aliceRead, body: { permission: 'read' } }, 403, 'EFORBIDDEN');
    const other = await mint(r.admin, { user: 'alice', permission: 'read' });
    await refused('DELETE', `/v1/tokens/${other.id}`, { token: aliceRead }, 403, 'EFORBIDDEN');
  });

  it('a read token may revoke itself (that only takes power away)', async () => {
    const own = await mint(r.admin, { user: 'alice', permission: 'read' });
    const res = await r.request('DELETE', `/v1/tokens/${own.id}`, { token: own.token });
    expect(res.status).toBe(200);
    expect((await body(await r.request('GET', '/-/whoami', { token: own.token }))).error?.code).toBe('ETOKENREVOKED');
  });

  it("a team owner's publish token adds members; scoped tokens and non-owners do not", async () => {
    const carol = await r.request('POST', '/v1/users', { token: r.admin, body: { name: 'carol' } });
    expect(carol.status).toBe(201);
    const scopedOwner = await mint(r.admin, { user: 'alice', permission: 'publish', scopes: ['@acme'] });
    await refused('POST', '/v1/teams/acme/members', { token: scopedOwner.token, body: { user: 'carol' } }, 403, 'EFORBIDDEN');
    await refused('POST', '/v1/teams/acme/members', { token: bobPublish, body: { user: 'carol' } }, 403, 'EFORBIDDEN');
    const added = await r.request('POST', '/v1/teams/acme/members', { token: r.alice, body: { user: 'carol', role: 'member' } });
    expect(added.status).toBe(201);
  });
});

describe('a minted token never exceeds its creator (item 4)', () => {
  it('a scoped admin token cannot mint an unscoped token, for itself or for another user', async () => {
    const scopedAdmin = await mint(r.admin, { permission: 'admin', scopes: ['@acme'] });
    await refused('POST', '/v1/tokens', { token: scopedAdmin.token, body: { user: 'bob', permission: 'admin' } }, 403, 'EFORBIDDEN');
    await refused('POST', '/v1/tokens', { token: scopedAdmin.token, body: { user: 'bob', permission: 'publish', scopes: ['@acme', '@secret'] } }, 403, 'EFORBIDDEN');
    await refused('POST', '/v1/tokens', { token: scopedAdmin.token, body: { permission: 'admin' } }, 403, 'EFORBIDDEN');
    const within = await mint(scopedAdmin.token, { user: 'bob', permission: 'publish', scopes: ['@acme'] });
    expect(within).toMatchObject({ user: 'bob', permission: 'publish', scopes: ['@acme'] });
  });

  it('a scoped admin token cannot act on accounts: users, teams, scopes, other users\u2019 tokens', async () => {
    const scopedAdmin = await mint(r.admin, { permission: 'admin', scopes: ['@acme'] });
    await refused('POST', '/v1/users', { token: scopedAdmin.token, body: { name: 'mallory' } }, 403, 'EFORBIDDEN');
    await refused('POST', '/v1/teams', { token: scopedAdmin.token, body: { name: 'mallory' } }, 403, 'EFORBIDDEN');
    await refused('POST', '/v1/scopes', { token: scopedAdmin.token, body: { name: '@mallory', team: 'acme' } }, 403, 'EFORBIDDEN');
    await refused('POST', '/v1/teams/acme/members', { token: scopedAdmin.token, body: { user: 'bob', role: 'owner' } }, 403, 'EFORBIDDEN');
    const list = (await (await r.request('GET', '/v1/tokens', { token: scopedAdmin.token })).json()) as { tokens: { user: string }[] };
    expect(new Set(list.tokens.map((t) => t.user))).toEqual(new Set(['admin']));
    const bobs = await mint(r.admin, { user: 'bob', permission: 'read' });
    await refused('DELETE', `/v1/tokens/${bobs.id}`, { token: scopedAdmin.token }, 404, 'ENOTFOUND');
  });

  it('a publish token cannot mint for another user or above its permission', async () => {
    await refused('POST', '/v1/tokens', { token: r.alice, body: { user: 'bob', permission: 'read' } }, 403, 'EFORBIDDEN');
    await refused('POST', '/v1/tokens', { token: r.alice, body: { permission: 'admin' } }, 403, 'EFORBIDDEN');
  });

  it("a 1-day token mints no token without expiry: the new token's expiry is capped at the creator's", async () => {
    const shortLived = await mint(r.admin, { user: 'alice', permission: 'publish', expiresInDays: 1 });
    expect(shortLived.expiresAt).not.toBeNull();
    const forever = await mint(shortLived.token, { permission: 'read' });
    expect(forever.expiresAt).toBe(shortLived.expiresAt);
    const longer = await mint(shortLived.token, { permission: 'publish', expiresInDays: 30 });
    expect(longer.expiresAt).toBe(shortLived.expiresAt);
    const shorter = await mint(r.admin, { user: 'alice', permission: 'publish', expiresInDays: 10 });
    const inside = await mint(shorter.token, { permission: 'read', expiresInDays: 1 });
    expect(Date.parse(inside.expiresAt ?? '')).toBeLessThan(Date.parse(shorter.expiresAt ?? ''));
    // The cap holds for an admin minting for someone else too.
    const admin1d = await mint(r.admin, { permission: 'admin', expiresInDays: 1 });
    const forBob = await mint(admin1d.token, { user: 'bob', permission: 'read' });
    expect(forBob.expiresAt).toBe(admin1d.expiresAt);
  });

  it('a scoped token mints only tokens within its scopes', async () => {
    const scoped = await mint(r.admin, { user: 'alice', permission: 'publish', scopes: ['@acme'] });
    await refused('POST', '/v1/tokens', { token: scoped.token, body: { permission: 'read' } }, 403, 'EFORBIDDEN');
    await refused('POST', '/v1/tokens', { token: scoped.token, body: { permission: 'read', scopes: ['@secret'] } }, 403, 'EFORBIDDEN');
    expect((await mint(scoped.token, { permission: 'read', scopes: ['@acme'] })).scopes).toEqual(['@acme']);
  });
});

describe('reading private scopes', () => {
  it('an unscoped admin lists and searches everything; a scoped admin only the private scopes it is limited to', async () => {
    const names = async (token: string | undefined) => ((await (await r.request('GET', '/v1/search', { token })).json()) as { results: { name: string }[] }).results.map((x) => x.name);
    expect(await names(r.admin)).toContain('@secret/plan');
    expect(await names(undefined)).not.toContain('@secret/plan');
    const secretAdmin = await mint(r.admin, { permission: 'admin', scopes: ['@secret'] });
    const acmeAdmin = await mint(r.admin, { permission: 'admin', scopes: ['@acme'] });
    expect(await names(secretAdmin.token)).toContain('@secret/plan');
    expect(await names(acmeAdmin.token)).not.toContain('@secret/plan');
    const scopes = (await (await r.request('GET', '/v1/scopes', { token: acmeAdmin.token })).json()) as { scopes: { name: string }[] };
    expect(scopes.scopes.map((x) => x.name)).not.toContain('@secret');
  });
});

describe('an outsider cannot tell a private scope from a missing one (item 5)', () => {
  /** The error an outsider gets for `@secret` and for a scope that does not exist, with the names made equal. */
  async function twins(make: (scope: string) => Promise<Response>, options: { ok?: boolean } = {}): Promise<void> {
    await r.settle();
    const before = dumpDb(r.db);
    const a = await make('@secret');
    const b = await make('@nosuch');
    const [ja, jb] = [sameIdText(await a.text()), sameIdText(await b.text())];
    expect({ status: a.status, body: ja.replaceAll('@secret', '@X') }).toEqual({ status: b.status, body: jb.replaceAll('@nosuch', '@X') });
    // A refusal changes no row; a read that succeeds may only mark its token as used.
    if (!options.ok) {
      expect(a.status).toBeGreaterThanOrEqual(400);
      expect(dumpDb(r.db)).toBe(before);
    }
  }

  it('token creation naming a private scope answers as for a missing scope', async () => {
    await twins((scope) => r.request('POST', '/v1/tokens', { token: bobPublish, body: { permission: 'read', scopes: [scope] } }));
    const res = await r.request('POST', '/v1/tokens', { token: bobPublish, body: { permission: 'read', scopes: ['@secret'] } });
    expect((await body(res)).error?.code).toBe('ESCOPENOTFOUND');
  });

  it('publishing into a private scope one is not a member of answers as for a missing scope', async () => {
    await twins(async (scope) => r.request('PUT', `/v1/skills/${scope}/plan`, { token: bobPublish, body: await tarballOf(echoSkill(`${scope}/plan`, '9.9.9')) }));
    const res = await r.request('PUT', '/v1/skills/@secret/plan', { token: bobPublish, body: await tarballOf(echoSkill('@secret/plan', '9.9.9')) });
    expect((await body(res)).error?.code).toBe('ESCOPENOTFOUND');
  });

  it('scope creation answers the same for a private, a public and a free name, and squats nothing', async () => {
    await twins((scope) => r.request('POST', '/v1/scopes', { token: bobPublish, body: { name: scope, team: 'acme' } }));
    await twins((scope) => r.request('POST', '/v1/scopes', { token: r.alice, body: { name: scope, team: 'acme', private: true } }));
    expect(r.db.prepare("SELECT name FROM scopes WHERE name = '@nosuch'").get()).toBeUndefined();
  });

  it('every route that takes a skill or scope name answers the same for private and missing', async () => {
    const outsiders = [undefined, r.bobRead, bobPublish];
    for (const token of outsiders) {
      for (const [method, path, payload] of [
        ['GET', '/v1/skills/{s}/plan', undefined],
        ['GET', '/v1/skills/{s}/plan/versions/1.0.0', undefined],
        ['GET', '/v1/skills/{s}/plan/versions/1.0.0/skill.md', undefined],
        ['GET', '/v1/skills/{s}/plan/-/plan-1.0.0.tgz', undefined],
        ['PUT', '/v1/skills/{s}/plan/dist-tags/stable', { version: '1.0.0' }],
        ['DELETE', '/v1/skills/{s}/plan/dist-tags/latest', undefined],
        ['DELETE', '/v1/skills/{s}/plan/dist-tags/stable', undefined],
        ['POST', '/v1/skills/{s}/plan/versions/1.0.0/yank', undefined],
        ['POST', '/v1/skills/{s}/plan/versions/1.0.0/unyank', undefined],
        ['POST', '/v1/skills/{s}/plan/versions/1.0.0/deprecate', { message: 'x' }],
        ['DELETE', '/v1/skills/{s}/plan/versions/1.0.0', undefined],
        ['GET', '/v1/search?q=plan&scope={s}', undefined],
      ] as const) {
        await twins((scope) => r.request(method, path.replace('{s}', scope), { token, ...(payload ? { body: payload } : {}) }), { ok: path.startsWith('/v1/search') });
      }
    }
  });

  it('/mcp answers the same for private and missing skills', async () => {
    const call = (token: string | undefined, name: string, tool: string) =>
      r.request('POST', '/mcp', {
        token,
        headers: { Accept: 'application/json, text/event-stream' },
        body: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: tool, arguments: tool === 'search_skills' ? { query: name } : { name } } },
      });
    for (const token of [undefined, r.bobRead, bobPublish]) {
      for (const tool of ['get_skill', 'list_versions']) {
        const a = await (await call(token, '@secret/plan', tool)).text();
        const b = await (await call(token, '@nosuch/plan', tool)).text();
        expect(a.replaceAll('@secret', '@X')).toBe(b.replaceAll('@nosuch', '@X'));
        expect(a).toContain('"isError":true');
      }
      expect(await (await call(token, 'plan', 'search_skills')).text()).not.toContain('@secret');
    }
  });
});
