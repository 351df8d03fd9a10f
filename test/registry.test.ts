import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import path from 'node:path';
import { APPLICATION_ID, openDatabase, SCHEMA_VERSION } from '../registry-server/db';
import { integrityOf } from '../tarball/digest';
import { HOSTILE_ARCHIVES, tgz, VALID_ENTRIES } from './hostile/archives';
import { dumpDb } from '../testkit/db-dump';
import { createTestRegistry, echoSkill, tarballOf, type TestRegistry } from '../testkit/registry';

let r: TestRegistry;
beforeAll(async () => {
  r = await createTestRegistry();
});
afterAll(async () => {
  await r.close();
});

async function errorCode(res: Response): Promise<string> {
  const body = (await res.json()) as { error?: { code: string } };
  return body.error?.code ?? `(no error, status ${res.status})`;
}

describe('registry: publish and read back', () => {
  it('answers ping and whoami', async () => {
    expect(await (await r.request('GET', '/-/ping')).json()).toEqual({ ok: true });
    const anon = await r.request('GET', '/-/whoami');
    expect(anon.status).toBe(401);
    expect(await errorCode(anon)).toBe('EAUTHREQUIRED');
    const me = await r.request('GET', '/-/whoami', { token: r.alice });
    expect(await me.json()).toMatchObject({ user: 'alice', permission: 'publish', teams: [{ name: 'acme', role: 'owner' }] });
  });

  it('publishes a verified skill and serves its packument, version, tarball and SKILL.md', async () => {
    const tarball = await tarballOf(echoSkill('@acme/hello'));
    const res = await r.request('PUT', '/v1/skills/@acme/hello', { token: r.alice, body: tarball });
    expect(res.status, await res.clone().text()).toBe(201);
    const published = (await res.json()) as { version: string; integrity: string; tag: string; tarball: string; verification: { ok: boolean; passed: number } };
    expect(published).toMatchObject({ version: '1.0.0', tag: 'latest', integrity: integrityOf(tarball), verification: { ok: true, passed: 1 } });

    const packument = await r.request('GET', '/v1/skills/@acme/hello');
    expect(packument.status).toBe(200);
    const doc = (await packument.json()) as { distTags: Record<string, string>; versions: Record<string, { dist: { tarball: string; integrity: string }; yanked: boolean }> };
    expect(doc.distTags).toEqual({ latest: '1.0.0' });
    expect(doc.versions['1.0.0']?.dist.integrity).toBe(integrityOf(tarball));

    const etag = packument.headers.get('ETag');
    expect(etag).toBeTruthy();
    const cached = await r.request('GET', '/v1/skills/@acme/hello', { headers: { 'If-None-Match': etag ?? '' } });
    expect(cached.status).toBe(304);

    const compact = await r.request('GET', '/v1/skills/@acme/hello', { headers: { Accept: 'application/vnd.skills.install-v1+json' } });
    expect(compact.headers.get('Content-Type')).toContain('application/vnd.skills.install-v1+json');
    expect(compact.headers.get('ETag')).not.toBe(etag);
    const compactDoc = (await compact.json()) as { versions: Record<string, Record<string, unknown>> };
    expect(Object.keys(compactDoc.versions['1.0.0'] ?? {}).sort()).toEqual(['dependencies', 'deprecated', 'dist', 'kind', 'mcp', 'trust', 'version', 'yanked']);
    expect(compactDoc.versions['1.0.0']).toMatchObject({ kind: 'code', trust: 'verified' });

    const version = await r.request('GET', '/v1/skills/@acme/hello/versions/1.0.0');
    expect(version.headers.get('Cache-Control')).toContain('immutable');
    const url = new URL(doc.versions['1.0.0']!.dist.tarball);
    expect(url.pathname).toBe('/v1/skills/@acme/hello/-/hello-1.0.0.tgz');
    const download = await r.request('GET', url.pathname);
    expect(download.headers.get('Content-Length')).toBe(String(tarball.byteLength));
    expect(Buffer.from(await download.arrayBuffer()).equals(Buffer.from(tarball))).toBe(true);

    const md = await r.request('GET', '/v1/skills/@acme/hello/versions/1.0.0/skill.md');
    expect(md.headers.get('Content-Type')).toContain('text/markdown');
    expect(await md.text()).toContain('name: hello');
  });

  it('manages dist-tags, yank, deprecate and deletion within the window', async () => {
    await r.request('PUT', '/v1/skills/@acme/tagged', { token: r.alice, body: await tarballOf(echoSkill('@acme/tagged', '1.0.0')) });
    const beta = await r.request('PUT', '/v1/skills/@acme/tagged?tag=beta', { token: r.alice, body: await tarballOf(echoSkill('@acme/tagged', '2.0.0')) });
    expect(await beta.json()).toMatchObject({ tag: 'beta' });
    const tags = await r.request('PUT', '/v1/skills/@acme/tagged/dist-tags/stable', { token: r.alice, body: { version: '1.0.0' } });
    expect(await tags.json()).toMatchObject({ distTags: { latest: '1.0.0', beta: '2.0.0', stable: '1.0.0' } });
    expect(await errorCode(await r.request('DELETE', '/v1/skills/@acme/tagged/dist-tags/latest', { token: r.alice }))).toBe('ETAGLATEST');
    expect((await r.request('DELETE', '/v1/skills/@acme/tagged/dist-tags/stable', { token: r.alice })).status).toBe(200);

    expect((await r.request('POST', '/v1/skills/@acme/tagged/versions/1.0.0/yank', { token: r.alice })).status).toBe(200);
    expect((await r.request('POST', '/v1/skills/@acme/tagged/versions/1.0.0/deprecate', { token: r.alice, body: { message: 'use 2.x' } })).status).toBe(200);
    let doc = (await (await r.request('GET', '/v1/skills/@acme/tagged')).json()) as { versions: Record<string, { yanked: boolean; deprecated: string | null }> };
    expect(doc.versions['1.0.0']).toMatchObject({ yanked: true, deprecated: 'use 2.x' });
    // A yanked version stays downloadable for existing lockfiles.
    expect((await r.request('GET', '/v1/skills/@acme/tagged/-/tagged-1.0.0.tgz')).status).toBe(200);
    await r.request('POST', '/v1/skills/@acme/tagged/versions/1.0.0/unyank', { token: r.alice });
    doc = (await (await r.request('GET', '/v1/skills/@acme/tagged')).json()) as typeof doc;
    expect(doc.versions['1.0.0']?.yanked).toBe(false);

    expect((await r.request('DELETE', '/v1/skills/@acme/tagged/versions/2.0.0', { token: r.alice })).status).toBe(200);
    // A deleted version can never be published again.
    const again = await r.request('PUT', '/v1/skills/@acme/tagged', { token: r.alice, body: await tarballOf(echoSkill('@acme/tagged', '2.0.0')) });
    expect(again.status).toBe(409);
    expect(await errorCode(again)).toBe('EVERSIONEXISTS');
    r.db.prepare("UPDATE versions SET published_at = '2020-01-01T00:00:00.000Z' WHERE version = '1.0.0'").run();
    const late = await r.request('DELETE', '/v1/skills/@acme/tagged/versions/1.0.0', { token: r.alice });
    expect(await errorCode(late)).toBe('EDELETEWINDOW');
  });

  it('searches with BM25 ranking, scope and server filters, and FTS syntax treated as text', async () => {
    const csv = echoSkill('@acme/csv-tools', '1.0.0').map((f) =>
      f.path === 'SKILL.md' ? { ...f, bytes: new TextEncoder().encode('---\nname: csv-tools\ndescription: Parse and filter CSV spreadsheets.\n---\n\nCSV helpers.\n') } : f,
    );
    expect((await r.request('PUT', '/v1/skills/@acme/csv-tools', { token: r.alice, body: await tarballOf(csv) })).status).toBe(201);
    const found = (await (await r.request('GET', '/v1/search?q=spreadsheet')).json()) as { total: number; results: { name: string; servers: string[]; score: number }[] };
    expect(found.results[0]).toMatchObject({ name: '@acme/csv-tools', servers: ['everything'] });
    expect(found.results[0]!.score).toBeGreaterThan(0);
    const byServer = (await (await r.request('GET', '/v1/search?server=everything')).json()) as { total: number };
    expect(byServer.total).toBeGreaterThanOrEqual(2);
    const none = (await (await r.request('GET', '/v1/search?server=memory')).json()) as { total: number };
    expect(none.total).toBe(0);
    for (const q of ['"', '*', 'NEAR(', '-', 'csv OR', 'name:csv', '"unterminated', 'a AND NOT b', '((', '^', '\u0000']) {
      const res = await r.request('GET', `/v1/search?q=${encodeURIComponent(q)}`);
      expect(res.status, q).toBe(200);
    }
  });

  it('hides private skills: 404 anonymously and in search, visible to the team', async () => {
    expect((await r.request('PUT', '/v1/skills/@secret/plan', { token: r.alice, body: await tarballOf(echoSkill('@secret/plan')) })).status).toBe(201);
    const anon = await r.request('GET', '/v1/skills/@secret/plan');
    expect(anon.status).toBe(404);
    expect(await errorCode(anon)).toBe('ENOTFOUND');
    expect((await r.request('GET', '/v1/skills/@secret/plan/-/plan-1.0.0.tgz')).status).toBe(404);
    expect((await r.request('GET', '/v1/skills/@secret/plan', { token: r.bobRead })).status).toBe(404);
    expect((await r.request('GET', '/v1/skills/@secret/plan', { token: r.alice })).status).toBe(200);
    const anonSearch = (await (await r.request('GET', '/v1/search?q=plan')).json()) as { results: { name: string }[] };
    expect(anonSearch.results.map((x) => x.name)).not.toContain('@secret/plan');
    const teamSearch = (await (await r.request('GET', '/v1/search?q=plan', { token: r.alice })).json()) as { results: { name: string }[] };
    expect(teamSearch.results.map((x) => x.name)).toContain('@secret/plan');
    const index = (await (await r.request('GET', '/.well-known/agent-skills/index.json')).json()) as { skills: { name: string; package: string; digest: string; url: string }[] };
    expect(index.skills.map((s) => s.package)).not.toContain('@secret/plan');
    expect(index.skills.some((s) => s.url.includes('@secret'))).toBe(false);
    expect(index.skills.find((s) => s.package === '@acme/hello')).toMatchObject({ name: 'hello', type: 'archive', digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/), url: expect.stringContaining('/hello-1.0.0.tgz') });
  });

  it('logs JSON request lines with the token id, never its secret', () => {
    expect(r.logs.some((l) => l.token === r.alice.slice(4, 20) && l.user === 'alice')).toBe(true);
    // Every token this file's requests sent or minted (testkit/logs.ts): no 16 characters of any secret in any raw line.
    for (const token of [r.admin, r.alice, r.bobRead]) expect(r.logCapture.secrets).toContain(token);
    r.logCapture.expectNoSecrets();
  });
});

describe('registry: hostile inputs change nothing (every row of every table compared)', () => {
  async function rejected(method: string, url: string, options: Parameters<TestRegistry['request']>[2], status: number, code: string): Promise<void> {
    await r.settle();
    const before = dumpDb(r.db);
    const res = await r.request(method, url, options);
    expect(res.status, `${url}: ${await res.clone().text()}`).toBe(status);
    expect(await errorCode(res)).toBe(code);
    expect(dumpDb(r.db)).toBe(before);
  }

  it('refuses publishing without a token, with a read token, and to a scope the token does not own', async () => {
    const body = await tarballOf(echoSkill('@acme/nope'));
    await rejected('PUT', '/v1/skills/@acme/nope', { body }, 401, 'EAUTHREQUIRED');
    await rejected('PUT', '/v1/skills/@acme/nope', { token: r.bobRead, body }, 403, 'EFORBIDDEN');
    const bobPublish = (await (await r.request('POST', '/v1/tokens', { token: r.admin, body: { user: 'bob', permission: 'publish' } })).json()) as { token: string };
    await rejected('PUT', '/v1/skills/@acme/nope', { token: bobPublish.token, body }, 403, 'ESCOPEFORBIDDEN');
    await rejected('PUT', '/v1/skills/@nowhere/nope', { token: r.admin, body: await tarballOf(echoSkill('@nowhere/nope')) }, 404, 'ESCOPENOTFOUND');
    const limited = (await (await r.request('POST', '/v1/tokens', { token: r.admin, body: { user: 'alice', permission: 'publish', scopes: ['@secret'] } })).json()) as { token: string };
    await rejected('PUT', '/v1/skills/@acme/nope', { token: limited.token, body }, 403, 'ESCOPEFORBIDDEN');
  });

  it('refuses expired and revoked tokens and garbage', async () => {
    const made = (await (await r.request('POST', '/v1/tokens', { token: r.admin, body: { user: 'alice', permission: 'publish' } })).json()) as { id: string; token: string };
    r.db.prepare("UPDATE tokens SET expires_at = '2000-01-01T00:00:00.000Z' WHERE id = ?").run(made.id);
    await rejected('GET', '/-/whoami', { token: made.token }, 401, 'ETOKENEXPIRED');
    const other = (await (await r.request('POST', '/v1/tokens', { token: r.alice, body: { permission: 'read' } })).json()) as { id: string; token: string };
    expect((await r.request('DELETE', `/v1/tokens/${other.id}`, { token: r.alice })).status).toBe(200);
    await rejected('GET', '/-/whoami', { token: other.token }, 401, 'ETOKENREVOKED');
    await rejected('GET', '/-/whoami', { token: 'skr_AAAAAAAAAAAAAAAA_' + 'x'.repeat(43) }, 401, 'ETOKENINVALID');
    await rejected('GET', '/-/whoami', { token: 'not-a-token' }, 401, 'ETOKENINVALID');
    // A read token cannot mint a publish token.
    await rejected('POST', '/v1/tokens', { token: r.bobRead, body: { permission: 'publish' } }, 403, 'EFORBIDDEN');
  });

  it('publishes the same version 20 times concurrently: one 201, nineteen 409, one row', async () => {
    const body = await tarballOf(echoSkill('@acme/race'));
    const results = await Promise.all(Array.from({ length: 20 }, () => r.request('PUT', '/v1/skills/@acme/race', { token: r.alice, body })));
    const statuses = results.map((x) => x.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    expect((r.db.prepare("SELECT COUNT(*) AS n FROM versions v JOIN skills s ON s.id = v.skill_id WHERE s.name = '@acme/race'").get() as { n: number }).n).toBe(1);
    await rejected('PUT', '/v1/skills/@acme/race', { token: r.alice, body }, 409, 'EVERSIONEXISTS');
  });

  it('refuses a tarball whose name differs from the URL', async () => {
    await rejected('PUT', '/v1/skills/@acme/other', { token: r.alice, body: await tarballOf(echoSkill('@acme/hello', '9.0.0')) }, 400, 'ENAMEMISMATCH');
  });

  it('refuses hostile archives with their ETAR codes', async () => {
    for (const name of ['dotdot', 'symlink', 'absolute-path', 'bomb-1-gib-of-zeros', 'truncated-gzip', 'case-collision', 'not-gzip']) {
      const archive = HOSTILE_ARCHIVES.find((a) => a.name === name)!;
      await rejected('PUT', '/v1/skills/@acme/x', { token: r.alice, body: archive.bytes() }, 400, archive.code);
    }
  });

  it('refuses a 60 MiB body with 413 before reading it all, an empty body, and a truncated tarball', async () => {
    await rejected('PUT', '/v1/skills/@acme/big', { token: r.alice, body: new Uint8Array(60 * 1024 * 1024) }, 413, 'EPAYLOADTOOLARGE');
    await rejected('PUT', '/v1/skills/@acme/empty', { token: r.alice, body: new Uint8Array(0) }, 400, 'EBODY');
    const whole = await tarballOf(echoSkill('@acme/cut'));
    await rejected('PUT', '/v1/skills/@acme/cut', { token: r.alice, body: whole.subarray(0, whole.length - 20) }, 400, 'ETARTRUNCATED');
  });

  it('refuses a skill whose fixtures fail verification, with the report', async () => {
    const files = echoSkill('@acme/liar').map((f) =>
      f.path === 'index.ts' ? { ...f, bytes: new TextEncoder().encode("export async function greet() { return { greeting: 'made up' }; }") } : f,
    );
    await r.settle();
    const before = dumpDb(r.db);
    const res = await r.request('PUT', '/v1/skills/@acme/liar', { token: r.alice, body: await tarballOf(files) });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: { code: string; details: { report: { cases: { code: string }[] } } } };
    expect(body.error.code).toBe('EVERIFICATIONFAILED');
    expect(body.error.details.report.cases[0]?.code).toBe('EWRONGRETURN');
    expect(dumpDb(r.db)).toBe(before);
  });

  it('refuses a skill without fixtures and an invalid SKILL.md', async () => {
    const noFixtures = echoSkill('@acme/bare').filter((f) => !f.path.startsWith('fixtures/'));
    await rejected('PUT', '/v1/skills/@acme/bare', { token: r.alice, body: await tarballOf(noFixtures) }, 400, 'EVALIDATION');
    const hostileMd = tgz([{ name: 'SKILL.md', body: '---\nname: Bad--Name\ndescription: <script>\n---\n' }, VALID_ENTRIES[1]!]);
    await rejected('PUT', '/v1/skills/@hostile/x', { token: r.admin, body: hostileMd }, 404, 'ESCOPENOTFOUND');
    await rejected('PUT', '/v1/skills/@acme/x', { token: r.alice, body: tgz([{ name: 'SKILL.md', body: '---\nname: Bad--Name\n---\n' }, { name: 'skill.json', body: '{"name":"@acme/x","version":"1.0.0"}' }]) }, 400, 'EVALIDATION');
  });

  it('answers odd URLs with JSON errors', async () => {
    for (const url of ['/v1/skills/@acme/%2e%2e', '/v1/skills/@acme/%2e%2e/-/x.tgz', '/v1/skills/%2e%2e/%2e%2e', '/v1/skills/@acme/hello/versions/not-semver', '/nope']) {
      const res = await r.request('GET', url);
      expect(res.status, url).toBeGreaterThanOrEqual(400);
      expect(res.status, url).toBeLessThan(500);
      expect(await errorCode(res)).toMatch(/^E[A-Z]+$/);
    }
    await rejected('GET', `/v1/search?q=${'a'.repeat(1024 * 1024)}`, {}, 414, 'EURITOOLONG');
  });

  it('refuses bad request bodies', async () => {
    await rejected('POST', '/v1/users', { token: r.admin, body: 'not json' }, 400, 'EBODYJSON');
    await rejected('POST', '/v1/users', { token: r.admin, body: { name: 'Not Valid!' } }, 400, 'EBODYINVALID');
    await rejected('POST', '/v1/users', { token: r.admin, body: { name: 'alice' } }, 409, 'EUSEREXISTS');
    await rejected('POST', '/v1/scopes', { token: r.admin, body: { name: '@acme', team: 'acme' } }, 409, 'ESCOPEEXISTS');
  });
});

describe('registry database', () => {
  it('refuses a database from a newer version of the code', async () => {
    const file = path.join(r.dir, 'newer.db');
    const raw = new Database(file);
    raw.pragma(`application_id = ${APPLICATION_ID}`);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    expect(() => openDatabase(file)).toThrowError(expect.objectContaining({ code: 'EDBNEWER' }));
  });

  it('migrates an empty database to the current version with WAL and foreign keys', () => {
    expect(r.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(r.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(r.db.pragma('foreign_keys', { simple: true })).toBe(1);
  });
});

describe('registry: the whole hostile archive corpus is refused at publish', () => {
  for (const archive of HOSTILE_ARCHIVES.filter((a) => a.code !== 'ok')) {
    it(`${archive.name} -> ${archive.code}`, async () => {
      const target = archive.limits ? await createTestRegistry({ unpackLimits: archive.limits }) : r;
      try {
        await target.settle();
        const before = dumpDb(target.db);
        const res = await target.request('PUT', '/v1/skills/@acme/x', { token: target.alice, body: archive.bytes() });
        expect(res.status).toBe(400);
        expect(await errorCode(res)).toBe(archive.code);
        expect(dumpDb(target.db)).toBe(before);
      } finally {
        if (target !== r) await target.close();
      }
    });
  }
});
