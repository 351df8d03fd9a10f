/**
 * What a hostile registry can make the CLI do (issue 11): download without end, loop on a
 * packument of another name, lead resolution down an endless chain, or send answers of any
 * shape. Each is a real HTTP server crafting responses and a real `skills` process.
 */
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Cache } from '../cli/core/registry/cache';
import { Fetcher, RETRIES } from '../cli/core/registry/fetcher';
import { RegistryClient } from '../cli/core/registry/client';
import { DEFAULT_REGISTRY_CONFIG } from '../registry-server/index';
import { MAX_PACKUMENT_BYTES, MAX_RESPONSE_BYTES, MAX_TARBALL_BYTES } from '../schema/registry';
import { runCli } from '../testkit/cli';
import { recordingServer, sendJson, streamForever, type RecordingServer } from '../testkit/recording-server';
import { tempDir } from '../testkit/temp';

const MiB = 1024 * 1024;
const FILLER = Buffer.alloc(64 * 1024, 0x61);
// The body of a packument after its name: `,"distTags":{},"versions":{},"pad":[{},{},...]}`, 15 MiB.
const HEAVY = Buffer.from(`,"distTags":{},"versions":{},"pad":[${'{},'.repeat((15 * MiB) / 3)}{}]}`);
const GZIP_BOMB = gzipSync(Buffer.alloc(64 * MiB), { level: 9 });

let work: string;
beforeEach(async () => {
  work = await tempDir('limits');
});
afterEach(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

function installPackument(name: string, tarball: string, dependencies: Record<string, string> = {}) {
  return {
    name,
    distTags: { latest: '1.0.0' },
    versions: {
      '1.0.0': {
        version: '1.0.0',
        dependencies,
        mcp: {},
        dist: { tarball, integrity: `sha512-${Buffer.alloc(64).toString('base64')}`, digest: `sha256-${'0'.repeat(64)}`, fileCount: 3, unpackedSize: 100, size: 100 },
        yanked: false,
        deprecated: null,
        kind: 'code',
        trust: 'verified',
      },
    },
  };
}

/** `skills <args> --json` against `registry`, with a fresh config and cache. */
async function skills(args: string[], registry: string, timeoutMs = 60_000) {
  const run = await runCli([...args, '--json', '--registry', registry], {
    cwd: work,
    timeoutMs,
    env: { SKILLS_CONFIG_DIR: path.join(work, 'config'), SKILLS_CACHE_DIR: path.join(work, 'cache'), SKILLS_REGISTRY: undefined, SKILLS_TOKEN: undefined },
  });
  const error = run.stdout.trim().startsWith('{') ? run.json<{ error?: { code: string; message: string; hint?: string } }>().error : undefined;
  return { ...run, error };
}

describe('downloads are capped while streaming', () => {
  it('caps tarballs at exactly the size the registry accepts by default', () => {
    expect(MAX_TARBALL_BYTES).toBe(DEFAULT_REGISTRY_CONFIG.maxTarballBytes);
  });

  let hostile: RecordingServer;
  let raw: net.Server;
  let rawUrl = '';
  const written: Record<string, Promise<number>> = {};
  // A server may send at most this much; without a cap the CLI would read all of it.
  const SERVER_MAX = 100 * MiB;

  beforeAll(async () => {
    // Close-delimited body: no Content-Length, no chunking, bytes until the connection ends.
    raw = net.createServer((socket) => {
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/gzip\r\nConnection: close\r\n\r\n');
        written.close = new Promise((resolve) => {
          let n = 0;
          const pump = () => {
            while (n < SERVER_MAX && !socket.destroyed) {
              n += FILLER.byteLength;
              if (!socket.write(FILLER)) return void socket.once('drain', pump);
            }
            socket.end();
          };
          socket.on('close', () => resolve(n));
          socket.on('error', () => undefined);
          pump();
        });
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    rawUrl = `http://127.0.0.1:${(raw.address() as net.AddressInfo).port}`;

    hostile = await recordingServer((_req, res, url) => {
      const p = url.pathname;
      if (p === '/v1/skills/@evil/declared') return sendJson(res, 200, installPackument('@evil/declared', `${hostile.url}/t/declared.tgz`));
      if (p === '/v1/skills/@evil/chunked') return sendJson(res, 200, installPackument('@evil/chunked', `${hostile.url}/t/chunked.tgz`));
      if (p === '/v1/skills/@evil/close') return sendJson(res, 200, installPackument('@evil/close', `${rawUrl}/close.tgz`));
      if (p === '/t/declared.tgz') {
        // Claims 400 MiB up front (and would send it).
        res.writeHead(200, { 'Content-Type': 'application/gzip', 'Content-Length': String(400 * MiB) });
        written.declared = streamForever(res, FILLER, SERVER_MAX);
        return;
      }
      if (p === '/v1/skills/@evil/gzip') return sendJson(res, 200, installPackument('@evil/gzip', `${hostile.url}/t/gzip.tgz`));
      if (p === '/t/gzip.tgz') {
        // 64 KiB on the wire that fetch inflates to 64 MiB: the cap counts what is read, after decoding.
        res.writeHead(200, { 'Content-Type': 'application/gzip', 'Content-Encoding': 'gzip', 'Content-Length': String(GZIP_BOMB.byteLength) });
        return void res.end(GZIP_BOMB);
      }
      if (p === '/t/chunked.tgz') {
        res.writeHead(200, { 'Content-Type': 'application/gzip' });
        written.chunked = streamForever(res, FILLER, SERVER_MAX);
        return;
      }
      if (p === '/v1/skills/@evil/fat' || p === '/v1/search') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write(p === '/v1/search' ? '{"total":1,"results":[],"pad":"' : '{"name":"@evil/fat","distTags":{},"versions":{},"pad":"');
        written[p] = streamForever(res, FILLER, SERVER_MAX + 64 * MiB);
        return;
      }
      return sendJson(res, 404, { error: { code: 'ENOTFOUND', message: 'not found' } });
    });
  });
  afterAll(async () => {
    await hostile.close();
    await new Promise((resolve) => raw.close(resolve));
  });

  it('counts decoded bytes: a gzip-encoded answer inflating past the cap is ETARBALLTOOLARGE', async () => {
    const run = await skills(['install', '@evil/gzip'], hostile.url);
    expect(run.error?.code, run.stdout + run.stderr).toBe('ETARBALLTOOLARGE');
  });

  for (const kind of ['declared', 'chunked', 'close'] as const) {
    it(`refuses a tarball over ${MAX_TARBALL_BYTES} bytes (${kind === 'declared' ? 'Content-Length says 400 MiB' : kind === 'chunked' ? 'chunked, no length' : 'no length, ends at close'}) with ETARBALLTOOLARGE, reading little past the cap`, async () => {
      const run = await skills(['install', `@evil/${kind}`], hostile.url);
      expect(run.error?.code, run.stdout + run.stderr).toBe('ETARBALLTOOLARGE');
      // One attempt (a size refusal is not retried), and the server was cut off far below what it had to send.
      const sent = await written[kind];
      expect(sent).toBeLessThan(SERVER_MAX / 2);
      if (kind !== 'close') expect(hostile.hits(`/t/${kind}.tgz`)).toHaveLength(1);
      expect(await fs.readdir(work)).not.toContain('skills');
    });
  }

  it(`refuses a packument over ${MAX_PACKUMENT_BYTES} bytes with EPACKUMENTTOOLARGE (install and info)`, async () => {
    const install = await skills(['install', '@evil/fat'], hostile.url);
    expect(install.error?.code, install.stdout + install.stderr).toBe('EPACKUMENTTOOLARGE');
    expect(await written['/v1/skills/@evil/fat']).toBeLessThan(MAX_PACKUMENT_BYTES + 48 * MiB);
    const info = await skills(['info', '@evil/fat'], hostile.url);
    expect(info.error?.code).toBe('EPACKUMENTTOOLARGE');
  });

  it(`refuses any other answer over ${MAX_RESPONSE_BYTES} bytes with ERESPONSETOOLARGE (search)`, async () => {
    const run = await skills(['search', 'x'], hostile.url);
    expect(run.error?.code, run.stdout + run.stderr).toBe('ERESPONSETOOLARGE');
    expect(await written['/v1/search']).toBeLessThan(MAX_RESPONSE_BYTES + 48 * MiB);
  });
});

describe('resolution against a hostile registry ends', () => {
  let hostile: RecordingServer;
  beforeAll(async () => {
    hostile = await recordingServer((_req, res, url) => {
      const name = decodeURIComponent(url.pathname.replace(/^\/v1\/skills\//, ''));
      const tarball = `${hostile.url}/t/x.tgz`;
      // Answers every name with the packument of another one.
      if (name === '@evil/liar') return sendJson(res, 200, installPackument('@evil/other', tarball));
      // Every version depends on a new name, forever.
      const chain = /^@evil\/c(\d+)$/.exec(name);
      if (chain) return sendJson(res, 200, installPackument(name, tarball, { [`@evil/c${Number(chain[1]) + 1}`]: '^1.0.0' }));
      // One skill depending on 1,500 others.
      if (name === '@evil/wide') return sendJson(res, 200, installPackument(name, tarball, Object.fromEntries(Array.from({ length: 1500 }, (_, i) => [`@evil/w${i}`, '^1.0.0']))));
      if (/^@evil\/w\d+$/.test(name)) return sendJson(res, 200, installPackument(name, tarball));
      // Backtracking bomb: root needs l0..l7 (6 versions each); every l7 needs @evil/last ^1, which only has 2.0.0.
      if (name === '@evil/root') return sendJson(res, 200, installPackument(name, tarball, Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`@evil/l${i}`, '*']))));
      const level = /^@evil\/l(\d+)$/.exec(name);
      if (level) {
        const doc = installPackument(name, tarball, level[1] === '7' ? { '@evil/last': '^1.0.0' } : {});
        const one = doc.versions['1.0.0'];
        return sendJson(res, 200, { ...doc, versions: Object.fromEntries(Array.from({ length: 6 }, (_, v) => [`1.${v}.0`, { ...one, version: `1.${v}.0` }])) });
      }
      if (name === '@evil/last') {
        const doc = installPackument(name, tarball);
        return sendJson(res, 200, { ...doc, distTags: { latest: '2.0.0' }, versions: { '2.0.0': { ...doc.versions['1.0.0'], version: '2.0.0' } } });
      }
      if (name === '@evil/versions') {
        const one = installPackument(name, tarball).versions['1.0.0'];
        return sendJson(res, 200, { name, distTags: {}, versions: Object.fromEntries(Array.from({ length: 10_001 }, (_, v) => [`0.0.${v}`, { ...one, version: `0.0.${v}` }])) });
      }
      // Eight dependencies whose packuments are 15 MiB of `[{},{},...]`: ~500 MB each once parsed.
      if (name === '@evil/heavy') return sendJson(res, 200, installPackument(name, tarball, Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`@evil/h${i}`, '^1.0.0']))));
      if (/^@evil\/h\d$/.test(name)) {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(HEAVY.byteLength + name.length) });
        return void res.end(Buffer.concat([Buffer.from(`{"name":"${name}"`), HEAVY]));
      }
      if (name === '@evil/badurl') return sendJson(res, 200, installPackument(name, 'http://['));
      if (name === '@evil/fileurl') return sendJson(res, 200, installPackument(name, 'file:///etc/passwd'));
      if (name === '@evil/userinfo') return sendJson(res, 200, installPackument(name, '@127.0.0.1:1/x.tgz'));
      // A version listed under another version's key.
      if (name === '@evil/keys') {
        const doc = installPackument(name, tarball);
        return sendJson(res, 200, { ...doc, versions: { '1.0.0': { ...doc.versions['1.0.0'], version: '2.0.0' } } });
      }
      return sendJson(res, 404, { error: { code: 'ENOTFOUND', message: 'not found' } });
    });
  });
  afterAll(async () => {
    await hostile.close();
  });
  beforeEach(() => {
    hostile.requests.length = 0;
  });

  it('refuses a packument whose name is not the one asked for (EPACKUMENTNAME) after one request', async () => {
    const run = await skills(['install', '@evil/liar'], hostile.url, 20_000);
    expect(run.error?.code, run.stdout + run.stderr).toBe('EPACKUMENTNAME');
    expect(hostile.requests).toHaveLength(1);
  });

  it('cuts an endless dependency chain at 64 links (ERESOLVEDEPTH)', async () => {
    const run = await skills(['install', '@evil/c0'], hostile.url, 30_000);
    expect(run.error?.code, run.stdout + run.stderr).toBe('ERESOLVEDEPTH');
    expect(hostile.hits('/v1/skills/')).toHaveLength(65);
    expect(await fs.readdir(work)).not.toContain('skills.json');
  });

  it('stops at 1,000 distinct skills in one resolution (ERESOLVELIMIT)', async () => {
    const run = await skills(['install', '@evil/wide'], hostile.url, 60_000);
    expect(run.error?.code, run.stdout + run.stderr).toBe('ERESOLVELIMIT');
    // 1,000 lookups passed; up to 7 of them may still be in flight when the process exits.
    expect(hostile.requests.length).toBeLessThanOrEqual(1000);
    expect(hostile.requests.length).toBeGreaterThan(990);
    expect(hostile.hits('/t/')).toHaveLength(0);
  });

  it('gives up on exponential backtracking after a bounded number of tries (ERESOLVESTEPS)', async () => {
    // Unbounded, this search tries up to 6^8 combinations (about 20 s of CPU here, 6 times more per added level).
    const run = await skills(['install', '@evil/root'], hostile.url, 30_000);
    expect(run.error?.code, run.stdout + run.stderr).toBe('ERESOLVESTEPS');
    expect(hostile.hits('/v1/skills/')).toHaveLength(10);
  });

  it('refuses packuments of too many JSON values before parsing them (EPACKUMENTTOOLARGE), within a 200 MB heap', async () => {
    const run = await runCli(['install', '@evil/heavy', '--json', '--registry', hostile.url], {
      cwd: work,
      env: { SKILLS_CONFIG_DIR: path.join(work, 'config'), SKILLS_CACHE_DIR: path.join(work, 'cache'), SKILLS_REGISTRY: undefined, SKILLS_TOKEN: undefined, NODE_OPTIONS: '--max-old-space-size=200' },
    });
    expect(run.code, run.stderr.slice(0, 500)).toBe(1);
    expect(run.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'EPACKUMENTTOOLARGE', message: expect.stringContaining('JSON values') });
  });

  it('refuses a packument listing more than 10,000 versions (EPACKUMENTTOOLARGE)', async () => {
    const run = await skills(['install', '@evil/versions'], hostile.url);
    expect(run.error?.code, run.stdout + run.stderr).toBe('EPACKUMENTTOOLARGE');
    expect(run.error?.message).toContain('10001 versions');
  });

  it('refuses tarball URLs that are not http(s) or a path on the registry (EBADRESPONSE)', async () => {
    for (const name of ['@evil/badurl', '@evil/fileurl', '@evil/userinfo']) {
      const run = await skills(['install', name], hostile.url);
      expect(run.error?.code, `${name}: ${run.stdout}${run.stderr}`).toBe('EBADRESPONSE');
    }
    expect(hostile.requests.every((r) => r.path.startsWith('/v1/skills/'))).toBe(true);
  });

  it('refuses a version listed under another key (EBADRESPONSE)', async () => {
    const run = await skills(['install', '@evil/keys'], hostile.url);
    expect(run.error?.code, run.stdout + run.stderr).toBe('EBADRESPONSE');
  });
});

describe('retries are counted at the server', () => {
  let flaky: RecordingServer;
  beforeAll(async () => {
    flaky = await recordingServer((req, res, url) => {
      if (url.pathname === '/v1/skills/@acme/busy') return sendJson(res, 503, { error: { code: 'EUNAVAILABLE', message: 'busy' } });
      if (url.pathname === '/v1/skills/@acme/drop') return void req.socket.destroy();
      if (url.pathname === '/v1/skills/@acme/cut') return sendJson(res, 200, installPackument('@acme/cut', `${flaky.url}/t/cut.tgz`));
      if (url.pathname === '/t/cut.tgz') {
        // Promises 1,000 bytes, sends 10, hangs up.
        res.writeHead(200, { 'Content-Type': 'application/gzip', 'Content-Length': '1000' });
        res.write(Buffer.alloc(10));
        return void setImmediate(() => req.socket.destroy());
      }
      return sendJson(res, 404, { error: { code: 'ENOTFOUND', message: 'not found' } });
    });
  });
  afterAll(async () => {
    await flaky.close();
  });
  beforeEach(() => {
    flaky.requests.length = 0;
  });

  it(`gives ENETWORK after exactly ${RETRIES} attempts on 503, on dropped connections and on a body cut short`, async () => {
    const busy = await skills(['install', '@acme/busy'], flaky.url);
    expect(busy.error?.code, busy.stdout + busy.stderr).toBe('ENETWORK');
    expect(busy.error?.message).toContain(`after ${RETRIES} attempts`);
    expect(flaky.hits('/v1/skills/@acme/busy')).toHaveLength(RETRIES);

    const drop = await skills(['install', '@acme/drop'], flaky.url);
    expect(drop.error?.code, drop.stdout + drop.stderr).toBe('ENETWORK');
    expect(flaky.hits('/v1/skills/@acme/drop')).toHaveLength(RETRIES);

    const cut = await skills(['install', '@acme/cut'], flaky.url);
    expect(cut.error?.code, cut.stdout + cut.stderr).toBe('ENETWORK');
    expect(flaky.hits('/t/cut.tgz')).toHaveLength(RETRIES);
  });

  it('stops at the download budget of one command (EDOWNLOADLIMIT)', async () => {
    const cache = new Cache(path.join(work, 'cache'));
    const fetcher = new Fetcher(new RegistryClient({ url: flaky.url, token: undefined }), cache, 5_000, { maxTotalBytes: 600, backoffMs: 1 });
    const first = await fetcher.packument('@acme/cut');
    expect(first.name).toBe('@acme/cut');
    await expect(fetcher.packument('@acme/cut')).rejects.toMatchObject({ code: 'EDOWNLOADLIMIT' });
  });

  it('stops at the request budget of one command (EREQUESTLIMIT), counting every retry', async () => {
    const cache = new Cache(path.join(work, 'cache'));
    const fetcher = new Fetcher(new RegistryClient({ url: flaky.url, token: undefined }), cache, 5_000, { maxRequests: 4, backoffMs: 1 });
    await expect(fetcher.packument('@acme/busy')).rejects.toMatchObject({ code: 'ENETWORK' });
    await expect(fetcher.packument('@acme/other')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await expect(fetcher.packument('@acme/third')).rejects.toMatchObject({ code: 'EREQUESTLIMIT' });
    expect(flaky.requests).toHaveLength(4);
  });
});

describe('answers of the wrong shape or with terminal escapes', () => {
  let odd: RecordingServer;
  beforeAll(async () => {
    odd = await recordingServer((_req, res, url) => {
      if (url.pathname === '/v1/search') return sendJson(res, 200, { total: 'many', results: 'none' });
      if (url.pathname === '/-/whoami') return sendJson(res, 200, ['not', 'a', 'user']);
      if (url.pathname === '/v1/tokens') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        return void res.end('<html>not json</html>');
      }
      if (url.pathname.endsWith('/deprecate')) {
        // Error details nested deep: printing them naively overflows the stack (2 million deep is also too many values).
        const depth = url.pathname.includes('@acme/huge') ? 2_000_000 : 20_000;
        res.writeHead(400, { 'Content-Type': 'application/json' });
        return void res.end(`{"error":{"code":"EDEEP","message":"deep","details":${'['.repeat(depth)}${']'.repeat(depth)}}}`);
      }
      return sendJson(res, 400, { error: { code: 'EODD', message: '\u001b[2J\u001b[31mall your base\u0007', hint: '\u001b]0;title\u0007run rm -rf' } });
    });
  });
  afterAll(async () => {
    await odd.close();
  });

  it('gives EBADRESPONSE for JSON of the wrong shape and for non-JSON', async () => {
    expect((await skills(['search', 'x'], odd.url)).error?.code).toBe('EBADRESPONSE');
    expect((await skills(['whoami'], odd.url)).error?.code).toBe('EBADRESPONSE');
    expect((await skills(['token', 'list'], odd.url)).error?.code).toBe('EBADRESPONSE');
  });

  it('drops error details nested too deep to print, instead of crashing', async () => {
    const run = await skills(['deprecate', '@acme/x@1.0.0', 'msg'], odd.url);
    expect(run.code).toBe(1);
    // EDEEP is no code of ours: it travels at the start of EREGISTRY's message; the details are dropped.
    expect(run.error).toEqual({ code: 'EREGISTRY', message: 'EDEEP: deep', hint: expect.any(String) });
    expect(run.stderr).not.toContain('RangeError');
    const huge = await skills(['deprecate', '@acme/huge@1.0.0', 'msg'], odd.url);
    expect(huge.error).toMatchObject({ code: 'EREGISTRY', message: expect.stringContaining('answered 400') });
  });

  it('strips control characters from a registry\'s error message and hint', async () => {
    const run = await skills(['yank', '@acme/x@1.0.0'], odd.url);
    expect(run.error?.code).toBe('EREGISTRY');
    expect(run.error?.message).toMatch(/^EODD: /);
    expect(run.error?.message).toContain('all your base');
    expect(`${run.error?.message} ${run.error?.hint}`).not.toMatch(/[\u0000-\u001f\u007f]/);
    const human = await runCli(['yank', '@acme/x@1.0.0', '--registry', odd.url], { cwd: work, env: { SKILLS_CONFIG_DIR: path.join(work, 'config'), SKILLS_REGISTRY: undefined, SKILLS_TOKEN: undefined } });
    expect(human.code).toBe(1);
    expect(human.stderr).toContain('all your base');
    expect(human.stdout + human.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
  });
});
