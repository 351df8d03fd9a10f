/**
 * `skills registry migrate` end to end, through the real `skills` process: a filled registry on a
 * SQLite file is copied while it keeps serving (its snapshot held, reads and writes still
 * answered), the copy is killed midway and run again after the source changed (rows added,
 * updated and deleted since), and a third run copies nothing. Then the target holds every row of
 * the source, and a registry started on it answers as the source does: packuments, tarballs
 * (bytes and integrity), search, the discovery index, old tokens, web sessions. And with `--blobs
 * s3://...` (a real s3rver) the tarballs land in the bucket and a registry started with that
 * bucket serves them.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SqlBlobStore } from '../registry-server/storage/sql-blobs';
import { S3BlobStore } from '../registry-server/storage/s3-blobs';
import { SqliteDatabase } from '../registry-server/storage/sqlite';
import { DISCOVERY_INDEX_PATH } from '../schema/registry';
import { integrityOf } from '../tarball/digest';
import { BIN, runCli } from '../testkit/cli';
import { dumpDb } from '../testkit/db-dump';
import { sameIdText } from '../testkit/http';
import { fillRegistry, plainSkill, registryOn, signIn, type FilledRegistry } from '../testkit/registry-fill';
import type { PostgresDatabases } from '../testkit/postgres';
import { startS3, type S3Server } from '../testkit/s3';
import { sharedPostgres } from '../testkit/shared-postgres';
import { tempDir } from '../testkit/temp';
import { pack } from '../tarball/pack';

interface Counts {
  copied: number;
  updated: number;
  removed: number;
  skipped: number;
}

interface Migrated {
  from: string;
  to: string;
  tables: Record<string, Counts>;
  blobs: { copied: number; present: number; store: string };
  search: { indexed: number };
  durationMs: number;
}

let dir: string;
let src: FilledRegistry;
/** A second web session, of alice, that outlives bob's (his token is revoked midway). */
let aliceSession: string;

beforeAll(async () => {
  dir = await tempDir('migrate');
  src = await fillRegistry(path.join(dir, 'source', 'registry.db'));
  aliceSession = await signIn(src.api, src.alice);
}, 180_000);

afterAll(async () => {
  await src.close();
});

/** Every row of every table of a SQLite file, but for the FTS5 index's internal b-trees (rebuilt, so laid out differently). */
function dump(file: string, without: readonly string[] = []): Record<string, string[]> {
  const db = new Database(file, { readonly: true });
  try {
    const tables = JSON.parse(dumpDb(db)) as Record<string, string[]>;
    for (const name of ['skills_fts_data', 'skills_fts_idx', ...without]) delete tables[name];
    return tables;
  } finally {
    db.close();
  }
}

function migrate(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; result: Migrated; stderr: string }> {
  return runCli(['registry', 'migrate', ...args, '--json'], { env, timeoutMs: 120_000 }).then((run) => {
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    return { code: run.code, result: run.json<Migrated>(), stderr: run.stderr };
  });
}

async function untilFile(file: string, child: { exitCode: number | null }): Promise<void> {
  for (;;) {
    if (await fs.stat(file).then(() => true, () => false)) return;
    if (child.exitCode !== null) throw new Error(`the migrate process exited (${child.exitCode}) before it paused`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** What a registry answers to everything the test compares (before any tarball is downloaded, since downloads count). */
async function answers(api: FilledRegistry['api'], tokens: Record<string, string>, sessions: Record<string, string>, skills: readonly string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const ask = async (label: string, url: string, options: Parameters<FilledRegistry['api']>[2] = {}) => {
    const res = await api('GET', url, options);
    // An error's request id differs between any two requests.
    out[label] = `${res.status} ${sameIdText(await res.text())}`;
  };
  for (const name of skills) {
    await ask(`packument ${name} anonymous`, `/v1/skills/${name}`);
    await ask(`packument ${name} alice`, `/v1/skills/${name}`, { token: tokens.alice });
  }
  for (const q of ['', 'hello', 'notes', 'meeting action', 'vault', 'echo greeting', 'doubl']) {
    await ask(`search "${q}" anonymous`, `/v1/search?q=${encodeURIComponent(q)}`);
    await ask(`search "${q}" alice`, `/v1/search?q=${encodeURIComponent(q)}`, { token: tokens.alice });
  }
  await ask('search servers', '/v1/search?server=everything');
  await ask('discovery index', DISCOVERY_INDEX_PATH);
  await ask('audit allowances', '/v1/skills/@acme/top/audit-allowances', { token: tokens.alice });
  // The admin log, with the addresses its entries were made from.
  await ask('admin log', '/v1/admin/log?limit=500', { token: tokens.admin });
  for (const [who, token] of Object.entries(tokens)) {
    const res = await api('GET', '/-/whoami', { token });
    const body = (await res.json()) as { user?: string; error?: { code: string } };
    out[`whoami ${who}`] = `${res.status} ${body.user ?? body.error?.code}`;
  }
  for (const [who, session] of Object.entries(sessions)) {
    const page = await (await api('GET', '/', { headers: { Accept: 'text/html', Cookie: `skills_session=${session}` } })).text();
    out[`web session ${who}`] = /Signed in as <strong>([^<]*)<\/strong>/.exec(page)?.[1] ?? 'signed out';
  }
  return out;
}

describe('skills registry migrate, SQLite to SQLite', () => {
  it('copies a registry that keeps serving; a killed copy resumes after the source changed; the target answers as the source', async () => {
    const target = path.join(dir, 'target', 'registry.db');
    const pauseFile = path.join(dir, 'paused');

    // 1. Stopped once 13 batches are in (users ... web_sessions, one batch each here), its snapshot open.
    const child = spawn(process.execPath, [BIN, 'registry', 'migrate', '--from', src.file, '--to', target, '--json'], {
      env: { ...process.env, SKILLS_TEST_PAUSE_AFTER_BATCHES: '13', SKILLS_TEST_PAUSE_FILE: pauseFile },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let childErr = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (childErr += d));
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    try {
      await untilFile(pauseFile, child);
      // The source registry serves reads and takes writes while the copy holds its snapshot (WAL).
      expect((await src.api('GET', '/v1/skills/@acme/hello')).status).toBe(200);
      expect((await src.api('GET', '/v1/search?q=hello')).status).toBe(200);
      const published = await src.api('PUT', '/v1/skills/@acme/notes?version=2.0.0', { token: src.alice, body: (await pack(plainSkill('notes', 'Take meeting notes, final format.'))).bytes });
      expect(published.status, await published.clone().text()).toBe(201);
      expect((await src.api('GET', '/v1/skills/@acme/notes')).status).toBe(200);
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    expect(childErr).toBe('');

    // What the killed copy left: the committed batches, nothing after them.
    const partial = new Database(target, { readonly: true });
    const count = (db: Database.Database, table: string) => (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    const source = new Database(src.file, { readonly: true });
    try {
      expect(count(partial, 'users')).toBe(count(source, 'users'));
      expect(count(partial, 'web_sessions')).toBe(2);
      expect(count(partial, 'versions')).toBe(count(source, 'versions') - 1);
      expect(count(partial, 'dist_tags')).toBeGreaterThan(0);
      expect(count(partial, 'downloads')).toBe(0);
      expect(count(partial, 'audit_log')).toBe(0);
      // Every version row names a blob already there: blobs are copied before versions.
      expect(partial.prepare('SELECT COUNT(*) AS n FROM versions v LEFT JOIN blobs b ON b.sha256 = v.tarball_sha256 WHERE b.sha256 IS NULL').get()).toEqual({ n: 0 });
    } finally {
      partial.close();
      source.close();
    }

    // 2. The source changes more before the next run: a version yanked, a dist-tag removed, a
    // token revoked (which ends its web session), more downloads; then it stops (counts written).
    expect((await src.api('POST', '/v1/skills/@acme/hello/versions/1.1.0/yank', { token: src.admin, body: {} })).status).toBe(200);
    expect((await src.api('DELETE', '/v1/skills/@acme/hello/dist-tags/stable', { token: src.admin })).status).toBe(200);
    const bobId = /^skr_([A-Za-z0-9]{16})_/.exec(src.bobRead)?.[1] ?? '';
    expect((await src.api('DELETE', `/v1/tokens/${bobId}`, { token: src.admin })).status).toBe(200);
    const notes = (await (await src.api('GET', '/v1/skills/@acme/notes')).json()) as { versions: Record<string, { dist: { tarball: string } }> };
    await (await src.api('GET', notes.versions['2.0.0']?.dist.tarball ?? '')).arrayBuffer();
    await src.close();

    // 3. The next run completes: what was copied is kept, what changed is brought up to date.
    const second = (await migrate(['--from', src.file, '--to', target])).result;
    expect(second.from).toBe(src.file);
    expect(second.to).toBe(target);
    expect(second.tables.users).toEqual({ copied: 0, updated: 0, removed: 0, skipped: 4 });
    expect(second.tables.versions).toMatchObject({ copied: 1, updated: 1, removed: 0 });
    expect(second.tables.dist_tags?.removed).toBe(1);
    // Bob's session went with his token: the target's own trigger removed it when the token's row was updated.
    expect(second.tables.tokens?.updated).toBeGreaterThanOrEqual(1);
    expect(second.tables.web_sessions).toMatchObject({ copied: 0, removed: 0 });
    expect(second.tables.downloads?.copied).toBeGreaterThan(0);
    expect(second.blobs).toMatchObject({ copied: 1, store: 'the SQLite table blobs' });
    expect(second.search.indexed).toBe(src.skills.length);
    const copied = dump(target);
    expect(copied).toEqual(dump(src.file));

    // 4. A run on the complete target writes nothing.
    const third = (await migrate(['--from', src.file, '--to', target])).result;
    for (const [table, counts] of Object.entries(third.tables)) expect([table, counts.copied, counts.updated, counts.removed]).toEqual([table, 0, 0, 0]);
    expect(third.blobs.copied).toBe(0);
    expect(third.blobs.present).toBe(second.blobs.copied + second.blobs.present);
    expect(dump(target)).toEqual(copied);

    // 5. Registries on both files answer alike.
    const before = await registryOn(src.file);
    const after = await registryOn(target);
    try {
      expect(after.registry.adminToken, 'a copy is not an empty registry').toBeUndefined();
      const tokens = { admin: src.admin, alice: src.alice, bob: src.bobRead, carol: src.revoked };
      const sessions = { bob: src.session, alice: aliceSession };
      const expected = await answers(before.api, tokens, sessions, src.skills);
      expect(await answers(after.api, tokens, sessions, src.skills)).toEqual(expected);
      expect(expected['whoami alice']).toBe('200 alice');
      expect(expected['whoami carol']).toMatch(/^401 /);
      expect(expected['web session alice']).toBe('alice');
      expect(expected['web session bob']).toBe('signed out');
      expect(expected['packument @secret/vault anonymous']).toMatch(/^404 /);
      expect(expected['search "hello" anonymous']).toContain('@acme/hello');
      // Tarballs: the same bytes, matching the integrity the packument states.
      for (const name of src.skills) {
        const packument = JSON.parse(expected[`packument ${name} alice`]?.slice(4) ?? '{}') as { versions: Record<string, { dist: { tarball: string; integrity: string } }> };
        for (const [version, { dist }] of Object.entries(packument.versions)) {
          const one = Buffer.from(await (await before.api('GET', dist.tarball, { token: src.alice })).arrayBuffer());
          const two = Buffer.from(await (await after.api('GET', dist.tarball, { token: src.alice })).arrayBuffer());
          expect(two.equals(one), `${name}@${version}`).toBe(true);
          expect(integrityOf(two), `${name}@${version}`).toBe(dist.integrity);
        }
      }
      // The target takes new writes after the copied ids.
      expect((await after.api('POST', '/v1/users', { token: src.admin, body: { name: 'dave' } })).status).toBe(201);
    } finally {
      await before.registry.close();
      await after.registry.close();
    }
  }, 300_000);
});

describe('skills registry migrate --blobs s3://...', () => {
  let s3: S3Server;
  beforeAll(async () => {
    s3 = await startS3();
  });
  afterAll(async () => {
    await s3.stop();
  });

  it('puts the tarballs in the bucket (none in the target database), and a registry started with --blobs serves them', async () => {
    const target = path.join(dir, 's3-target', 'registry.db');
    const { result, stderr } = await migrate(['--from', src.file, '--to', target, '--blobs', s3.url], s3.env);
    expect(stderr).not.toContain(s3.env.AWS_SECRET_ACCESS_KEY);
    expect(result.blobs.present).toBe(0);
    expect(result.blobs.copied).toBeGreaterThan(5);
    expect(result.blobs.store).toContain(s3.bucket);
    // The rows are the source's; the database's blobs table stays empty.
    expect(dump(target, ['blobs'])).toEqual(dump(src.file, ['blobs']));
    expect(dump(target).blobs).toEqual([]);
    const source = new Database(src.file, { readonly: true });
    const digests = (source.prepare('SELECT DISTINCT tarball_sha256 FROM versions').pluck().all() as string[]).sort();
    const sourceBlobs = new SqlBlobStore(new SqliteDatabase(source));
    const bucket = new S3BlobStore({ bucket: s3.bucket, prefix: s3.prefix, region: 'us-east-1', endpoint: s3.endpoint, credentials: s3.credentials });
    try {
      expect(digests).toHaveLength(result.blobs.copied);
      for (const sha of digests) expect((await bucket.get(sha))?.equals((await sourceBlobs.get(sha)) ?? Buffer.alloc(0)), sha).toBe(true);
    } finally {
      await bucket.close();
      source.close();
    }
    // Again: every blob is found in the bucket, none written.
    const again = (await migrate(['--from', src.file, '--to', target, '--blobs', s3.url], s3.env)).result;
    expect(again.blobs).toMatchObject({ copied: 0, present: result.blobs.copied });

    vi.stubEnv('AWS_ACCESS_KEY_ID', s3.env.AWS_ACCESS_KEY_ID);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', s3.env.AWS_SECRET_ACCESS_KEY);
    const served = await registryOn(target, { blobs: s3.url });
    try {
      const packument = (await (await served.api('GET', '/v1/skills/@acme/hello', { token: src.alice })).json()) as { versions: Record<string, { dist: { tarball: string; integrity: string } }> };
      const versions = Object.values(packument.versions);
      expect(versions.length).toBe(2);
      for (const { dist } of versions) {
        const res = await served.api('GET', dist.tarball, { token: src.alice });
        expect(res.status).toBe(200);
        expect(integrityOf(new Uint8Array(await res.arrayBuffer()))).toBe(dist.integrity);
      }
    } finally {
      await served.registry.close();
      vi.unstubAllEnvs();
    }
  }, 180_000);
});

describe('skills registry migrate into PostgreSQL and S3', () => {
  let pg: PostgresDatabases;
  let s3: S3Server;
  beforeAll(async () => {
    [pg, s3] = await Promise.all([sharedPostgres(), startS3({ bucket: 'moved' })]);
  }, 60_000);
  afterAll(async () => {
    await s3?.stop();
  });

  /** Search answers carry each engine's own scores: compare what matched, in which order on clear queries, not the numbers. */
  function withoutScores(all: Record<string, string>): Record<string, string> {
    return Object.fromEntries(
      Object.entries(all).map(([key, value]) => {
        if (!key.startsWith('search ')) return [key, value];
        const [status, ...rest] = value.split(' ');
        const body = JSON.parse(rest.join(' ')) as { total: number; results: { name: string; version: string }[] };
        return [key, `${status} ${body.total} ${body.results.map((r) => `${r.name}@${r.version}`).sort().join(',')}`];
      }),
    );
  }

  it('copies every row and blob into PostgreSQL and the bucket, resumes to nothing, and a registry on them answers as the source', async () => {
    const database = await pg.createDatabase();
    const first = await migrate(['--from', src.file, '--blobs', s3.url], { ...s3.env, SKILLS_DATABASE_URL: database });
    expect(JSON.stringify(first.result) + first.stderr).not.toContain(pg.password);
    expect(first.result.to).toContain('127.0.0.1');
    expect(first.result.blobs.copied).toBeGreaterThan(5);
    const again = (await migrate(['--from', src.file, '--to', database, '--blobs', s3.url], s3.env)).result;
    for (const [table, counts] of Object.entries(again.tables)) expect([table, counts.copied, counts.updated, counts.removed]).toEqual([table, 0, 0, 0]);
    expect(again.blobs.copied).toBe(0);

    vi.stubEnv('AWS_ACCESS_KEY_ID', s3.env.AWS_ACCESS_KEY_ID);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', s3.env.AWS_SECRET_ACCESS_KEY);
    const before = await registryOn(src.file);
    const after = await registryOn(path.join(dir, 'pg-target', 'registry.db'), { database, blobs: s3.url });
    try {
      expect(after.registry.adminToken, 'a copy is not an empty registry').toBeUndefined();
      const tokens = { admin: src.admin, alice: src.alice, bob: src.bobRead, carol: src.revoked };
      const sessions = { bob: src.session, alice: aliceSession };
      const expected = await answers(before.api, tokens, sessions, src.skills);
      expect(expected['admin log']).toMatch(/^200 .*"address":"(127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)"/);
      expect(withoutScores(await answers(after.api, tokens, sessions, src.skills))).toEqual(withoutScores(expected));
      for (const name of src.skills) {
        const packument = JSON.parse(expected[`packument ${name} alice`]?.slice(4) ?? '{}') as { versions: Record<string, { dist: { tarball: string; integrity: string } }> };
        for (const [version, { dist }] of Object.entries(packument.versions)) {
          const res = await after.api('GET', dist.tarball, { token: src.alice });
          expect(res.status, `${name}@${version}`).toBe(200);
          expect(integrityOf(new Uint8Array(await res.arrayBuffer())), `${name}@${version}`).toBe(dist.integrity);
        }
      }
      // New rows take ids after the copied ones (the sequences moved past them).
      expect((await after.api('POST', '/v1/users', { token: src.admin, body: { name: 'erin' } })).status).toBe(201);
      expect((await after.api('POST', '/v1/tokens', { token: src.admin, body: { user: 'erin', permission: 'read' } })).status).toBe(201);
    } finally {
      await before.registry.close();
      await after.registry.close();
      vi.unstubAllEnvs();
    }
  }, 300_000);
});
