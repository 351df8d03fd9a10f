/**
 * Issue 26, health and metrics beyond one process: a real `skills serve` with its metrics port and
 * metrics token (readiness with the real worker pools; exact counts after a known number of
 * requests of each kind, scraped on both); and the readiness route over stores that fail: a blob
 * store that refuses writes (s3rver with a read-only bucket) and a PostgreSQL server that went
 * down, each 503 with the failed check named.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../registry-server/app';
import { openDatabase } from '../registry-server/db';
import type { Readiness } from '../registry-server/health';
import type { Storage } from '../registry-server/storage/index';
import { openStorage, sqliteStorage } from '../registry-server/storage/open';
import { S3BlobStore } from '../registry-server/storage/s3-blobs';
import { startPostgres, type TestPostgres } from '../testkit/postgres';
import { echoSkill, tarballOf } from '../testkit/registry';
import { startS3, type S3Server } from '../testkit/s3';
import { serveRegistry, type ServedRegistry } from '../testkit/serve';
import { tempDir } from '../testkit/temp';

const TOKEN = 'ops-metrics-token-0123456789abcdef0123456789';

/** `name{labels} value` lines of a Prometheus text exposition, by name and exact labels. */
function metric(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`).sort().join(',');
  let found = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name || (m[2] ?? '').split(',').filter(Boolean).sort().join(',') !== wanted) continue;
    found = Number(m[3]);
  }
  return found;
}

function total(text: string, name: string): number {
  return text.split('\n').filter((l) => l.startsWith(`${name}{`)).reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

describe('a real skills serve with metrics on its own port and behind the token', () => {
  let served: ServedRegistry;
  beforeAll(async () => {
    served = await serveRegistry([], { env: { SKILLS_REGISTRY_METRICS_TOKEN: TOKEN, SKILLS_REGISTRY_METRICS_PORT: '0' } });
  });
  afterAll(async () => {
    expect(await served.stop()).toBe(0);
  });

  it('is ready with its real worker pools, and counts every request exactly', async () => {
    const metricsUrl = served.ready.metricsUrl ?? '';
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const api = (method: string, url: string, init: RequestInit = {}) => fetch(`${served.url}${url}`, { method, ...init });
    const admin = { Authorization: `Bearer ${served.adminToken}` };

    expect((await api('GET', '/-/health/live')).status).toBe(200);
    const ready = await api('GET', '/-/health/ready');
    const body = (await ready.json()) as Readiness;
    expect([ready.status, body.ready]).toEqual([200, true]);
    expect(body.checks.filter((c) => c.name === 'sandbox' || c.name === 'audit').map((c) => c.message)).toEqual(['a worker has started and loaded', 'a worker has started and loaded']);

    const json = { ...admin, 'Content-Type': 'application/json' };
    expect((await api('POST', '/v1/teams', { headers: json, body: JSON.stringify({ name: 'ops' }) })).status).toBe(201);
    expect((await api('POST', '/v1/scopes', { headers: json, body: JSON.stringify({ name: '@ops', team: 'ops' }) })).status).toBe(201);
    const published = await api('PUT', '/v1/skills/@ops/greet', { headers: admin, body: await tarballOf(echoSkill('@ops/greet')) });
    expect(published.status, await published.clone().text()).toBe(201);
    for (let i = 0; i < 6; i++) expect((await api('GET', '/v1/skills/@ops/greet')).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await api('GET', '/v1/skills/@ops/greet/-/greet-1.0.0.tgz')).status).toBe(200);
    for (let i = 0; i < 4; i++) expect((await api('GET', `/unknown/${i}`)).status).toBe(404);
    for (const headers of [{}, admin]) expect((await api('GET', '/-/metrics', { headers })).status).toBe(401);

    // The metrics port's own scrapes are not requests of the registry's API.
    const scraped = await (await fetch(metricsUrl, { headers: { Authorization: `Bearer ${TOKEN}` } })).text();
    const requests = (method: string, route: string, status: number) => metric(scraped, 'skills_registry_http_requests_total', { method, route, status: String(status) });
    expect(requests('GET', '/-/health/live', 200)).toBe(1);
    expect(requests('GET', '/-/health/ready', 200)).toBe(1);
    expect([requests('POST', '/v1/teams', 201), requests('POST', '/v1/scopes', 201)]).toEqual([1, 1]);
    expect(requests('PUT', '/v1/skills/:scope/:name', 201)).toBe(1);
    expect(requests('GET', '/v1/skills/:scope/:name', 200)).toBe(6);
    expect(requests('GET', '/v1/skills/:scope/:name/-/:file', 200)).toBe(3);
    expect(requests('GET', 'unmatched', 404)).toBe(4);
    expect(requests('GET', '/-/metrics', 401)).toBe(2);
    expect(total(scraped, 'skills_registry_http_requests_total')).toBe(1 + 1 + 2 + 1 + 6 + 3 + 4 + 2);
    expect(metric(scraped, 'skills_registry_publishes_total', { outcome: 'published' })).toBe(1);
    expect(metric(scraped, 'skills_registry_publish_step_duration_seconds_count', { step: 'audit', outcome: 'passed' })).toBe(1);
    expect(metric(scraped, 'skills_registry_publish_step_duration_seconds_count', { step: 'verify', outcome: 'passed' })).toBe(1);
    expect(metric(scraped, 'skills_registry_worker_jobs_total', { pool: 'audit' })).toBe(1);
    expect(metric(scraped, 'skills_registry_worker_jobs_total', { pool: 'sandbox' })).toBeGreaterThanOrEqual(1);
    expect(metric(scraped, 'skills_registry_cache_hits_total', { cache: 'packuments' })).toBe(5);
    expect(scraped).toContain('process_resident_memory_bytes');

    const main = await api('GET', '/-/metrics', { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(main.status).toBe(200);
    expect(metric(await main.text(), 'skills_registry_http_requests_total', { method: 'GET', route: '/-/metrics', status: '401' })).toBe(2);
    const after = await (await fetch(metricsUrl, { headers: { Authorization: `Bearer ${TOKEN}` } })).text();
    expect(metric(after, 'skills_registry_http_requests_total', { method: 'GET', route: '/-/metrics', status: '200' })).toBe(1);
    expect(total(after, 'skills_registry_http_requests_total')).toBe(21);
  });
});

describe('readiness over stores that fail', () => {
  let s3: S3Server;
  let pg: TestPostgres;
  let dir: string;
  beforeAll(async () => {
    [s3, pg, dir] = await Promise.all([startS3({ readOnly: true }), startPostgres(), tempDir('ready-stores')]);
  });
  afterAll(async () => {
    await s3.stop();
    await pg.stop();
  });

  const appOn = (storage: Storage) =>
    createApp({ storage, config: { healthCheckTimeoutMs: 10_000, healthProbeCacheMs: 0 }, verify: () => Promise.reject(new Error('nothing is published here')) });

  async function ready(app: ReturnType<typeof appOn>): Promise<{ status: number; failed: [string, string | null][] }> {
    const res = await app.request('/-/health/ready');
    const body = (await res.json()) as Readiness;
    return { status: res.status, failed: body.checks.filter((c) => !c.ok).map((c) => [c.name, c.code]) };
  }

  it('a blob store that refuses writes (a read-only bucket): 503, blobs EBLOBSTORE', async () => {
    const base = sqliteStorage(openDatabase(path.join(dir, 'registry.db')));
    const blobs = new S3BlobStore({ bucket: s3.bucket, prefix: s3.prefix, region: 'us-east-1', endpoint: s3.endpoint, credentials: s3.credentials });
    const storage: Storage = { ...base, blobs, close: async () => (await blobs.close(), await base.close()) };
    const app = appOn(storage);
    try {
      expect(await ready(app)).toEqual({ status: 503, failed: [['blobs', 'EBLOBSTORE']] });
    } finally {
      await app.close();
      await storage.close();
    }
  });

  it('a PostgreSQL server that went down: 503, database, migrations and blobs (in its table) EDBUNAVAILABLE', async () => {
    const storage = await openStorage({ file: path.join(dir, 'unused.db'), database: await pg.createDatabase() });
    const app = appOn(storage);
    try {
      expect(await ready(app)).toEqual({ status: 200, failed: [] });
      await pg.stop();
      const down = await ready(app);
      expect(down.status).toBe(503);
      expect(down.failed).toEqual([
        ['database', 'EDBUNAVAILABLE'],
        ['migrations', 'EDBUNAVAILABLE'],
        ['blobs', 'EDBUNAVAILABLE'],
      ]);
    } finally {
      await app.close();
      await storage.close();
    }
  });
});
