import fs from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { install } from '../cli/core/install/install';
import { pack } from '../tarball/pack';
import { chainSkills, skillFiles } from '../testkit/skill-files';
import { tempDir } from '../testkit/temp';
import { tree } from '../testkit/tree';
import { liveRegistry, type LiveRegistry } from '../testkit/workspace';

let live: LiveRegistry;
beforeAll(async () => {
  live = await liveRegistry(['@acme'], { publishesPerMinute: 100_000 });
});
afterAll(async () => {
  await live.close();
});

function versionOf(i: number) {
  return skillFiles({ name: 'busy', scope: '@acme', version: `1.0.${i}`, code: 'export function f() { return 1; }', fixtures: { c: { call: { export: 'f', args: [] }, expect: { returns: 1 } } } });
}

async function put(bytes: Uint8Array): Promise<number> {
  const res = await fetch(`${live.registry.url}/v1/skills/@acme/busy`, { method: 'PUT', headers: { Authorization: `Bearer ${live.admin}` }, body: bytes });
  await res.arrayBuffer();
  return res.status;
}

describe('concurrency against a real registry', () => {
  it('100 concurrent publishes of distinct versions all land; 100 of one version land exactly once', async () => {
    const distinct = await Promise.all(Array.from({ length: 100 }, async (_, i) => (await pack(versionOf(i))).bytes));
    const statuses = await Promise.all(distinct.map(put));
    expect(statuses.filter((s) => s === 201)).toHaveLength(100);
    const same = (await pack(versionOf(1000))).bytes;
    const raced = await Promise.all(Array.from({ length: 100 }, () => put(same)));
    expect(raced.filter((s) => s === 201)).toHaveLength(1);
    expect(raced.filter((s) => s === 409)).toHaveLength(99);
    const db = new Database(path.join(live.dir, 'registry.db'), { readonly: true });
    try {
      expect((db.prepare("SELECT COUNT(*) AS n FROM versions v JOIN skills s ON s.id = v.skill_id WHERE s.name = '@acme/busy'").get() as { n: number }).n).toBe(101);
      // Every version's tarball is in the blob store under its digest.
      expect((db.prepare('SELECT COUNT(*) AS n FROM versions v WHERE NOT EXISTS (SELECT 1 FROM blobs b WHERE b.sha256 = v.tarball_sha256)').get() as { n: number }).n).toBe(0);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }
    const packument = (await (await fetch(`${live.registry.url}/v1/skills/@acme/busy`)).json()) as { distTags: { latest: string }; versions: object };
    expect(Object.keys(packument.versions)).toHaveLength(101);
    expect(packument.distTags.latest).toBe('1.0.1000');
  }, 120_000);

  it('200 concurrent installers all get the same verified tree', async () => {
    const chain = chainSkills();
    for (const files of [chain.base, chain.mid]) expect((await live.publish(files)).status).toBe(201);
    const root = await tempDir('many');
    try {
      const results = await Promise.all(
        Array.from({ length: 200 }, async (_, i) => {
          const ws = path.join(root, `ws-${i}`);
          await fs.mkdir(ws);
          const result = await install({
            root: ws,
            env: { SKILLS_CACHE_DIR: path.join(root, `cache-${i % 10}`), SKILLS_CONFIG_DIR: path.join(root, 'config') },
            registry: live.registry.url,
            add: ['@acme/mid'],
            progress: () => {},
            warn: () => {},
          });
          return { result, lock: await fs.readFile(path.join(ws, 'skills-lock.json'), 'utf8'), tree: await tree(path.join(ws, 'skills')) };
        }),
      );
      expect(new Set(results.map((r) => r.lock)).size).toBe(1);
      expect(results.every((r) => r.result.skills.length === 2)).toBe(true);
      // The same files on disk in every workspace, and they are the published ones, byte for byte.
      const first = results[0]?.tree ?? {};
      for (const r of results) expect(r.tree).toEqual(first);
      const published: Record<string, string> = {};
      for (const [folder, files] of [['base', chain.base], ['mid', chain.mid]] as const) for (const f of files) published[`${folder}/${f.path}`] = `file:${Buffer.from(f.bytes).toString('base64')}`;
      const files = Object.fromEntries(Object.entries(first).filter(([k, v]) => v.startsWith('file:') && k !== 'INDEX.md'));
      expect(files).toEqual(published);
    } finally {
      await fs.rm(root, { recursive: true, force: true });
    }
  }, 180_000);
});
