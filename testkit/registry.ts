/** An in-process registry on a real SQLite file, with the real sandbox verifying uploads. */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Hono } from 'hono';
import { createApp } from '../registry-server/app';
import type { Env, LogEntry, RegistryConfig } from '../registry-server/context';
import { openDatabase, type Db } from '../registry-server/db';
import { Auth } from '../registry-server/auth';
import { sqliteStorage } from '../registry-server/storage/open';
import { InProcessRunner } from '../sandbox/pool';
import { verifySkill } from '../sandbox/verify';
import type { PackageFile } from '../schema/package-files';
import { pack } from '../tarball/pack';
import { skillFiles, textResult, type SkillSpec } from './skill-files';
import { tempDir } from './temp';

export interface TestRegistry {
  app: Hono<Env>;
  db: Db;
  dir: string;
  logs: LogEntry[];
  admin: string;
  /** A publish token of alice, owner of team acme, which owns @acme (public) and @secret (private). */
  alice: string;
  /** A read-only token of bob (no team). */
  bobRead: string;
  request(method: string, url: string, options?: { token?: string | undefined; body?: Uint8Array | string | object; headers?: Record<string, string> }): Promise<Response>;
  counts(): Record<string, number>;
  /**
   * Writes the download counts still pending now (the registry batches them on a 5 s timer), so a
   * dump taken next changes only through later requests, not through an earlier download's flush.
   */
  settle(): Promise<void>;
  close(): Promise<void>;
}

export async function createTestRegistry(config: Partial<RegistryConfig> = {}): Promise<TestRegistry> {
  const dir = await tempDir('registry');
  const db = openDatabase(path.join(dir, 'registry.db'));
  const runner = new InProcessRunner();
  const logs: LogEntry[] = [];
  const storage = sqliteStorage(db);
  const app = createApp({ storage, log: (e) => logs.push(e), config, verify: (files, dependencies, budget) => verifySkill({ files, dependencies }, { runner, ...budget }) });
  const boot = await new Auth(storage.db).bootstrap();
  if (!boot) throw new Error('fresh database was not empty');
  const request: TestRegistry['request'] = (method, url, options = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.Authorization = `Bearer ${options.token}`;
    let body: Uint8Array | string | undefined;
    if (options.body instanceof Uint8Array || typeof options.body === 'string') body = options.body;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['Content-Type'] = 'application/json';
    }
    return Promise.resolve(app.request(url, { method, headers, ...(body === undefined ? {} : { body }) }));
  };
  const admin = boot.token;
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
  const counts = () => {
    const tables = ['users', 'teams', 'team_members', 'scopes', 'tokens', 'skills', 'versions', 'blobs', 'used_versions', 'dist_tags', 'skill_servers', 'skills_fts', 'audit_log'];
    return Object.fromEntries(tables.map((t) => [t, (db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n]));
  };
  return {
    app,
    db,
    dir,
    logs,
    admin,
    alice,
    bobRead,
    request,
    counts,
    settle: () => app.close(),
    async close() {
      await runner.close();
      await app.close();
      await storage.close();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
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
