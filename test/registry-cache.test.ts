/**
 * Issue 15: every cache of the registry's read paths (packument bodies, tarballs, the discovery
 * index) is a correctness risk. A write of any kind is visible on the next read, in every form
 * and encoding; a private scope's cached response never reaches someone who may not read it; a
 * Host header cannot put its name into anyone else's tarball URLs.
 */
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegistryApp } from '../registry-server/app';
import { startRegistry, type RunningRegistry } from '../registry-server/server';
import { pack } from '../tarball/pack';
import { sameIdText } from '../testkit/http';
import { createTestRegistry, echoSkill, tarballOf, type TestRegistry } from '../testkit/registry';
import { tempDir } from '../testkit/temp';

const INSTALL = 'application/vnd.skills.install-v1+json';
const enc = new TextEncoder();

interface Doc {
  distTags: Record<string, string>;
  versions: Record<string, { yanked: boolean; deprecated: string | null; trust: string; dist: { tarball: string }; audit?: unknown }>;
  downloads?: { total: number };
}

let r: TestRegistry;
beforeAll(async () => {
  r = await createTestRegistry();
});
afterAll(async () => {
  await r.close();
});

/** Reads a packument in all four ways (full/install x plain/gzip); they must agree. */
async function read(name: string, token?: string): Promise<{ full: Doc; install: Doc; etag: string }> {
  const get = async (accept: string | undefined, gzip: boolean) => {
    const res = await r.request('GET', `/v1/skills/${name}`, { token, headers: { ...(accept ? { Accept: accept } : {}), ...(gzip ? { 'Accept-Encoding': 'gzip, deflate' } : {}) } });
    expect(res.status).toBe(200);
    const bytes = Buffer.from(await res.arrayBuffer());
    const text = res.headers.get('Content-Encoding') === 'gzip' ? gunzipSync(bytes).toString() : bytes.toString();
    return { doc: JSON.parse(text) as Doc, etag: res.headers.get('ETag') ?? '' };
  };
  const full = await get(undefined, false);
  const fullGz = await get(undefined, true);
  const install = await get(INSTALL, false);
  const installGz = await get(INSTALL, true);
  expect(fullGz.doc).toEqual(full.doc);
  expect(installGz.doc).toEqual(install.doc);
  return { full: full.doc, install: install.doc, etag: full.etag };
}

async function ok(res: Response | Promise<Response>, status = 200): Promise<void> {
  const done = await res;
  expect(done.status, await done.clone().text()).toBe(status);
}

async function discovery(): Promise<{ package: string; version: string }[]> {
  const plain = (await (await r.request('GET', '/.well-known/agent-skills/index.json')).json()) as { skills: { package: string; version: string }[] };
  const gz = await r.request('GET', '/.well-known/agent-skills/index.json', { headers: { 'Accept-Encoding': 'gzip' } });
  expect(gz.headers.get('Content-Encoding')).toBe('gzip');
  expect(JSON.parse(gunzipSync(Buffer.from(await gz.arrayBuffer())).toString())).toEqual(plain);
  return plain.skills;
}

describe('a write is visible on the next read', () => {
  it('publish, yank, unyank, deprecate, dist-tags, delete and download counts, in every form and encoding, and never as a 304', async () => {
    await ok(r.request('PUT', '/v1/skills/@acme/cached', { token: r.alice, body: await tarballOf(echoSkill('@acme/cached')) }), 201);
    let last = await read('@acme/cached');
    expect(Object.keys(last.full.versions)).toEqual(['1.0.0']);
    // The published version carries the registry's trust and audit from the first read.
    expect(last.full.versions['1.0.0']).toMatchObject({ trust: 'verified', audit: expect.anything() });
    await discovery();

    const steps: [string, () => Promise<void>, (now: Awaited<ReturnType<typeof read>>, index: { package: string; version: string }[]) => void][] = [
      ['publish', async () => ok(r.request('PUT', '/v1/skills/@acme/cached', { token: r.alice, body: await tarballOf(echoSkill('@acme/cached', '1.1.0')) }), 201), (now, index) => {
        expect(Object.keys(now.install.versions).sort()).toEqual(['1.0.0', '1.1.0']);
        expect(now.full.distTags.latest).toBe('1.1.0');
        expect(index.find((e) => e.package === '@acme/cached')?.version).toBe('1.1.0');
      }],
      ['yank', () => ok(r.request('POST', '/v1/skills/@acme/cached/versions/1.1.0/yank', { token: r.alice })), (now, index) => {
        expect(now.full.versions['1.1.0']?.yanked).toBe(true);
        expect(now.install.versions['1.1.0']?.yanked).toBe(true);
        expect(index.find((e) => e.package === '@acme/cached')?.version).toBe('1.0.0');
      }],
      ['unyank', () => ok(r.request('POST', '/v1/skills/@acme/cached/versions/1.1.0/unyank', { token: r.alice })), (now, index) => {
        expect(now.install.versions['1.1.0']?.yanked).toBe(false);
        expect(index.find((e) => e.package === '@acme/cached')?.version).toBe('1.1.0');
      }],
      ['deprecate', () => ok(r.request('POST', '/v1/skills/@acme/cached/versions/1.0.0/deprecate', { token: r.alice, body: { message: 'use 1.1' } })), (now) => {
        expect(now.full.versions['1.0.0']?.deprecated).toBe('use 1.1');
        expect(now.install.versions['1.0.0']?.deprecated).toBe('use 1.1');
      }],
      ['dist-tag', () => ok(r.request('PUT', '/v1/skills/@acme/cached/dist-tags/beta', { token: r.alice, body: { version: '1.0.0' } })), (now) => {
        expect(now.install.distTags).toEqual({ latest: '1.1.0', beta: '1.0.0' });
      }],
      ['dist-tag latest', () => ok(r.request('PUT', '/v1/skills/@acme/cached/dist-tags/latest', { token: r.alice, body: { version: '1.0.0' } })), (now, index) => {
        expect(now.full.distTags.latest).toBe('1.0.0');
        expect(index.find((e) => e.package === '@acme/cached')?.version).toBe('1.0.0');
      }],
      ['dist-tag rm', () => ok(r.request('DELETE', '/v1/skills/@acme/cached/dist-tags/beta', { token: r.alice })), (now) => {
        expect(now.full.distTags).toEqual({ latest: '1.0.0' });
      }],
      ['downloads', async () => {
        await ok(r.request('GET', '/v1/skills/@acme/cached/-/cached-1.0.0.tgz'));
        // Counts are written a few seconds later, or at close: force the write now.
        await (r.app as RegistryApp).close();
      }, (now) => {
        expect(now.full.downloads?.total).toBe(1);
      }],
      ['delete', async () => {
        await ok(r.request('GET', '/v1/skills/@acme/cached/-/cached-1.1.0.tgz'));
        await ok(r.request('DELETE', '/v1/skills/@acme/cached/versions/1.1.0', { token: r.alice }));
      }, (now) => {
        expect(Object.keys(now.install.versions)).toEqual(['1.0.0']);
      }],
    ];
    for (const [label, write, check] of steps) {
      await write();
      const now = await read('@acme/cached');
      check(now, await discovery());
      expect(now.etag, `${label} changed the packument's ETag`).not.toBe(last.etag);
      const revalidated = await r.request('GET', '/v1/skills/@acme/cached', { headers: { 'If-None-Match': last.etag } });
      expect(revalidated.status, `${label}: a stale ETag is not Not Modified`).toBe(200);
      last = now;
    }
    // The deleted version's cached tarball went with it.
    expect((await r.request('GET', '/v1/skills/@acme/cached/-/cached-1.1.0.tgz')).status).toBe(404);
  });

  it('search shows each write at once (no result is cached)', async () => {
    await ok(r.request('PUT', '/v1/skills/@acme/searchable', { token: r.alice, body: await tarballOf(echoSkill('@acme/searchable')) }), 201);
    const find = async () => ((await (await r.request('GET', '/v1/search?q=searchable')).json()) as { results: { name: string; version: string }[] }).results;
    expect((await find()).map((x) => x.version)).toEqual(['1.0.0']);
    await ok(r.request('PUT', '/v1/skills/@acme/searchable', { token: r.alice, body: await tarballOf(echoSkill('@acme/searchable', '2.0.0')) }), 201);
    expect((await find()).map((x) => x.version)).toEqual(['2.0.0']);
  });

  it('sees a change committed by another connection to the same file (another registry process, an operator)', async () => {
    await ok(r.request('PUT', '/v1/skills/@acme/operated', { token: r.alice, body: await tarballOf(echoSkill('@acme/operated')) }), 201);
    const before = await read('@acme/operated');
    expect(before.full.versions['1.0.0']?.trust).toBe('verified');
    await ok(r.request('GET', '/v1/skills/@acme/operated/-/operated-1.0.0.tgz'));
    const other = new Database(path.join(r.dir, 'registry.db'));
    other.prepare("UPDATE versions SET trust = 'unverified', deprecated = 'pulled by an operator' WHERE skill_id = (SELECT id FROM skills WHERE name = ?)").run('@acme/operated');
    other.prepare('DELETE FROM blobs WHERE sha256 = (SELECT v.tarball_sha256 FROM versions v JOIN skills s ON s.id = v.skill_id WHERE s.name = ?)').run('@acme/operated');
    other.close();
    // A real request arrives in a turn of the event loop of its own; in-process ones may not.
    await new Promise((resolve) => setImmediate(resolve));
    const after = await read('@acme/operated');
    expect(after.full.versions['1.0.0']).toMatchObject({ trust: 'unverified', deprecated: 'pulled by an operator' });
    expect(after.install.versions['1.0.0']).toMatchObject({ trust: 'unverified' });
    // The cached bytes are not served: the blob is gone from the store, and the registry says so.
    const gone = await r.request('GET', '/v1/skills/@acme/operated/-/operated-1.0.0.tgz');
    expect(gone.status).toBe(500);
    expect(((await gone.json()) as { error: { code: string } }).error.code).toBe('EBLOBMISSING');
  });
});

describe('private scopes', () => {
  it('a cached private packument or tarball is never served to a reader without access, not even as a 304', async () => {
    await ok(r.request('PUT', '/v1/skills/@secret/hush', { token: r.alice, body: await tarballOf(echoSkill('@secret/hush')) }), 201);
    // Alice fills every cache.
    const mine = await read('@secret/hush', r.alice);
    const tarball = await r.request('GET', '/v1/skills/@secret/hush/-/hush-1.0.0.tgz', { token: r.alice });
    expect(tarball.status).toBe(200);
    expect(tarball.headers.get('Cache-Control')).toBe('private, max-age=31536000, immutable');
    expect(tarball.headers.get('Vary')).toContain('Authorization');
    const packument = await r.request('GET', '/v1/skills/@secret/hush', { token: r.alice });
    expect(packument.headers.get('Cache-Control')).toBe('private, no-cache');
    expect(packument.headers.get('Vary')).toContain('Authorization');
    const missing = sameIdText(await (await r.request('GET', '/v1/skills/@secret/nothing-here')).text());
    // Alice's search answer is cached too (it is keyed by the scopes the caller may read).
    expect(((await (await r.request('GET', '/v1/search?q=hush', { token: r.alice })).json()) as { total: number }).total).toBe(1);

    for (const token of [undefined, r.bobRead]) {
      const variants: Record<string, string>[] = [{}, { 'If-None-Match': mine.etag }, { 'If-None-Match': tarball.headers.get('ETag') ?? '' }, { 'Accept-Encoding': 'gzip', Accept: INSTALL }];
      for (const headers of variants) {
        const res = await r.request('GET', '/v1/skills/@secret/hush', { token, headers });
        expect(res.status).toBe(404);
        // Exactly the answer for a skill that does not exist.
        expect(sameIdText(await res.text()).replace('hush', 'nothing-here')).toBe(missing);
        const file = await r.request('GET', '/v1/skills/@secret/hush/-/hush-1.0.0.tgz', { token, headers });
        expect(file.status).toBe(404);
      }
      const search = (await (await r.request('GET', '/v1/search?q=hush', { token })).json()) as { total: number; results: unknown[] };
      expect(search).toEqual({ total: 0, totalCapped: false, results: [] });
    }
    expect((await discovery()).map((e) => e.package)).not.toContain('@secret/hush');
    const aliceSearch = (await (await r.request('GET', '/v1/search?q=hush', { token: r.alice })).json()) as { total: number };
    expect(aliceSearch.total).toBe(1);
  });

  it('public tarballs are immutable for any cache, with a strong ETag that revalidates without counting a download', async () => {
    await ok(r.request('PUT', '/v1/skills/@acme/shared', { token: r.alice, body: await tarballOf(echoSkill('@acme/shared')) }), 201);
    const res = await r.request('GET', '/v1/skills/@acme/shared/-/shared-1.0.0.tgz');
    expect(res.headers.get('Cache-Control')).toBe('public, max-age=31536000, immutable');
    const etag = res.headers.get('ETag') ?? '';
    expect(etag).toMatch(/^"sha512-[A-Za-z0-9+/=]+"$/);
    const again = await r.request('GET', '/v1/skills/@acme/shared/-/shared-1.0.0.tgz', { headers: { 'If-None-Match': etag } });
    expect(again.status).toBe(304);
    await (r.app as RegistryApp).close();
    expect((await read('@acme/shared')).full.downloads?.total).toBe(1);
  });
});

describe('Host headers', () => {
  let plainDir: string;
  let open: RunningRegistry;
  let configured: RunningRegistry;

  /** A raw request with any Host header (fetch would not let us set it). */
  function raw(base: string, pathname: string, host: string): Promise<{ status: number; body: string }> {
    const url = new URL(base);
    return new Promise((resolve, reject) => {
      http
        .get({ host: url.hostname, port: url.port, path: pathname, headers: { Host: host } }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        })
        .on('error', reject);
    });
  }

  beforeAll(async () => {
    plainDir = await tempDir('cache-host');
    open = await startRegistry({ port: 0, db: path.join(plainDir, 'open.db'), workers: 1 });
    configured = await startRegistry({ port: 0, db: path.join(plainDir, 'configured.db'), workers: 1, config: { publicUrl: 'https://skills.example.com' } });
    for (const reg of [open, configured]) {
      const call = (method: string, url: string, body: unknown) => fetch(`${reg.url}${url}`, { method, headers: { Authorization: `Bearer ${reg.adminToken}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      await call('POST', '/v1/teams', { name: 'core' });
      await call('POST', '/v1/scopes', { name: '@pub', team: 'core' });
      const tarball = (await pack([{ path: 'SKILL.md', bytes: enc.encode('---\nname: doc\ndescription: A plain skill.\n---\n\nRead me.\n') }])).bytes;
      const res = await fetch(`${reg.url}/v1/skills/@pub/doc?version=1.0.0`, { method: 'PUT', headers: { Authorization: `Bearer ${reg.adminToken}` }, body: tarball });
      expect(res.status, await res.clone().text()).toBe(201);
    }
  });
  afterAll(async () => {
    await open?.close();
    await configured?.close();
    await fs.rm(plainDir, { recursive: true, force: true });
  });

  it('with --public-url, no Host header changes any URL, cached or not', async () => {
    const host = new URL(configured.url).host;
    for (const pathname of ['/v1/skills/@pub/doc', '/.well-known/agent-skills/index.json']) {
      const evil = await raw(configured.url, pathname, 'evil.example');
      expect(evil.status).toBe(200);
      expect(evil.body).not.toContain('evil.example');
      expect(evil.body).toContain('https://skills.example.com/v1/skills/@pub/doc');
      const normal = await raw(configured.url, pathname, host);
      expect(normal.body).toBe(evil.body);
    }
  });

  it("without it, a request's Host shapes its own answer only, and a Host that is not a plain host name is refused", async () => {
    const host = new URL(open.url).host;
    for (const pathname of ['/v1/skills/@pub/doc', '/.well-known/agent-skills/index.json']) {
      expect((await raw(open.url, pathname, 'evil.example:8080')).body).toContain('http://evil.example:8080/');
      const normal = await raw(open.url, pathname, host);
      expect(normal.status).toBe(200);
      expect(normal.body).not.toContain('evil.example');
      expect(normal.body).toContain(`http://${host}/v1/skills/@pub/doc`);
      const codes: string[] = [];
      for (const hostile of ['evil.example/x?', 'user@evil.example', 'evil.example:99999', 'evil_example', 'a b']) {
        const res = await raw(open.url, pathname, hostile);
        expect(res.status, hostile).toBe(400);
        expect(res.body).not.toContain('evil');
        // Node's HTTP parser answers some itself (an empty 400); those that reach the registry are EHOSTINVALID.
        if (res.body !== '') codes.push((JSON.parse(res.body) as { error: { code: string } }).error.code);
      }
      expect(codes.length).toBeGreaterThan(0);
      expect(new Set(codes)).toEqual(new Set(['EHOSTINVALID']));
    }
  });
});

describe('cached bodies go out in one piece', () => {
  it('packuments (both forms, plain and gzip), tarballs and the discovery index carry their Content-Length', async () => {
    await ok(r.request('PUT', '/v1/skills/@acme/sized', { token: r.alice, body: await tarballOf(echoSkill('@acme/sized', '1.0.0', { extraFiles: { 'references/notes.md': 'Notes. '.repeat(400) } })) }), 201);
    for (const [url, headers] of [
      ['/v1/skills/@acme/sized', { 'Accept-Encoding': 'gzip' }],
      ['/v1/skills/@acme/sized', {}],
      ['/v1/skills/@acme/sized', { Accept: 'application/vnd.skills.install-v1+json', 'Accept-Encoding': 'gzip' }],
      ['/v1/skills/@acme/sized/-/sized-1.0.0.tgz', {}],
      ['/.well-known/agent-skills/index.json', { 'Accept-Encoding': 'gzip' }],
      ['/.well-known/agent-skills/index.json', {}],
    ] as const) {
      const res = await r.request('GET', url, { headers });
      expect(res.status).toBe(200);
      const body = await res.arrayBuffer();
      expect(res.headers.get('Content-Length'), `${url} ${JSON.stringify(headers)}`).toBe(String(body.byteLength));
    }
  });
});
