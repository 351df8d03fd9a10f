/**
 * Bounded bodies and bounded answers (issue 11, item 7): every request body has a limit that is
 * enforced while it streams in, JSON bodies have a nesting limit, and a refused upload gets a
 * capped report after a capped amount of sandbox work (first failure, a time budget, a case count).
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InProcessRunner } from '../sandbox/pool';
import { verifySkill } from '../sandbox/verify';
import { dumpDb } from '../testkit/db-dump';
import { createTestRegistry, echoSkill, tarballOf, type TestRegistry } from '../testkit/registry';
import { skillFiles } from '../testkit/skill-files';
import { liveRegistry, type LiveRegistry } from '../testkit/workspace';

let r: TestRegistry;
let live: LiveRegistry;
beforeAll(async () => {
  r = await createTestRegistry({ maxJsonBodyBytes: 64 * 1024, maxVerifyCases: 40, reportExcerptBytes: 1024, maxReportBytes: 64 * 1024 });
  live = await liveRegistry(['@acme']);
  expect((await r.request('PUT', '/v1/skills/@acme/hello', { token: r.alice, body: await tarballOf(echoSkill('@acme/hello')) })).status).toBe(201);
});
afterAll(async () => {
  await r.close();
  await live.close();
});

/** A body that streams `total` bytes in 64 KiB chunks, counting how many the server pulled. */
function countingBody(total: number, fill = 0x20): { stream: ReadableStream<Uint8Array>; pulled: () => number } {
  const chunk = new Uint8Array(64 * 1024).fill(fill);
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= total) {
        controller.close();
        return;
      }
      sent += chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
  return { stream, pulled: () => sent };
}

async function codeOf(res: Response): Promise<string> {
  return ((await res.json()) as { error: { code: string } }).error.code;
}

describe('request bodies are bounded while they stream', () => {
  for (const [method, url] of [
    ['POST', '/v1/tokens'],
    ['POST', '/v1/teams/acme/members'],
    ['PUT', '/v1/skills/@acme/hello/dist-tags/beta'],
    ['POST', '/mcp'],
  ] as const) {
    it(`${method} ${url}: a 32 MiB streamed body is refused with 413 after reading little more than the limit`, async () => {
      await r.settle();
      const before = dumpDb(r.db);
      const body = countingBody(32 * 1024 * 1024);
      const res = await r.app.request(url, {
        method,
        headers: { Authorization: `Bearer ${r.admin}`, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
        body: body.stream,
        duplex: 'half',
      } as RequestInit);
      expect([res.status, await codeOf(res)]).toEqual([413, 'EPAYLOADTOOLARGE']);
      expect(res.headers.get('Connection')).toBe('close');
      expect(body.pulled()).toBeLessThanOrEqual(64 * 1024 * 3);
      expect(dumpDb(r.db)).toBe(before);
    });
  }

  it('a publish token streaming a huge JSON body to POST /v1/tokens gets 413 (read tokens are refused before any body is read)', async () => {
    const body = countingBody(32 * 1024 * 1024);
    const res = await r.app.request('/v1/tokens', { method: 'POST', headers: { Authorization: `Bearer ${r.alice}`, 'Content-Type': 'application/json' }, body: body.stream, duplex: 'half' } as RequestInit);
    expect([res.status, await codeOf(res)]).toEqual([413, 'EPAYLOADTOOLARGE']);
    expect(body.pulled()).toBeLessThanOrEqual(64 * 1024 * 3);
  });

  it('a publish into a scope the token may not publish to is refused before the upload is read', async () => {
    const bob = (await (await r.request('POST', '/v1/tokens', { token: r.admin, body: { user: 'bob', permission: 'publish' } })).json()) as { token: string };
    for (const [url, expected] of [
      ['/v1/skills/@secret/x', [404, 'ESCOPENOTFOUND']],
      ['/v1/skills/@acme/x', [403, 'ESCOPEFORBIDDEN']],
    ] as const) {
      const body = countingBody(8 * 1024 * 1024);
      const res = await r.app.request(url, { method: 'PUT', headers: { Authorization: `Bearer ${bob.token}` }, body: body.stream, duplex: 'half' } as RequestInit);
      expect([res.status, await codeOf(res)]).toEqual(expected);
      expect(body.pulled()).toBeLessThanOrEqual(64 * 1024 * 2);
    }
  });

  it('nesting deeper than the limit is refused before parsing, on JSON routes and /mcp', async () => {
    const deep = `{"permission":"read","description":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    const res = await r.request('POST', '/v1/tokens', { token: r.alice, body: deep, headers: { 'Content-Type': 'application/json' } });
    expect([res.status, await codeOf(res)]).toEqual([400, 'EBODYDEPTH']);
    const mcp = await r.request('POST', '/mcp', {
      body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search_skills","arguments":{"query":"x","deep":${'{"a":'.repeat(100)}1${'}'.repeat(100)}}}}`,
      headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
    });
    expect([mcp.status, await codeOf(mcp)]).toEqual([400, 'EBODYDEPTH']);
    // Brackets inside strings are text, not nesting.
    const inString = await r.request('POST', '/v1/tokens', { token: r.alice, body: { permission: 'read', description: '['.repeat(150) } });
    expect(inString.status).toBe(201);
  });

  it('a real server answers 413 to a declared length over the limit without waiting for the body, on every route', async () => {
    const url = new URL(live.registry.url);
    for (const [method, path, length] of [
      ['POST', '/v1/tokens', 200 * 1024 * 1024],
      ['POST', '/v1/skills/@acme/x/versions/1.0.0/yank', 1024 * 1024],
      ['GET', '/v1/search?q=x', 1024 * 1024],
      ['PUT', '/v1/skills/@acme/x', 200 * 1024 * 1024],
    ] as const) {
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request({ host: url.hostname, port: url.port, method, path, headers: { 'Content-Type': 'application/json', 'Content-Length': String(length), Authorization: `Bearer ${live.admin}` } }, (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (d: string) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        });
        req.on('error', reject);
        // Send a first slice and never the rest: the answer must not wait for it.
        req.write(Buffer.alloc(1024, 0x20));
      });
      expect(answer.status, `${method} ${path}`).toBe(413);
      expect((JSON.parse(answer.body) as { error: { code: string } }).error.code).toBe('EPAYLOADTOOLARGE');
    }
  });
});

/** A skill whose every case fails with a large wrong value and a lot of console output. */
function loudFailures(name: string, cases: number) {
  const fixtures: Record<string, { call: { export: string; args: unknown[] }; expect: { returns: unknown } }> = {};
  for (let i = 0; i < cases; i++) fixtures[`case-${String(i).padStart(3, '0')}`] = { call: { export: 'run', args: [] }, expect: { returns: 'nope' } };
  return skillFiles({
    name,
    scope: '@acme',
    code: "export function run() { for (let i = 0; i < 50; i++) console.log('y'.repeat(1000)); return 'x'.repeat(500000); }",
    fixtures,
  });
}

describe('a refused upload costs bounded work and gets a bounded report', () => {
  it('stops at the first failed case and caps every excerpt and the whole report', async () => {
    await r.settle();
    const before = dumpDb(r.db);
    const res = await r.request('PUT', '/v1/skills/@acme/loud', { token: r.alice, body: await tarballOf(loudFailures('loud', 30)) });
    const text = await res.text();
    expect(res.status).toBe(422);
    expect(text.length).toBeLessThan(80 * 1024);
    const report = (JSON.parse(text) as { error: { code: string; details: { report: { cases: { code: string; returned?: unknown; returnedExcerpt?: string; truncated?: boolean }[]; notRun: number; stopped: string; casesOmitted: number } } } }).error;
    expect(report.code).toBe('EVERIFICATIONFAILED');
    // One case at a time in-process: the first failure stops the rest.
    expect(report.details.report.cases).toHaveLength(1);
    expect(report.details.report).toMatchObject({ notRun: 29, stopped: 'failed', casesOmitted: 0 });
    const [first] = report.details.report.cases;
    expect(first).toMatchObject({ code: 'EWRONGRETURN', truncated: true });
    expect(first?.returned).toBeUndefined();
    expect(first?.returnedExcerpt?.length).toBeLessThanOrEqual(1024);
    expect(dumpDb(r.db)).toBe(before);
  });

  it('refuses more fixtures than the registry verifies per upload, before running any', async () => {
    const res = await r.request('PUT', '/v1/skills/@acme/many', { token: r.alice, body: await tarballOf(loudFailures('many', 41)) });
    expect([res.status, await codeOf(res)]).toEqual([422, 'ETOOMANYFIXTURES']);
  });

  it('stops a case that would outlast the time budget with EVERIFYBUDGET', async () => {
    const tight = await createTestRegistry({ verifyBudgetMs: 300 });
    try {
      const files = skillFiles({ name: 'spin', scope: '@acme', code: 'export function run() { for (;;) {} }', fixtures: { a: { call: { export: 'run', args: [] }, expect: { returns: 1 } } } });
      const started = performance.now();
      const res = await tight.request('PUT', '/v1/skills/@acme/spin', { token: tight.alice, body: await tarballOf(files) });
      expect([res.status, await codeOf(res)]).toEqual([422, 'EVERIFYBUDGET']);
      // The budget, not the 1 s case limit, ended it (with room for a loaded machine).
      expect(performance.now() - started).toBeLessThan(30_000);
    } finally {
      await tight.close();
    }
  });

  it('a local verification (skills verify) still runs every case', async () => {
    const runner = new InProcessRunner();
    try {
      const report = await verifySkill({ files: loudFailures('loud', 3) }, { runner });
      expect(report).toMatchObject({ ok: false, failed: 3, notRun: 0 });
      expect(report.stopped).toBeUndefined();
    } finally {
      await runner.close();
    }
  });
});

describe('rate limits answer 429 ERATELIMITED with Retry-After and change nothing', () => {
  it('publishes per token per minute', async () => {
    const limited = await createTestRegistry({ publishesPerMinute: 2 });
    try {
      for (const v of ['1.0.0', '1.0.1']) expect((await limited.request('PUT', '/v1/skills/@acme/rl', { token: limited.alice, body: await tarballOf(echoSkill('@acme/rl', v)) })).status).toBe(201);
      await limited.settle();
      const before = dumpDb(limited.db);
      const third = await limited.request('PUT', '/v1/skills/@acme/rl', { token: limited.alice, body: await tarballOf(echoSkill('@acme/rl', '1.0.2')) });
      expect([third.status, await codeOf(third)]).toEqual([429, 'ERATELIMITED']);
      const retry = Number(third.headers.get('Retry-After'));
      expect(retry).toBeGreaterThanOrEqual(1);
      expect(retry).toBeLessThanOrEqual(60);
      expect(dumpDb(limited.db)).toBe(before);
      // Another token has its own budget.
      expect((await limited.request('PUT', '/v1/skills/@acme/rl', { token: limited.admin, body: await tarballOf(echoSkill('@acme/rl', '1.0.3')) })).status).toBe(201);
    } finally {
      await limited.close();
    }
  });

  it('failed authentications per address per minute: then even a valid token waits', async () => {
    const limited = await createTestRegistry({ authFailuresPerMinute: 3 });
    try {
      for (let i = 0; i < 3; i++) {
        const bad = await limited.request('GET', '/-/whoami', { token: `skr_${'A'.repeat(16)}_${'b'.repeat(43)}` });
        expect([bad.status, await codeOf(bad)]).toEqual([401, 'ETOKENINVALID']);
      }
      await limited.settle();
      const before = dumpDb(limited.db);
      for (const token of [`skr_${'A'.repeat(16)}_${'b'.repeat(43)}`, limited.alice]) {
        const res = await limited.request('GET', '/-/whoami', { token });
        expect([res.status, await codeOf(res)]).toEqual([429, 'ERATELIMITED']);
        expect(Number(res.headers.get('Retry-After'))).toBeGreaterThanOrEqual(1);
      }
      expect(dumpDb(limited.db)).toBe(before);
      // Requests without a token are not authentication attempts.
      expect((await limited.request('GET', '/v1/search?q=x')).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
