/** Download counts land on the UTC day of each GET, also when the clock crosses midnight (or is set back). */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Auth } from '../registry-server/auth';
import { openDatabase, type Db } from '../registry-server/db';
import { DownloadCounter } from '../registry-server/downloads';
import { SkillsStore } from '../registry-server/skills-store';
import { sqliteStorage } from '../registry-server/storage/open';
import type { Storage } from '../registry-server/storage/index';
import { validatePackage } from '../schema/package';
import { contentDigest, integrityOf, sha256Hex } from '../tarball/digest';
import { pack } from '../tarball/pack';
import { echoSkill } from '../testkit/registry';
import { tempDir } from '../testkit/temp';

let dir: string;
let db: Db;
let storage: Storage;
let skill: { id: number; name: string };

beforeAll(async () => {
  dir = await tempDir('downloads');
  db = openDatabase(path.join(dir, 'registry.db'));
  storage = sqliteStorage(db);
  const auth = new Auth(storage.db);
  await auth.bootstrap();
  const adminId = (await auth.userId('admin')) ?? 0;
  await auth.createScope('@pub', await auth.createTeam('t', adminId), false);
  const scopeId = (await auth.scope('@pub'))?.id ?? 0;
  const store = new SkillsStore(storage);
  const files = echoSkill('@pub/counted');
  const validation = validatePackage(files);
  if (!validation.manifest || !validation.skill) throw new Error('invalid skill');
  const tarball = (await pack(files)).bytes;
  await store.saveTarball(sha256Hex(tarball), tarball);
  const { manifest, skill: doc } = validation;
  await store.atomically((tx) => store.insertVersion(tx, {
    name: '@pub/counted', version: '1.0.0', scopeId, tag: undefined,
    manifest, skillMd: 'SKILL', body: doc.body, description: 'Counted.',
    integrity: integrityOf(tarball), digest: contentDigest(files), files: [], unpackedSize: 10, tarball,
    verification: { ok: true, passed: 1, failed: 0, cases: [], verifiedAt: new Date().toISOString() },
    publishedBy: adminId, kind: 'code', trust: 'verified', trustReasons: [], provenance: undefined,
    tarballSha256: sha256Hex(tarball), skillMdSha256: sha256Hex('SKILL'),
  }));
  const found = await store.skill('@pub/counted');
  if (!found) throw new Error('not stored');
  skill = { id: found.id, name: found.name };
});
afterAll(async () => {
  await storage.close();
  await fs.rm(dir, { recursive: true, force: true });
});

it('counts each GET on its own UTC day across midnight, forward and back', async () => {
  let now = Date.parse('2026-03-01T23:59:59.500Z');
  const counter = new DownloadCounter(storage.db, { now: () => new Date(now), flushMs: 60_000 });
  counter.count(skill, '1.0.0');
  now += 400; // 23:59:59.900
  counter.count(skill, '1.0.0');
  now += 200; // 00:00:00.100 the next day
  counter.count(skill, '1.0.0');
  now = Date.parse('2026-02-28T12:00:00Z'); // a clock set back
  counter.count(skill, '1.0.0');
  await counter.flush();
  const days = db.prepare('SELECT day, count FROM downloads ORDER BY day').all();
  expect(days).toEqual([
    { day: '2026-02-28', count: 1 },
    { day: '2026-03-01', count: 2 },
    { day: '2026-03-02', count: 1 },
  ]);
});
