/**
 * Issue 26, health and metrics, in process: the liveness and readiness routes (each check passing,
 * and failing with its code: a database file made read-only, deleted or replaced, a schema of
 * another version, a full disk, a check that hangs, a worker pool that cannot start; the costly
 * probes reused, never run twice at once); the metrics off by default and, when on, only for the
 * metrics token (not for a registry token, an admin's included), never in the global registry, with
 * bounded label values under 10,000 distinct paths, and counting exactly what was asked of them;
 * the metrics port of a registry started on a real port; the [metrics] and [health] settings.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { register as globalRegistry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditPool } from '../registry-server/audit-pool';
import { SCHEMA_VERSION } from '../registry-server/db';
import type { CheckResult, Readiness } from '../registry-server/health';
import { routeLabel } from '../registry-server/metrics';
import { startRegistry } from '../registry-server/server';
import { resolveSettings, settingsReport, settingsText, startOptionsOf } from '../registry-server/settings';
import { SkillsError } from '../schema/errors';
import { WorkerPool } from '../sandbox/pool';
import { createTestRegistry, echoSkill, tarballOf, type TestRegistry } from '../testkit/registry';
import { tempDir } from '../testkit/temp';

const TOKEN = 'm'.repeat(40);
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition. */
function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1] ?? ''] = l[2] ?? '';
    samples.push({ name: m[1] ?? '', labels, value: Number(m[3]) });
  }
  return samples;
}

/** The value of the one sample of `name` with exactly `labels` (0 when there is none). */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === JSON.stringify(Object.entries(labels).sort()));
  if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} appears ${found.length} times`);
  return found[0]?.value ?? 0;
}

async function scrape(r: TestRegistry): Promise<Sample[]> {
  const res = await r.request('GET', '/-/metrics', { headers: bearer(TOKEN) });
  expect(res.status, await res.clone().text()).toBe(200);
  return parse(await res.text());
}

async function ready(r: TestRegistry): Promise<{ status: number; body: Readiness; cache: string | null }> {
  const res = await r.request('GET', '/-/health/ready');
  return { status: res.status, body: (await res.json()) as Readiness, cache: res.headers.get('Cache-Control') };
}

const check = (body: Readiness, name: CheckResult['name']): CheckResult => {
  const found = body.checks.find((c) => c.name === name);
  if (!found) throw new Error(`no ${name} check`);
  return found;
};

async function errorCode(res: Response): Promise<string> {
  return ((await res.json()) as { error: { code: string } }).error.code;
}

describe('health', () => {
  let r: TestRegistry;
  beforeAll(async () => {
    r = await createTestRegistry({ healthProbeCacheMs: 60_000 });
  });
  afterAll(async () => {
    await r.close();
  });

  it('liveness answers 200 and is never cached; readiness lists every check, 200 when all pass', async () => {
    const live = await r.request('GET', '/-/health/live');
    expect([live.status, await live.json(), live.headers.get('Cache-Control')]).toEqual([200, { live: true }, 'no-store']);
    const { status, body, cache } = await ready(r);
    expect([status, cache]).toEqual([200, 'no-store']);
    expect(body.ready).toBe(true);
    expect(body.checks.map((c) => [c.name, c.ok, c.code])).toEqual([
      ['database', true, null],
      ['migrations', true, null],
      ['blobs', true, null],
      ['sandbox', true, null],
      ['audit', true, null],
    ]);
    expect(check(body, 'database').message).toBe('the file is in place and writable; a write was rolled back');
    expect(check(body, 'migrations').message).toBe(`schema version ${SCHEMA_VERSION}, this registry's own`);
    expect(check(body, 'sandbox').message).toBe('runs in process (no worker pool)');
    // The probe's row was rolled back.
    expect(r.db.prepare("SELECT COUNT(*) AS n FROM used_versions WHERE name LIKE '-/%'").get()).toEqual({ n: 0 });
    // Unauthenticated: a token is not needed, and a bad one is not even read.
    expect((await r.request('GET', '/-/health/ready', { token: 'skr_nonsense' })).status).toBe(200);
  });

  it('a database file made read-only: 503, database EDBREADONLY; writable again: 200', async () => {
    const file = path.join(r.dir, 'registry.db');
    await fs.chmod(file, 0o444);
    try {
      const { status, body, cache } = await ready(r);
      expect([status, cache, body.ready]).toEqual([503, 'no-store', false]);
      expect(check(body, 'database')).toMatchObject({ ok: false, code: 'EDBREADONLY', message: expect.stringContaining(`the database file ${file} is read-only`) });
      expect(body.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['database']);
    } finally {
      await fs.chmod(file, 0o644);
    }
    expect((await ready(r)).status).toBe(200);
    // One line when it started failing, one when it passed again, not one per poll.
    const notes = r.logs.filter((l) => l.check === 'database').map((l) => [l.level, l.code]);
    expect(notes).toEqual([
      ['error', 'EDBREADONLY'],
      ['info', null],
    ]);
  });

  it('a database file deleted (or moved away) under the running registry: 503, EDBFILEGONE; replaced by another file: the same', async () => {
    const file = path.join(r.dir, 'registry.db');
    const away = path.join(r.dir, 'moved.db');
    await fs.rename(file, away);
    try {
      const { status, body } = await ready(r);
      expect(status).toBe(503);
      expect(check(body, 'database')).toMatchObject({ ok: false, code: 'EDBFILEGONE', message: expect.stringContaining('is gone (deleted or moved while the registry runs)') });
      await fs.copyFile(away, file);
      const replaced = await ready(r);
      expect(check(replaced.body, 'database')).toMatchObject({ ok: false, code: 'EDBFILEGONE', message: expect.stringContaining('was replaced by another file') });
    } finally {
      await fs.rename(away, file);
    }
    expect((await ready(r)).status).toBe(200);
  });

  it('a schema of another version: newer is EDBNEWER, older EDBSCHEMA', async () => {
    try {
      r.db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
      expect(check((await ready(r)).body, 'migrations')).toMatchObject({ ok: false, code: 'EDBNEWER' });
      r.db.pragma(`user_version = ${SCHEMA_VERSION - 1}`);
      const older = await ready(r);
      expect([older.status, check(older.body, 'migrations').code]).toEqual([503, 'EDBSCHEMA']);
    } finally {
      r.db.pragma(`user_version = ${SCHEMA_VERSION}`);
    }
    expect((await ready(r)).status).toBe(200);
  });

  it('a check that does not answer in time is ECHECKTIMEOUT; once the database answers, ready again', async () => {
    const slow = await createTestRegistry({ healthCheckTimeoutMs: 150, healthProbeCacheMs: 0 });
    try {
      let release = () => {};
      // A transaction that holds the one SQLite connection: the write probe waits behind it.
      const held = slow.storage.db.transaction(() => new Promise<void>((resolve) => (release = resolve)));
      const first = await ready(slow);
      expect(first.status).toBe(503);
      expect(check(first.body, 'database')).toMatchObject({ ok: false, code: 'ECHECKTIMEOUT', message: 'the database check did not answer within 150 ms' });
      expect(check(first.body, 'blobs').ok).toBe(false);
      const second = await ready(slow);
      expect(check(second.body, 'database').code).toBe('ECHECKTIMEOUT');
      release();
      await held;
      expect((await ready(slow)).status).toBe(200);
      // Concurrent callers share one run.
      expect(slow.app.health.ready()).toBe(slow.app.health.ready());
    } finally {
      await slow.close();
    }
  });

  it('less free disk than health.min_free_disk_bytes (the setting, from its variable): 503, EDBFULL', async () => {
    // The database's disk filling up (on SQLite the tarballs are in it too), without filling a disk.
    const { settings } = await resolveSettings({ cwd: '/', env: { SKILLS_REGISTRY_HEALTH_MIN_FREE_DISK_BYTES: String(Number.MAX_SAFE_INTEGER) }, flags: {} });
    const full = await createTestRegistry(startOptionsOf(settings).config);
    try {
      const { status, body } = await ready(full);
      expect(status).toBe(503);
      expect(check(body, 'database')).toMatchObject({ ok: false, code: 'EDBFULL', message: expect.stringMatching(/has \d+ bytes free, under the 9007199254740991 of health\.min_free_disk_bytes$/) });
    } finally {
      await full.close();
    }
  });

  it('worker pools: a worker started once and kept; a pool whose workers cannot load is 503, probed once per health.probe_cache_ms', async () => {
    const sandbox = new WorkerPool({ size: 2 });
    const audit = new AuditPool({ size: 1 });
    const pooled = await createTestRegistry({ metricsToken: TOKEN }, { workers: { sandbox, audit } });
    const missing = path.join(pooled.dir, 'no-such-worker.js');
    const broken = new WorkerPool({ size: 1, workerFile: missing });
    const cached = await createTestRegistry({ healthProbeCacheMs: 60_000 }, { workers: { sandbox: broken } });
    const uncachedPool = new WorkerPool({ size: 1, workerFile: missing });
    const uncached = await createTestRegistry({ healthProbeCacheMs: 0 }, { workers: { sandbox: uncachedPool } });
    try {
      const first = await ready(pooled);
      expect(first.status).toBe(200);
      expect([check(first.body, 'sandbox').message, check(first.body, 'audit').message]).toEqual(['a worker has started and loaded', 'a worker has started and loaded']);
      for (let i = 0; i < 3; i++) expect((await ready(pooled)).status).toBe(200);
      expect([sandbox.stats().started, audit.stats().started]).toEqual([1, 1]);
      const samples = await scrape(pooled);
      expect(value(samples, 'skills_registry_workers', { pool: 'sandbox', state: 'idle' })).toBe(1);
      expect(value(samples, 'skills_registry_workers_max', { pool: 'sandbox' })).toBe(2);
      expect(value(samples, 'skills_registry_worker_starts_total', { pool: 'audit' })).toBe(1);

      const down = await ready(cached);
      expect(down.status).toBe(503);
      expect(check(down.body, 'sandbox')).toMatchObject({ ok: false, code: 'ESANDBOXCRASH', message: expect.stringContaining('no sandbox worker could start: the worker failed:') });
      const again = await ready(cached);
      expect(check(again.body, 'sandbox')).toEqual({ ...check(down.body, 'sandbox'), ms: 0 });
      expect(broken.stats()).toMatchObject({ started: 1, workers: 0, failures: { error: 1 } });

      await ready(uncached);
      await ready(uncached);
      expect(uncachedPool.stats().started).toBe(2);
    } finally {
      await pooled.close();
      await cached.close();
      await uncached.close();
      await Promise.all([sandbox.close(), audit.close(), broken.close(), uncachedPool.close()]);
    }
    // A closed pool is not ready either.
    await expect(sandbox.probe(1000)).rejects.toMatchObject({ code: 'ESANDBOXCLOSED' });
  });
});

describe('metrics: who may read them', () => {
  let r: TestRegistry;
  let off: TestRegistry;
  beforeAll(async () => {
    r = await createTestRegistry({ metricsToken: TOKEN, authFailuresPerMinute: 7 });
    off = await createTestRegistry();
  });
  afterAll(async () => {
    await r.close();
    await off.close();
  });

  it('off unless configured: no /-/metrics route, and nothing is collected', async () => {
    expect(off.app.metrics).toBeUndefined();
    const res = await off.request('GET', '/-/metrics');
    expect([res.status, await errorCode(res)]).toEqual([404, 'ENOTFOUND']);
  });

  it('a scrape without the token, with a wrong one, with an admin registry token, or the token elsewhere: 401 EMETRICSTOKEN, no data', async () => {
    const attempts: [string, Record<string, string>][] = [
      ['/-/metrics', {}],
      ['/-/metrics', bearer('x'.repeat(40))],
      ['/-/metrics', bearer(`${TOKEN}x`)],
      ['/-/metrics', bearer(r.admin)],
      ['/-/metrics', { Authorization: `Basic ${Buffer.from(`metrics:${TOKEN}`).toString('base64')}` }],
      [`/-/metrics?token=${TOKEN}`, {}],
    ];
    for (const [url, headers] of attempts) {
      const res = await r.request('GET', url, { headers });
      const text = await res.text();
      expect([res.status, (JSON.parse(text) as { error: { code: string } }).error.code], JSON.stringify(headers)).toEqual([401, 'EMETRICSTOKEN']);
      expect(res.headers.get('WWW-Authenticate')).toBe('Bearer realm="metrics"');
      expect(text).not.toContain('skills_registry_');
    }
    const res = await r.request('GET', '/-/metrics', { headers: bearer(TOKEN) });
    expect([res.status, res.headers.get('Content-Type'), res.headers.get('Cache-Control')]).toEqual([200, 'text/plain; version=0.0.4; charset=utf-8', 'no-store']);
    const text = await res.text();
    expect(text).toContain('# TYPE skills_registry_http_requests_total counter');
    expect(text).toContain('# TYPE skills_registry_http_request_duration_seconds histogram');
    // Every refusal counts as a failed authentication: at the seventh the address is refused, even with the token.
    expect((await r.request('GET', '/-/metrics')).status).toBe(401);
    const flooded = await r.request('GET', '/-/metrics', { headers: bearer(TOKEN) });
    expect([flooded.status, await errorCode(flooded)]).toEqual([429, 'ERATELIMITED']);
  });

  it('never in prom-client\'s global registry: two apps in one process keep their own counts', async () => {
    const a = await createTestRegistry({ metricsToken: TOKEN });
    const b = await createTestRegistry({ metricsToken: TOKEN });
    try {
      for (let i = 0; i < 5; i++) await a.request('GET', '/-/ping');
      const ping = { method: 'GET', route: '/-/ping', status: '200' };
      expect(value(await scrape(a), 'skills_registry_http_requests_total', ping)).toBe(5);
      expect(value(await scrape(b), 'skills_registry_http_requests_total', ping)).toBe(0);
      expect(await globalRegistry.metrics()).not.toContain('skills_registry_');
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('metrics: label cardinality', () => {
  it('10,000 requests to distinct unknown paths (and known routes with distinct names, odd methods) leave the series bounded', async () => {
    const r = await createTestRegistry({ metricsToken: TOKEN });
    try {
      for (let i = 0; i < 10_000; i++) expect((await r.request('GET', `/no-such-${i}/${'x'.repeat(i % 50)}`)).status).toBe(404);
      for (let i = 0; i < 500; i++) await r.request('GET', `/v1/skills/@acme/missing-${i}`);
      for (const method of ['PROPFIND', 'BREW', 'M-SEARCH']) await r.request(method, `/v1/skills/@acme/${method}`);
      const samples = await scrape(r);
      const requests = samples.filter((s) => s.name === 'skills_registry_http_requests_total');
      expect(value(samples, 'skills_registry_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' })).toBe(10_000);
      expect(value(samples, 'skills_registry_http_requests_total', { method: 'GET', route: '/v1/skills/:scope/:name', status: '404' })).toBe(500);
      expect(value(samples, 'skills_registry_http_requests_total', { method: 'other', route: 'unmatched', status: '404' })).toBe(3);
      // The setup's POSTs (users, teams, members, scopes, tokens), and the three kinds above.
      expect(requests.length).toBeLessThanOrEqual(10);
      expect(new Set(samples.map((s) => s.labels.route).filter((x) => x !== undefined)).size).toBeLessThanOrEqual(10);
      expect(samples.length).toBeLessThan(700);
    } finally {
      await r.close();
    }
  });

  it('a route is labelled by its pattern without regular expressions', () => {
    expect(routeLabel('/v1/skills/:scope{@[^/]+}/:name')).toBe('/v1/skills/:scope/:name');
    expect(routeLabel('/:scope{@[a-z0-9]+(?:-[a-z0-9]+)*}/:name/v/:version/files/:path{.+}')).toBe('/:scope/:name/v/:version/files/:path');
    expect(routeLabel('/a/:id{[0-9]{1,3}}')).toBe('/a/:id');
  });
});

describe('metrics: exact counts', () => {
  it('after a known number of requests of each kind, every count is exactly that', async () => {
    const r = await createTestRegistry({ metricsToken: TOKEN, publishesPerMinute: 3 });
    try {
      const publish = async (name: string, status: number) => {
        const res = await r.request('PUT', `/v1/skills/${name}`, { token: r.alice, body: await tarballOf(echoSkill(name)) });
        expect(res.status, await res.clone().text()).toBe(status);
      };
      await publish('@acme/one', 201);
      await publish('@acme/one', 409);
      await publish('@acme/two', 201);
      await publish('@acme/three', 429);
      for (let i = 0; i < 5; i++) expect((await r.request('GET', '/-/ping')).status).toBe(200);
      for (let i = 0; i < 7; i++) expect((await r.request('GET', '/v1/skills/@acme/one')).status).toBe(200);
      for (let i = 0; i < 3; i++) expect((await r.request('GET', '/v1/skills/@acme/one/-/one-1.0.0.tgz')).status).toBe(200);
      for (let i = 0; i < 4; i++) expect((await r.request('GET', `/nope-${i}`)).status).toBe(404);
      for (let i = 0; i < 2; i++) expect((await r.request('GET', '/-/whoami', { token: 'skr_AAAAAAAAAAAAAAAA_bogusbogus' })).status).toBe(401);
      for (let i = 0; i < 2; i++) expect((await r.request('GET', '/v1/search?q=greeting')).status).toBe(200);
      await scrape(r);
      const samples = await scrape(r);

      const requests = (method: string, route: string, status: number) => value(samples, 'skills_registry_http_requests_total', { method, route, status: String(status) });
      const skill = '/v1/skills/:scope/:name';
      expect([requests('PUT', skill, 201), requests('PUT', skill, 409), requests('PUT', skill, 429)]).toEqual([2, 1, 1]);
      expect(requests('GET', '/-/ping', 200)).toBe(5);
      expect(requests('GET', skill, 200)).toBe(7);
      expect(requests('GET', '/v1/skills/:scope/:name/-/:file', 200)).toBe(3);
      expect(requests('GET', 'unmatched', 404)).toBe(4);
      expect(requests('GET', '/-/whoami', 401)).toBe(2);
      expect(requests('GET', '/v1/search', 200)).toBe(2);
      // The first scrape is counted by the second, not by itself.
      expect(requests('GET', '/-/metrics', 200)).toBe(1);
      // Everything, with the setup's 8 requests (users, team, member, scopes, tokens).
      const total = samples.filter((s) => s.name === 'skills_registry_http_requests_total').reduce((n, s) => n + s.value, 0);
      expect(total).toBe(8 + 4 + 5 + 7 + 3 + 4 + 2 + 2 + 1);
      expect(value(samples, 'skills_registry_http_request_duration_seconds_count', { method: 'GET', route: skill })).toBe(7);
      const pingBuckets = samples.filter((x) => x.name === 'skills_registry_http_request_duration_seconds_bucket' && x.labels.route === '/-/ping').map((x) => x.value);
      expect(pingBuckets).toHaveLength(16);
      expect(pingBuckets.every((n, i) => i === 0 || n >= (pingBuckets[i - 1] ?? 0))).toBe(true);
      expect(pingBuckets.at(-1)).toBe(5);
      expect(value(samples, 'skills_registry_http_request_duration_seconds_bucket', { method: 'GET', route: '/-/ping', le: '+Inf' })).toBe(5);
      expect(value(samples, 'skills_registry_http_request_duration_seconds_sum', { method: 'GET', route: '/-/ping' })).toBeGreaterThan(0);
      expect(value(samples, 'skills_registry_http_requests_in_flight')).toBe(1);

      expect(value(samples, 'skills_registry_publishes_total', { outcome: 'published' })).toBe(2);
      expect(value(samples, 'skills_registry_publishes_total', { outcome: 'EVERSIONEXISTS' })).toBe(1);
      expect(value(samples, 'skills_registry_publishes_total', { outcome: 'ERATELIMITED' })).toBe(1);
      expect(value(samples, 'skills_registry_rate_limited_total', { limit: 'publish' })).toBe(1);
      // The version that existed was refused before its audit.
      expect(value(samples, 'skills_registry_publish_step_duration_seconds_count', { step: 'audit', outcome: 'passed' })).toBe(2);
      expect(value(samples, 'skills_registry_publish_step_duration_seconds_count', { step: 'verify', outcome: 'passed' })).toBe(2);

      // Packuments: the first read missed, the six after it hit; tarballs: one miss, two hits; search: one each.
      const cache = (metric: string, name: string) => value(samples, `skills_registry_cache_${metric}`, { cache: name });
      expect([cache('misses_total', 'packuments'), cache('hits_total', 'packuments')]).toEqual([1, 6]);
      expect([cache('misses_total', 'tarballs'), cache('hits_total', 'tarballs')]).toEqual([1, 2]);
      expect([cache('misses_total', 'search'), cache('hits_total', 'search')]).toEqual([1, 1]);
      expect(cache('bytes', 'packuments')).toBeGreaterThan(0);
      expect([cache('entries', 'packuments'), cache('entries', 'tarballs')]).toEqual([1, 1]);
      expect(value(samples, 'skills_registry_db_query_duration_seconds_count', { op: 'transaction' })).toBeGreaterThanOrEqual(2);
      expect(value(samples, 'skills_registry_db_query_duration_seconds_count', { op: 'get' })).toBeGreaterThan(0);
    } finally {
      await r.close();
    }
  });
});

describe('a registry on a real port: the metrics port', () => {
  it('answers GET /metrics there (with the token when one is set), nothing else; the main port serves /-/metrics with the token', async () => {
    const dir = await tempDir('metrics-port');
    const running = await startRegistry({ port: 0, db: path.join(dir, 'registry.db'), workers: 1, metrics: { port: 0 }, config: { metricsToken: TOKEN } });
    try {
      const url = running.metricsUrl ?? '';
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const refused = await fetch(url);
      expect([refused.status, ((await refused.json()) as { error: { code: string } }).error.code]).toEqual([401, 'EMETRICSTOKEN']);
      expect((await fetch(url.replace(/\/metrics$/, '/other'), { headers: bearer(TOKEN) })).status).toBe(404);
      expect((await fetch(`${running.url}/-/health/ready`)).status).toBe(200);
      const text = await (await fetch(url, { headers: bearer(TOKEN) })).text();
      const samples = parse(text);
      expect(value(samples, 'skills_registry_http_requests_total', { method: 'GET', route: '/-/health/ready', status: '200' })).toBe(1);
      // The process's own metrics, and the real pools.
      expect(text).toContain('process_cpu_user_seconds_total');
      expect(value(samples, 'skills_registry_workers', { pool: 'audit', state: 'idle' })).toBe(1);
      const main = await fetch(`${running.url}/-/metrics`, { headers: bearer(TOKEN) });
      expect(main.status).toBe(200);
    } finally {
      await running.close();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the [metrics] and [health] settings', () => {
  const env = (extra: NodeJS.ProcessEnv) => resolveSettings({ cwd: '/', env: extra, flags: {} });
  const refusal = async (promise: Promise<unknown>) => promise.then(() => undefined, (e: unknown) => e as SkillsError);

  it('off by default; the token is a secret, printed as ***; the settings reach the registry', async () => {
    const defaults = await env({});
    expect(defaults.settings.metrics).toEqual({ port: undefined, host: '127.0.0.1', token: undefined });
    expect('metrics' in startOptionsOf(defaults.settings)).toBe(false);
    expect(startOptionsOf(defaults.settings).config.metricsToken).toBeUndefined();
    const token = 'a1'.repeat(32);
    const on = await env({ SKILLS_REGISTRY_METRICS_TOKEN: token, SKILLS_REGISTRY_METRICS_PORT: '9464', SKILLS_REGISTRY_HEALTH_PROBE_CACHE_MS: '1000' });
    const start = startOptionsOf(on.settings);
    expect([start.metrics, start.config.metricsToken, start.config.healthProbeCacheMs]).toEqual([{ port: 9464, host: '127.0.0.1' }, token, 1000]);
    expect(settingsReport(on).settings['metrics.token']).toEqual({ value: '***', source: 'env', variable: 'SKILLS_REGISTRY_METRICS_TOKEN' });
    const text = settingsText(on);
    expect(text).toContain('token = "***"');
    expect(JSON.stringify(settingsReport(on)) + text).not.toContain(token);
  });

  it('a short token, a token with spaces, or metrics reachable from other machines without one: ECONFIGVALUE', async () => {
    for (const bad of ['short', `${'a'.repeat(20)} ${'b'.repeat(20)}`]) {
      expect((await refusal(env({ SKILLS_REGISTRY_METRICS_TOKEN: bad })))?.code).toBe('ECONFIGVALUE');
    }
    const open = await refusal(env({ SKILLS_REGISTRY_METRICS_PORT: '9464', SKILLS_REGISTRY_METRICS_HOST: '0.0.0.0' }));
    expect([open?.code, open?.message]).toEqual(['ECONFIGVALUE', 'env SKILLS_REGISTRY_METRICS_HOST: metrics.host "0.0.0.0" is reachable from other machines, and metrics.token is not set: the metrics would be public']);
    const guarded = await env({ SKILLS_REGISTRY_METRICS_PORT: '9464', SKILLS_REGISTRY_METRICS_HOST: '0.0.0.0', SKILLS_REGISTRY_METRICS_TOKEN: 'z'.repeat(32) });
    expect(startOptionsOf(guarded.settings).metrics).toEqual({ port: 9464, host: '0.0.0.0' });
    expect((await env({ SKILLS_REGISTRY_METRICS_PORT: '9464', SKILLS_REGISTRY_METRICS_HOST: '127.0.0.2' })).settings.metrics.host).toBe('127.0.0.2');
  });
});
