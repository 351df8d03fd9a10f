/**
 * The registry's logs from a real `skills serve` process (two processes, ~3 s): tokens and a web
 * session sent every way a client can send them reach no line of its log file, and a stop signal
 * in the middle of a burst of requests loses the line of none answered (SIGTERM to a file, SIGINT
 * to stdout).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretLeaks } from '../testkit/logs';
import { serveRegistry, type ServedRegistry } from '../testkit/serve';
import { tempDir } from '../testkit/temp';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('request-log-serve');
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

type Line = Record<string, unknown>;
const BURST = 100;

/**
 * Sends `count` requests at once (a secret in each query string) and the stop `signal` as soon as
 * a quarter of them are answered, so the rest are in flight while the registry stops. Returns the
 * ids of those answered (some of the others may be refused once it stops listening).
 */
async function burst(served: ServedRegistry, count: number, secret: string, signal: NodeJS.Signals): Promise<string[]> {
  let answered = 0;
  const answers = await Promise.allSettled(
    Array.from({ length: count }, async (_, i) => {
      const res = await fetch(`${served.url}/${i % 2 ? '-/ping' : 'v1/search'}?q=${secret}`);
      if (++answered === count / 4) served.signal(signal);
      await res.arrayBuffer();
      return res.headers.get('X-Request-Id') ?? '';
    }),
  );
  const ids = answers.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
  expect(ids.length).toBeGreaterThanOrEqual(count / 4);
  return ids;
}

/** The request lines of `text` by request id, each id's count. */
function requestIds(lines: Line[]): Map<string, number> {
  const ids = new Map<string, number>();
  for (const line of lines) if (line.method !== undefined) ids.set(line.reqId as string, (ids.get(line.reqId as string) ?? 0) + 1);
  return ids;
}

const parse = (text: string): Line[] =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line);

describe('skills serve: logs', () => {
  it('--log <file>: tokens and a session sent every way appear in no line of the 0600 file; SIGTERM amid a burst loses the line of no answered request', async () => {
    const file = path.join(dir, 'registry.log');
    const served = await serveRegistry(['--log', file]);
    const admin = served.adminToken;
    const api = (method: string, url: string, init: { token?: string; body?: string; headers?: Record<string, string> } = {}) =>
      fetch(`${served.url}${url}`, {
        method,
        redirect: 'manual',
        headers: { ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}), ...(init.body?.startsWith('{') ? { 'Content-Type': 'application/json' } : {}), ...init.headers },
        ...(init.body === undefined ? {} : { body: init.body }),
      });
    const ids: string[] = [];
    const sent = async (res: Promise<Response>) => {
      const answer = await res;
      ids.push(answer.headers.get('X-Request-Id') ?? '');
      return answer;
    };
    expect((await sent(api('POST', '/v1/users', { token: admin, body: '{"name":"alice"}' }))).status).toBe(201);
    const alice = ((await (await sent(api('POST', '/v1/tokens', { token: admin, body: '{"user":"alice","permission":"read"}' }))).json()) as { token: string }).token;
    const revoked = ((await (await sent(api('POST', '/v1/tokens', { token: admin, body: '{"user":"alice","permission":"read"}' }))).json()) as { token: string }).token;
    expect((await sent(api('DELETE', `/v1/tokens/${revoked.slice(4, 20)}`, { token: admin }))).status).toBe(200);
    const bogus = `skr_${'Q'.repeat(16)}_${randomBytes(32).toString('base64url')}`;

    const HTML = { Accept: 'text/html' };
    const form = await sent(api('GET', '/sign-in', { headers: HTML }));
    const anon = /skills_csrf=([^;]+)/.exec(form.headers.getSetCookie().join('\n'))?.[1] ?? '';
    const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
    const signIn = await sent(
      api('POST', '/sign-in', { headers: { ...HTML, 'Content-Type': 'application/x-www-form-urlencoded', Cookie: `skills_csrf=${anon}`, Origin: served.url }, body: new URLSearchParams({ csrf, next: '/', token: alice }).toString() }),
    );
    expect(signIn.status).toBe(303);
    const session = /skills_session=([^;]+)/.exec(signIn.headers.getSetCookie().join('\n'))?.[1] ?? '';
    expect(session).toHaveLength(43);

    const statuses: number[] = [];
    // The first request below is alice's whoami: its line is checked field by field.
    const aliceWhoami = ids.length;
    for (const [method, url, init] of [
      ['GET', '/-/whoami', { token: alice }],
      ['GET', '/-/whoami', { token: revoked }],
      ['GET', '/-/whoami', { token: bogus }],
      ['GET', '/', { headers: { ...HTML, Cookie: `skills_session=${session}` } }],
      ['GET', `/-/whoami?access_token=${alice}`, {}],
      ['GET', `/-/whoami/${admin}`, {}],
      ['GET', `/${session}`, { headers: HTML }],
      ['POST', '/v1/tokens', { token: alice, body: JSON.stringify({ permission: 'read', description: admin }) }],
      ['GET', '/-/ping', { headers: { 'X-Request-Id': session } }],
    ] as const) {
      const res = await sent(api(method, url, init));
      await res.arrayBuffer();
      statuses.push(res.status);
    }
    expect(statuses).toEqual([200, 401, 401, 200, 401, 404, 404, 403, 200]);
    ids.push(...(await burst(served, BURST, session, 'SIGTERM')));
    expect(await served.stop()).toBe(0);

    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    const text = await fs.readFile(file, 'utf8');
    const lines = parse(text);
    const logged = requestIds(lines);
    expect(ids.filter((id) => logged.get(id) !== 1)).toEqual([]);
    expect(lines.find((l) => l.reqId === ids[aliceWhoami])).toMatchObject({ user: 'alice', token: alice.slice(4, 20), ip: '127.0.0.1', bytes: expect.any(Number) });
    expect(secretLeaks(text.split('\n'), [admin, alice, revoked, bogus, session, anon, csrf])).toEqual([]);
    expect(served.stderr()).toBe('');
  });

  it('log.requests "stdout" on a pipe: JSON after the ready line and before the stopped line; SIGINT amid a burst loses the line of no answered request', async () => {
    const served = await serveRegistry([], { env: { SKILLS_REGISTRY_LOG_REQUESTS: 'stdout' } });
    expect(served.ready.requestLog).toBe('stdout');
    const ids = await burst(served, BURST, 'nothing-secret', 'SIGINT');
    expect(await served.stop()).toBe(0);
    const lines = parse(served.stdout());
    expect(lines[0]).toMatchObject({ event: 'ready' });
    expect(lines.at(-1)).toMatchObject({ event: 'stopped', signal: 'SIGINT' });
    const logged = requestIds(lines.slice(1, -1));
    expect(ids.filter((id) => logged.get(id) !== 1)).toEqual([]);
    expect(lines.slice(1, -1).every((l) => l.level === 'info' && typeof l.time === 'string')).toBe(true);
    expect(served.stderr()).toBe('');
  });
});
