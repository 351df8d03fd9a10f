/**
 * An in-process registry with the real sandbox verifying uploads: on a real SQLite file
 * (`createTestRegistry`), or on either storage profile (`createProfileRegistry`: SQLite, or a real
 * PostgreSQL with blobs in a real S3-compatible server).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { createApp, type CreateAppOptions, type RegistryApp } from '../registry-server/app';
import type { RegistryConfig } from '../registry-server/context';
import { openDatabase, type Db } from '../registry-server/db';
import { Auth } from '../registry-server/auth';
import type { Storage } from '../registry-server/storage/index';
import { openStorage, sqliteStorage } from '../registry-server/storage/open';
import type { SqlDatabase } from '../registry-server/storage/sql';
import { InProcessRunner } from '../sandbox/pool';
import { verifySkill } from '../sandbox/verify';
import type { PackageFile } from '../schema/package-files';
import { pack } from '../tarball/pack';
import type { PostgresDatabases } from './postgres';
import type { S3Server } from './s3';
import { skillFiles, textResult, type SkillSpec } from './skill-files';
import { requestInit } from './http';
import { captureLogs, secretsOfRequest, secretsOfResponse, type LogCapture, type LogEntry } from './logs';
import { tempDir } from './temp';

/** What a test drives a registry through, whichever storage is behind it. */
export interface RegistryHandle {
  app: RegistryApp;
  storage: Storage;
  /** Every log line the registry wrote, parsed (its pino logger, in memory). */
  logs: LogEntry[];
  /**
   * The lines as written, and the secrets every request() sent or received (tokens, cookies,
   * session ids): close() fails when a line holds one, so every suite on this registry checks it.
   */
  logCapture: LogCapture;
  admin: string;
  /** A publish token of alice, owner of team acme, which owns @acme (public) and @secret (private). */
  alice: string;
  /** A read-only token of bob (no team). */
  bobRead: string;
  request(method: string, url: string, options?: { token?: string | undefined; body?: Uint8Array | string | object; headers?: Record<string, string> }): Promise<Response>;
  /**
   * Writes the download counts still pending now (the registry batches them on a 5 s timer), so a
   * dump taken next changes only through later requests, not through an earlier download's flush.
   */
  settle(): Promise<void>;
  close(): Promise<void>;
}

/** The in-process registry on a SQLite file, with its raw handle for tests that read rows. */
export interface TestRegistry extends RegistryHandle {
  db: Db;
  dir: string;
  counts(): Record<string, number>;
}

export type StorageProfile = 'sqlite' | 'postgres';

export const STORAGE_PROFILES: readonly StorageProfile[] = ['sqlite', 'postgres'];

/** The same registry on either storage profile: SQLite (blobs in its table) or PostgreSQL + S3. */
export interface ProfileRegistry extends RegistryHandle {
  profile: StorageProfile;
  /**
   * Rows per table through the storage's own database, the search index as `search` (FTS5 rows or
   * tsvector rows), and `blobs` as what the blob store holds (table rows, or objects in the bucket).
   */
  counts(): Promise<RowCounts>;
}

/** Tables whose row counts `counts()` reports on both engines. */
const COUNTED_TABLES = [
  'users', 'teams', 'team_members', 'scopes', 'tokens', 'skills', 'versions', 'used_versions', 'dist_tags', 'skill_servers', 'skill_latest',
  'audit_log', 'version_audits', 'audit_allowances', 'web_sessions', 'downloads', 'version_downloads', 'skill_downloads', 'skill_dependencies',
] as const;

export type RowCounts = Record<(typeof COUNTED_TABLES)[number] | 'search' | 'blobs', number>;

/** What a test may add to the app besides its config: worker pools for the readiness route, its own metrics. */
export type TestAppOptions = Pick<CreateAppOptions, 'workers' | 'metrics'>;

export async function createTestRegistry(config: Partial<RegistryConfig> = {}, extra: TestAppOptions = {}): Promise<TestRegistry> {
  const dir = await tempDir('registry');
  const db = openDatabase(path.join(dir, 'registry.db'));
  const handle = await assemble(sqliteStorage(db), config, () => fs.rm(dir, { recursive: true, force: true }), extra);
  const counts = () => {
    const tables = ['users', 'teams', 'team_members', 'scopes', 'tokens', 'skills', 'versions', 'blobs', 'used_versions', 'dist_tags', 'skill_servers', 'skills_fts', 'audit_log'];
    return Object.fromEntries(tables.map((t) => [t, (db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n]));
  };
  return { ...handle, db, dir, counts };
}

/**
 * The servers the PostgreSQL profile runs on, shared by every registry of a test file (each gets a
 * database and a bucket of its own): the run's PostgreSQL (testkit/shared-postgres.ts), and an S3
 * server started on first use. Call `stop()` in afterAll.
 */
export interface ProfileServers {
  postgres(): Promise<PostgresDatabases>;
  s3(): Promise<S3Server>;
  stop(): Promise<void>;
}

export function profileServers(): ProfileServers {
  let s3: Promise<S3Server> | undefined;
  return {
    // Loaded only here: the fast tests that use createTestRegistry never pay for pg or the AWS SDK.
    postgres: () => import('./shared-postgres').then((m) => m.sharedPostgres()),
    s3: () => (s3 ??= import('./s3').then((m) => m.startS3())),
    async stop() {
      const started = [s3];
      s3 = undefined;
      const results = await Promise.allSettled(started.map(async (server) => (await server)?.stop()));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}

let buckets = 0;

/**
 * The test registry on `profile`: a SQLite file, or a fresh PostgreSQL database with blobs in a new
 * bucket of the shared S3 server (its keys passed as options, never through the environment).
 */
export async function createProfileRegistry(profile: StorageProfile, servers: ProfileServers, config: Partial<RegistryConfig> = {}): Promise<ProfileRegistry> {
  const dir = await tempDir(`registry-${profile}`);
  const removeDir = () => fs.rm(dir, { recursive: true, force: true });
  if (profile === 'sqlite') {
    const storage = sqliteStorage(openDatabase(path.join(dir, 'registry.db')));
    const handle = await assemble(storage, config, removeDir);
    const blobRows = async () => (await storage.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM blobs'))?.n ?? 0;
    return { ...handle, profile, counts: () => tableCounts(storage.db, 'skills_fts', blobRows) };
  }
  const [pg, s3, { CreateBucketCommand, ListObjectsV2Command, S3Client }] = await Promise.all([servers.postgres(), servers.s3(), import('@aws-sdk/client-s3')]);
  const bucket = `registry-${process.pid}-${++buckets}`;
  const client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: s3.credentials });
  let storage: Storage;
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    storage = await openStorage({
      // Never created: PostgreSQL holds the metadata.
      file: path.join(dir, 'unused.db'),
      database: await pg.createDatabase(),
      blobs: `s3://${bucket}/?endpoint=${s3.endpoint}&region=us-east-1`,
      blobOptions: { credentials: s3.credentials },
    });
  } catch (error) {
    client.destroy();
    throw error;
  }
  const objects = async () => {
    let n = 0;
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ...(token === undefined ? {} : { ContinuationToken: token }) }));
      n += page.KeyCount ?? 0;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return n;
  };
  const handle = await assemble(storage, config, async () => {
    client.destroy();
    await removeDir();
  });
  return { ...handle, profile, counts: () => tableCounts(storage.db, 'skills_search', objects) };
}

async function tableCounts(db: SqlDatabase, searchTable: string, blobs: () => Promise<number>): Promise<RowCounts> {
  const count = async (table: string) => (await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`))?.n ?? 0;
  const tables: Record<string, number> = {};
  for (const table of COUNTED_TABLES) tables[table] = await count(table);
  return { ...(tables as Record<(typeof COUNTED_TABLES)[number], number>), search: await count(searchTable), blobs: await blobs() };
}

/** The app on `storage` with the real sandbox in process, the usual accounts and tokens. */
async function assemble(storage: Storage, config: Partial<RegistryConfig>, cleanup: () => Promise<void>, extra: TestAppOptions = {}): Promise<RegistryHandle> {
  const runner = new InProcessRunner();
  const capture = captureLogs();
  const app = createApp({ storage, log: capture.logger, config, verify: (files, dependencies, budget) => verifySkill({ files, dependencies }, { runner, ...budget }), ...extra });
  let closed = false;
  const close = async () => {
    await runner.close();
    await app.close();
    await storage.close();
    await cleanup();
    if (closed) return;
    closed = true;
    capture.expectNoSecrets();
  };
  try {
    const boot = await new Auth(storage.db).bootstrap();
    if (!boot) throw new Error('fresh database was not empty');
    const request: RegistryHandle['request'] = async (method, url, options = {}) => {
      const init = requestInit(method, options);
      capture.remember(...secretsOfRequest(url, init.headers as Record<string, string>, options.body));
      const res = await app.request(url, init);
      capture.remember(...(await secretsOfResponse(res)));
      return res;
    };
    const admin = boot.token;
    capture.remember(admin);
    const ok = async (res: Promise<Response>) => {
      const r = await res;
      if (r.status >= 300) throw new Error(`setup failed: ${r.status} ${await r.text()}`);
      return r.json() as Promise<Record<string, unknown>>;
    };
    await ok(request('POST', '/v1/users', { token: admin, body: { name: 'alice' } }));
    await ok(request('POST', '/v1/users', { token: admin, body: { name: 'bob' } }));
    await ok(request('POST', '/v1/teams', { token: admin, body: { name: 'acme' } }));
    await ok(request('POST', '/v1/teams/acme/members', { token: admin, body: { user: 'alice', role: 'owner' } }));
    await ok(request('POST', '/v1/scopes', { token: admin, body: { name: '@acme', team: 'acme' } }));
    await ok(request('POST', '/v1/scopes', { token: admin, body: { name: '@secret', team: 'acme', private: true } }));
    const alice = (await ok(request('POST', '/v1/tokens', { token: admin, body: { user: 'alice', permission: 'publish' } }))).token as string;
    const bobRead = (await ok(request('POST', '/v1/tokens', { token: admin, body: { user: 'bob', permission: 'read' } }))).token as string;
    return { app, storage, logs: capture.entries, logCapture: capture, admin, alice, bobRead, request, settle: () => app.close(), close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** A publishable skill: one echo call, with a fixture that passes. */
export function echoSkill(name: string, version = '1.0.0', overrides: Partial<SkillSpec> = {}): PackageFile[] {
  const files = skillFiles({
    name: name.slice(name.indexOf('/') + 1),
    code: `import { echo } from '../servers/everything';
export async function greet(input: { name: string }) { return { greeting: await echo({ message: 'Hello, ' + input.name + '!' }) }; }`,
    mcp: { everything: ['echo'] },
    fixtures: {
      example: {
        call: { export: 'greet', args: [{ name: 'Ada' }] },
        mcp: [{ server: 'everything', tool: 'echo', arguments: { message: 'Hello, Ada!' }, result: textResult('Echo: Hello, Ada!') }],
        expect: { returns: { greeting: 'Echo: Hello, Ada!' } },
      },
    },
    ...overrides,
  });
  return files.map((f) => (f.path === 'skill.json' ? { ...f, bytes: new TextEncoder().encode(JSON.stringify({ ...JSON.parse(new TextDecoder().decode(f.bytes)), name, version, keywords: ['greeting', 'demo'] })) } : f));
}

export async function tarballOf(files: readonly PackageFile[]): Promise<Uint8Array> {
  return (await pack(files)).bytes;
}
