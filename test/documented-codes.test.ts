/**
 * Error codes the docs promise that no other test reached (listed by `node
 * scripts/untested-codes.mjs`), each from a real `skills` process or a real registry, with nothing
 * written: EGITTIMEOUT (a git server that never answers), ESOURCETOOLARGE, EJOURNALKEY,
 * ELOCKMISSING, ESCOPEINVALID, ENAMEINVALID, EFIXTURENOTFOUND, ETAGINVALID, ECSRF, EGITMISSING,
 * EADDRACCESS (as the user nobody when run as root), EZIPCORRUPT, EZIPUNSUPPORTED, ESOURCENAME (EHOSTINVALID:
 * registry-cache.test.ts);
 * and a discovery index behind a redirect (followed on this machine, refused to plain http
 * elsewhere), and the cap on web sessions per token.
 */
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_SESSIONS_PER_TOKEN } from '../registry-server/web/sessions';
import { DISCOVERY_SCHEMA_V0_2_0 } from '../schema/registry';
import { runCli } from '../testkit/cli';
import { skillMd } from '../testkit/git-repo';
import { skillFiles } from '../testkit/skill-files';
import { makeZip } from '../testkit/zip';
import { unzip } from '../tarball/unzip';
import { createTestRegistry, echoSkill, tarballOf, type TestRegistry } from '../testkit/registry';
import { tree } from '../testkit/tree';
import { cliScratch, type CliScratch } from '../testkit/cli-scratch';

const require = createRequire(import.meta.url);
let scratch: CliScratch;
let tmp: string;
let env: NodeJS.ProcessEnv;
let counter = 0;

beforeAll(async () => {
  scratch = await cliScratch('codes');
  ({ dir: tmp, env } = scratch);
  await fs.mkdir(path.join(tmp, 'skill'));
  await fs.writeFile(path.join(tmp, 'skill', 'SKILL.md'), skillMd('plain', { version: '"1.0.0"' }));
});

const workspace = () => scratch.workspace();
const fails = (ws: string, args: string[], code: string, extra: NodeJS.ProcessEnv = {}) => scratch.fails(ws, args, code, extra);

describe('workspace and source codes', () => {
  it('EGITTIMEOUT: a git server that accepts and never answers is cut off at SKILLS_GIT_TIMEOUT_MS', async () => {
    const sockets = new Set<import('node:net').Socket>();
    const silent = http.createServer(() => {});
    silent.on('connection', (s) => sockets.add(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const url = `git+http://127.0.0.1:${(silent.address() as AddressInfo).port}/repo.git`;
      const error = await fails(await workspace(), ['install', url], 'EGITTIMEOUT', { SKILLS_GIT_TIMEOUT_MS: '1500' });
      expect(error.hint).toContain('SKILLS_GIT_TIMEOUT_MS');
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  }, 120_000);

  it('ESOURCETOOLARGE: a source read past SKILLS_SOURCE_MAX_BYTES', async () => {
    const error = await fails(await workspace(), ['install', path.join(tmp, 'skill')], 'ESOURCETOOLARGE', { SKILLS_SOURCE_MAX_BYTES: '16' });
    expect(error.hint).toContain('SKILLS_SOURCE_MAX_BYTES');
  });

  it('EJOURNALKEY: the journal key cannot be created (the config folder is a file)', async () => {
    const file = path.join(tmp, `not-a-folder-${counter++}`);
    await fs.writeFile(file, 'x');
    await fails(await workspace(), ['install', path.join(tmp, 'skill')], 'EJOURNALKEY', { SKILLS_CONFIG_DIR: file });
  });

  it('ELOCKMISSING: --frozen-lockfile without a lockfile', async () => {
    const ws = await workspace();
    await fs.writeFile(path.join(ws, 'skills.json'), JSON.stringify({ dependencies: {} }));
    await fails(ws, ['install', '--frozen-lockfile'], 'ELOCKMISSING');
  });

  it('ESCOPEINVALID: --scope that is not a scope', async () => {
    await fails(await workspace(), ['install', path.join(tmp, 'skill'), '--scope', 'Not A Scope'], 'ESCOPEINVALID');
  });

  it('ENAMEINVALID: init --name that is not a skill name', async () => {
    const ws = await workspace();
    await fails(ws, ['init', path.join(ws, 'x'), '--name', '@acme/Bad Name'], 'ENAMEINVALID');
  });

  it('EFIXTURENOTFOUND: verify --case naming no fixture', async () => {
    const dir = path.join(await workspace(), 'probe');
    await fs.mkdir(dir);
    for (const f of skillFiles({ name: 'probe', scope: '@me', code: 'export function f() { return 1; }', fixtures: { one: { call: { export: 'f', args: [] }, expect: { returns: 1 } } } })) {
      await fs.mkdir(path.dirname(path.join(dir, f.path)), { recursive: true });
      await fs.writeFile(path.join(dir, f.path), f.bytes);
    }
    const error = await fails(dir, ['verify', dir, '--case', 'nope'], 'EFIXTURENOTFOUND');
    expect(error.message).toContain('"nope"');
  });
});

describe('more codes no other test reached', () => {
  it('EGITMISSING: a git source with no git on PATH', async () => {
    const error = await fails(await workspace(), ['install', 'git+https://git.example.com/acme/skills.git'], 'EGITMISSING', { PATH: path.join(tmp, 'no-such-bin') });
    expect(error.hint ?? '').not.toBe('');
  });

  it('EADDRACCESS: serve on a privileged port as an unprivileged user', async () => {
    const as = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined;
    const dir = await workspace();
    await fs.chmod(tmp, 0o755);
    await fs.chmod(dir, 0o777);
    const run = await runCli(['serve', '--quiet', '--json', '--port', '80', '--db', path.join(dir, 'registry.db')], { cwd: dir, env: { ...env, HOME: dir }, as, timeoutMs: 60_000 });
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.json<{ error: { code: string } }>().error.code).toBe('EADDRACCESS');
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it('ESOURCENAME: a folder source that now holds a skill of another name, at update', async () => {
    const src = path.join(tmp, `renamed-${counter++}`, 'plain');
    await fs.mkdir(src, { recursive: true });
    await fs.writeFile(path.join(src, 'SKILL.md'), '---\nname: plain\ndescription: A plain skill.\nmetadata:\n  version: 1.0.0\n---\nBody\n');
    const ws = await workspace();
    const first = await runCli(['install', src, '--scope', '@me', '--json'], { cwd: ws, env });
    expect(first.code, first.stdout + first.stderr).toBe(0);
    await fs.writeFile(path.join(src, 'SKILL.md'), '---\nname: other\ndescription: A plain skill.\nmetadata:\n  version: 1.1.0\n---\nBody\n');
    const error = await fails(ws, ['update'], 'ESOURCENAME');
    expect(error.message).toContain('@me/other');
  });

  it('EZIPCORRUPT and EZIPUNSUPPORTED: a damaged and an encrypted zip entry', () => {
    const good = makeZip([{ name: 'SKILL.md', data: 'x'.repeat(64) }]);
    expect(unzip(good).map((f) => f.path)).toEqual(['SKILL.md']);
    const damaged = new Uint8Array(good);
    const data = Buffer.from(damaged).indexOf('xxxx');
    damaged[data] = 0x79; // one byte of the stored data: the CRC no longer matches
    expect(() => unzip(damaged)).toThrow(expect.objectContaining({ code: 'EZIPCORRUPT' }));
    const encrypted = Buffer.from(good);
    const central = encrypted.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    encrypted.writeUInt16LE(encrypted.readUInt16LE(central + 8) | 0x1, central + 8);
    expect(() => unzip(new Uint8Array(encrypted))).toThrow(expect.objectContaining({ code: 'EZIPUNSUPPORTED' }));
  });
});

describe('a discovery index behind a redirect', () => {
  let home: http.Server;
  let elsewhere: http.Server;
  let base = '';
  let other = '';
  const md = skillMd('moved', { version: '"1.0.0"' });
  const digest = `sha256:${createHash('sha256').update(md).digest('hex')}`;

  beforeAll(async () => {
    // 127.0.0.2 is this machine too, but not a name skills takes plain http from.
    elsewhere = http.createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ $schema: DISCOVERY_SCHEMA_V0_2_0, skills: [] })));
    await new Promise<void>((r) => elsewhere.listen(0, '127.0.0.2', r));
    other = `http://127.0.0.2:${(elsewhere.address() as AddressInfo).port}`;
    home = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/.well-known/agent-skills/index.json') return void res.writeHead(302, { Location: '/moved/index.json' }).end();
      if (url.pathname === '/away/.well-known/agent-skills/index.json') return void res.writeHead(302, { Location: `${other}/index.json` }).end();
      if (url.pathname === '/moved/index.json') return void res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ $schema: DISCOVERY_SCHEMA_V0_2_0, skills: [{ name: 'moved', type: 'skill-md', description: 'Moved.', url: '/moved/SKILL.md', digest }] }));
      if (url.pathname === '/moved/SKILL.md') return void res.writeHead(200, { 'Content-Type': 'text/markdown' }).end(md);
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => home.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(home.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    home.closeAllConnections();
    elsewhere.closeAllConnections();
    await new Promise((r) => home.close(r));
    await new Promise((r) => elsewhere.close(r));
  });

  it('followed when it stays on this machine: the skill installs', async () => {
    const ws = await workspace();
    const run = await runCli(['install', base, '--all', '--json'], { cwd: ws, env });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(await fs.readFile(path.join(ws, 'skills', 'moved', 'SKILL.md'), 'utf8')).toBe(md);
  });

  it('refused when it leads to plain http elsewhere: EINSECURESOURCE, nothing written', async () => {
    const error = await fails(await workspace(), ['install', `${base}/away`, '--all'], 'EINSECURESOURCE');
    expect(error.message).toContain('127.0.0.2');
  });
});

describe('registry codes and the web session cap', () => {
  let r: TestRegistry;
  beforeAll(async () => {
    r = await createTestRegistry({ authFailuresPerMinute: 1000 });
    const res = await r.request('PUT', '/v1/skills/@acme/hello', { token: r.alice, body: await tarballOf(echoSkill('@acme/hello')) });
    if (res.status !== 201) throw new Error(await res.text());
  }, 60_000);
  afterAll(async () => {
    await r.close();
  });

  const codeOf = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

  it('ETAGINVALID: a dist-tag that is not one, or looks like a version', async () => {
    for (const tag of ['Not A Tag', '1.2.3']) {
      const res = await r.request('PUT', `/v1/skills/@acme/hello/dist-tags/${encodeURIComponent(tag)}`, { token: r.alice, body: '1.0.0' });
      expect([res.status, await codeOf(res)], tag).toEqual([400, 'ETAGINVALID']);
    }
  });

  it('ECSRF: a sign-in form posted without its token', async () => {
    const res = await r.request('POST', '/sign-in', { headers: { Accept: 'text/html', 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: r.bobRead }).toString() });
    expect(res.status).toBe(403);
    // The page says what ECSRF's message says (the code itself is for the JSON API's callers).
    expect(await res.text()).toContain('this form expired or was sent from another site');
  });

  it(`keeps at most ${MAX_SESSIONS_PER_TOKEN} web sessions per token: the oldest go`, async () => {
    const signIn = async (): Promise<string> => {
      const form = await r.request('GET', '/sign-in', { headers: { Accept: 'text/html' } });
      const anon = /skills_csrf=([^;]+)/.exec(form.headers.getSetCookie().join('\n'))?.[1] ?? '';
      const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
      const res = await r.request('POST', '/sign-in', {
        headers: { Accept: 'text/html', 'Content-Type': 'application/x-www-form-urlencoded', Cookie: `skills_csrf=${anon}` },
        body: new URLSearchParams({ csrf, next: '/', token: r.bobRead }).toString(),
      });
      expect(res.status).toBe(303);
      return /skills_session=([^;]+)/.exec(res.headers.getSetCookie().join('\n'))?.[1] ?? '';
    };
    const sessions: string[] = [];
    for (let i = 0; i < MAX_SESSIONS_PER_TOKEN + 3; i++) sessions.push(await signIn());
    const rows = r.db.prepare('SELECT COUNT(*) AS n FROM web_sessions').get() as { n: number };
    expect(rows.n).toBe(MAX_SESSIONS_PER_TOKEN);
    const signedIn = async (session: string) => (await (await r.request('GET', '/', { headers: { Accept: 'text/html', Cookie: `skills_session=${session}` } })).text()).includes('Signed in as');
    for (const old of sessions.slice(0, 3)) expect(await signedIn(old)).toBe(false);
    for (const kept of sessions.slice(3)) expect(await signedIn(kept)).toBe(true);
  });
});

describe('a registry database another process holds', () => {
  it('EDBBUSY: serve refuses a database another process has locked, and changes nothing', async () => {
    const dir = path.join(tmp, 'busy');
    await fs.mkdir(dir);
    const file = path.join(dir, 'registry.db');
    // Another program holds an exclusive lock (a rollback journal), in a process of its own.
    const holder = spawn(process.execPath, ['-e', `const D = require(${JSON.stringify(require.resolve('better-sqlite3'))}); const h = new D(${JSON.stringify(file)}); h.pragma('journal_mode = DELETE'); h.exec('BEGIN EXCLUSIVE'); process.stdout.write('locked\\n'); setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout?.setEncoding('utf8').on('data', (d: string) => d.includes('locked') && resolve());
        holder.once('exit', (code) => reject(new Error(`the lock holder exited ${code}`)));
      });
      const before = await tree(dir);
      const run = await runCli(['serve', '--port', '0', '--db', file, '--json'], { cwd: dir, env, timeoutMs: 60_000 });
      const error = run.json<{ error: { code: string; message: string; hint: string } }>().error;
      expect(error.code, error.message).toBe('EDBBUSY');
      expect(run.code).toBe(1);
      expect(error.hint).toContain('another registry on the same --db');
      expect(await tree(dir)).toEqual(before);
    } finally {
      holder.kill('SIGKILL');
    }
  });
});
