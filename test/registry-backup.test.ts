/**
 * `skills registry backup` and `skills registry restore` through the real `skills` process:
 * a filled registry on SQLite backed up while it serves and restored into a new file that holds
 * every row and blob of the snapshot and answers as the source; tarballs in S3 copied into the
 * backup's `blobs/` and restored into a database's table or another bucket; a registry on
 * PostgreSQL backed up with pg_dump and restored with pg_restore. And what each refuses, leaving
 * the target (or the backup folder) as it was: a blob missing from the backup or altered, a
 * manifest changed, or listing a blob that is nowhere, a damaged database file, a non-empty target,
 * a non-empty backup folder, a source that is not a registry.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openDatabase } from '../registry-server/index';
import { canonicalJson } from '../schema/canonical-json';
import { pack } from '../tarball/pack';
import { integrityOf } from '../tarball/digest';
import { runCli, type CliRun } from '../testkit/cli';
import { dumpDb } from '../testkit/db-dump';
import { startPostgres, type TestPostgres } from '../testkit/postgres';
import { fillRegistry, plainSkill, registryOn, type FilledRegistry } from '../testkit/registry-fill';
import { startS3, type S3Server } from '../testkit/s3';
import { tempDir } from '../testkit/temp';

interface BackedUp {
  dir: string;
  manifest: string;
  createdAt: string;
  schemaVersion: number;
  source: { engine: string; database: string; blobs: string };
  database: { engine: string; file: string; size: number; sha256: string };
  blobs: { location: 'database' | 'files'; count: number; size: number };
  tables: Record<string, number>;
  durationMs: number;
}

interface Restored {
  from: string;
  to: string;
  createdAt: string;
  schemaVersion: number;
  database: { engine: string; size: number };
  tables: Record<string, number>;
  blobs: { count: number; size: number; copied: number; store: string };
  durationMs: number;
}

interface Manifest {
  blobs: { location: string; count: number; size: number; list: { sha256: string; size: number }[] };
  tables: Record<string, number>;
  sha256: string;
  [key: string]: unknown;
}

type Api = FilledRegistry['api'];

let dir: string;
let src: FilledRegistry;
let counter = 0;

beforeAll(async () => {
  dir = await tempDir('backup');
  src = await fillRegistry(path.join(dir, 'source', 'registry.db'));
}, 180_000);

afterAll(async () => {
  await src?.close();
});

/** A new path in a folder of its own (nothing there yet). */
function fresh(name: string): string {
  return path.join(dir, `case-${++counter}`, name);
}

async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return runCli(['registry', ...args, '--json'], { env: { SKILLS_DATABASE_URL: '', SKILLS_BLOBS_URL: '', ...env }, timeoutMs: 120_000 });
}

async function backup(args: string[], env: NodeJS.ProcessEnv = {}): Promise<BackedUp> {
  const run = await cli(['backup', ...args], env);
  expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
  return run.json<BackedUp>();
}

async function restore(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Restored> {
  const run = await cli(['restore', ...args], env);
  expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
  return run.json<Restored>();
}

async function fails(command: 'backup' | 'restore', args: string[], code: string, env: NodeJS.ProcessEnv = {}): Promise<{ message: string; hint: string }> {
  const run = await cli([command, ...args], env);
  expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(code === 'EUSAGE' ? 2 : 1);
  const { error } = run.json<{ error: { code: string; message: string; hint: string } }>();
  expect(error.code, error.message).toBe(code);
  return error;
}

async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(() => true, () => false);
}

/** Every row of every table of a SQLite file, but for the FTS5 index's internal b-trees. */
function dump(file: string): Record<string, string[]> {
  const db = new Database(file, { readonly: true });
  try {
    const tables = JSON.parse(dumpDb(db)) as Record<string, string[]>;
    delete tables.skills_fts_data;
    delete tables.skills_fts_idx;
    return tables;
  } finally {
    db.close();
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function readManifest(backupDir: string): Promise<Manifest> {
  return JSON.parse(await fs.readFile(path.join(backupDir, 'manifest.json'), 'utf8')) as Manifest;
}

/** Writes `manifest` with its own digest recomputed, as a careful forger would. */
async function writeResealed(backupDir: string, manifest: Manifest): Promise<void> {
  const { sha256: _old, ...rest } = manifest;
  await fs.writeFile(path.join(backupDir, 'manifest.json'), JSON.stringify({ ...rest, sha256: sha256(Buffer.from(canonicalJson(rest))) }, null, 2));
}

/** A copy of a backup folder, to damage. */
async function copyOf(backupDir: string): Promise<string> {
  const copy = fresh('backup');
  await fs.cp(backupDir, copy, { recursive: true });
  return copy;
}

/** Each skill's versions as the registry answers them (the version documents as text) and each tarball's bytes. */
async function served(api: Api, token: string, skills: readonly string[]): Promise<Map<string, { document: string; tarball: Buffer }>> {
  const out = new Map<string, { document: string; tarball: Buffer }>();
  for (const name of skills) {
    const res = await api('GET', `/v1/skills/${name}`, { token });
    expect(res.status, name).toBe(200);
    const packument = (await res.json()) as { versions: Record<string, { dist: { tarball: string; integrity: string } }> };
    for (const [version, document] of Object.entries(packument.versions)) {
      const tarball = Buffer.from(await (await api('GET', document.dist.tarball, { token })).arrayBuffer());
      expect(integrityOf(tarball), `${name}@${version}`).toBe(document.dist.integrity);
      out.set(`${name}@${version}`, { document: JSON.stringify(document), tarball });
    }
  }
  return out;
}

describe('a registry on SQLite, tarballs in its database', () => {
  let backupDir: string;
  let result: BackedUp;

  it('backs up while it serves: a snapshot, and a manifest of every row count and blob digest', async () => {
    backupDir = fresh('backup');
    result = await backup([backupDir, '--db', src.file]);
    expect(result).toMatchObject({ dir: backupDir, manifest: path.join(backupDir, 'manifest.json'), source: { engine: 'sqlite', database: src.file, blobs: 'the SQLite table blobs' }, database: { engine: 'sqlite', file: 'registry.db' }, blobs: { location: 'database' } });
    expect((await fs.readdir(backupDir)).sort()).toEqual(['manifest.json', 'registry.db']);
    // Owner only: the files hold token hashes and the web catalog's CSRF key.
    expect((await fs.stat(backupDir)).mode & 0o777).toBe(0o700);
    for (const f of ['manifest.json', 'registry.db']) expect((await fs.stat(path.join(backupDir, f))).mode & 0o777, f).toBe(0o600);
    const snapshot = path.join(backupDir, 'registry.db');
    const bytes = await fs.readFile(snapshot);
    expect({ size: bytes.byteLength, sha256: sha256(bytes) }).toEqual({ size: result.database.size, sha256: result.database.sha256 });

    const manifest = await readManifest(backupDir);
    const { sha256: own, ...rest } = manifest;
    expect(own).toBe(sha256(Buffer.from(canonicalJson(rest))));
    // Every blob the snapshot's versions name, with its size and digest; the rows of every table.
    const db = new Database(snapshot, { readonly: true });
    try {
      const named = db.prepare('SELECT DISTINCT v.tarball_sha256 AS sha256, length(b.bytes) AS size FROM versions v JOIN blobs b ON b.sha256 = v.tarball_sha256 ORDER BY 1').all() as { sha256: string; size: number }[];
      expect(named.length).toBeGreaterThan(5);
      expect(manifest.blobs.list).toEqual(named);
      expect(manifest.blobs).toMatchObject({ count: named.length, size: named.reduce((n, b) => n + b.size, 0) });
      for (const [table, rows] of Object.entries(manifest.tables)) expect([table, rows]).toEqual([table, db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get()]);
      // A snapshot in rollback mode: one file, readable alone.
      expect(db.pragma('journal_mode', { simple: true })).toBe('delete');
    } finally {
      db.close();
    }
    // The source still serves and writes.
    expect((await src.api('PUT', '/v1/skills/@acme/notes?version=3.0.0', { token: src.alice, body: (await pack(plainSkill('notes', 'Notes, after the backup.'))).bytes })).status).toBe(201);
  });

  it('restores into a new file: every row of the snapshot, and a registry on it answers as the source did', async () => {
    const target = fresh('registry.db');
    const restored = await restore([backupDir, '--db', target]);
    expect(restored).toMatchObject({ from: backupDir, to: target, createdAt: result.createdAt, schemaVersion: result.schemaVersion, tables: result.tables, blobs: { count: result.blobs.count, size: result.blobs.size, copied: 0, store: 'the SQLite table blobs' } });
    // Only the file: the temporary copy was renamed into place.
    expect(await fs.readdir(path.dirname(target))).toEqual(['registry.db']);
    expect(dump(target)).toEqual(dump(path.join(backupDir, 'registry.db')));

    const after = await registryOn(target);
    try {
      expect(after.registry.adminToken, 'a restored registry is not an empty one').toBeUndefined();
      const skills = src.skills;
      const answers = await served(after.api, src.alice, skills);
      const original = await served(src.api, src.alice, skills);
      // Everything the backup holds is served as the source served it; notes@3.0.0 came after the backup.
      expect(original.has('@acme/notes@3.0.0')).toBe(true);
      original.delete('@acme/notes@3.0.0');
      expect(answers).toEqual(original);
      expect((await after.api('GET', '/-/whoami', { token: src.alice })).status).toBe(200);
    } finally {
      await after.registry.close();
    }
  });

  it('refuses a target that is not empty, and leaves it as it was', async () => {
    // A registry that was started once: it made its admin user and token.
    const started = fresh('registry.db');
    await (await registryOn(started)).registry.close();
    const before = dump(started);
    const error = await fails('restore', [backupDir, '--db', started], 'ERESTORENOTEMPTY');
    expect(error.message).toMatch(/row.* in users/);
    expect(dump(started)).toEqual(before);
    // The source itself, another program's database, a text file.
    await fails('restore', [backupDir, '--db', src.file], 'ERESTORENOTEMPTY');
    const other = fresh('other.db');
    await fs.mkdir(path.dirname(other), { recursive: true });
    const foreign = new Database(other);
    foreign.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES (\'mine\')');
    foreign.close();
    const otherBytes = await fs.readFile(other);
    await fails('restore', [backupDir, '--db', other], 'ERESTORENOTEMPTY');
    expect((await fs.readFile(other)).equals(otherBytes)).toBe(true);
    expect(await fs.readdir(path.dirname(other))).toEqual(['other.db']);
  });

  it('restores into an empty file and into a registry database without rows', async () => {
    const empty = fresh('registry.db');
    await fs.mkdir(path.dirname(empty), { recursive: true });
    await fs.writeFile(empty, '');
    await restore([backupDir, '--db', empty]);
    expect(dump(empty)).toEqual(dump(path.join(backupDir, 'registry.db')));
    // A registry database with its tables and no row (never served).
    const schemaOnly = fresh('registry.db');
    openDatabase(schemaOnly).close();
    await restore([backupDir, '--db', schemaOnly]);
    expect(dump(schemaOnly)).toEqual(dump(path.join(backupDir, 'registry.db')));
    expect(await fs.readdir(path.dirname(schemaOnly))).toEqual(['registry.db']);
  });

  it('refuses a damaged backup before the target exists: the database file, a blob the manifest lists but nothing holds, a changed manifest', async () => {
    // One byte of the snapshot changed.
    const damaged = await copyOf(backupDir);
    const file = path.join(damaged, 'registry.db');
    const bytes = await fs.readFile(file);
    bytes[bytes.byteLength - 100] = (bytes[bytes.byteLength - 100] ?? 0) ^ 0xff;
    await fs.writeFile(file, bytes);
    const target = fresh('registry.db');
    expect((await fails('restore', [damaged, '--db', target], 'EBACKUPCORRUPT')).message).toContain('sha256');
    expect(await exists(path.dirname(target))).toBe(false);

    // The snapshot gone.
    const gone = await copyOf(backupDir);
    await fs.rm(path.join(gone, 'registry.db'));
    expect((await fails('restore', [gone, '--db', target], 'EBACKUPCORRUPT')).message).toContain('missing');

    // A manifest (resealed) listing one more blob, which is in no file and not in the database.
    const extra = await copyOf(backupDir);
    const manifest = await readManifest(extra);
    const ghost = sha256(Buffer.from('a tarball that was never there'));
    manifest.blobs.list.push({ sha256: ghost, size: 30 });
    manifest.blobs.list.sort((a, b) => a.sha256.localeCompare(b.sha256));
    manifest.blobs.count++;
    manifest.blobs.size += 30;
    await writeResealed(extra, manifest);
    expect((await fails('restore', [extra, '--db', target], 'EBLOBMISSING')).message).toContain(ghost);
    expect(await exists(path.dirname(target))).toBe(false);

    // A manifest changed without its digest: a row count.
    const edited = await copyOf(backupDir);
    const text = await fs.readFile(path.join(edited, 'manifest.json'), 'utf8');
    await fs.writeFile(path.join(edited, 'manifest.json'), text.replace(/"users": \d+/, '"users": 99'));
    expect((await fails('restore', [edited, '--db', target], 'EBACKUPMANIFEST')).message).toContain('changed');
    // Resealed, the count no longer matches the database file's rows.
    const recounted = await readManifest(edited);
    await writeResealed(edited, recounted);
    expect((await fails('restore', [edited, '--db', target], 'EBACKUPCORRUPT')).message).toContain('users holds 4 rows, not the 99');
    // No manifest, not JSON, a folder that is not there.
    const none = await copyOf(backupDir);
    await fs.rm(path.join(none, 'manifest.json'));
    await fails('restore', [none, '--db', target], 'EBACKUPMANIFEST');
    await fs.writeFile(path.join(none, 'manifest.json'), '{"format": "skills-registry-backup", ');
    await fails('restore', [none, '--db', target], 'EBACKUPMANIFEST');
    await fails('restore', [fresh('nowhere'), '--db', target], 'EBACKUPDIR');
    expect(await exists(path.dirname(target))).toBe(false);
  });

  it('backs up only into a new or empty folder, and only a registry database', async () => {
    const used = fresh('backup');
    await fs.mkdir(used, { recursive: true });
    await fs.writeFile(path.join(used, 'notes.txt'), 'mine');
    expect((await fails('backup', [used, '--db', src.file], 'EBACKUPDIR')).message).toContain('not empty');
    expect(await fs.readdir(used)).toEqual(['notes.txt']);
    await fails('backup', [path.join(used, 'notes.txt'), '--db', src.file], 'EBACKUPDIR');
    expect(await fs.readFile(path.join(used, 'notes.txt'), 'utf8')).toBe('mine');
    // Not a registry: nothing created.
    const target = fresh('backup');
    await fails('backup', [target, '--db', path.join(used, 'notes.txt')], 'EBACKUPSOURCE');
    await fails('backup', [target, '--db', fresh('missing.db')], 'EBACKUPSOURCE');
    expect(await exists(target)).toBe(false);
    // A PostgreSQL backup is restored only with --database, a SQLite one only without.
    await fails('restore', [backupDir, '--database', 'postgres://nobody@127.0.0.1:1/none'], 'EUSAGE');
  });
});

describe('tarballs in S3', () => {
  let s3: S3Server;
  let registry: Awaited<ReturnType<typeof registryOn>>;
  let file: string;
  let token: string;
  const skills = ['@acme/alpha', '@acme/beta'];
  let backupDir: string;
  let result: BackedUp;

  beforeAll(async () => {
    s3 = await startS3();
    vi.stubEnv('AWS_ACCESS_KEY_ID', s3.env.AWS_ACCESS_KEY_ID);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', s3.env.AWS_SECRET_ACCESS_KEY);
    file = fresh('registry.db');
    await fs.mkdir(path.dirname(file), { recursive: true });
    registry = await registryOn(file, { blobs: s3.url });
    token = registry.registry.adminToken ?? '';
    expect((await registry.api('POST', '/v1/teams', { token, body: { name: 'acme' } })).status).toBe(201);
    expect((await registry.api('POST', '/v1/scopes', { token, body: { name: '@acme', team: 'acme' } })).status).toBe(201);
    for (const name of skills) {
      for (const version of ['1.0.0', '1.1.0']) {
        const res = await registry.api('PUT', `/v1/skills/${name}?version=${version}`, { token, body: (await pack(plainSkill(name.slice(6), `The ${name} skill, ${version}.`))).bytes });
        expect(res.status, await res.clone().text()).toBe(201);
      }
    }
  }, 60_000);

  afterAll(async () => {
    await registry?.registry.close();
    await s3?.stop();
    vi.unstubAllEnvs();
  });

  it('copies every blob the snapshot names into blobs/<sha256>, each listed with its size', async () => {
    backupDir = fresh('backup');
    result = await backup([backupDir, '--db', file, '--blobs', s3.url], s3.env);
    expect(result.source.blobs).toBe(s3.url);
    expect(result.blobs).toMatchObject({ location: 'files', count: 4 });
    const manifest = await readManifest(backupDir);
    const files = (await fs.readdir(path.join(backupDir, 'blobs'))).sort();
    expect(files).toEqual(manifest.blobs.list.map((b) => b.sha256));
    for (const blob of manifest.blobs.list) {
      const bytes = await fs.readFile(path.join(backupDir, 'blobs', blob.sha256));
      expect([sha256(bytes), bytes.byteLength]).toEqual([blob.sha256, blob.size]);
    }
    expect(JSON.stringify(manifest)).not.toContain(s3.env.AWS_SECRET_ACCESS_KEY);
  });

  it('restores into a database whose blobs table takes them, and into another bucket', async () => {
    const original = await served(registry.api, token, skills);
    const intoTable = fresh('registry.db');
    const one = await restore([backupDir, '--db', intoTable]);
    expect(one.blobs).toMatchObject({ count: 4, copied: 4, store: 'the SQLite table blobs' });
    const onTable = await registryOn(intoTable);
    try {
      expect(await served(onTable.api, token, skills)).toEqual(original);
    } finally {
      await onTable.registry.close();
    }

    const other = s3.url.replace(`/${s3.prefix}`, '/restored/');
    const intoBucket = fresh('registry.db');
    const two = await restore([backupDir, '--db', intoBucket, '--blobs', other], s3.env);
    expect(two.blobs).toMatchObject({ count: 4, copied: 4 });
    expect(two.blobs.store).toContain('restored/');
    // Again into a new file and the same bucket: the blobs are there already, with the same bytes.
    const again = await restore([backupDir, '--db', fresh('registry.db'), '--blobs', other], s3.env);
    expect(again.blobs).toMatchObject({ count: 4, copied: 0 });
    const onBucket = await registryOn(intoBucket, { blobs: other });
    try {
      expect(await served(onBucket.api, token, skills)).toEqual(original);
    } finally {
      await onBucket.registry.close();
    }
  });

  it('refuses a backup whose blob is missing or altered, naming the blob, before the target exists', async () => {
    const manifest = await readManifest(backupDir);
    const [first, second] = manifest.blobs.list;
    const target = fresh('registry.db');

    const missing = await copyOf(backupDir);
    await fs.rm(path.join(missing, 'blobs', first?.sha256 ?? ''));
    expect((await fails('restore', [missing, '--db', target], 'EBLOBMISSING')).message).toContain(first?.sha256);

    const altered = await copyOf(backupDir);
    const blob = path.join(altered, 'blobs', second?.sha256 ?? '');
    const bytes = await fs.readFile(blob);
    bytes[10] = (bytes[10] ?? 0) ^ 0x01;
    await fs.writeFile(blob, bytes);
    expect((await fails('restore', [altered, '--db', target], 'EBLOBCORRUPT')).message).toContain(second?.sha256);
    // Into a bucket too: nothing is put when one blob is damaged.
    const bucket = s3.url.replace(`/${s3.prefix}`, '/untouched/');
    expect((await fails('restore', [altered, '--db', target, '--blobs', bucket], 'EBLOBCORRUPT', s3.env)).message).toContain(second?.sha256);
    expect(await exists(path.join(s3.directory, s3.bucket, 'untouched'))).toBe(false);

    const shorter = await copyOf(backupDir);
    await fs.writeFile(path.join(shorter, 'blobs', second?.sha256 ?? ''), bytes.subarray(0, 20));
    expect((await fails('restore', [shorter, '--db', target], 'EBLOBCORRUPT')).message).toContain(second?.sha256);
    expect(await exists(path.dirname(target))).toBe(false);
  });
});

describe('a registry on PostgreSQL', () => {
  let pg: TestPostgres;
  let database: string;
  let registry: Awaited<ReturnType<typeof registryOn>>;
  let token: string;
  const skills = ['@acme/gamma'];

  beforeAll(async () => {
    pg = await startPostgres();
    database = await pg.createDatabase();
    registry = await registryOn(fresh('registry.db'), { database });
    token = registry.registry.adminToken ?? '';
    expect((await registry.api('POST', '/v1/teams', { token, body: { name: 'acme' } })).status).toBe(201);
    expect((await registry.api('POST', '/v1/scopes', { token, body: { name: '@acme', team: 'acme' } })).status).toBe(201);
    for (const version of ['1.0.0', '2.0.0']) {
      const res = await registry.api('PUT', `/v1/skills/@acme/gamma?version=${version}`, { token, body: (await pack(plainSkill('gamma', `Gamma ${version}.`))).bytes });
      expect(res.status, await res.clone().text()).toBe(201);
    }
  }, 60_000);

  afterAll(async () => {
    await registry?.registry.close();
    await pg?.stop();
  });

  it('backs up with pg_dump from one snapshot, and restores with pg_restore into an empty database only', async () => {
    const backupDir = fresh('backup');
    const result = await backup([backupDir, '--database', database]);
    expect(JSON.stringify(result)).not.toContain(pg.password);
    expect(result).toMatchObject({ source: { engine: 'postgres', blobs: 'the PostgreSQL table blobs' }, database: { engine: 'postgres', file: 'database.pgdump' }, blobs: { location: 'database', count: 2 } });
    expect(result.tables.versions).toBe(2);
    expect((await fs.readdir(backupDir)).sort()).toEqual(['database.pgdump', 'manifest.json']);

    const target = await pg.createDatabase();
    const restored = await restore([backupDir, '--database', target]);
    expect(restored.tables).toEqual(result.tables);
    expect(JSON.stringify(restored)).not.toContain(pg.password);
    const original = await served(registry.api, token, skills);
    const onTarget = await registryOn(fresh('registry.db'), { database: target });
    try {
      expect(onTarget.registry.adminToken).toBeUndefined();
      expect(await served(onTarget.api, token, skills)).toEqual(original);
      // Ids go on after the restored ones.
      expect((await onTarget.api('POST', '/v1/users', { token, body: { name: 'erin' } })).status).toBe(201);
    } finally {
      await onTarget.registry.close();
    }
    // The restored database is not empty any more, nor is the source.
    expect((await fails('restore', [backupDir, '--database', target], 'ERESTORENOTEMPTY')).message).not.toContain(pg.password);
    await fails('restore', [backupDir, '--database', database], 'ERESTORENOTEMPTY');
    // Without --database: a usage error, nothing written.
    await fails('restore', [backupDir, '--db', fresh('registry.db')], 'EUSAGE');
    // Without PostgreSQL's client tools on PATH: nothing written, and what to install.
    const noTools = { PATH: '/nonexistent' };
    expect((await fails('restore', [backupDir, '--database', await pg.createDatabase()], 'EBACKUPTOOL', noTools)).message).toContain('pg_restore is not on PATH');
    const nowhere = fresh('backup');
    expect((await fails('backup', [nowhere, '--database', database], 'EBACKUPTOOL', noTools)).hint).toContain('postgresql-client');
    expect(await exists(nowhere)).toBe(false);
  });
});
