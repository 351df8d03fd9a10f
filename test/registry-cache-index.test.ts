/**
 * Issue 15: the registry's caches as units on a real SQLite file: the byte-bounded LRU never holds
 * more than its bound, gzip bodies assembled from segments decode to the plain body, and the
 * discovery index kept up to date write by write is byte for byte the index built afresh.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Auth } from '../registry-server/auth';
import { ByteLru } from '../registry-server/byte-lru';
import { openDatabase, type Db } from '../registry-server/db';
import { assembleGzip, crc32, crc32Combine, segment } from '../registry-server/gzip-segments';
import { SkillsStore, type NewVersion } from '../registry-server/skills-store';
import { sqliteStorage } from '../registry-server/storage/open';
import type { Storage } from '../registry-server/storage/index';
import { validatePackage } from '../schema/package';
import { contentDigest, integrityOf, sha256Hex } from '../tarball/digest';
import { pack } from '../tarball/pack';
import { echoSkill } from '../testkit/registry';
import { tempDir } from '../testkit/temp';

describe('ByteLru', () => {
  it('never holds more bytes than its bound, whatever is stored, read and dropped', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ op: fc.constant('set' as const), key: fc.integer({ min: 0, max: 30 }), group: fc.integer({ min: 0, max: 5 }), bytes: fc.integer({ min: 0, max: 400 }) }),
            fc.record({ op: fc.constant('get' as const), key: fc.integer({ min: 0, max: 30 }) }),
            fc.record({ op: fc.constant('group' as const), group: fc.integer({ min: 0, max: 5 }) }),
          ),
          { maxLength: 200 },
        ),
        (ops) => {
          const lru = new ByteLru<number>(1000, 300);
          const model = new Map<string, { group: number; bytes: number }>();
          for (const o of ops) {
            if (o.op === 'set') {
              const kept = lru.set(`k${o.key}`, `g${o.group}`, o.key, o.bytes);
              expect(kept).toBe(o.bytes <= 300);
              model.set(`k${o.key}`, { group: o.group, bytes: o.bytes });
            } else if (o.op === 'get') {
              const value = lru.get(`k${o.key}`);
              if (value !== undefined) expect(value).toBe(o.key);
            } else {
              lru.deleteGroup(`g${o.group}`);
              for (const [k, v] of model) if (v.group === o.group) model.delete(k);
            }
            const stats = lru.stats();
            expect(stats.bytes).toBeLessThanOrEqual(1000);
            expect(stats.bytes).toBeGreaterThanOrEqual(0);
          }
          // Whatever a dropped group held is gone.
          for (let g = 0; g <= 5; g++) {
            lru.deleteGroup(`g${g}`);
          }
          expect(lru.stats()).toMatchObject({ entries: 0, bytes: 0 });
        },
      ),
    );
  });

  it('drops the least recently used first', () => {
    const lru = new ByteLru<string>(300, 300);
    lru.set('a', 'g', 'a', 100);
    lru.set('b', 'g', 'b', 100);
    lru.set('c', 'g', 'c', 100);
    expect(lru.get('a')).toBe('a');
    lru.set('d', 'g', 'd', 100);
    expect(lru.get('b')).toBeUndefined();
    expect(lru.get('a')).toBe('a');
    expect(lru.get('c')).toBe('c');
  });
});

describe('gzip from segments', () => {
  it('combines CRC-32s as if computed over the whole', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.uint8Array({ maxLength: 3000 }), (a, b) => {
        const whole = new Uint8Array([...a, ...b]);
        expect(crc32Combine(crc32(a), crc32(b), b.length)).toBe(crc32(whole));
      }),
    );
    // Lengths whose high bits are set too (the combine walks the length's bits).
    for (const size of [65_537, 1_000_003, 4_194_304]) {
      const a = Buffer.from('the first part ');
      const b = Buffer.alloc(size, 'abcdefghijklmnopqrstuvwxyz');
      expect(crc32Combine(crc32(a), crc32(b), size)).toBe(crc32(Buffer.concat([a, b])));
    }
  });

  it('decodes to the concatenated segments, with a valid trailer', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 5000 }), { maxLength: 12 }), (parts) => {
        const buffers = parts.map((p) => Buffer.from(p));
        const gz = assembleGzip(buffers.map((b) => segment(b)));
        // gunzip checks the CRC-32 and length in the trailer.
        expect(gunzipSync(gz).equals(Buffer.concat(buffers))).toBe(true);
      }),
      { numRuns: 50 },
    );
  });
});

describe('the discovery index, kept up to date write by write', () => {
  let dir: string;
  let db: Db;
  let storage: Storage;
  let store: SkillsStore;
  let publicScope = 0;
  let privateScope = 0;
  let template: Omit<NewVersion, 'name' | 'version' | 'scopeId' | 'tag'>;

  beforeAll(async () => {
    dir = await tempDir('cache-index');
    db = openDatabase(path.join(dir, 'registry.db'));
    storage = sqliteStorage(db);
    const auth = new Auth(storage.db);
    await auth.bootstrap();
    const adminId = (await auth.userId('admin')) ?? 0;
    const team = await auth.createTeam('t', adminId);
    await auth.createScope('@pub', team, false);
    await auth.createScope('@priv', team, true);
    publicScope = (await auth.scope('@pub'))?.id ?? 0;
    privateScope = (await auth.scope('@priv'))?.id ?? 0;
    store = new SkillsStore(storage);
    const files = echoSkill('@pub/template');
    const validation = validatePackage(files);
    if (!validation.manifest || !validation.skill) throw new Error('template skill is not valid');
    const tarball = (await pack(files)).bytes;
    await store.saveTarball(sha256Hex(tarball), tarball);
    template = {
      manifest: validation.manifest,
      skillMd: 'SKILL',
      body: validation.skill.body,
      description: 'A template.',
      integrity: integrityOf(tarball),
      digest: contentDigest(files),
      files: [],
      unpackedSize: 10,
      tarball,
      verification: { ok: true, passed: 1, failed: 0, cases: [], verifiedAt: new Date().toISOString() },
      publishedBy: adminId,
      kind: 'code',
      trust: 'verified',
      trustReasons: [],
      provenance: undefined,
      tarballSha256: sha256Hex(tarball),
      skillMdSha256: sha256Hex('SKILL'),
    };
  });
  afterAll(async () => {
    await storage.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const origin = 'https://registry.example';
  const fresh = async (gzip: boolean) => (await new SkillsStore(storage).discoveryBody(origin, gzip)).body;
  const same = async () => {
    const kept = (await store.discoveryBody(origin, false)).body.toString();
    expect(kept).toBe((await fresh(false)).toString());
    expect(gunzipSync((await store.discoveryBody(origin, true)).body).toString()).toBe(kept);
    return JSON.parse(kept) as { skills: { package: string; version: string }[] };
  };

  it('equals a fresh build after every publish, yank, tag, delete, in any order (hundreds of skills, several chunks)', async () => {
    const published = new Map<string, string[]>();
    // Version numbers are never reused, not even after a delete (the registry refuses that forever).
    const majors = new Map<string, number>();
    const nextMajor = (name: string) => {
      const next = (majors.get(name) ?? 1) + 1;
      majors.set(name, next);
      return next;
    };
    let serial = 0;
    const publish = async (name: string, version: string, scopeId: number, tag?: string) => {
      await store.atomically((tx) => store.insertVersion(tx, { ...template, name, version, scopeId, tag, description: `Skill ${name} ${serial++}` }));
      published.set(name, [...(published.get(name) ?? []), version]);
    };
    // Enough skills for several chunks, with names that sort in between each other.
    for (let i = 0; i < 300; i++) await publish(`@pub/s${(i * 7919) % 1000}`, '1.0.0', i % 9 === 0 ? privateScope : publicScope);
    expect((await same()).skills.length).toBe(300 - Math.ceil(300 / 9));
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            op: fc.constantFrom('publish', 'prerelease', 'yank', 'unyank', 'tag', 'untag', 'delete', 'new'),
            pick: fc.nat(),
          }),
          { minLength: 1, maxLength: 8 },
        ),
        async (ops) => {
          for (const { op, pick } of ops) {
            const names = [...published.keys()];
            const name = names[pick % names.length] as string;
            const skill = await store.skill(name);
            const versions = published.get(name) ?? [];
            const version = versions[pick % versions.length] as string;
            if (!skill) continue;
            if (op === 'publish') await publish(name, `${nextMajor(name)}.0.0`, skill.scope_id);
            else if (op === 'prerelease') await publish(name, `${nextMajor(name)}.0.0-beta.1`, skill.scope_id);
            else if (op === 'yank') await store.atomically((tx) => store.setYanked(tx, skill, version, true));
            else if (op === 'unyank') await store.atomically((tx) => store.setYanked(tx, skill, version, false));
            else if (op === 'tag') await store.atomically((tx) => store.setDistTag(tx, skill, 'latest', version));
            else if (op === 'untag') await store.atomically((tx) => store.removeDistTag(tx, skill, 'beta'));
            else if (op === 'delete') {
              await store.atomically((tx) => store.deleteVersion(tx, skill, version));
              published.set(name, versions.filter((v) => v !== version));
              if (published.get(name)?.length === 0) published.delete(name);
            } else await publish(`@pub/n${serial}`, '1.0.0', publicScope);
          }
          await same();
        },
      ),
      { numRuns: 60 },
    );
  });

  it('keeps packument and tarball caches within their byte bounds over hundreds of skills', async () => {
    const bounded = new SkillsStore(storage, { packumentCacheBytes: 40_000, tarballCacheBytes: 20_000 });
    const names = (db.prepare('SELECT name FROM skills').all() as { name: string }[]).map((r) => r.name);
    expect(names.length).toBeGreaterThan(200);
    for (let round = 0; round < 2; round++) {
      for (const name of names) {
        const skill = await bounded.skill(name);
        if (!skill) continue;
        const version = (db.prepare('SELECT version FROM versions WHERE skill_id = ? LIMIT 1').get(skill.id) as { version: string }).version;
        await bounded.packumentBody(skill, origin, false, 'full');
        await bounded.packumentBody(skill, origin, false, 'install');
        expect((await bounded.tarballBody(skill, version))?.bytes.byteLength).toBeGreaterThan(0);
        const stats = bounded.cacheStats();
        expect(stats.packuments.bytes).toBeLessThanOrEqual(40_000);
        expect(stats.tarballs.bytes).toBeLessThanOrEqual(20_000);
      }
    }
    const stats = bounded.cacheStats();
    expect(stats.packuments.entries).toBeGreaterThan(0);
    expect(stats.packuments.evictions).toBeGreaterThan(0);
    expect(stats.tarballs.entries).toBeGreaterThan(0);
  });

  it('sees a change another connection committed (another process on the same file)', async () => {
    const before = await same();
    const target = before.skills[0];
    if (!target) throw new Error('no entry');
    const other = openDatabase(path.join(dir, 'registry.db'));
    other.prepare('UPDATE versions SET yanked = 1 WHERE skill_id = (SELECT id FROM skills WHERE name = ?)').run(target.package);
    other.close();
    // Seen from the next turn of the event loop (the store reads data_version once per turn).
    await new Promise((resolve) => setImmediate(resolve));
    const after = JSON.parse((await store.discoveryBody(origin, false)).body.toString()) as { skills: { package: string }[] };
    expect(after.skills.map((s) => s.package)).not.toContain(target.package);
  });
});
