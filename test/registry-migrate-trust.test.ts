/**
 * A registry database from before trust levels (schema version 2: every version a code skill that
 * passed verification) is migrated: each version's trust is recomputed from its stored tarball,
 * the discovery digests are filled in, and search can filter on trust at once.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteStorage } from '../registry-server/storage/open';
import { createApp } from '../registry-server/app';
import { APPLICATION_ID, openDatabase, SCHEMA_VERSION, type Db } from '../registry-server/db';
import { MIGRATIONS } from '../registry-server/migrations';
import type { PackageFile } from '../schema/package-files';
import { discoveryIndexSchema, packumentSchema, searchResponseSchema } from '../schema/registry';
import { pack } from '../tarball/pack';
import { echoSkill } from '../testkit/registry';
import { tempDir } from '../testkit/temp';

const enc = new TextEncoder();
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const PASSED = JSON.stringify({ ok: true, passed: 1, failed: 0, cases: [{ case: 'example', status: 'passed', durationMs: 3 }], verifiedAt: '2025-01-01T00:00:00.000Z' });

let dir: string;
let file: string;
const tarballs = new Map<string, Uint8Array>();

/** Writes a version the way schema version 2 stored it. */
async function insertOld(db: Database.Database, name: string, version: string, files: PackageFile[], options: { tarball?: Uint8Array; latest?: boolean } = {}): Promise<void> {
  const packed = await pack(files);
  const bytes = options.tarball ?? packed.bytes;
  tarballs.set(`${name}@${version}`, bytes);
  const at = '2025-01-01T00:00:00.000Z';
  let skill = db.prepare('SELECT id FROM skills WHERE name = ?').get(name) as { id: number } | undefined;
  if (!skill) skill = { id: Number(db.prepare('INSERT INTO skills (name, scope_id, created_at, updated_at) VALUES (?, 1, ?, ?)').run(name, at, at).lastInsertRowid) };
  const skillMd = new TextDecoder().decode(files.find((f) => f.path === 'SKILL.md')?.bytes);
  const manifest = JSON.parse(new TextDecoder().decode(files.find((f) => f.path === 'skill.json')?.bytes)) as Record<string, unknown>;
  const versionId = Number(
    db
      .prepare(
        `INSERT INTO versions (skill_id, version, integrity, digest, manifest, skill_md, description, files, file_count, unpacked_size, size, verification, published_by, published_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)`,
      )
      .run(skill.id, version, packed.integrity, packed.digest, JSON.stringify({ entry: 'index.ts', dependencies: {}, mcp: {}, keywords: [], ...manifest, version }), skillMd, 'A skill built by a test.', JSON.stringify(packed.files), packed.fileCount, packed.unpackedSize, bytes.byteLength, PASSED, at).lastInsertRowid,
  );
  db.prepare('INSERT INTO tarballs (version_id, bytes) VALUES (?, ?)').run(versionId, Buffer.from(bytes));
  db.prepare('INSERT INTO used_versions (name, version) VALUES (?, ?)').run(name, version);
  if (options.latest !== false) db.prepare("INSERT INTO dist_tags (skill_id, tag, version) VALUES (?, 'latest', ?) ON CONFLICT (skill_id, tag) DO UPDATE SET version = excluded.version").run(skill.id, version);
  db.prepare('DELETE FROM skills_fts WHERE rowid = ?').run(skill.id);
  db.prepare('INSERT INTO skills_fts (rowid, name, description, keywords, body) VALUES (?, ?, ?, ?, ?)').run(skill.id, name, 'A skill built by a test.', '', skillMd);
}

let db: Db;
beforeAll(async () => {
  dir = await tempDir('migrate');
  file = path.join(dir, 'registry.db');
  const old = new Database(file);
  old.pragma('journal_mode = WAL');
  for (const step of MIGRATIONS.slice(0, 2)) {
    if (typeof step !== 'string') throw new Error('the first two migrations are SQL');
    old.exec(step);
  }
  old.pragma('user_version = 2');
  old.pragma(`application_id = ${APPLICATION_ID}`);
  const at = '2025-01-01T00:00:00.000Z';
  old.prepare("INSERT INTO users (id, name, created_at) VALUES (1, 'admin', ?)").run(at);
  old.prepare("INSERT INTO teams (id, name, created_at) VALUES (1, 'core', ?)").run(at);
  old.prepare("INSERT INTO scopes (id, name, team_id, private, created_at) VALUES (1, '@acme', 1, 0, ?)").run(at);
  await insertOld(old, '@acme/clean', '1.0.0', echoSkill('@acme/clean'));
  await insertOld(old, '@acme/scripted', '1.0.0', echoSkill('@acme/scripted', '1.0.0', { extraFiles: { 'scripts/setup.py': 'print(1)\n' } }));
  await insertOld(old, '@acme/scripted', '1.1.0', echoSkill('@acme/scripted', '1.1.0'));
  // Only a prerelease, so no `latest` tag: search shows the highest version.
  await insertOld(old, '@acme/pre', '2.0.0-beta.1', echoSkill('@acme/pre', '2.0.0-beta.1'), { latest: false });
  // A stored tarball that cannot be read again: unverified, with the reason.
  await insertOld(old, '@acme/damaged', '1.0.0', echoSkill('@acme/damaged'), { tarball: enc.encode('not a tarball at all, but stored') });
  old.close();
  db = openDatabase(file);
});
afterAll(async () => {
  db.close();
  await fs.rm(dir, { recursive: true, force: true });
});

describe('migrating a registry database from before trust levels', () => {
  it('recomputes each stored version from its tarball: verified unless its files say otherwise', () => {
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    const rows = db.prepare('SELECT s.name, v.version, v.kind, v.trust, v.trust_reasons, v.provenance, v.tarball_sha256, v.skill_md_sha256, v.skill_md FROM versions v JOIN skills s ON s.id = v.skill_id ORDER BY s.name, v.version').all() as {
      name: string;
      version: string;
      kind: string;
      trust: string;
      trust_reasons: string;
      provenance: string | null;
      tarball_sha256: string;
      skill_md_sha256: string;
      skill_md: string;
    }[];
    expect(rows.map((r) => [`${r.name}@${r.version}`, r.kind, r.trust, JSON.parse(r.trust_reasons) as unknown, r.provenance])).toEqual([
      ['@acme/clean@1.0.0', 'code', 'verified', [], null],
      ['@acme/damaged@1.0.0', 'code', 'unverified', [{ path: '(tarball)', why: expect.stringContaining('could not be read') }], null],
      ['@acme/pre@2.0.0-beta.1', 'code', 'verified', [], null],
      ['@acme/scripted@1.0.0', 'code', 'unverified', [{ path: 'scripts/setup.py', why: expect.stringContaining('Python script') }], null],
      ['@acme/scripted@1.1.0', 'code', 'verified', [], null],
    ]);
    for (const r of rows) {
      expect(r.tarball_sha256).toBe(sha256(tarballs.get(`${r.name}@${r.version}`) ?? new Uint8Array()));
      expect(r.skill_md_sha256).toBe(sha256(enc.encode(r.skill_md)));
    }
  });

  it('serves trust at once: packuments, the search filter, and the discovery index', async () => {
    const app = createApp({
      storage: sqliteStorage(db),
      verify: () => Promise.reject(new Error('nothing is published in this test')),
    });
    const packument = packumentSchema.parse(await (await app.request('/v1/skills/@acme/scripted')).json());
    expect(packument.versions['1.0.0']).toMatchObject({ kind: 'code', trust: 'unverified', provenance: null });
    const search = async (q: string) => searchResponseSchema.parse(await (await app.request(`/v1/search?${q}`)).json()).results.map((r) => `${r.name}@${r.version} ${r.trust}`);
    expect(await search('')).toEqual(['@acme/clean@1.0.0 verified', '@acme/damaged@1.0.0 unverified', '@acme/pre@2.0.0-beta.1 verified', '@acme/scripted@1.1.0 verified']);
    expect(await search('trust=unverified')).toEqual(['@acme/damaged@1.0.0 unverified']);
    const index = discoveryIndexSchema.parse(await (await app.request('/.well-known/agent-skills/index.json')).json());
    const clean = index.skills.find((s) => s.name === 'clean');
    expect(clean).toMatchObject({ type: 'archive', digest: `sha256:${sha256(tarballs.get('@acme/clean@1.0.0') ?? new Uint8Array())}` });
  });

  it('opening the migrated database again changes nothing', () => {
    const dump = () => JSON.stringify([db.prepare('SELECT * FROM skill_latest ORDER BY skill_id').all(), db.prepare('SELECT id, trust, trust_reasons, tarball_sha256 FROM versions ORDER BY id').all()]);
    const before = dump();
    expect(JSON.parse(before)[0]).toHaveLength(4);
    db.close();
    db = openDatabase(file);
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(dump()).toBe(before);
  });
});
