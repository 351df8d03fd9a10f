/**
 * Issue 25 end to end: three real `skills serve` processes on different ports sharing one real
 * PostgreSQL and one real S3-compatible server (s3rver). What one process writes, the others serve
 * on the next request; a publish race across them has one winner; a process killed mid-publish
 * leaves nothing half-visible; PostgreSQL restarted under load costs retryable 503s, never a
 * restart of the registry.
 *
 * A, B and C run with `--stale-read-ms 0`: every cached read checks PostgreSQL's change counter, so
 * "on the next request" is a guarantee there. D runs as the default does, relying on change
 * notifications between checks (with a window of ten minutes here, so that only a notification
 * can explain what it sees).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pack } from '../tarball/pack';
import { runCli } from '../testkit/cli';
import { registryApi, type ApiOptions } from '../testkit/http';
import { startPostgres, type TestPostgres } from '../testkit/postgres';
import { startS3, type S3Server } from '../testkit/s3';
import { serveRegistry, type ServedRegistry } from '../testkit/serve';
import { tempDir } from '../testkit/temp';

let pg: TestPostgres;
let s3: S3Server;
let database: string;
let a: ServedRegistry;
let b: ServedRegistry;
let c: ServedRegistry;
let d: ServedRegistry;
let admin: string;
let alice: string;

const processes = () => [a, b, c];

function call(on: ServedRegistry, method: string, url: string, options: ApiOptions = {}): Promise<Response> {
  return registryApi(() => on.url)(method, url, options);
}

async function ok(res: Promise<Response>): Promise<Record<string, unknown>> {
  const r = await res;
  if (r.status >= 300) throw new Error(`${r.status} ${await r.text()}`);
  return (await r.json()) as Record<string, unknown>;
}

/**
 * A plain skill (SKILL.md and a reference file): nothing to run in the sandbox, so every figure
 * here is about the shared stores, not about how fast two busy cores run twenty sandboxes.
 * Published with `?version=` (a plain skill has no skill.json).
 */
async function tarball(name: string, version = '1.0.0'): Promise<Uint8Array> {
  const bare = name.slice(name.indexOf('/') + 1);
  const skillMd = `---\nname: ${bare}\ndescription: The ${bare} skill, version ${version}.\n---\n\n# ${bare}\n\nRead references/notes.md.\n`;
  return (await pack([
    { path: 'SKILL.md', bytes: new TextEncoder().encode(skillMd) },
    { path: 'references/notes.md', bytes: new TextEncoder().encode(`notes for ${version}\n`) },
  ])).bytes;
}

/** PUT of a plain skill's version. */
function publishAt(on: ServedRegistry, name: string, version: string, bytes: Uint8Array): Promise<Response> {
  return call(on, 'PUT', `/v1/skills/${name}?version=${version}`, { token: alice, body: bytes });
}

beforeAll(async () => {
  [pg, s3] = await Promise.all([startPostgres(), startS3()]);
  database = await pg.createDatabase();
  const args = ['--database', database, '--blobs', s3.url, '--stale-read-ms', '0'];
  // A first, so the admin token is its to print; then B, C and D at once (they find the schema
  // made, or race for nothing). B reads the database URL from the environment, as an operator would.
  a = await serveRegistry(args, { env: s3.env });
  [b, c, d] = await Promise.all([
    serveRegistry(['--blobs', s3.url, '--stale-read-ms', '0'], { env: { ...s3.env, SKILLS_DATABASE_URL: database } }),
    serveRegistry(args, { env: s3.env }),
    serveRegistry(['--database', database, '--blobs', s3.url, '--stale-read-ms', '600000'], { env: s3.env }),
  ]);
  admin = a.adminToken;
  await ok(call(a, 'POST', '/v1/users', { token: admin, body: { name: 'alice' } }));
  await ok(call(b, 'POST', '/v1/teams', { token: admin, body: { name: 'acme' } }));
  await ok(call(c, 'POST', '/v1/teams/acme/members', { token: admin, body: { user: 'alice', role: 'owner' } }));
  await ok(call(a, 'POST', '/v1/scopes', { token: admin, body: { name: '@acme', team: 'acme' } }));
  alice = (await ok(call(b, 'POST', '/v1/tokens', { token: admin, body: { user: 'alice', permission: 'publish' } }))).token as string;
}, 180_000);

afterAll(async () => {
  await Promise.all([...processes(), d].map((p) => p?.stop()));
  await s3?.stop();
  await pg?.stop();
});

describe('three registry processes on one PostgreSQL and one S3 bucket', () => {
  it('starts each one on the shared stores, the password never shown', () => {
    expect(b.adminToken).toBeNull();
    expect(c.adminToken).toBeNull();
    for (const p of processes()) {
      expect(p.ready.database).toMatch(/^postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\//);
      expect(p.ready.blobs).toBe(s3.url);
      expect(p.stdout() + p.stderr()).not.toContain(pg.password);
    }
  });

  it('a skill published through A is installable through B and C at once', async () => {
    const bytes = await tarball('@acme/hello');
    expect((await publishAt(a, '@acme/hello', '1.0.0', bytes)).status).toBe(201);
    const [fromB, fromC] = await Promise.all([b, c].map(async (p) => {
      const res = await call(p, 'GET', '/v1/skills/@acme/hello/-/hello-1.0.0.tgz');
      return { status: res.status, bytes: new Uint8Array(await res.arrayBuffer()) };
    }));
    expect(fromB?.status).toBe(200);
    expect(Buffer.from(fromB?.bytes ?? []).equals(Buffer.from(bytes))).toBe(true);
    expect(Buffer.from(fromC?.bytes ?? []).equals(Buffer.from(bytes))).toBe(true);
    // And the real client, against B and C at the same time.
    const work = await tempDir('scale-out-install');
    const installs = await Promise.all([b, c].map(async (p, i) => {
      const ws = path.join(work, `ws-${i}`);
      await fs.mkdir(ws);
      const env = { SKILLS_CONFIG_DIR: path.join(work, `config-${i}`), SKILLS_CACHE_DIR: path.join(work, `cache-${i}`), HOME: work, SKILLS_TOKEN: undefined };
      return runCli(['install', '@acme/hello', '--registry', p.url, '--json'], { cwd: ws, env, timeoutMs: 120_000 });
    }));
    for (const run of installs) {
      expect(run.code, run.stderr).toBe(0);
      expect(run.json<{ skills: { name: string; version: string }[] }>().skills).toEqual([expect.objectContaining({ name: '@acme/hello', version: '1.0.0' })]);
    }
  });

  it('of 20 concurrent publishes of one version spread over the three, exactly one wins', async () => {
    const bytes = await tarball('@acme/race');
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => publishAt(processes()[i % 3] as ServedRegistry, '@acme/race', '1.0.0', bytes)));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    for (const p of processes()) {
      const packument = await ok(call(p, 'GET', '/v1/skills/@acme/race'));
      expect(Object.keys(packument.versions as object)).toEqual(['1.0.0']);
    }
  });

  it('a token revoked on B is refused on A and C on the next request', async () => {
    const made = await ok(call(a, 'POST', '/v1/tokens', { token: alice, body: { permission: 'read' } }));
    const token = made.token as string;
    for (const p of processes()) expect((await call(p, 'GET', '/-/whoami', { token })).status).toBe(200);
    expect((await call(b, 'DELETE', `/v1/tokens/${made.id as string}`, { token: alice })).status).toBe(200);
    for (const p of [a, c]) {
      const res = await call(p, 'GET', '/-/whoami', { token });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('ETOKENREVOKED');
    }
  });

  it('a web session made on A works on B and C, and a sign-out form from B is taken by C', async () => {
    const html = { Accept: 'text/html' };
    const form = await call(a, 'GET', '/sign-in', { headers: html });
    const anon = /skills_csrf=([^;]+)/.exec(form.headers.get('set-cookie') ?? '')?.[1] ?? '';
    const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
    // The form A served is posted to B: the CSRF key is the database's, not a process's.
    const signIn = await fetch(`${b.url}/sign-in`, {
      method: 'POST',
      redirect: 'manual',
      headers: { ...html, 'Content-Type': 'application/x-www-form-urlencoded', Cookie: `skills_csrf=${anon}`, Origin: b.url },
      body: new URLSearchParams({ csrf, next: '/', token: alice }).toString(),
    });
    expect(signIn.status).toBe(303);
    const session = /skills_session=([^;]+)/.exec(signIn.headers.get('set-cookie') ?? '')?.[1] ?? '';
    expect(session).toMatch(/^[A-Za-z0-9_-]{43}$/);
    for (const p of processes()) {
      const page = await call(p, 'GET', '/', { headers: { ...html, Cookie: `skills_session=${session}` } });
      expect(await page.text()).toContain('alice');
    }
    const home = await (await call(b, 'GET', '/', { headers: { ...html, Cookie: `skills_session=${session}` } })).text();
    const signOutCsrf = /action="\/sign-out"[\s\S]*?name="csrf" value="([^"]+)"/.exec(home)?.[1] ?? '';
    const signOut = await fetch(`${c.url}/sign-out`, {
      method: 'POST',
      redirect: 'manual',
      headers: { ...html, 'Content-Type': 'application/x-www-form-urlencoded', Cookie: `skills_session=${session}`, Origin: c.url },
      body: new URLSearchParams({ csrf: signOutCsrf }).toString(),
    });
    expect(signOut.status).toBe(303);
    const after = await (await call(a, 'GET', '/', { headers: { ...html, Cookie: `skills_session=${session}` } })).text();
    expect(after).not.toContain('alice');
  });

  it('yank, deprecate and dist-tags made on one process are seen on the others at once', async () => {
    expect((await publishAt(a, '@acme/hello', '1.1.0', await tarball('@acme/hello', '1.1.0'))).status).toBe(201);
    // Every process has the packument cached before the changes.
    for (const p of processes()) await ok(call(p, 'GET', '/v1/skills/@acme/hello'));
    await ok(call(b, 'POST', '/v1/skills/@acme/hello/versions/1.1.0/yank', { token: alice }));
    await ok(call(c, 'POST', '/v1/skills/@acme/hello/versions/1.0.0/deprecate', { token: alice, body: { message: 'use 1.1' } }));
    await ok(call(a, 'PUT', '/v1/skills/@acme/hello/dist-tags/beta', { token: alice, body: { version: '1.0.0' } }));
    for (const p of processes()) {
      const packument = (await ok(call(p, 'GET', '/v1/skills/@acme/hello'))) as { versions: Record<string, { yanked: boolean; deprecated: string | null }>; distTags: Record<string, string> };
      expect(packument.versions['1.1.0']?.yanked).toBe(true);
      expect(packument.versions['1.0.0']?.deprecated).toBe('use 1.1');
      expect(packument.distTags.beta).toBe('1.0.0');
    }
  });

  it('a process relying on change notifications (D) drops its cached packument when another process writes, without checking the database', async () => {
    expect((await publishAt(a, '@acme/notified', '1.0.0', await tarball('@acme/notified'))).status).toBe(201);
    const yanked = async () => ((await ok(call(d, 'GET', '/v1/skills/@acme/notified'))) as { versions: Record<string, { yanked: boolean }> }).versions['1.0.0']?.yanked;
    expect(await yanked()).toBe(false);
    await ok(call(b, 'POST', '/v1/skills/@acme/notified/versions/1.0.0/yank', { token: alice }));
    // D checks the counter only every ten minutes: the notification is what makes it drop the body.
    const deadline = Date.now() + 60_000;
    while ((await yanked()) !== true && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await yanked()).toBe(true);
  });

  it('--stale-read-ms without --database, or not a whole number: EUSAGE', async () => {
    const work = await tempDir('scale-out-flag');
    for (const args of [['--stale-read-ms', '5'], ['--database', database, '--stale-read-ms', '-1'], ['--database', database, '--stale-read-ms', '1.5']]) {
      const run = await runCli(['serve', '--port', '0', '--db', path.join(work, 'registry.db'), '--json', ...args], { cwd: work, timeoutMs: 60_000 });
      expect(run.code, run.stdout + run.stderr).toBe(2);
      expect(run.json<{ error: { code: string } }>().error.code).toBe('EUSAGE');
    }
    await expect(fs.stat(path.join(work, 'registry.db'))).rejects.toThrow();
  });

  it("downloads counted by B show in A's cached packument once B has written them (announced, not through the change feed)", async () => {
    const counted = async () => ((await ok(call(a, 'GET', '/v1/skills/@acme/race'))) as { downloads: { total: number } }).downloads.total;
    const before = await counted();
    for (let i = 0; i < 3; i++) expect((await call(b, 'GET', '/v1/skills/@acme/race/-/race-1.0.0.tgz')).status).toBe(200);
    // B writes its counts every 5 s and announces which skills' counts it wrote; A, whose cached
    // counts would otherwise be trusted for a minute, reads them again on its next request.
    // Under the minute A would wait without the announcement.
    const deadline = Date.now() + 30_000;
    let total = await counted();
    while (total < before + 3 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      total = await counted();
    }
    expect(total).toBe(before + 3);
  });

  it('a version deleted through C is gone from B: packument, tarball, and the file view B had unpacked', async () => {
    expect((await publishAt(a, '@acme/gone', '1.0.0', await tarball('@acme/gone'))).status).toBe(201);
    expect((await publishAt(a, '@acme/gone', '1.0.1', await tarball('@acme/gone', '1.0.1'))).status).toBe(201);
    const view = () => call(b, 'GET', '/@acme/gone/v/1.0.0/files/references/notes.md', { headers: { Accept: 'text/html' } });
    expect((await view()).status).toBe(200);
    expect((await call(b, 'GET', '/v1/skills/@acme/gone/-/gone-1.0.0.tgz')).status).toBe(200);
    await ok(call(c, 'DELETE', '/v1/skills/@acme/gone/versions/1.0.0', { token: alice }));
    expect((await view()).status).toBe(404);
    expect((await call(b, 'GET', '/v1/skills/@acme/gone/-/gone-1.0.0.tgz')).status).toBe(404);
    const packument = (await ok(call(b, 'GET', '/v1/skills/@acme/gone'))) as { versions: object };
    expect(Object.keys(packument.versions)).toEqual(['1.0.1']);
  });

  it('a process killed with SIGKILL mid-publish leaves no half-visible version and nothing the next publish trips over', async () => {
    const victim = await serveRegistry(['--database', database, '--blobs', s3.url], { env: s3.env });
    const bytes = await tarball('@acme/crash');
    const pending = publishAt(victim, '@acme/crash', '1.0.0', bytes).then(
      (r) => r.status,
      () => 'cut' as const,
    );
    // Wherever the publish was (reading the body, verifying, writing the blob, in the transaction).
    await new Promise((resolve) => setImmediate(resolve));
    victim.child.kill('SIGKILL');
    const outcome = await pending;
    await victim.stop();
    const packument = await call(a, 'GET', '/v1/skills/@acme/crash');
    if (packument.status === 200) {
      // It committed before the kill: then it is whole, tarball included.
      expect(outcome === 201 || outcome === 'cut').toBe(true);
      const served = await call(b, 'GET', '/v1/skills/@acme/crash/-/crash-1.0.0.tgz');
      expect(Buffer.from(await served.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);
      expect((await publishAt(c, '@acme/crash', '1.0.0', bytes)).status).toBe(409);
    } else {
      expect(packument.status).toBe(404);
      // An orphan blob, if the kill came between the blob and the row, is reused, not tripped over.
      expect((await publishAt(c, '@acme/crash', '1.0.0', bytes)).status).toBe(201);
    }
    const next = await publishAt(b, '@acme/crash', '1.0.1', await tarball('@acme/crash', '1.0.1'));
    expect(next.status).toBe(201);
  });

  it('PostgreSQL restarted under load: requests fail with a retryable 503 and recover without restarting the registry', async () => {
    const statuses: number[] = [];
    const codes = new Set<string>();
    let running = true;
    const load = (async () => {
      let i = 0;
      while (running) {
        // Each reads the database: a token check and the token's teams.
        const res = await call(processes()[i++ % 3] as ServedRegistry, 'GET', '/-/whoami', { token: alice }).catch(() => undefined);
        if (!res) continue;
        statuses.push(res.status);
        if (res.status !== 200) {
          const body = (await res.json()) as { error: { code: string } };
          codes.add(body.error.code);
          expect(res.headers.get('Retry-After')).toBe('1');
        } else await res.arrayBuffer();
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 200));
    await pg.restart();
    // Back: every process answers again (the pool reconnects by itself), within a bound.
    for (const p of processes()) {
      let status = 0;
      for (let attempt = 0; attempt < 100 && status !== 200; attempt++) {
        status = (await call(p, 'GET', '/-/whoami', { token: alice })).status;
        if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(status).toBe(200);
    }
    running = false;
    await load;
    expect(statuses.every((s) => s === 200 || s === 503), JSON.stringify([...new Set(statuses)])).toBe(true);
    for (const code of codes) expect(code).toBe('EDBUNAVAILABLE');
    // Writes work again too.
    expect((await publishAt(c, '@acme/after', '1.0.0', await tarball('@acme/after'))).status).toBe(201);
  });
});

describe('a registry that cannot use its stores does not start, and says why', () => {
  async function serveFails(args: string[], env: Record<string, string> = {}): Promise<{ code: string; message: string; hint?: string; output: string }> {
    const work = await tempDir('scale-out-start');
    const run = await runCli(['serve', '--port', '0', '--db', path.join(work, 'db', 'registry.db'), '--json', ...args], { cwd: work, env: { ...s3.env, ...env }, timeoutMs: 60_000 });
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const error = run.json<{ error: { code: string; message: string; hint?: string } }>().error;
    return { ...error, output: run.stdout + run.stderr };
  }

  it('a wrong password: EDBAUTH, the password in no message', async () => {
    const wrong = database.replace(/:\/\/postgres:[^@]+@/, '://postgres:not-the-password-4711@');
    const error = await serveFails(['--database', wrong]);
    expect(error.code).toBe('EDBAUTH');
    expect(error.output).not.toContain('not-the-password-4711');
    expect(error.output).not.toContain(pg.password);
  });

  it('a database of a newer schema: EDBNEWER, the database unchanged', async () => {
    const newer = await pg.createDatabase();
    // A registry made it, then newer code moved its schema on.
    const first = await serveRegistry(['--database', newer], { env: s3.env });
    await first.stop();
    const { default: pgClient } = await import('pg');
    const client = new pgClient.Client({ connectionString: newer });
    await client.connect();
    try {
      await client.query('UPDATE registry_schema SET version = version + 1');
      const before = (await client.query('SELECT version FROM registry_schema')).rows;
      expect((await serveFails(['--database', newer])).code).toBe('EDBNEWER');
      expect((await client.query('SELECT version FROM registry_schema')).rows).toEqual(before);
    } finally {
      await client.end();
    }
  });

  it('a bucket that is missing, or that cannot be written: EBLOBSTORE, the secret in no message', async () => {
    const missing = s3.url.replace(`s3://${s3.bucket}/`, 's3://no-such-bucket/');
    const gone = await serveFails(['--database', database, '--blobs', missing]);
    expect(gone.code).toBe('EBLOBSTORE');
    expect(gone.message).toContain('no-such-bucket');
    const readOnly = await startS3({ readOnly: true });
    try {
      const refused = await serveFails(['--database', database, '--blobs', readOnly.url], readOnly.env);
      expect(refused.code).toBe('EBLOBSTORE');
      expect(refused.output).not.toContain(readOnly.env.AWS_SECRET_ACCESS_KEY);
    } finally {
      await readOnly.stop();
    }
  });

  it('a --blobs URL with credentials in it: EBLOBURL, shown without them', async () => {
    const error = await serveFails(['--blobs', `s3://AKIDEXAMPLE:wJalrXUtnFEMI-secret@${s3.bucket}/tarballs?endpoint=${encodeURIComponent(s3.endpoint)}`]);
    expect(error.code).toBe('EBLOBURL');
    expect(error.output).not.toContain('wJalrXUtnFEMI-secret');
  });
});
