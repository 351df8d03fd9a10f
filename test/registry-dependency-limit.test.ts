/**
 * A dependency graph built to make a publish expensive is refused with EDEPENDENCYLIMIT before
 * anything is stored: more than 100 skills in all, a backtracking bomb past the resolver's step cap,
 * and dependencies that unpack to more than 100 MiB. Real skills published to a real registry
 * (SQLite file, sandbox verification); every row of every table is compared before and after.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PackageFile } from '../schema/package-files';
import { dumpDb } from '../testkit/db-dump';
import { createTestRegistry, tarballOf, type TestRegistry } from '../testkit/registry';
import { skillFiles } from '../testkit/skill-files';

let r: TestRegistry;
const enc = new TextEncoder();

function skill(full: string, version: string, dependencies: Record<string, string> = {}): PackageFile[] {
  const [scope, name] = full.split('/') as [string, string];
  return skillFiles({
    name,
    scope,
    version,
    dependencies,
    code: `export function version() { return '${version}'; }`,
    fixtures: { basic: { call: { export: 'version', args: [] }, expect: { returns: version } } },
  });
}

async function put(files: readonly PackageFile[], query = ''): Promise<Response> {
  const manifest = files.find((f) => f.path === 'skill.json');
  const name = manifest ? (JSON.parse(new TextDecoder().decode(manifest.bytes)) as { name: string }).name : '';
  return r.request('PUT', `/v1/skills/${name}${query}`, { token: r.alice, body: await tarballOf(files) });
}

async function ok(files: readonly PackageFile[]): Promise<void> {
  const res = await put(files);
  if (res.status !== 201) throw new Error(`setup publish: ${res.status} ${await res.text()}`);
}

/** Publishes and expects EDEPENDENCYLIMIT (400) with nothing changed; returns the message. */
async function overLimit(files: readonly PackageFile[]): Promise<string> {
  const before = dumpDb(r.db);
  const res = await put(files);
  const body = (await res.json()) as { error: { code: string; message: string; hint?: string } };
  expect({ status: res.status, code: body.error?.code }, JSON.stringify(body)).toEqual({ status: 400, code: 'EDEPENDENCYLIMIT' });
  expect(body.error.hint).toBeTruthy();
  expect(dumpDb(r.db)).toBe(before);
  return body.error.message;
}

/** `bytes` of binary data (the audit reads no text in it), records of 8 random bytes and 56 zeros: about 8:1 under gzip. */
function dataFile(bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  const random = randomBytes(bytes / 8);
  for (let record = 0; record < bytes / 64; record++) out.set(random.subarray(record * 8, record * 8 + 8), record * 64);
  return out;
}

beforeAll(async () => {
  r = await createTestRegistry({ publishesPerMinute: 100_000 });
}, 60_000);
afterAll(async () => {
  await r.close();
});

describe('publish refuses dependency graphs past the registry limits (EDEPENDENCYLIMIT)', () => {
  it('100 skills in all are accepted; a skill that brings in 101 is refused', async () => {
    const leaves = Array.from({ length: 100 }, (_, i) => `@acme/leaf-${i}`);
    for (const leaf of leaves) await ok(skill(leaf, '1.0.0'));
    // The hub depends on exactly 100 skills: the limit itself is allowed.
    await ok(skill('@acme/hub', '1.0.0', Object.fromEntries(leaves.map((l) => [l, '^1.0.0']))));
    // One level up, the same 100 plus the hub are 101 in all.
    const message = await overLimit(skill('@acme/over', '1.0.0', { '@acme/hub': '^1.0.0' }));
    expect(message).toBe('@acme/over@1.0.0 depends on more than 100 skills in all');
  }, 600_000);

  it('a backtracking bomb stops at the resolver step cap', async () => {
    // over needs l0..l7 (6 versions each, any will do); every l7 needs @acme/last ^1, whose only
    // 1.x version is yanked once the l7s are published. Unbounded, that is 6^8 combinations to try.
    await ok(skill('@acme/last', '1.0.0'));
    for (let level = 0; level < 8; level++) {
      for (let minor = 0; minor < 6; minor++) await ok(skill(`@acme/l${level}`, `1.${minor}.0`, level === 7 ? { '@acme/last': '^1.0.0' } : {}));
    }
    const yank = await r.request('POST', '/v1/skills/@acme/last/versions/1.0.0/yank', { token: r.alice });
    expect(yank.status).toBe(200);
    await ok(skill('@acme/last', '2.0.0'));
    const message = await overLimit(skill('@acme/bomb', '1.0.0', Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`@acme/l${i}`, '*']))));
    expect(message).toMatch(/^no solution found after trying 100000 versions/);
  }, 600_000);

  it('dependencies that unpack to more than 100 MiB in all', async () => {
    // Three plain skills of 35 MiB each (five 7 MiB binary files that compress about 8:1, inside
    // every per-skill limit): each publishes, together they are over the 100 MiB a publish may unpack.
    const MiB = 1024 * 1024;
    const names = ['@acme/bulk-0', '@acme/bulk-1', '@acme/bulk-2'];
    for (const full of names) {
      const name = full.split('/')[1] as string;
      const files: PackageFile[] = [{ path: 'SKILL.md', bytes: enc.encode(`---\nname: ${name}\ndescription: Reference data for a test.\n---\n\nReference data.\n`) }];
      for (let f = 0; f < 5; f++) files.push({ path: `data/part-${f}.bin`, bytes: dataFile(7 * MiB) });
      const res = await r.request('PUT', `/v1/skills/${full}?version=1.0.0`, { token: r.alice, body: await tarballOf(files) });
      if (res.status !== 201) throw new Error(`setup publish: ${res.status} ${await res.text()}`);
    }
    const message = await overLimit(skill('@acme/heavy', '1.0.0', Object.fromEntries(names.map((n) => [n, '^1.0.0']))));
    expect(message).toBe(`the dependencies of @acme/heavy@1.0.0 unpack to more than ${100 * MiB} bytes`);
  }, 600_000);
});
