/**
 * Issue 25's contract: one suite, run against every storage profile (a SQLite file with blobs in
 * its table; PostgreSQL with blobs in an S3-compatible bucket), driving the registry only through
 * HTTP. Whatever a client can see must be the same on both: publishing, reading, caching headers,
 * downloads, changes, search, accounts, the discovery index, the web catalog and /mcp; refused
 * requests change no row and no blob on either.
 *
 * At the end, every read a client makes (packuments in both forms, audit reports, searches, the
 * discovery index, accounts) is compared across the profiles: equal but for times and scores.
 *
 * Search scores differ between the engines (FTS5's BM25 against PostgreSQL's weighted ts_rank), so
 * the suite asserts what must hold on both: the same matches, the same totals, and the expected
 * first result where one skill clearly matches best (its name against another's SKILL.md body).
 *
 * Text PostgreSQL cannot hold (a NUL character, an unpaired surrogate) gets the same answer on
 * both: refused where the registry would store it as text, kept inside skill.json's JSON, and
 * not found where it names something to look up.
 */
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { PackageFile } from '../schema/package-files';
import { discoveryIndexSchema, INSTALL_PACKUMENT_TYPE, installPackumentSchema, packumentSchema, publishResponseSchema, registryDiscoveryEntrySchema, searchResponseSchema, type SearchResponse } from '../schema/registry';
import { integrityOf } from '../tarball/digest';
import { createProfileRegistry, echoSkill, profileServers, STORAGE_PROFILES, tarballOf, type ProfileRegistry } from '../testkit/registry';
import { chainSkills } from '../testkit/skill-files';
import { HOSTILE_ARCHIVES } from './hostile/archives';

const enc = new TextEncoder();
const HTML = { Accept: 'text/html,application/xhtml+xml' };
const servers = profileServers();

afterAll(async () => {
  await servers.stop();
});

/** A code skill (echoSkill) with its own SKILL.md description and body. */
function codeSkill(name: string, description: string, body: string, version = '1.0.0'): PackageFile[] {
  const bare = name.slice(name.indexOf('/') + 1);
  return echoSkill(name, version).map((f) => (f.path === 'SKILL.md' ? { ...f, bytes: enc.encode(`---\nname: ${bare}\ndescription: ${description}\n---\n\n${body}\n`) } : f));
}

/** A plain skill: SKILL.md (and a reference file), no skill.json; its version comes from ?version=. */
function plainSkill(bare: string, description: string, body: string): PackageFile[] {
  return [
    { path: 'SKILL.md', bytes: enc.encode(`---\nname: ${bare}\ndescription: ${description}\n---\n\n${body}\n`) },
    { path: 'references/GUIDE.md', bytes: enc.encode(`# ${bare}\n\nMore about ${bare}.\n`) },
  ];
}

async function errorCode(res: Response): Promise<string> {
  const body = (await res.json()) as { error?: { code: string } };
  return `${res.status} ${body.error?.code ?? '(no error)'}`;
}

function cookiesOf(res: Response): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of res.headers.getSetCookie()) {
    const pair = line.split(';')[0] ?? '';
    const eq = pair.indexOf('=');
    out.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return out;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe.each(STORAGE_PROFILES)('the registry on %s', (profile) => {
  let r: ProfileRegistry;
  /** What each published skill's tarball was, by name@version. */
  const published = new Map<string, Uint8Array>();

  async function publish(name: string, files: readonly PackageFile[], options: { version?: string; tag?: string; token?: string } = {}): Promise<Response> {
    const bytes = await tarballOf(files);
    const query = new URLSearchParams();
    if (options.version !== undefined) query.set('version', options.version);
    if (options.tag !== undefined) query.set('tag', options.tag);
    const res = await r.request('PUT', `/v1/skills/${name}${query.size > 0 ? `?${query}` : ''}`, { token: options.token ?? r.alice, body: bytes });
    if (res.status === 201) {
      const { version } = (await res.clone().json()) as { version: string };
      published.set(`${name}@${version}`, bytes);
    }
    return res;
  }

  async function published201(name: string, files: readonly PackageFile[], options: Parameters<typeof publish>[2] = {}): Promise<void> {
    const res = await publish(name, files, options);
    expect(res.status, await res.clone().text()).toBe(201);
  }

  async function json<T>(url: string, token?: string): Promise<T> {
    const res = await r.request('GET', url, { token });
    expect(res.status, `${url}: ${await res.clone().text()}`).toBe(200);
    return (await res.json()) as T;
  }

  async function search(query: string, token?: string): Promise<SearchResponse> {
    return searchResponseSchema.parse(await json(`/v1/search?${query}`, token));
  }

  beforeAll(async () => {
    r = await createProfileRegistry(profile, servers, { authFailuresPerMinute: 1000 });
    await published201('@acme/hello', echoSkill('@acme/hello'));
    await published201('@acme/csv-tools', codeSkill('@acme/csv-tools', 'Parse and filter CSV spreadsheets.', 'Reads CSV files and filters their rows.'));
    await published201('@acme/invoice-parser', codeSkill('@acme/invoice-parser', 'Extract totals from invoice PDFs.', 'Reads each invoice and returns its total.'));
    await published201('@acme/ledger', codeSkill('@acme/ledger', 'Keep a double-entry ledger of accounts.', 'Post entries to accounts. An invoice becomes one entry.'));
    await published201('@acme/notes', plainSkill('notes', 'Take meeting notes in Markdown.', 'Write the notes as a list of decisions.'), { version: '1.0.0' });
    await published201('@secret/plan', codeSkill('@secret/plan', 'Plan quarterly budgets in spreadsheets.', 'Private planning.'));
  });

  afterAll(async () => {
    await r?.close();
  });

  describe('publishing', () => {
    it('publishes a code skill (verified in the sandbox) and a plain skill (instructions only)', async () => {
      const code = publishResponseSchema.parse(await (await publish('@acme/greeter', echoSkill('@acme/greeter'))).json());
      expect(code).toMatchObject({ name: '@acme/greeter', version: '1.0.0', tag: 'latest', kind: 'code', trust: 'verified', verification: { ok: true, passed: 1 } });
      expect(code.integrity).toBe(integrityOf(published.get('@acme/greeter@1.0.0')!));
      const plain = publishResponseSchema.parse(await (await publish('@acme/recipes', plainSkill('recipes', 'Cook from a list of recipes.', 'Read references/GUIDE.md.'), { version: '2.1.0' })).json());
      expect(plain).toMatchObject({ name: '@acme/recipes', version: '2.1.0', tag: 'latest', kind: 'plain', trust: 'instructions', verification: { ok: true, passed: 0, cases: [] } });
    });

    it('publishes the same version 20 times at once: one 201, nineteen 409, one version row and one blob', async () => {
      const before = await r.counts();
      const body = await tarballOf(echoSkill('@acme/race'));
      const answers = await Promise.all(Array.from({ length: 20 }, () => r.request('PUT', '/v1/skills/@acme/race', { token: r.alice, body })));
      const statuses = answers.map((a) => a.status);
      const others = await Promise.all(answers.filter((a) => a.status !== 201 && a.status !== 409).map(async (a) => `${a.status} ${await a.text()}`));
      expect(others, 'neither 201 nor 409').toEqual([]);
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 409)).toHaveLength(19);
      for (const a of answers.filter((x) => x.status === 409)) expect(await errorCode(a)).toBe('409 EVERSIONEXISTS');
      const after = await r.counts();
      expect(after.versions - before.versions).toBe(1);
      expect(after.skills - before.skills).toBe(1);
      expect(after.blobs - before.blobs).toBe(1);
      const doc = packumentSchema.parse(await json('/v1/skills/@acme/race'));
      expect(Object.keys(doc.versions)).toEqual(['1.0.0']);
    });
  });

  describe('dependencies', () => {
    it('verifies a skill with its dependencies from the registry, and lists its dependents', async () => {
      const chain = chainSkills('@acme');
      await published201('@acme/base', chain.base);
      await published201('@acme/mid', chain.mid);
      await published201('@acme/top', chain.top);
      expect(packumentSchema.parse(await json('/v1/skills/@acme/top')).versions['1.0.0']).toMatchObject({ trust: 'verified', manifest: { dependencies: { '@acme/mid': '^1.0.0' } }, verification: { ok: true, passed: 1 } });
      const base = await (await r.request('GET', '/@acme/base', { headers: HTML })).text();
      expect(base).toContain('@acme/mid');
      expect(base).not.toContain('@acme/top');
      // A public skill never depends on a private one.
      await unchanged('private dependency', async () => r.request('PUT', '/v1/skills/@acme/leaky', { token: r.alice, body: await tarballOf(withManifest('@acme/leaky', { dependencies: { '@secret/plan': '^1.0.0' } })) }), '400 EPRIVATEDEPENDENCY');
      await unchanged('missing dependency', async () => r.request('PUT', '/v1/skills/@acme/lost', { token: r.alice, body: await tarballOf(withManifest('@acme/lost', { dependencies: { '@acme/nowhere': '^1.0.0' } })) }), '400 EDEPENDENCYNOTFOUND');
    });
  });

  describe('reading', () => {
    it('serves the full packument and the install form, each with an ETag that answers 304', async () => {
      const full = await r.request('GET', '/v1/skills/@acme/hello');
      expect(full.headers.get('Content-Type')).toContain('application/json');
      expect(full.headers.get('Cache-Control')).toBe('public, no-cache');
      const doc = packumentSchema.parse(await full.json());
      expect(doc).toMatchObject({ name: '@acme/hello', distTags: { latest: '1.0.0' }, private: false });
      expect(doc.versions['1.0.0']).toMatchObject({ kind: 'code', trust: 'verified', yanked: false, deprecated: null, publishedBy: 'alice', dist: { integrity: integrityOf(published.get('@acme/hello@1.0.0')!) } });
      expect(doc.versions['1.0.0']?.skillMd).toContain('name: hello');
      const etag = full.headers.get('ETag') ?? '';
      expect(etag).toMatch(/^".+"$/);
      expect((await r.request('GET', '/v1/skills/@acme/hello', { headers: { 'If-None-Match': etag } })).status).toBe(304);

      const install = await r.request('GET', '/v1/skills/@acme/hello', { headers: { Accept: INSTALL_PACKUMENT_TYPE } });
      expect(install.headers.get('Content-Type')).toContain(INSTALL_PACKUMENT_TYPE);
      const installEtag = install.headers.get('ETag') ?? '';
      expect(installEtag).not.toBe(etag);
      const compact = installPackumentSchema.parse(await install.json());
      expect(compact.versions['1.0.0']).toMatchObject({ kind: 'code', trust: 'verified', yanked: false, mcp: { everything: ['echo'] } });
      expect((await r.request('GET', '/v1/skills/@acme/hello', { headers: { Accept: INSTALL_PACKUMENT_TYPE, 'If-None-Match': installEtag } })).status).toBe(304);

      const plain = packumentSchema.parse(await json('/v1/skills/@acme/notes'));
      expect(plain.versions['1.0.0']).toMatchObject({ kind: 'plain', trust: 'instructions', manifest: { name: '@acme/notes', version: '1.0.0' } });
    });

    it('sends the packument gzipped to a client that takes gzip, with its own ETag', async () => {
      const plain = await r.request('GET', '/v1/skills/@acme/hello');
      const text = await plain.text();
      expect(text.length).toBeGreaterThan(1024);
      const gz = await r.request('GET', '/v1/skills/@acme/hello', { headers: { 'Accept-Encoding': 'gzip' } });
      expect(gz.headers.get('Content-Encoding')).toBe('gzip');
      expect(gz.headers.get('ETag')).toBe(`${(plain.headers.get('ETag') ?? '').slice(0, -1)}-gzip"`);
      expect(gunzipSync(Buffer.from(await gz.arrayBuffer())).toString('utf8')).toBe(text);
      expect((await r.request('GET', '/v1/skills/@acme/hello', { headers: { 'Accept-Encoding': 'gzip', 'If-None-Match': gz.headers.get('ETag') ?? '' } })).status).toBe(304);
    });

    it('serves a version, its SKILL.md, and its tarball byte for byte with the integrity as ETag', async () => {
      const version = await r.request('GET', '/v1/skills/@acme/csv-tools/versions/1.0.0');
      expect(version.headers.get('Cache-Control')).toContain('immutable');
      expect(await version.json()).toMatchObject({ name: '@acme/csv-tools', version: '1.0.0', description: 'Parse and filter CSV spreadsheets.' });
      const md = await r.request('GET', '/v1/skills/@acme/csv-tools/versions/1.0.0/skill.md');
      expect(md.headers.get('Content-Type')).toContain('text/markdown');
      expect(await md.text()).toBe('---\nname: csv-tools\ndescription: Parse and filter CSV spreadsheets.\n---\n\nReads CSV files and filters their rows.\n');
      for (const key of ['@acme/csv-tools@1.0.0', '@acme/notes@1.0.0']) {
        const sent = published.get(key)!;
        const [name, v] = [key.slice(0, key.lastIndexOf('@')), key.slice(key.lastIndexOf('@') + 1)];
        const tarball = await r.request('GET', `/v1/skills/${name}/-/${name.slice(name.indexOf('/') + 1)}-${v}.tgz`);
        expect(tarball.status).toBe(200);
        expect(tarball.headers.get('Content-Type')).toBe('application/gzip');
        expect(tarball.headers.get('ETag')).toBe(`"${integrityOf(sent)}"`);
        expect(tarball.headers.get('Content-Length')).toBe(String(sent.byteLength));
        expect(Buffer.from(await tarball.arrayBuffer()).equals(Buffer.from(sent))).toBe(true);
      }
      expect(await errorCode(await r.request('GET', '/v1/skills/@acme/csv-tools/versions/9.9.9'))).toBe('404 ENOTFOUND');
      expect(await errorCode(await r.request('GET', '/v1/skills/@acme/csv-tools/-/csv-tools-9.9.9.tgz'))).toBe('404 ENOTFOUND');
    });

    it('counts downloads (not revalidations) and shows them in the packument once written', async () => {
      await published201('@acme/counted', echoSkill('@acme/counted'));
      const url = '/v1/skills/@acme/counted/-/counted-1.0.0.tgz';
      let etag = '';
      for (let i = 0; i < 3; i++) etag = (await r.request('GET', url)).headers.get('ETag') ?? '';
      expect((await r.request('GET', url, { headers: { 'If-None-Match': etag } })).status).toBe(304);
      await r.settle();
      expect((await json<{ downloads: unknown }>('/v1/skills/@acme/counted')).downloads).toEqual({ total: 3, lastWeek: 3, versions: { '1.0.0': 3 } });
      const counts = await r.counts();
      expect(counts.version_downloads).toBeGreaterThanOrEqual(1);
    });
  });

  describe('changing skills', () => {
    it('sets and removes dist-tags', async () => {
      await published201('@acme/tagged', echoSkill('@acme/tagged', '1.0.0'));
      expect(await (await publish('@acme/tagged', echoSkill('@acme/tagged', '2.0.0'), { tag: 'beta' })).json()).toMatchObject({ tag: 'beta' });
      const set = await r.request('PUT', '/v1/skills/@acme/tagged/dist-tags/stable', { token: r.alice, body: { version: '1.0.0' } });
      expect(await set.json()).toEqual({ name: '@acme/tagged', distTags: { beta: '2.0.0', latest: '1.0.0', stable: '1.0.0' } });
      expect(await errorCode(await r.request('DELETE', '/v1/skills/@acme/tagged/dist-tags/latest', { token: r.alice }))).toBe('400 ETAGLATEST');
      const removed = await r.request('DELETE', '/v1/skills/@acme/tagged/dist-tags/stable', { token: r.alice });
      expect(await removed.json()).toEqual({ name: '@acme/tagged', distTags: { beta: '2.0.0', latest: '1.0.0' } });
      expect(await errorCode(await r.request('DELETE', '/v1/skills/@acme/tagged/dist-tags/stable', { token: r.alice }))).toBe('404 ENOTFOUND');
      // Moving latest moves what search shows.
      await r.request('PUT', '/v1/skills/@acme/tagged/dist-tags/latest', { token: r.alice, body: { version: '2.0.0' } });
      expect((await search('q=tagged')).results.find((x) => x.name === '@acme/tagged')).toMatchObject({ version: '2.0.0' });
      expect((await json<{ distTags: unknown }>('/v1/skills/@acme/tagged')).distTags).toEqual({ beta: '2.0.0', latest: '2.0.0' });
    });

    it('yanks, unyanks and deprecates, and the packument shows it at once', async () => {
      await published201('@acme/old', echoSkill('@acme/old'));
      const before = packumentSchema.parse(await json('/v1/skills/@acme/old'));
      expect((await r.request('POST', '/v1/skills/@acme/old/versions/1.0.0/yank', { token: r.alice })).status).toBe(200);
      expect(packumentSchema.parse(await json('/v1/skills/@acme/old')).versions['1.0.0']?.yanked).toBe(true);
      // A yanked version stays downloadable for existing lockfiles.
      expect((await r.request('GET', '/v1/skills/@acme/old/-/old-1.0.0.tgz')).status).toBe(200);
      expect((await r.request('POST', '/v1/skills/@acme/old/versions/1.0.0/unyank', { token: r.alice })).status).toBe(200);
      expect((await r.request('POST', '/v1/skills/@acme/old/versions/1.0.0/deprecate', { token: r.alice, body: { message: 'use @acme/hello' } })).status).toBe(200);
      const after = packumentSchema.parse(await json('/v1/skills/@acme/old'));
      expect(after.versions['1.0.0']).toMatchObject({ yanked: false, deprecated: 'use @acme/hello' });
      expect(Date.parse(after.time.modified ?? '')).toBeGreaterThanOrEqual(Date.parse(before.time.modified ?? ''));
      expect((await r.request('POST', '/v1/skills/@acme/old/versions/1.0.0/deprecate', { token: r.alice, body: { message: '' } })).status).toBe(200);
      expect(packumentSchema.parse(await json('/v1/skills/@acme/old')).versions['1.0.0']?.deprecated).toBeNull();
      expect(await errorCode(await r.request('POST', '/v1/skills/@acme/old/versions/3.0.0/yank', { token: r.alice }))).toBe('404 ENOTFOUND');
    });

    it('deletes versions within the window: the tarball is gone, the version never comes back, the last one takes the skill and its blob', async () => {
      await published201('@acme/gone', echoSkill('@acme/gone', '1.0.0'));
      await published201('@acme/gone', echoSkill('@acme/gone', '1.1.0'));
      const before = await r.counts();
      expect(await (await r.request('DELETE', '/v1/skills/@acme/gone/versions/1.1.0', { token: r.alice })).json()).toEqual({ name: '@acme/gone', version: '1.1.0', deleted: true });
      expect(await errorCode(await r.request('GET', '/v1/skills/@acme/gone/-/gone-1.1.0.tgz'))).toBe('404 ENOTFOUND');
      expect(packumentSchema.parse(await json('/v1/skills/@acme/gone'))).toMatchObject({ distTags: { latest: '1.0.0' } });
      expect(Object.keys(packumentSchema.parse(await json('/v1/skills/@acme/gone')).versions)).toEqual(['1.0.0']);
      expect(await errorCode(await publish('@acme/gone', echoSkill('@acme/gone', '1.1.0')))).toBe('409 EVERSIONEXISTS');
      expect((await r.request('DELETE', '/v1/skills/@acme/gone/versions/1.0.0', { token: r.alice })).status).toBe(200);
      expect(await errorCode(await r.request('GET', '/v1/skills/@acme/gone'))).toBe('404 ENOTFOUND');
      expect(await errorCode(await r.request('GET', '/v1/skills/@acme/gone/-/gone-1.0.0.tgz'))).toBe('404 ENOTFOUND');
      expect((await search('q=gone')).results.map((x) => x.name)).not.toContain('@acme/gone');
      const after = await r.counts();
      expect(before.blobs - after.blobs).toBe(2);
      expect(before.versions - after.versions).toBe(2);
      expect(before.skills - after.skills).toBe(1);
      expect(before.search - after.search).toBe(1);
      expect(after.used_versions).toBe(before.used_versions);
    });

    it('on a registry with no delete window and a search count cap of 3: refuses deleting, and says when a total is capped', async () => {
      const other = await createProfileRegistry(profile, servers, { deleteWindowHours: 0, searchTotalCap: 3 });
      try {
        for (const bare of ['alpha', 'beta', 'gamma', 'delta', 'epsilon']) {
          const res = await other.request('PUT', `/v1/skills/@acme/${bare}?version=1.0.0`, { token: other.alice, body: await tarballOf(plainSkill(bare, `The ${bare} cookbook.`, 'Recipes.')) });
          expect(res.status).toBe(201);
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
        expect(await errorCode(await other.request('DELETE', '/v1/skills/@acme/alpha/versions/1.0.0', { token: other.alice }))).toBe('409 EDELETEWINDOW');
        const find = async (query: string) => searchResponseSchema.parse(await (await other.request('GET', `/v1/search?${query}`)).json());
        expect(await find('q=cookbook&limit=2')).toMatchObject({ total: 3, totalCapped: true });
        expect(await find('q=cookbook&limit=2&offset=4')).toMatchObject({ total: 5, totalCapped: false });
        expect(await find('q=cookbook&limit=10')).toMatchObject({ total: 5, totalCapped: false });
        expect(await find('q=gamma&limit=1')).toMatchObject({ total: 1, totalCapped: false });
      } finally {
        await other.close();
      }
    });
  });

  describe('search', () => {
    it('ranks a skill named for the query above one that only mentions it, on both engines', async () => {
      const found = await search('q=invoice');
      expect(found.results.map((x) => x.name)).toEqual(['@acme/invoice-parser', '@acme/ledger']);
      expect(found.total).toBe(2);
      expect(found.results[0]!.score).toBeGreaterThan(found.results[1]!.score);
      expect(found.results[1]!.score).toBeGreaterThan(0);
      // The last word is a prefix; the words are ANDed.
      expect((await search('q=invoi')).results.map((x) => x.name)).toEqual(['@acme/invoice-parser', '@acme/ledger']);
      expect((await search('q=invoice%20ledger')).results.map((x) => x.name)).toEqual(['@acme/ledger']);
      // Stemming: "spreadsheet" finds "spreadsheets".
      expect((await search('q=spreadsheet')).results.map((x) => x.name)).toEqual(['@acme/csv-tools']);
      expect((await search('q=csv')).results[0]?.name).toBe('@acme/csv-tools');
      expect((await search('q=nothing-like-this-anywhere')).total).toBe(0);
    });

    it('treats query syntax of either engine as plain text', async () => {
      for (const q of ['"', '*', 'NEAR(', '-', 'csv OR', 'name:csv', '"unterminated', 'a AND NOT b', '((', '^', '\u0000', "csv' OR 1=1 --", 'csv & !x | y:*', '<->']) {
        const res = await r.request('GET', `/v1/search?q=${encodeURIComponent(q)}`);
        expect(res.status, q).toBe(200);
      }
      expect((await search(`q=${encodeURIComponent('csv:*')}`)).results.map((x) => x.name)).toEqual(['@acme/csv-tools']);
      // Words with nothing to index match nothing on both (FTS5 drops an empty phrase only beside others).
      expect((await search('q=_')).total).toBe(0);
      expect((await search('q=__%20-')).total).toBe(0);
      expect((await search('q=invoice%20_')).results.map((x) => x.name)).toEqual(['@acme/invoice-parser', '@acme/ledger']);
      expect((await search('q=invoice%20__%20ledger')).results.map((x) => x.name)).toEqual(['@acme/ledger']);
    });

    it('filters by scope, server and trust, and counts totals across pages', async () => {
      const all = await search('limit=100');
      const publicNames = all.results.map((x) => x.name);
      expect(publicNames).toEqual([...publicNames].sort());
      expect(publicNames).toEqual(expect.arrayContaining(['@acme/hello', '@acme/csv-tools', '@acme/notes', '@acme/recipes']));
      expect(publicNames).not.toContain('@secret/plan');
      expect(all.total).toBe(publicNames.length);
      const page = await search('limit=2&offset=1');
      expect(page.total).toBe(publicNames.length);
      expect(page.results.map((x) => x.name)).toEqual(publicNames.slice(1, 3));
      expect((await search(`limit=2&offset=${publicNames.length}`)).results).toEqual([]);

      const plain = await search('trust=instructions&limit=100');
      expect(plain.results.map((x) => x.name)).toEqual(['@acme/notes', '@acme/recipes']);
      expect(plain.results.every((x) => x.trust === 'instructions' && x.servers.length === 0)).toBe(true);
      const verified = await search('trust=verified&limit=100');
      expect(verified.total).toBe(publicNames.length - 2);
      const everything = verified.results.filter((x) => x.servers.includes('everything')).map((x) => x.name);
      expect(everything.length).toBeGreaterThan(3);
      expect((await search('server=everything&limit=100')).results.map((x) => x.name)).toEqual(everything);
      expect((await search('server=memory')).total).toBe(0);
      expect((await search('q=notes&trust=verified')).total).toBe(0);
      expect((await search('q=notes&trust=instructions,verified')).results.map((x) => x.name)).toEqual(['@acme/notes']);
      expect((await search('scope=@acme&limit=100')).total).toBe(publicNames.length);
      expect(await errorCode(await r.request('GET', '/v1/search?trust=bogus'))).toBe('400 EQUERYINVALID');
    });

    it('shows a private scope only to its members (and admins)', async () => {
      expect((await search('q=spreadsheet')).results.map((x) => x.name)).toEqual(['@acme/csv-tools']);
      expect((await search('q=spreadsheet', r.bobRead)).results.map((x) => x.name)).toEqual(['@acme/csv-tools']);
      expect((await search('q=spreadsheet', r.alice)).results.map((x) => x.name).sort()).toEqual(['@acme/csv-tools', '@secret/plan']);
      expect((await search('q=spreadsheet', r.admin)).total).toBe(2);
      expect((await search('scope=@secret')).total).toBe(0);
      expect((await search('scope=@secret', r.alice)).results.map((x) => x.name)).toEqual(['@secret/plan']);
      const anonymous = await search('limit=100');
      const member = await search('limit=100', r.alice);
      expect(member.total).toBe(anonymous.total + 1);
    });
  });

  describe('accounts', () => {
    it('creates, lists and revokes tokens; a revoked token is refused with ETOKENREVOKED', async () => {
      const created = await r.request('POST', '/v1/tokens', { token: r.alice, body: { permission: 'read', description: 'ci read', expiresInDays: 30 } });
      expect(created.status).toBe(201);
      const token = (await created.json()) as { id: string; token: string; user: string; permission: string; description: string; expiresAt: string };
      expect(token).toMatchObject({ user: 'alice', permission: 'read', description: 'ci read' });
      expect(Date.parse(token.expiresAt)).toBeGreaterThan(Date.now());
      expect(await (await r.request('GET', '/-/whoami', { token: token.token })).json()).toMatchObject({ user: 'alice', permission: 'read', teams: [{ name: 'acme', role: 'owner' }] });
      const listed = (await json<{ tokens: { id: string; user: string; revokedAt: string | null; lastUsedAt: string | null }[] }>('/v1/tokens', r.alice)).tokens;
      expect(listed.every((t) => t.user === 'alice')).toBe(true);
      expect(listed.find((t) => t.id === token.id)).toMatchObject({ revokedAt: null, lastUsedAt: expect.any(String) });
      const everyone = (await json<{ tokens: { user: string }[] }>('/v1/tokens', r.admin)).tokens;
      expect(new Set(everyone.map((t) => t.user))).toEqual(new Set(['admin', 'alice', 'bob']));
      expect(await (await r.request('DELETE', `/v1/tokens/${token.id}`, { token: r.alice })).json()).toEqual({ id: token.id, revoked: true });
      expect(await errorCode(await r.request('GET', '/-/whoami', { token: token.token }))).toBe('401 ETOKENREVOKED');
      expect(await errorCode(await r.request('DELETE', `/v1/tokens/${token.id}`, { token: r.alice }))).toBe('409 ETOKENREVOKED');
      expect(await errorCode(await r.request('DELETE', '/v1/tokens/AAAAAAAAAAAAAAAA', { token: r.alice }))).toBe('404 ENOTFOUND');
    });

    it('creates users, teams, members and scopes, with 409 for each that exists', async () => {
      expect((await r.request('POST', '/v1/users', { token: r.admin, body: { name: 'carol' } })).status).toBe(201);
      expect(await errorCode(await r.request('POST', '/v1/users', { token: r.admin, body: { name: 'carol' } }))).toBe('409 EUSEREXISTS');
      expect(await (await r.request('POST', '/v1/teams', { token: r.admin, body: { name: 'blue' } })).json()).toEqual({ name: 'blue', members: [{ user: 'admin', role: 'owner' }] });
      expect(await errorCode(await r.request('POST', '/v1/teams', { token: r.admin, body: { name: 'blue' } }))).toBe('409 ETEAMEXISTS');
      expect((await r.request('POST', '/v1/teams/blue/members', { token: r.admin, body: { user: 'carol', role: 'member' } })).status).toBe(201);
      expect((await r.request('POST', '/v1/teams/blue/members', { token: r.admin, body: { user: 'carol', role: 'owner' } })).status).toBe(201);
      expect((await r.request('POST', '/v1/scopes', { token: r.admin, body: { name: '@blue', team: 'blue', private: true } })).status).toBe(201);
      expect(await errorCode(await r.request('POST', '/v1/scopes', { token: r.admin, body: { name: '@blue', team: 'blue' } }))).toBe('409 ESCOPEEXISTS');
      expect(await errorCode(await r.request('POST', '/v1/scopes', { token: r.admin, body: { name: '@red', team: 'nobody' } }))).toBe('404 ENOTFOUND');
      const teams = (await json<{ teams: { name: string; members: { user: string; role: string }[]; scopes: string[] }[] }>('/v1/teams', r.admin)).teams;
      expect(teams.find((t) => t.name === 'blue')).toEqual({ name: 'blue', members: [{ user: 'admin', role: 'owner' }, { user: 'carol', role: 'owner' }], scopes: ['@blue'] });
      expect(teams.map((t) => t.name)).toEqual(['acme', 'blue']);
      const anonymous = (await json<{ scopes: { name: string }[] }>('/v1/scopes')).scopes.map((s) => s.name);
      expect(anonymous).toEqual(['@acme']);
      expect((await json<{ scopes: { name: string; private: boolean }[] }>('/v1/scopes', r.alice)).scopes).toEqual([
        { name: '@acme', team: 'acme', private: false },
        { name: '@secret', team: 'acme', private: true },
      ]);
      expect((await json<{ scopes: { name: string }[] }>('/v1/scopes', r.admin)).scopes.map((s) => s.name)).toEqual(['@acme', '@blue', '@secret']);
    });

    it('records audit allowances, lists and removes them, and keeps the publish audit report', async () => {
      const report = await json<{ findings: unknown[] }>('/v1/skills/@acme/hello/versions/1.0.0/audit');
      expect(Array.isArray(report.findings)).toBe(true);
      const allowed = await r.request('POST', '/v1/skills/@acme/hello/audit-allowances', { token: r.alice, body: { rule: 'unicode-invisible', reason: 'the comment is documentation' } });
      expect(allowed.status, await allowed.clone().text()).toBe(201);
      expect(await allowed.json()).toMatchObject({ name: '@acme/hello', rule: 'unicode-invisible', file: null, reason: 'the comment is documentation', by: 'alice' });
      const again = await r.request('POST', '/v1/skills/@acme/hello/audit-allowances', { token: r.alice, body: { rule: 'unicode-invisible', reason: 'still documentation' } });
      expect(await again.json()).toMatchObject({ reason: 'still documentation' });
      await r.request('POST', '/v1/skills/@acme/hello/audit-allowances', { token: r.alice, body: { rule: 'unicode-invisible', file: 'SKILL.md', reason: 'only here' } });
      const listed = await json<{ allowances: { rule: string; file: string | null; reason: string }[] }>('/v1/skills/@acme/hello/audit-allowances');
      expect(listed.allowances.map((a) => [a.rule, a.file, a.reason])).toEqual([
        ['unicode-invisible', null, 'still documentation'],
        ['unicode-invisible', 'SKILL.md', 'only here'],
      ]);
      expect((await r.request('DELETE', '/v1/skills/@acme/hello/audit-allowances/unicode-invisible?file=SKILL.md', { token: r.alice })).status).toBe(200);
      expect((await r.request('DELETE', '/v1/skills/@acme/hello/audit-allowances/unicode-invisible', { token: r.alice })).status).toBe(200);
      expect(await errorCode(await r.request('DELETE', '/v1/skills/@acme/hello/audit-allowances/unicode-invisible', { token: r.alice }))).toBe('404 ENOTFOUND');
      expect((await json<{ allowances: unknown[] }>('/v1/skills/@acme/hello/audit-allowances')).allowances).toEqual([]);
      expect(await errorCode(await r.request('POST', '/v1/skills/@acme/hello/audit-allowances', { token: r.bobRead, body: { rule: 'unicode-invisible', reason: 'x' } }))).toBe('403 EFORBIDDEN');
    });
  });

  describe('discovery, web catalog and MCP', () => {
    it('serves the discovery index: public skills at latest, digests of the exact bytes, gzip and 304', async () => {
      const res = await r.request('GET', '/.well-known/agent-skills/index.json');
      const raw: unknown = await res.json();
      const index = discoveryIndexSchema.parse(raw);
      const packages = z.object({ skills: z.array(registryDiscoveryEntrySchema) }).parse(raw).skills.map((s) => s.package);
      expect(packages).toEqual(expect.arrayContaining(['@acme/hello', '@acme/csv-tools', '@acme/notes']));
      expect(packages).not.toContain('@secret/plan');
      for (const entry of index.skills) {
        const bytes = new Uint8Array(await (await r.request('GET', new URL(entry.url).pathname)).arrayBuffer());
        expect(entry.digest, entry.url).toBe(`sha256:${sha256(bytes)}`);
      }
      const etag = res.headers.get('ETag') ?? '';
      expect((await r.request('GET', '/.well-known/agent-skills/index.json', { headers: { 'If-None-Match': etag } })).status).toBe(304);
      const gz = await r.request('GET', '/.well-known/agent-skills/index.json', { headers: { 'Accept-Encoding': 'gzip' } });
      expect(gz.headers.get('Content-Encoding')).toBe('gzip');
      expect(JSON.parse(gunzipSync(Buffer.from(await gz.arrayBuffer())).toString('utf8'))).toEqual(raw);
    });

    it('serves the web catalog: home, search, a skill page, and a private page after signing in with a token', async () => {
      const home = await r.request('GET', '/', { headers: HTML });
      expect(home.status).toBe(200);
      const homeText = await home.text();
      expect(homeText).toContain(`${(await search('limit=1')).total} skills on this registry`);
      expect(homeText).toContain('<a class="name" href="/@acme/');
      expect(homeText).not.toContain('@secret/plan');
      const results = await (await r.request('GET', '/search?q=invoice', { headers: HTML })).text();
      expect(results.indexOf('@acme/invoice-parser')).toBeGreaterThan(-1);
      expect(results.indexOf('@acme/invoice-parser')).toBeLessThan(results.indexOf('@acme/ledger'));
      const skill = await r.request('GET', '/@acme/csv-tools', { headers: HTML });
      expect(skill.status).toBe(200);
      expect(await skill.text()).toContain('Parse and filter CSV spreadsheets.');
      expect((await r.request('GET', '/@acme/csv-tools/v/1.0.0/files/SKILL.md', { headers: HTML })).status).toBe(200);
      expect((await r.request('GET', '/@secret/plan', { headers: HTML })).status).toBe(404);

      const form = await r.request('GET', '/sign-in?next=/@secret/plan', { headers: HTML });
      const anon = cookiesOf(form).get('skills_csrf') ?? '';
      const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
      const signIn = await r.request('POST', '/sign-in', {
        headers: { ...HTML, 'Content-Type': 'application/x-www-form-urlencoded', Cookie: `skills_csrf=${anon}`, Origin: 'http://localhost' },
        body: new URLSearchParams({ csrf, next: '/@secret/plan', token: r.alice }).toString(),
      });
      expect(signIn.status).toBe(303);
      expect(signIn.headers.get('Location')).toBe('/@secret/plan');
      const session = cookiesOf(signIn).get('skills_session') ?? '';
      expect(session).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const privatePage = await r.request('GET', '/@secret/plan', { headers: { ...HTML, Cookie: `skills_session=${session}` } });
      expect(privatePage.status).toBe(200);
      expect(await privatePage.text()).toContain('Plan quarterly budgets in spreadsheets.');
      expect(await (await r.request('GET', '/search?q=spreadsheet', { headers: { ...HTML, Cookie: `skills_session=${session}` } })).text()).toContain('@secret/plan');
      const signedIn = await r.request('GET', '/@secret', { headers: { ...HTML, Cookie: `skills_session=${session}` } });
      expect(signedIn.status).toBe(200);
      const signOutCsrf = /action="\/sign-out"[\s\S]*?name="csrf" value="([^"]+)"/.exec(await signedIn.text())?.[1] ?? '';
      expect(signOutCsrf).not.toBe('');
      const sessions = (await r.counts()).web_sessions;
      const signOut = await r.request('POST', '/sign-out', {
        headers: { ...HTML, 'Content-Type': 'application/x-www-form-urlencoded', Cookie: `skills_session=${session}`, Origin: 'http://localhost' },
        body: new URLSearchParams({ csrf: signOutCsrf }).toString(),
      });
      expect(signOut.status).toBe(303);
      expect((await r.counts()).web_sessions).toBe(sessions - 1);
      expect((await r.request('GET', '/@secret/plan', { headers: { ...HTML, Cookie: `skills_session=${session}` } })).status).toBe(404);

      const page = async (path: string) => {
        const res = await r.request('GET', path, { headers: HTML });
        expect(res.status, path).toBe(200);
        return res.text();
      };
      const plainOnly = await page('/search?trust=instructions');
      expect(plainOnly).toContain('@acme/notes');
      expect(plainOnly).not.toContain('@acme/csv-tools');
      const withServer = await page('/search?server=everything&q=csv');
      expect(withServer).toContain('@acme/csv-tools');
      expect(await page('/search?scope=@acme&q=notes')).toContain('@acme/notes');
      const scope = await page('/@acme');
      expect(scope).toContain('@acme/hello');
      expect(scope).toContain('acme');

      const wrong = await r.request('POST', '/sign-in', {
        headers: { ...HTML, 'Content-Type': 'application/x-www-form-urlencoded', Cookie: `skills_csrf=${anon}`, Origin: 'http://localhost' },
        body: new URLSearchParams({ csrf, next: '/', token: `skr_AAAAAAAAAAAAAAAA_${'x'.repeat(43)}` }).toString(),
      });
      expect(wrong.status).toBe(401);
      expect(cookiesOf(wrong).get('skills_session')).toBeUndefined();
    });

    it('answers search_skills on /mcp, with private skills only for readers', async () => {
      const call = async (query: string, token?: string) => {
        const res = await r.request('POST', '/mcp', {
          token,
          headers: { Accept: 'application/json, text/event-stream' },
          body: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'search_skills', arguments: { query } } },
        });
        expect(res.status, await res.clone().text()).toBe(200);
        const answer = (await res.json()) as { result: { structuredContent: { total: number; results: { name: string }[] } } };
        return answer.result.structuredContent;
      };
      expect((await call('invoice')).results.map((x) => x.name)).toEqual(['@acme/invoice-parser', '@acme/ledger']);
      expect((await call('spreadsheet')).results.map((x) => x.name)).toEqual(['@acme/csv-tools']);
      expect((await call('spreadsheet', r.alice)).results.map((x) => x.name).sort()).toEqual(['@acme/csv-tools', '@secret/plan']);
      const tool = async (name: string, args: Record<string, unknown>, token?: string) => {
        const res = await r.request('POST', '/mcp', { token, headers: { Accept: 'application/json, text/event-stream' }, body: { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name, arguments: args } } });
        return ((await res.json()) as { result: { isError?: boolean; structuredContent?: Record<string, unknown> } }).result;
      };
      expect((await tool('get_skill', { name: '@acme/csv-tools' })).structuredContent).toMatchObject({ name: '@acme/csv-tools', version: '1.0.0', kind: 'code', trust: 'verified', install: 'skills install @acme/csv-tools@1.0.0' });
      expect((await tool('list_versions', { name: '@acme/tagged' })).structuredContent).toMatchObject({ distTags: { latest: '2.0.0', beta: '2.0.0' }, versions: [{ version: '1.0.0' }, { version: '2.0.0' }] });
      expect((await tool('get_skill', { name: '@secret/plan' })).isError).toBe(true);
      expect((await tool('get_skill', { name: '@secret/plan' }, r.alice)).structuredContent).toMatchObject({ name: '@secret/plan' });
    });
  });

  /** The request is refused with `expected` ("status CODE"), and no row and no blob changed. */
  async function unchanged(label: string, request: () => Promise<Response>, expected: string): Promise<void> {
    await r.settle();
    const before = await r.counts();
    expect(await errorCode(await request()), label).toBe(expected);
    await r.settle();
    expect(await r.counts(), label).toEqual(before);
  }

  /** echoSkill with fields of its skill.json replaced. */
  function withManifest(name: string, patch: Record<string, unknown>): PackageFile[] {
    return echoSkill(name).map((f) => (f.path === 'skill.json' ? { ...f, bytes: enc.encode(JSON.stringify({ ...(JSON.parse(new TextDecoder().decode(f.bytes)) as object), ...patch })) } : f));
  }

  describe('text PostgreSQL cannot hold: NUL characters and unpaired surrogates', () => {
    const NUL = '\u0000';
    const LONE = '\ud800';

    it('refuses it where the registry stores text, with the same 400 on both engines', async () => {
      // Even with the audit finding allowed, a SKILL.md with a NUL is not text.
      await r.request('POST', '/v1/skills/@acme/nul-md/audit-allowances', { token: r.alice, body: { rule: 'binary-disguised', reason: 'a test of NUL' } });
      await unchanged('SKILL.md', async () => r.request('PUT', '/v1/skills/@acme/nul-md?version=1.0.0', { token: r.alice, body: await tarballOf(plainSkill('nul-md', 'Fine.', `Body ${NUL} here.`)) }), '400 EVALIDATION');
      // YAML escapes in the frontmatter: "\0" and "\ud800".
      for (const escape of ['\\0', '\\ud800']) {
        await unchanged(escape, async () => r.request('PUT', '/v1/skills/@acme/nul-yaml?version=1.0.0', { token: r.alice, body: await tarballOf(plainSkill('nul-yaml', `"a${escape}b"`, 'Body.')) }), '400 EVALIDATION');
      }
      for (const bad of [NUL, LONE]) {
        await unchanged('deprecate', () => r.request('POST', '/v1/skills/@acme/hello/versions/1.0.0/deprecate', { token: r.alice, body: { message: `old${bad}` } }), '400 EBODYINVALID');
        await unchanged('token', () => r.request('POST', '/v1/tokens', { token: r.alice, body: { permission: 'read', description: `ci${bad}` } }), '400 EBODYINVALID');
        await unchanged('reason', () => r.request('POST', '/v1/skills/@acme/hello/audit-allowances', { token: r.alice, body: { rule: 'unicode-invisible', reason: `why${bad}` } }), '400 EBODYINVALID');
        await unchanged('file', () => r.request('POST', '/v1/skills/@acme/hello/audit-allowances', { token: r.alice, body: { rule: 'unicode-invisible', file: `a${bad}`, reason: 'why' } }), '400 EBODYINVALID');
      }
    });

    it('keeps it inside skill.json as published (JSON escapes), dependencies included', async () => {
      await published201('@acme/odd-text', withManifest('@acme/odd-text', { description: `x${NUL}y`, keywords: [`a${NUL}b`, `c${LONE}`], license: `MIT${NUL}`, dependencies: { '@acme/hello': '^1.0.0' } }));
      const version = packumentSchema.parse(await json('/v1/skills/@acme/odd-text')).versions['1.0.0'];
      expect(version?.manifest).toMatchObject({ description: `x${NUL}y`, keywords: [`a${NUL}b`, `c${LONE}`], license: `MIT${NUL}`, dependencies: { '@acme/hello': '^1.0.0' } });
      expect((await search('q=odd%20text')).results.map((x) => x.name)).toEqual(['@acme/odd-text']);
      // The dependency was read from that manifest: the skill page of @acme/hello lists its dependent.
      expect(await (await r.request('GET', '/@acme/hello', { headers: HTML })).text()).toContain('@acme/odd-text');
    });

    it('answers lookups that carry it as not found, as for any name that does not exist', async () => {
      await unchanged('dist-tag', () => r.request('DELETE', '/v1/skills/@acme/hello/dist-tags/a%00b', { token: r.alice }), '404 ENOTFOUND');
      await unchanged('token', () => r.request('DELETE', '/v1/tokens/a%00b', { token: r.alice }), '404 ENOTFOUND');
      await unchanged('team', () => r.request('POST', '/v1/teams/a%00b/members', { token: r.admin, body: { user: 'bob' } }), '404 ENOTFOUND');
      await unchanged('allowance', () => r.request('DELETE', '/v1/skills/@acme/hello/audit-allowances/unicode-invisible?file=a%00', { token: r.alice }), '404 ENOTFOUND');
      await unchanged('raw file', () => r.request('GET', '/@acme/hello/v/1.0.0/raw/SKILL%00.md'), '404 ENOTFOUND');
      expect((await r.request('GET', '/@acme%00', { headers: HTML })).status).toBe(404);
      // In a search a NUL only separates words, as any other character that is not a letter or digit.
      expect((await search('q=invoice%00ledger')).results.map((x) => x.name)).toEqual(['@acme/ledger']);
      const mcp = await r.request('POST', '/mcp', { headers: { Accept: 'application/json, text/event-stream' }, body: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'search_skills', arguments: { query: 'hello', server: NUL } } } });
      expect(((await mcp.json()) as { result: { structuredContent: unknown } }).result.structuredContent).toEqual({ total: 0, totalCapped: false, results: [] });
    });
  });

  describe('refused requests change nothing', () => {

    it('refuses bad tokens, private scopes and writes without permission', async () => {
      const body = await tarballOf(echoSkill('@acme/nope'));
      const bobPublish = ((await (await r.request('POST', '/v1/tokens', { token: r.admin, body: { user: 'bob', permission: 'publish' } })).json()) as { token: string }).token;
      await unchanged('garbage token', () => r.request('GET', '/-/whoami', { token: 'not-a-token' }), '401 ETOKENINVALID');
      await unchanged('unknown token', () => r.request('PUT', '/v1/skills/@acme/nope', { token: `skr_AAAAAAAAAAAAAAAA_${'x'.repeat(43)}`, body }), '401 ETOKENINVALID');
      await unchanged('no token', () => r.request('PUT', '/v1/skills/@acme/nope', { body }), '401 EAUTHREQUIRED');
      await unchanged('read token', () => r.request('PUT', '/v1/skills/@acme/nope', { token: r.bobRead, body }), '403 EFORBIDDEN');
      await unchanged('private packument', () => r.request('GET', '/v1/skills/@secret/plan', { token: r.bobRead }), '404 ENOTFOUND');
      await unchanged('private tarball', () => r.request('GET', '/v1/skills/@secret/plan/-/plan-1.0.0.tgz'), '404 ENOTFOUND');
      await unchanged('private scope publish', async () => r.request('PUT', '/v1/skills/@secret/nope', { token: bobPublish, body: await tarballOf(echoSkill('@secret/nope')) }), '404 ESCOPENOTFOUND');
      await unchanged('public scope of another team', () => r.request('PUT', '/v1/skills/@acme/nope', { token: bobPublish, body }), '403 ESCOPEFORBIDDEN');
      await unchanged('no such scope', async () => r.request('PUT', '/v1/skills/@nowhere/nope', { token: r.alice, body: await tarballOf(echoSkill('@nowhere/nope')) }), '404 ESCOPENOTFOUND');
      await unchanged('name mismatch', async () => r.request('PUT', '/v1/skills/@acme/other', { token: r.alice, body }), '400 ENAMEMISMATCH');
      await unchanged('version taken', async () => r.request('PUT', '/v1/skills/@acme/hello', { token: r.alice, body: published.get('@acme/hello@1.0.0')! }), '409 EVERSIONEXISTS');
      await unchanged('others yank', () => r.request('POST', '/v1/skills/@acme/hello/versions/1.0.0/yank', { token: r.bobRead }), '403 EFORBIDDEN');
      await unchanged('user exists', () => r.request('POST', '/v1/users', { token: r.admin, body: { name: 'alice' } }), '409 EUSEREXISTS');
      await unchanged('not admin', () => r.request('POST', '/v1/users', { token: r.alice, body: { name: 'mallory' } }), '403 EFORBIDDEN');
    });

    it('refuses hostile tarballs and failed verification', async () => {
      for (const name of ['dotdot', 'symlink', 'absolute-path', 'bomb-1-gib-of-zeros', 'truncated-gzip', 'case-collision', 'not-gzip']) {
        const archive = HOSTILE_ARCHIVES.find((a) => a.name === name)!;
        await unchanged(name, () => r.request('PUT', '/v1/skills/@acme/x', { token: r.alice, body: archive.bytes() }), `400 ${archive.code}`);
      }
      const failing = echoSkill('@acme/failing').map((f) => (f.path === 'index.ts' ? { ...f, bytes: enc.encode('export async function greet() { return { greeting: "wrong" }; }') } : f));
      await unchanged('verification', async () => r.request('PUT', '/v1/skills/@acme/failing', { token: r.alice, body: await tarballOf(failing) }), '422 EVERIFICATIONFAILED');
    });
  });

  it('records what clients read at the end, for the comparison of the profiles', async () => {
    const reads: Record<string, unknown> = {};
    for (const name of ['@acme/hello', '@acme/csv-tools', '@acme/notes', '@acme/tagged', '@acme/old', '@acme/top', '@acme/odd-text', '@acme/counted']) {
      reads[name] = await json(`/v1/skills/${name}`);
      const install = await r.request('GET', `/v1/skills/${name}`, { headers: { Accept: INSTALL_PACKUMENT_TYPE } });
      reads[`${name} install`] = await install.json();
      reads[`${name} audit`] = await json(`/v1/skills/${name}/versions/1.0.0/audit`);
    }
    reads['@secret/plan'] = await json('/v1/skills/@secret/plan', r.alice);
    for (const query of ['q=invoice', 'q=spreadsheet', 'limit=100', 'limit=3&offset=2', 'trust=instructions', 'server=everything&limit=100', 'q=notes&trust=instructions,verified']) {
      reads[`search ${query}`] = await json(`/v1/search?${query}`);
      reads[`search ${query} as alice`] = await json(`/v1/search?${query}`, r.alice);
    }
    reads.index = await json('/.well-known/agent-skills/index.json');
    reads.scopes = await json('/v1/scopes', r.admin);
    reads.teams = await json('/v1/teams', r.admin);
    reads.tokens = ((await json<{ tokens: Record<string, unknown>[] }>('/v1/tokens', r.admin)).tokens).map(({ user, permission, scopes, description }) => ({ user, permission, scopes, description }));
    reads.whoami = await json('/-/whoami', r.alice);
    answers.set(profile, normalised(reads));
  });
});

/** What each profile answered (`records what clients read`), normalised. */
const answers = new Map<string, unknown>();

/**
 * An answer without what may differ between two runs on any storage: times, search scores and
 * sandbox timings, token ids. Everything else must be equal byte for byte.
 */
function normalised(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalised);
  if (typeof value === 'string') return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(value) ? '<time>' : value;
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => key !== 'score' && key !== 'durationMs' && key !== 'tokenId')
      .map(([key, v]) => [/^\d{4}-\d{2}-\d{2}T/.test(key) ? '<time>' : key, normalised(v)]),
  );
}

describe('both profiles', () => {
  it('answered every read the same, but for times and search scores', () => {
    const [sqlite, postgres] = STORAGE_PROFILES.map((p) => answers.get(p));
    expect(sqlite).toBeDefined();
    expect(postgres).toEqual(sqlite);
  });
});
