/**
 * Dependencies at publish (issue 11, degraded items): the registry verifies against the versions
 * the install resolver would choose, refuses a public skill that depends on a private one, answers
 * a dependency it cannot show like a missing one, and refuses paths no install can write.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PackageFile } from '../schema/package-files';
import { dumpDb } from '../testkit/db-dump';
import { createTestRegistry, tarballOf, type TestRegistry } from '../testkit/registry';
import { skillFiles } from '../testkit/skill-files';

let r: TestRegistry;
let bob: string;

function skill(full: string, version: string, options: { dependencies?: Record<string, string>; code?: string; returns?: unknown; extra?: Record<string, string> } = {}): PackageFile[] {
  const [scope, name] = full.split('/') as [string, string];
  return skillFiles({
    name,
    scope,
    version,
    dependencies: options.dependencies ?? {},
    code: options.code ?? `export const VERSION = '${version}';\nexport function version() { return VERSION; }`,
    fixtures: { basic: { call: { export: 'version', args: [] }, expect: { returns: options.returns ?? version } } },
    ...(options.extra ? { extraFiles: options.extra } : {}),
  });
}

async function put(token: string, files: PackageFile[]): Promise<Response> {
  const manifest = JSON.parse(new TextDecoder().decode(files.find((f) => f.path === 'skill.json')?.bytes)) as { name: string };
  return r.request('PUT', `/v1/skills/${manifest.name}`, { token, body: await tarballOf(files) });
}

async function ok(token: string, files: PackageFile[]): Promise<void> {
  const res = await put(token, files);
  if (res.status !== 201) throw new Error(`setup publish: ${res.status} ${await res.text()}`);
}

/** Publishes and expects a refusal with this status and code that changed no row. */
async function refused(token: string, files: PackageFile[], status: number, code: string): Promise<{ code: string; message: string; details?: { problems?: { code: string }[] } }> {
  await r.settle();
  const before = dumpDb(r.db);
  const res = await put(token, files);
  const body = (await res.json()) as { error: { code: string; message: string; details?: { problems?: { code: string }[] } } };
  expect({ status: res.status, code: body.error?.code }, JSON.stringify(body)).toEqual({ status, code });
  expect(dumpDb(r.db)).toBe(before);
  return body.error;
}

beforeAll(async () => {
  r = await createTestRegistry({ authFailuresPerMinute: 10_000, publishesPerMinute: 10_000 });
  const admin = async (method: string, url: string, body: object) => {
    const res = await r.request(method, url, { token: r.admin, body });
    if (res.status >= 300) throw new Error(`setup: ${res.status} ${await res.text()}`);
    return (await res.json()) as Record<string, unknown>;
  };
  await admin('POST', '/v1/teams', { name: 'other' });
  await admin('POST', '/v1/scopes', { name: '@vault', team: 'other', private: true });
  await admin('POST', '/v1/teams', { name: 'bobs' });
  await admin('POST', '/v1/teams/bobs/members', { user: 'bob', role: 'owner' });
  await admin('POST', '/v1/scopes', { name: '@bob', team: 'bobs' });
  bob = (await admin('POST', '/v1/tokens', { user: 'bob', permission: 'publish' })).token as string;
  await ok(r.alice, skill('@secret/base', '1.0.0'));
  await ok(r.admin, skill('@vault/base', '1.0.0'));
  await ok(r.alice, skill('@acme/b', '1.0.0'));
  await ok(r.alice, skill('@acme/b', '1.1.0'));
  await ok(r.alice, skill('@acme/a', '1.1.0', { dependencies: { '@acme/b': '~1.0.0' } }));
  await ok(r.alice, skill('@acme/base', '1.0.0'));
  await ok(bob, skill('@bob/base', '1.0.0'));
});
afterAll(async () => {
  await r.close();
});

const readB = "import { VERSION } from '../b';\nexport function version() { return VERSION; }";

describe('publish resolves dependencies with the install resolver', () => {
  it('verifies against the versions an install would choose (one resolver for both)', async () => {
    // @acme/a@1.1.0 needs @acme/b ~1.0.0; the skill needs @acme/b ^1: only b@1.0.0 satisfies both,
    // which is what `skills install` picks. Taking the highest b per range alone would give 1.1.0.
    const res = await put(r.alice, skill('@acme/uses-both', '1.0.0', { dependencies: { '@acme/a': '^1.0.0', '@acme/b': '^1.0.0' }, code: readB, returns: '1.0.0' }));
    expect(res.status, await res.clone().text()).toBe(201);
  });

  it('EDEPENDENCYCONFLICT when requirements collide, named by the path that asks', async () => {
    const error = await refused(r.alice, skill('@acme/clash', '1.0.0', { dependencies: { '@acme/a': '^1.0.0', '@acme/b': '^1.1.0' } }), 400, 'EDEPENDENCYCONFLICT');
    expect(error.message).toContain('@acme/a@1.1.0');
    expect(error.message).toContain('@acme/clash@1.0.0 needs @acme/b ^1.1.0');
  });

  it('EDEPENDENCYCONFLICT when two dependencies, or a dependency and the skill, share a folder name', async () => {
    await refused(r.alice, skill('@acme/twins', '1.0.0', { dependencies: { '@acme/base': '^1.0.0', '@bob/base': '^1.0.0' } }), 400, 'EDEPENDENCYCONFLICT');
    await refused(bob, skill('@bob/b', '1.0.0', { dependencies: { '@acme/b': '^1.0.0' } }), 400, 'EDEPENDENCYCONFLICT');
  });

  it('EDEPENDENCYNOTFOUND for a missing skill and for a range nothing satisfies', async () => {
    await refused(r.alice, skill('@acme/lonely', '1.0.0', { dependencies: { '@acme/nowhere': '^1.0.0' } }), 400, 'EDEPENDENCYNOTFOUND');
    await refused(r.alice, skill('@acme/future', '1.0.0', { dependencies: { '@acme/base': '^9.0.0' } }), 400, 'EDEPENDENCYNOTFOUND');
  });

  it('a private dependency the publisher cannot read answers exactly like a missing one', async () => {
    const hidden = await refused(bob, skill('@bob/probe', '1.0.0', { dependencies: { '@secret/base': '^1.0.0' } }), 400, 'EDEPENDENCYNOTFOUND');
    const missing = await refused(bob, skill('@bob/probe', '1.0.0', { dependencies: { '@nosuch/base': '^1.0.0' } }), 400, 'EDEPENDENCYNOTFOUND');
    expect(hidden.message.replace('@secret', '@X')).toBe(missing.message.replace('@nosuch', '@X'));
  });
});

describe('private names never show through public skills', () => {
  it('refuses a public skill that depends on a private one (EPRIVATEDEPENDENCY)', async () => {
    await refused(r.alice, skill('@acme/leaky', '1.0.0', { dependencies: { '@secret/base': '^1.0.0' } }), 400, 'EPRIVATEDEPENDENCY');
    expect((await r.request('GET', '/v1/skills/@acme/leaky')).status).toBe(404);
    const search = (await (await r.request('GET', '/v1/search?q=leaky')).json()) as { total: number };
    expect(search.total).toBe(0);
  });

  it('accepts a private skill depending on a private skill of the same team, refuses another team\u2019s', async () => {
    const same = await put(r.alice, skill('@secret/top', '1.0.0', { dependencies: { '@secret/base': '^1.0.0' } }));
    expect(same.status, await same.clone().text()).toBe(201);
    await refused(r.admin, skill('@secret/crossed', '1.0.0', { dependencies: { '@vault/base': '^1.0.0' } }), 400, 'EPRIVATEDEPENDENCY');
  });
});

describe('paths no install can write are refused at publish', () => {
  it('a 300-byte path segment: EVALIDATION with EPATHTOOLONG, nothing stored', async () => {
    const error = await refused(r.alice, skill('@acme/long-name', '1.0.0', { extra: { [`assets/${'n'.repeat(300)}.md`]: 'x' } }), 400, 'EVALIDATION');
    expect(error.details?.problems?.map((p) => p.code)).toEqual(['EPATHTOOLONG']);
  });

  it('a name ending in a dot: EVALIDATION with EPATHNAME', async () => {
    const error = await refused(r.alice, skill('@acme/dotted', '1.0.0', { extra: { 'assets/readme.': 'x' } }), 400, 'EVALIDATION');
    expect(error.details?.problems?.map((p) => p.code)).toEqual(['EPATHNAME']);
  });
});
