/**
 * Issue 12 on the registry: plain skills (no skill.json) publish with a derived manifest, every
 * version carries a trust level the registry computes, publishers may declare provenance, and the
 * registry serves its own Agent Skills discovery index (v0.2.0). One real registry on port 0.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { PackageFile } from '../schema/package-files';
import {
  discoveryIndexSchema,
  installPackumentSchema,
  packumentSchema,
  provenanceHeaderValue,
  publishResponseSchema,
  registryDiscoveryEntrySchema,
  searchResponseSchema,
  type Provenance,
  urlHasCredentials,
} from '../schema/registry';
import { pack } from '../tarball/pack';
import { unpack } from '../tarball/unpack';
import { dumpDb } from '../testkit/db-dump';
import { echoSkill } from '../testkit/registry';
import { liveRegistry, type LiveRegistry } from '../testkit/workspace';
import { rawTar } from './hostile/archives';

const enc = new TextEncoder();
const MiB = 1024 * 1024;
/** A PNG signature and a few bytes that are not UTF-8: a binary asset. */
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0xff, 0xfe, 0x00, 0x80]);
const ELF = new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]);
const COMMIT = 'a'.repeat(40);

function skillMd(name: string, extra = ''): Uint8Array {
  return enc.encode(`---\nname: ${name}\ndescription: The ${name} skill, made by a test.\n${extra}---\n\n# ${name}\n\nRead references/GUIDE.md.\n`);
}

function plain(name: string, files: Record<string, Uint8Array | string | { bytes: Uint8Array | string; executable: true }> = {}, frontmatter = ''): PackageFile[] {
  const out: PackageFile[] = [{ path: 'SKILL.md', bytes: skillMd(name, frontmatter) }];
  for (const [p, value] of Object.entries(files)) {
    if (typeof value === 'string') out.push({ path: p, bytes: enc.encode(value) });
    else if (value instanceof Uint8Array) out.push({ path: p, bytes: value });
    else out.push({ path: p, bytes: typeof value.bytes === 'string' ? enc.encode(value.bytes) : value.bytes, executable: true });
  }
  return out;
}

let live: LiveRegistry;
let reader: Database.Database;
beforeAll(async () => {
  live = await liveRegistry(['@acme', '@t'], { unpackLimits: { maxFileBytes: 2 * MiB } });
  const created = await fetch(`${live.registry.url}/v1/scopes`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${live.admin}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: '@vault', team: 'core', private: true }),
  });
  expect(created.status).toBe(201);
  reader = new Database(path.join(live.dir, 'registry.db'), { readonly: true });
});
afterAll(async () => {
  reader.close();
  await live.close();
});

interface PutOptions {
  version?: string;
  tag?: string;
  headers?: Record<string, string>;
  provenance?: Provenance;
}

async function put(name: string, body: PackageFile[] | Uint8Array, options: PutOptions = {}): Promise<Response> {
  const query = new URLSearchParams();
  if (options.version !== undefined) query.set('version', options.version);
  if (options.tag !== undefined) query.set('tag', options.tag);
  const headers: Record<string, string> = { Authorization: `Bearer ${live.admin}`, ...options.headers };
  if (options.provenance) headers['Skills-Provenance'] = provenanceHeaderValue(options.provenance);
  const bytes = body instanceof Uint8Array ? body : (await pack(body)).bytes;
  return fetch(`${live.registry.url}/v1/skills/${name}${query.size > 0 ? `?${query}` : ''}`, { method: 'PUT', headers, body: bytes });
}

const get = (url: string, init: RequestInit = {}) => fetch(url.startsWith('http') ? url : `${live.registry.url}${url}`, init);

async function code(res: Response): Promise<string> {
  const body = (await res.json()) as { error?: { code: string } };
  return `${res.status} ${body.error?.code ?? '(no error)'}`;
}

/** The request is refused with this status and code, and no row of any table changed. */
async function refused(request: () => Promise<Response>, expected: string): Promise<{ error: { code: string; details?: unknown } }> {
  const before = dumpDb(reader);
  const res = await request();
  const body = (await res.json()) as { error: { code: string; details?: unknown } };
  expect(`${res.status} ${body.error?.code}`, JSON.stringify(body)).toBe(expected);
  expect(dumpDb(reader)).toBe(before);
  return body;
}

describe('plain skills publish', () => {
  it('publishes a plain skill byte for byte: executable bits and binary assets survive publish -> download', async () => {
    const files = plain('pdf', {
      'references/GUIDE.md': '# Guide\n',
      'assets/logo.png': PNG,
      'assets/font.woff2': new Uint8Array([0x77, 0x4f, 0x46, 0x32, 0x00, 0x01, 0xff]),
      'scripts/extract.py': { bytes: '#!/usr/bin/env python3\nprint("hi")\n', executable: true },
    });
    const res = await put('@acme/pdf', files, { version: '1.2.0' });
    expect(res.status, await res.clone().text()).toBe(201);
    const published = publishResponseSchema.parse(await res.json());
    expect(published).toMatchObject({ name: '@acme/pdf', version: '1.2.0', kind: 'plain', trust: 'unverified', verification: { ok: true, passed: 0, cases: [] } });
    expect(published.trustReasons).toEqual([{ path: 'scripts/extract.py', why: expect.stringContaining('script with a #! line') }]);
    const audit = reader.prepare("SELECT details FROM audit_log WHERE action = 'publish' AND target = '@acme/pdf@1.2.0'").get() as { details: string };
    expect(JSON.parse(audit.details)).toMatchObject({ kind: 'plain', trust: 'unverified' });

    const download = await get(published.tarball);
    const bytes = new Uint8Array(await download.arrayBuffer());
    expect(Buffer.from(bytes).equals(Buffer.from((await pack(files)).bytes))).toBe(true);
    const back = await unpack(bytes);
    expect(back.map((f) => [f.path, f.executable === true])).toEqual([
      ['SKILL.md', false],
      ['assets/font.woff2', false],
      ['assets/logo.png', false],
      ['references/GUIDE.md', false],
      ['scripts/extract.py', true],
    ]);
    expect(Buffer.from(back.find((f) => f.path === 'assets/logo.png')?.bytes ?? []).equals(Buffer.from(PNG))).toBe(true);
    // The registry writes download counts in a batch on a timer: wait for this one, so the write
    // cannot land inside a later test's before/after comparison of every row.
    const counted = () => reader.prepare("SELECT d.count FROM version_downloads d JOIN versions v ON v.id = d.version_id JOIN skills s ON s.id = v.skill_id WHERE s.name = '@acme/pdf' AND v.version = '1.2.0'").get();
    await vi.waitFor(() => expect(counted()).toEqual({ count: 1 }), { timeout: 30_000, interval: 50 });
  });

  it('takes the version from SKILL.md metadata.version, and shows kind, trust and provenance in both packuments', async () => {
    const res = await put('@acme/notes', plain('notes', { 'references/GUIDE.md': '# Guide\n', 'assets/logo.png': PNG }, 'metadata:\n  version: 2.0.1\n'));
    expect(res.status, await res.clone().text()).toBe(201);
    expect(await res.json()).toMatchObject({ version: '2.0.1', kind: 'plain', trust: 'instructions', trustReasons: [] });

    const full = packumentSchema.parse(await (await get('/v1/skills/@acme/notes')).json());
    expect(full.versions['2.0.1']).toMatchObject({ kind: 'plain', trust: 'instructions', trustReasons: [], provenance: null, manifest: { name: '@acme/notes', version: '2.0.1', dependencies: {}, mcp: {} } });
    const install = installPackumentSchema.parse(await (await get('/v1/skills/@acme/notes', { headers: { Accept: 'application/vnd.skills.install-v1+json' } })).json());
    expect(install.versions['2.0.1']).toMatchObject({ kind: 'plain', trust: 'instructions' });
    const version = await (await get('/v1/skills/@acme/notes/versions/2.0.1')).json();
    expect(version).toMatchObject({ kind: 'plain', trust: 'instructions', provenance: null });
  });

  it('lets ?version= override metadata.version for a plain skill', async () => {
    const res = await put('@acme/over', plain('over', {}, 'metadata:\n  version: 1.0.0\n'), { version: '3.0.0' });
    expect(await res.json()).toMatchObject({ version: '3.0.0', kind: 'plain' });
  });

  it('refuses a plain skill with no version anywhere (EVERSIONMISSING), changing nothing', async () => {
    const body = await refused(() => put('@acme/nover', plain('nover')), '400 EVALIDATION');
    expect((body.error.details as { problems: { code: string }[] }).problems.map((p) => p.code)).toContain('EVERSIONMISSING');
  });

  it('refuses a plain skill whose SKILL.md name is not the URL name', async () => {
    await refused(() => put('@acme/other', plain('mine'), { version: '1.0.0' }), '400 ENAMEMISMATCH');
  });

  it('refuses a ?version that is not semver, before reading the upload', async () => {
    for (const version of ['v1.0.0', '1.0', 'latest', '', '1.0.0 ', 'x'.repeat(300)]) {
      await refused(() => put('@acme/badver', plain('badver'), { version }), '400 EVERSIONINVALID');
    }
  });

  it('refuses a publish whose ?version disagrees with skill.json (EVERSIONMISMATCH), and accepts one that agrees', async () => {
    await refused(() => put('@acme/hello', echoSkill('@acme/hello', '1.0.0'), { version: '1.0.1' }), '400 EVERSIONMISMATCH');
    const ok = await put('@acme/hello', echoSkill('@acme/hello', '1.0.0'), { version: '1.0.0' });
    expect(ok.status, await ok.clone().text()).toBe(201);
    expect(await ok.json()).toMatchObject({ kind: 'code', trust: 'verified', trustReasons: [], verification: { ok: true, passed: 1 } });
  });

  it('marks a code skill that also ships a script unverified, naming the script', async () => {
    const files = [...echoSkill('@acme/mixed', '1.0.0'), { path: 'scripts/setup.sh', bytes: enc.encode('echo hi\n') }];
    const res = await put('@acme/mixed', files);
    expect(res.status, await res.clone().text()).toBe(201);
    expect(await res.json()).toMatchObject({ kind: 'code', trust: 'unverified', trustReasons: [{ path: 'scripts/setup.sh', why: expect.stringContaining('shell script') }] });
  });
});

describe('hostile plain skills', () => {
  it('an ELF binary named .md is refused by the audit; allowed by the scope\'s owner, it makes the skill unverified, and the reasons name it', async () => {
    const files = plain('sneaky', { 'references/notes.md': ELF }, 'metadata:\n  version: "1.0.0"\n');
    expect(await code(await put('@acme/sneaky', files))).toBe('422 EAUDIT');
    const allowed = await fetch(`${live.registry.url}/v1/skills/@acme/sneaky/audit-allowances`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${live.admin}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ rule: 'binary-disguised', reason: 'a test of trust levels', file: 'references/notes.md' }),
    });
    expect(allowed.status, await allowed.clone().text()).toBe(201);
    const res = await put('@acme/sneaky', files);
    expect(res.status, await res.clone().text()).toBe(201);
    expect(await res.json()).toMatchObject({ trust: 'unverified', trustReasons: [{ path: 'references/notes.md', why: expect.stringContaining('ELF binary') }] });
    const search = searchResponseSchema.parse(await (await get('/v1/search?q=sneaky')).json());
    expect(search.results.find((r) => r.name === '@acme/sneaky')?.trust).toBe('unverified');
  });

  it('a file claiming 200 MB is refused by the unpack limits whatever the tar header says', async () => {
    const claim = 200 * MiB;
    const header = (body: Uint8Array) => gzipSync(rawTar([{ name: 'SKILL.md', body: skillMd('huge') }, { name: 'assets/big.bin', size: claim, body }]));
    // The header claims 200 MB; only 1 KiB follows.
    await refused(() => put('@acme/huge', header(new Uint8Array(1024)), { version: '1.0.0' }), '400 ETARTRUNCATED');
    // The header claims 200 MB and 4 MiB of zeros follow: the compression ratio stops it early.
    await refused(() => put('@acme/huge', header(new Uint8Array(4 * MiB)), { version: '1.0.0' }), '400 ETARBOMB');
    // A real file over this registry's 2 MiB per-file limit (random bytes do not compress).
    const random = new Uint8Array(3 * MiB);
    for (let i = 0; i < random.length; i += 65536) crypto.getRandomValues(random.subarray(i, i + 65536));
    await refused(() => put('@acme/huge', plain('huge', { 'assets/big.bin': random }), { version: '1.0.0' }), '400 ETARFILETOOBIG');
    expect((await get('/v1/skills/@acme/huge')).status).toBe(404);
  });
});

describe('provenance', () => {
  const git: Provenance = { type: 'git', url: 'https://git.example.com/team/skills.git', commit: COMMIT, path: 'skills/geo', ref: 'v1.2.0' };

  it('stores the declared provenance per version and shows it in the packument, the version and get_skill', async () => {
    const res = await put('@acme/geo', plain('geo', {}, 'metadata:\n  version: 1.0.0\n'), { provenance: git });
    expect(res.status, await res.clone().text()).toBe(201);
    const full = packumentSchema.parse(await (await get('/v1/skills/@acme/geo')).json());
    expect(full.versions['1.0.0']?.provenance).toEqual(git);
    expect(await (await get('/v1/skills/@acme/geo/versions/1.0.0')).json()).toMatchObject({ provenance: git });
    const folder = await put('@acme/geo', plain('geo', {}, 'metadata:\n  version: 1.1.0\n'), { provenance: { type: 'folder' } });
    expect(folder.status).toBe(201);
    // Unknown keys are dropped, never stored.
    const extra = await put('@acme/geo', plain('geo', {}, 'metadata:\n  version: 1.2.0\n'), { headers: { 'Skills-Provenance': JSON.stringify({ ...git, path: '', trust: 'verified', note: 'x' }) } });
    expect(extra.status).toBe(201);
    const after = packumentSchema.parse(await (await get('/v1/skills/@acme/geo')).json());
    expect(after.versions['1.1.0']?.provenance).toEqual({ type: 'folder' });
    expect(after.versions['1.2.0']?.provenance).toEqual({ ...git, path: '' });
    expect(after.versions['1.2.0']?.trust).toBe('instructions');

    const client = new Client({ name: 'test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${live.registry.url}/mcp`)));
    try {
      const skill = await client.callTool({ name: 'get_skill', arguments: { name: '@acme/geo', version: '1.0.0' } });
      expect(skill.structuredContent).toMatchObject({ kind: 'plain', trust: 'instructions', trustReasons: [], provenance: git });
      const versions = await client.callTool({ name: 'list_versions', arguments: { name: '@acme/geo' } });
      expect((versions.structuredContent as { versions: { version: string; trust: string }[] }).versions.map((v) => `${v.version} ${v.trust}`)).toEqual(['1.0.0 instructions', '1.1.0 instructions', '1.2.0 instructions']);
    } finally {
      await client.close();
    }
  });

  it.each([
    ['over 2 KiB', JSON.stringify({ ...git, ref: 'r'.repeat(2100) })],
    ['huge (1 MiB)', 'x'.repeat(MiB)],
    ['not JSON', '{type: git'],
    ['JSON but not an object', '"git"'],
    ['an unknown type', JSON.stringify({ type: 'svn' })],
    ['a short commit', JSON.stringify({ ...git, commit: 'abc123' })],
    ['an upper-case commit', JSON.stringify({ ...git, commit: 'A'.repeat(40) })],
    ['no url', JSON.stringify({ type: 'git', commit: COMMIT, path: '' })],
    ['a token in the URL', JSON.stringify({ ...git, url: 'https://x-access-token:ghp_secret@github.com/o/r.git' })],
    ['a user name in an https URL', JSON.stringify({ ...git, url: 'https://ghp_secret@github.com/o/r.git' })],
    ['a password in an ssh URL', JSON.stringify({ ...git, url: 'ssh://git:hunter2@host/o/r.git' })],
    ['a password in the scp form', JSON.stringify({ ...git, url: 'git:hunter2@host:o/r.git' })],
    ['a token in a query string', JSON.stringify({ ...git, url: 'https://host/o/r.git?access_token=secret' })],
    ['a token as the user of a git+https URL', JSON.stringify({ ...git, url: 'git+https://secret@host/o/r.git' })],
    ['a path with ..', JSON.stringify({ ...git, path: 'skills/../../etc' })],
    ['an absolute path', JSON.stringify({ ...git, path: '/etc' })],
    ['a bidi override in the URL', JSON.stringify({ ...git, url: 'https://host/\u202egpj.exe' }).replace('\u202e', '\\u202e')],
    ['a control character in the ref', JSON.stringify({ ...git, ref: 'main\u0007' })],
    ['raw non-ASCII bytes', JSON.stringify({ ...git, url: 'https://hÃ¶st/r' })],
    ['an empty value', ''],
  ])('refuses a Skills-Provenance header that is %s (EPROVENANCE), changing nothing', async (_label, header) => {
    await refused(() => put('@acme/prov', plain('prov'), { version: '1.0.0', headers: { 'Skills-Provenance': header } }), '400 EPROVENANCE');
  });

  it('accepts an ssh URL with a user name but no password, and non-ASCII escaped as \\uXXXX', async () => {
    for (const url of ['git@github.com:o/r.git', 'github:owner/repo', 'file:///srv/repos/skills', 'https://host/o/r.git']) {
      expect(urlHasCredentials(url), url).toBe(false);
    }
    const res = await put('@acme/prov', plain('prov'), { version: '1.0.0', provenance: { ...git, url: 'git+ssh://git@héberg.example/o/r.git', ref: 'été' } });
    expect(res.status, await res.clone().text()).toBe(201);
    const full = packumentSchema.parse(await (await get('/v1/skills/@acme/prov')).json());
    expect(full.versions['1.0.0']?.provenance).toMatchObject({ url: 'git+ssh://git@héberg.example/o/r.git', ref: 'été' });
  });
});

describe('search and MCP by trust', () => {
  beforeAll(async () => {
    for (const [name, files] of [
      ['@t/alpha', plain('alpha', { 'references/a.md': 'a' })],
      ['@t/beta', plain('beta', { 'scripts/run.sh': 'echo\n' })],
    ] as const) {
      expect((await put(name, [...files], { version: '1.0.0' })).status).toBe(201);
    }
    expect((await put('@t/gamma', echoSkill('@t/gamma'))).status).toBe(201);
  });

  const names = async (query: string) => searchResponseSchema.parse(await (await get(`/v1/search?scope=@t${query}`)).json()).results.map((r) => `${r.name} ${r.trust}`);

  it('shows the trust of each result and filters by a comma-separated list of levels', async () => {
    expect(await names('')).toEqual(['@t/alpha instructions', '@t/beta unverified', '@t/gamma verified']);
    expect(await names('&trust=verified,instructions')).toEqual(['@t/alpha instructions', '@t/gamma verified']);
    expect(await names('&trust=unverified')).toEqual(['@t/beta unverified']);
    expect(await names('&trust=verified&trust=unverified')).toEqual(['@t/beta unverified', '@t/gamma verified']);
    const total = (await (await get('/v1/search?scope=@t&trust=instructions')).json()) as { total: number };
    expect(total.total).toBe(1);
  });

  it('follows the version shown: a new latest with a script moves the skill to unverified', async () => {
    expect((await put('@t/alpha', plain('alpha', { 'scripts/x.py': 'print(1)\n' }), { version: '1.1.0' })).status).toBe(201);
    expect(await names('&trust=instructions')).toEqual([]);
    expect(await names('&trust=unverified')).toEqual(['@t/alpha unverified', '@t/beta unverified']);
    // Pointing latest back moves it back.
    const tag = await fetch(`${live.registry.url}/v1/skills/@t/alpha/dist-tags/latest`, { method: 'PUT', headers: { Authorization: `Bearer ${live.admin}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ version: '1.0.0' }) });
    expect(tag.status).toBe(200);
    expect(await names('&trust=instructions')).toEqual(['@t/alpha instructions']);
  });

  it.each(['bogus', '', 'verified,', ',verified', 'VERIFIED', 'verified;instructions', 'verified,bogus', 'verified,'.repeat(20)])('refuses trust=%j with EQUERYINVALID', async (value) => {
    expect(await code(await get(`/v1/search?trust=${encodeURIComponent(value)}`))).toBe('400 EQUERYINVALID');
  });

  it('search_skills over MCP shows trust and takes a trust filter; junk levels are refused', async () => {
    const client = new Client({ name: 'test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${live.registry.url}/mcp`)));
    try {
      const all = (await client.callTool({ name: 'search_skills', arguments: { query: 'skill made by a test' } })).structuredContent as { results: { name: string; trust: string }[] };
      expect(all.results.find((r) => r.name === '@t/beta')?.trust).toBe('unverified');
      const verified = (await client.callTool({ name: 'search_skills', arguments: { query: '', trust: ['verified'] } })).structuredContent as { results: { name: string; trust: string }[] };
      expect(verified.results.length).toBeGreaterThan(0);
      expect(verified.results.every((r) => r.trust === 'verified')).toBe(true);
      const junk = await client.callTool({ name: 'search_skills', arguments: { query: '', trust: ['trusted'] } }).catch((error: unknown) => ({ isError: true, error }));
      expect(junk.isError).toBe(true);
    } finally {
      await client.close();
    }
  });
});

describe('the well-known discovery index', () => {
  beforeAll(async () => {
    // Only SKILL.md: listed as skill-md. Private skills of every kind: never listed.
    expect((await put('@acme/tiny', plain('tiny'), { version: '1.0.0' })).status).toBe(201);
    expect((await put('@vault/hidden', plain('hidden'), { version: '1.0.0' })).status).toBe(201);
    expect((await put('@vault/hidden-code', echoSkill('@vault/hidden-code'))).status).toBe(201);
    // A yanked latest falls back to the highest version that is not yanked; all yanked: not listed.
    for (const version of ['1.0.0', '1.1.0']) expect((await put('@acme/yanky', plain('yanky', { 'references/a.md': version }), { version })).status).toBe(201);
    expect((await put('@acme/gone', plain('gone'), { version: '1.0.0' })).status).toBe(201);
    for (const target of ['@acme/yanky/versions/1.1.0', '@acme/gone/versions/1.0.0']) {
      expect((await fetch(`${live.registry.url}/v1/skills/${target}/yank`, { method: 'POST', headers: { Authorization: `Bearer ${live.admin}` } })).status).toBe(200);
    }
  });

  async function index(token?: string) {
    const res = await get('/.well-known/agent-skills/index.json', token ? { headers: { Authorization: `Bearer ${token}` } } : {});
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toContain('application/json');
    return (await res.json()) as unknown;
  }

  it('validates against the v0.2.0 schema, with this registry extra fields on each entry', async () => {
    const doc = await index();
    const parsed = discoveryIndexSchema.parse(doc);
    expect(parsed.skills.length).toBeGreaterThan(5);
    for (const entry of (doc as { skills: unknown[] }).skills) registryDiscoveryEntrySchema.parse(entry);
    const byPackage = new Map((doc as { skills: { package: string; name: string; type: string; version: string; trust: string }[] }).skills.map((s) => [s.package, s]));
    expect(byPackage.get('@acme/tiny')).toMatchObject({ name: 'tiny', type: 'skill-md', version: '1.0.0', trust: 'instructions' });
    expect(byPackage.get('@acme/pdf')).toMatchObject({ name: 'pdf', type: 'archive', trust: 'unverified' });
    expect(byPackage.get('@acme/hello')).toMatchObject({ name: 'hello', type: 'archive', trust: 'verified' });
    expect(byPackage.get('@acme/yanky')?.version).toBe('1.0.0');
    expect(byPackage.has('@acme/gone')).toBe(false);
  });

  it('never lists a private-scope skill, whoever asks', async () => {
    for (const token of [undefined, live.admin]) {
      const doc = (await index(token)) as { skills: { package: string; name: string; url: string }[] };
      expect(doc.skills.filter((s) => s.package.startsWith('@vault/') || s.url.includes('@vault') || s.name.startsWith('hidden'))).toEqual([]);
    }
  });

  it('gives each entry the sha256 of the exact bytes served at its url, with the RFC content types', async () => {
    const doc = discoveryIndexSchema.parse(await index());
    const base = `${live.registry.url}/.well-known/agent-skills/index.json`;
    for (const entry of doc.skills) {
      const res = await get(new URL(entry.url, base).href);
      expect(res.status, entry.url).toBe(200);
      const bytes = Buffer.from(await res.arrayBuffer());
      expect(`sha256:${createHash('sha256').update(bytes).digest('hex')}`, entry.url).toBe(entry.digest);
      expect(res.headers.get('Content-Type'), entry.url).toMatch(entry.type === 'skill-md' ? /^text\/markdown/ : /^application\/gzip/);
      if (entry.name === 'tiny') expect(bytes.equals(Buffer.from(skillMd('tiny')))).toBe(true);
      const head = await get(new URL(entry.url, base).href, { method: 'HEAD' });
      expect(head.status).toBe(200);
    }
    expect((await get('/.well-known/agent-skills/index.json', { method: 'HEAD' })).status).toBe(200);
  });

  it('the schema takes the shape of the RFC example, and refuses what the RFC rules out', () => {
    // The shape of the example in the RFC (index with a skill-md and an archive entry; relative URLs).
    const example = {
      $schema: 'https://schemas.agentskills.io/discovery/0.2.0/schema.json',
      skills: [
        { name: 'code-review', type: 'skill-md', description: 'Reviews code.', url: '/.well-known/agent-skills/code-review/SKILL.md', digest: `sha256:${'c4'.repeat(32)}` },
        { name: 'wrangler', type: 'archive', description: 'Deploys Workers.', url: '/.well-known/agent-skills/wrangler.tar.gz', digest: `sha256:${'a1'.repeat(32)}` },
      ],
      unknown: 'ignored',
    };
    expect(discoveryIndexSchema.parse(example).skills).toHaveLength(2);
    const entry = example.skills[0];
    const bad: [string, unknown][] = [
      ['truncated digest, as the RFC example prints it', { ...entry, digest: 'sha256:c4d5e6f7...' }],
      ['upper-case hex', { ...entry, digest: `sha256:${'C4'.repeat(32)}` }],
      ['another algorithm', { ...entry, digest: `sha512:${'c4'.repeat(32)}` }],
      ['a scoped name', { ...entry, name: '@acme/code-review' }],
      ['an upper-case name', { ...entry, name: 'Code-Review' }],
      ['an unknown type', { ...entry, type: 'zip' }],
      ['no url', { ...entry, url: undefined }],
      ['a description over 1024 characters', { ...entry, description: 'd'.repeat(1025) }],
    ];
    for (const [label, skill] of bad) expect(discoveryIndexSchema.safeParse({ ...example, skills: [skill] }).success, label).toBe(false);
    expect(discoveryIndexSchema.safeParse({ skills: [] }).success, 'no $schema').toBe(false);
    expect(discoveryIndexSchema.safeParse({ $schema: 'https://schemas.agentskills.io/discovery/0.1.0/schema.json', skills: [] }).success, 'another version').toBe(false);
  });
});
