/**
 * Installing from a host's Agent Skills discovery index (v0.2.0), served by a real HTTP server in
 * the test: SKILL.md and archive entries (.tar.gz from another tool, .zip), digests checked before
 * anything is used, ci from the lockfile, and the hostile indexes and archives.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { install, type InstallRequest } from '../cli/core/install/install';
import { DISCOVERY_SCHEMA_V0_2_0 } from '../schema/registry';
import { unzip } from '../tarball/unzip';
import { skillMd } from '../testkit/git-repo';
import { runCli } from '../testkit/cli';
import { tempDir } from '../testkit/temp';
import { expectNothingWritten, tree } from '../testkit/tree';
import { makeZip } from '../testkit/zip';
import { rawTar, tgz } from './hostile/archives';

let tmp: string;
let ws: string;
let cache: string;
let server: http.Server;
let base: string;
/** path -> body served; `index` answers /.well-known/agent-skills/index.json. */
const served = new Map<string, { body: Uint8Array; type: string }>();
let index: unknown;
let requests: string[] = [];

const enc = new TextEncoder();
const digest = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

function serve(p: string, body: Uint8Array | string, type = 'application/octet-stream'): { url: string; digest: string } {
  const bytes = typeof body === 'string' ? enc.encode(body) : body;
  served.set(p, { body: bytes, type });
  return { url: p, digest: digest(bytes) };
}

beforeAll(async () => {
  tmp = await tempDir('wk');
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(url.pathname);
    if (url.pathname === '/.well-known/agent-skills/index.json') {
      const text = JSON.stringify(index);
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)) });
      res.end(text);
      return;
    }
    const hit = served.get(url.pathname);
    if (!hit) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': hit.type, 'Content-Length': String(hit.body.byteLength) });
    res.end(Buffer.from(hit.body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await fs.rm(tmp, { recursive: true, force: true });
});
beforeEach(async () => {
  ws = await tempDir('ws', { in: tmp });
  cache = await tempDir('cache', { in: tmp });
  served.clear();
  requests = [];
});
afterEach(async () => {
  await fs.rm(ws, { recursive: true, force: true });
  await fs.rm(cache, { recursive: true, force: true });
});

function req(extra: Partial<InstallRequest> = {}): InstallRequest {
  return { root: ws, env: { SKILLS_CACHE_DIR: cache, SKILLS_CONFIG_DIR: path.join(cache, 'config') }, registry: 'http://127.0.0.1:9', progress: () => {}, warn: () => {}, ...extra };
}

/** A .tar.gz as `tar -czf x.tgz -C dir .` writes it: a `./` folder entry and `./`-prefixed paths. */
function foreignTarGz(files: Record<string, string>): Uint8Array {
  return new Uint8Array(gzipSync(rawTar([{ name: './', type: '5', mode: 0o755 }, ...Object.entries(files).map(([name, body]) => ({ name: `./${name}`, body, mode: name.endsWith('.sh') ? 0o755 : 0o644 }))])));
}

function publishIndex(): void {
  const plain = serve('/.well-known/agent-skills/plain/SKILL.md', skillMd('plain', { version: '"1.0.0"' }), 'text/markdown');
  const tarred = serve('/.well-known/agent-skills/tarred.tar.gz', foreignTarGz({ 'SKILL.md': skillMd('tarred', { version: '"2.0.0"' }), 'references/guide.md': '# Guide\n' }), 'application/gzip');
  const zipped = serve('/.well-known/agent-skills/zipped.zip', makeZip([{ name: 'SKILL.md', data: skillMd('zipped', { version: '"3.0.0"' }), deflate: true }, { name: 'scripts/run.sh', data: '#!/bin/sh\necho hi\n', mode: 0o100755 }]), 'application/zip');
  index = {
    $schema: DISCOVERY_SCHEMA_V0_2_0,
    skills: [
      { name: 'plain', type: 'skill-md', description: 'A SKILL.md alone.', ...plain },
      { name: 'tarred', type: 'archive', description: 'A tar.gz made by tar.', ...tarred },
      { name: 'zipped', type: 'archive', description: 'A zip with a script.', ...zipped },
      { name: 'future', type: 'something-new', description: 'Skipped.', url: '/x', digest: plain.digest },
    ],
  };
}

describe('installing from a discovery index', () => {
  it('installs SKILL.md, .tar.gz and .zip entries, records the index and digests, and reproduces with ci offline', async () => {
    publishIndex();
    const warnings: string[] = [];
    const listed = await runCli(['install', base, '--list', '--json'], { cwd: ws, env: req().env });
    expect(listed.json<{ skills: { name: string; trust: string }[] }>().skills.map((s) => [s.name, s.trust])).toEqual([
      ['@local/plain', 'instructions'],
      ['@local/tarred', 'instructions'],
      ['@local/zipped', 'unverified'],
    ]);
    const result = await install(req({ add: [base], all: true, allowUnverified: true, warn: (w) => warnings.push(w) }));
    expect(result.skills.map((s) => [s.name, s.version, s.trust, s.source])).toEqual([
      ['@local/plain', '1.0.0', 'instructions', 'well-known'],
      ['@local/tarred', '2.0.0', 'instructions', 'well-known'],
      ['@local/zipped', '3.0.0', 'unverified', 'well-known'],
    ]);
    expect(warnings.some((w) => w.includes('something-new'))).toBe(true);
    expect(await fs.readFile(path.join(ws, 'skills', 'tarred', 'references', 'guide.md'), 'utf8')).toBe('# Guide\n');
    expect((await fs.stat(path.join(ws, 'skills', 'zipped', 'scripts', 'run.sh'))).mode & 0o111).not.toBe(0);
    const lock = JSON.parse(await fs.readFile(path.join(ws, 'skills-lock.json'), 'utf8')) as { skills: Record<string, { source: Record<string, string> }> };
    expect(lock.skills['@local/tarred']?.source).toEqual({
      type: 'well-known',
      spec: `${base}#tarred`,
      index: `${base}/.well-known/agent-skills/index.json`,
      url: `${base}/.well-known/agent-skills/tarred.tar.gz`,
      artifactDigest: digest(served.get('/.well-known/agent-skills/tarred.tar.gz')?.body ?? new Uint8Array()),
    });

    // ci in a clean copy, with the host gone: the cache by digest.
    const clean = await tempDir('clean', { in: tmp });
    try {
      for (const f of ['skills.json', 'skills-lock.json']) await fs.copyFile(path.join(ws, f), path.join(clean, f));
      served.clear();
      requests = [];
      await install(req({ root: clean, frozen: true }));
      expect(requests).toEqual([]);
      expect(await tree(path.join(clean, 'skills'))).toEqual(await tree(path.join(ws, 'skills')));
    } finally {
      await fs.rm(clean, { recursive: true, force: true });
    }
  });

  it('installs one skill named with #name, and a spec path to index.json itself', async () => {
    publishIndex();
    const one = await install(req({ add: [`${base}#plain`] }));
    expect(one.skills.map((s) => s.name)).toEqual(['@local/plain']);
    await expectNothingWritten(ws, () => install(req({ add: [`${base}/.well-known/agent-skills/index.json#nope`] })), 'ESKILLNOTFOUND');
  });
});

describe('hostile indexes and archives (nothing is written)', () => {
  it('an artifact whose bytes do not match the digest is refused before it is read', async () => {
    publishIndex();
    served.set('/.well-known/agent-skills/plain/SKILL.md', { body: enc.encode(skillMd('plain', { version: '"6.6.6"' })), type: 'text/markdown' });
    await expectNothingWritten(ws, () => install(req({ add: [`${base}#plain`] })), 'EDIGESTMISMATCH');
  });

  it('an archive with .. paths, an absolute path, a link, or a zip bomb', async () => {
    const cases: [string, Uint8Array, string][] = [
      ['dotdot-tar', tgz([{ name: 'SKILL.md', body: skillMd('dotdot-tar') }, { name: '../../evil.sh', body: 'rm -rf /' }]), 'ETARDOTDOT'],
      ['dotdot-zip', makeZip([{ name: 'SKILL.md', data: skillMd('dotdot-zip') }, { name: '../evil.sh', data: 'x' }]), 'ETARDOTDOT'],
      ['absolute-zip', makeZip([{ name: 'SKILL.md', data: skillMd('absolute-zip') }, { name: '/etc/evil', data: 'x' }]), 'ETARABSOLUTE'],
      ['link-zip', makeZip([{ name: 'SKILL.md', data: skillMd('link-zip') }, { name: 'passwd', data: '/etc/passwd', mode: 0o120777 }]), 'ETARSYMLINK'],
      ['bomb-zip', makeZip([{ name: 'SKILL.md', data: skillMd('bomb-zip') }, { name: 'zeros.txt', data: new Uint8Array(4 * 1024 * 1024), deflate: true, declaredSize: 1000 }]), 'ETARBOMB'],
    ];
    index = { $schema: DISCOVERY_SCHEMA_V0_2_0, skills: cases.map(([name, bytes]) => ({ name, type: 'archive', description: 'hostile', ...serve(`/${name}.bin`, bytes) })) };
    for (const [name, , code] of cases) await expectNothingWritten(ws, () => install(req({ add: [`${base}#${name}`] })), code);
  });

  it('a v0.1.0 index (no digests), an unknown schema, and a malformed index are refused', async () => {
    index = { skills: [{ name: 'a', description: 'x', files: ['SKILL.md'] }] };
    await expectNothingWritten(ws, () => install(req({ add: [base], all: true })), 'EWELLKNOWN');
    index = { $schema: 'https://example.com/discovery/9.0.0/schema.json', skills: [] };
    await expectNothingWritten(ws, () => install(req({ add: [base], all: true })), 'EWELLKNOWN');
    index = { $schema: DISCOVERY_SCHEMA_V0_2_0, skills: [{ name: '../x', type: 'skill-md', description: '', url: '/x', digest: 'sha256:00' }] };
    await expectNothingWritten(ws, () => install(req({ add: [base], all: true })), 'EWELLKNOWN');
  });

  it('an artifact larger than the package limits stops downloading at the limit', async () => {
    const huge = new Uint8Array(11 * 1024 * 1024);
    index = { $schema: DISCOVERY_SCHEMA_V0_2_0, skills: [{ name: 'huge', type: 'skill-md', description: 'big', ...serve('/huge/SKILL.md', huge) }] };
    await expectNothingWritten(ws, () => install(req({ add: [`${base}#huge`] })), 'EWELLKNOWNTOOLARGE');
  });

  it('plain http to a host other than this machine is refused', async () => {
    await expectNothingWritten(ws, () => install(req({ add: ['http://example.com'] })), 'EINSECURESOURCE');
  });
});

describe('the zip reader', () => {
  it('reads stored and deflated entries with their modes, and refuses a mismatched CRC', () => {
    const bytes = makeZip([{ name: 'a/b.txt', data: 'hello', deflate: true }, { name: 'run', data: 'x', mode: 0o100755 }, { name: 'dir/', data: '', mode: 0o040755 }]);
    expect(unzip(bytes).map((f) => [f.path, new TextDecoder().decode(f.bytes), f.executable ?? false])).toEqual([
      ['a/b.txt', 'hello', false],
      ['run', 'x', true],
    ]);
    const damaged = Buffer.from(bytes);
    damaged[30 + 'a/b.txt'.length] = (damaged[30 + 'a/b.txt'.length] ?? 0) ^ 0xff;
    expect(() => unzip(new Uint8Array(damaged))).toThrow();
  });
});
