/**
 * Issue 26's done-when for backups: a backup taken by a real `skills registry backup` process
 * while a real `skills serve` process on SQLite takes 200 concurrent clients (100 publishing new
 * versions, 100 downloading packuments and tarballs) restores, through a real `skills registry
 * restore`, into a fresh database on which a registry serves every version acknowledged (201)
 * before the backup process started with the same version document and the same tarball bytes as
 * the original served. Versions published while the backup ran may be in it or not; each one that
 * is must be complete and identical too, and nothing else may be.
 *
 * Plain skills (SKILL.md and a reference file), published with `?version=`: no sandbox runs, so
 * the load is on the registry and its database, not on two busy cores running QuickJS. Another
 * reader holds a snapshot from before the load until the backup ended (as a `skills registry
 * migrate` would): checkpoints cannot move the load's writes into the database file meanwhile, so
 * a backup that copied the file without its write-ahead log would miss every one of them.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { integrityOf } from '../tarball/digest';
import { pack } from '../tarball/pack';
import { runCli } from '../testkit/cli';
import { registryApi, type Api } from '../testkit/http';
import { FILL_PUBLIC_URL, registryOn } from '../testkit/registry-fill';
import { serveRegistry, type ServedRegistry } from '../testkit/serve';
import { tempDir } from '../testkit/temp';

const PUBLISHERS = 100;
const DOWNLOADERS = 100;
/** Publishes acknowledged under load before the backup starts, and after it ended before the load stops. */
const BEFORE_BACKUP = 300;
const AFTER_BACKUP = 80;
/** The load stops by then whatever happened (the assertions then say what did not). */
const LOAD_DEADLINE_MS = 45_000;

let dir: string;
let served: ServedRegistry;
let api: Api;
let tokens: string[];

const enc = new TextEncoder();

/** A plain skill's tarball, its content different for every version. */
async function tarball(name: string, version: string): Promise<Uint8Array> {
  const bare = name.slice(name.indexOf('/') + 1);
  return (await pack([
    { path: 'SKILL.md', bytes: enc.encode(`---\nname: ${bare}\ndescription: The ${bare} skill, version ${version}.\n---\n\n# ${bare}\n\nRead references/notes.md.\n`) },
    { path: 'references/notes.md', bytes: enc.encode(`notes of ${name}@${version}\n`) },
  ])).bytes;
}

async function ok(res: Promise<Response>): Promise<Record<string, unknown>> {
  const r = await res;
  const text = await r.text();
  if (r.status >= 300) throw new Error(`${r.status} ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

beforeAll(async () => {
  dir = await tempDir('backup-load');
  // Tarball URLs name one origin on both registries, so version documents compare as text.
  served = await serveRegistry(['--public-url', FILL_PUBLIC_URL]);
  api = registryApi(() => served.url, (url) => (url.startsWith(FILL_PUBLIC_URL) ? url.slice(FILL_PUBLIC_URL.length) : url));
  const admin = served.adminToken;
  await ok(api('POST', '/v1/users', { token: admin, body: { name: 'loader' } }));
  await ok(api('POST', '/v1/teams', { token: admin, body: { name: 'load' } }));
  await ok(api('POST', '/v1/teams/load/members', { token: admin, body: { user: 'loader', role: 'owner' } }));
  await ok(api('POST', '/v1/scopes', { token: admin, body: { name: '@load', team: 'load' } }));
  // A token per publisher: the registry limits publishes per token (120 a minute).
  tokens = [];
  for (let i = 0; i < PUBLISHERS; i += 20) {
    const batch = await Promise.all(Array.from({ length: Math.min(20, PUBLISHERS - i) }, () => ok(api('POST', '/v1/tokens', { token: admin, body: { user: 'loader', permission: 'publish' } }))));
    tokens.push(...batch.map((t) => t.token as string));
  }
}, 60_000);

afterAll(async () => {
  await served?.stop();
});

interface Published {
  name: string;
  version: string;
  integrity: string;
}

/** Each version a registry serves: its version document as text, and its tarball's bytes. */
async function servedVersions(on: Api, names: readonly string[]): Promise<Map<string, { document: string; tarball: Buffer }>> {
  const out = new Map<string, { document: string; tarball: Buffer }>();
  const queue = [...names];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
        const res = await on('GET', `/v1/skills/${name}`);
        if (res.status === 404) continue;
        expect(res.status, name).toBe(200);
        const packument = (await res.json()) as { versions: Record<string, { dist: { tarball: string } }> };
        for (const [version, document] of Object.entries(packument.versions)) {
          const bytes = Buffer.from(await (await on('GET', document.dist.tarball)).arrayBuffer());
          out.set(`${name}@${version}`, { document: JSON.stringify(document), tarball: bytes });
        }
      }
    }),
  );
  return out;
}

describe('a backup under 200 concurrent publishes and downloads', () => {
  it('restores every version acknowledged before it began, byte for byte, and nothing half-written', async () => {
    const backupDir = path.join(dir, 'backup');
    const names = Array.from({ length: PUBLISHERS }, (_, i) => `@load/p${i}`);
    const acked: Published[] = [];
    const failures: string[] = [];
    let downloads = 0;
    let stop = false;
    let backupStarted: number | undefined;
    let backupEnded: number | undefined;
    let ackedAfterBackup = 0;
    const during = { publishes: 0, downloads: 0 };
    const running = () => backupStarted !== undefined && backupEnded === undefined;
    const deadline = setTimeout(() => (stop = true), LOAD_DEADLINE_MS);

    const publisher = async (i: number) => {
      const name = names[i] as string;
      for (let n = 0; !stop; n++) {
        const version = `1.0.${n}`;
        const bytes = await tarball(name, version);
        const res = await api('PUT', `/v1/skills/${name}?version=${version}`, { token: tokens[i], body: bytes });
        const text = await res.text();
        if (res.status !== 201) {
          failures.push(`publish ${name}@${version}: ${res.status} ${text.slice(0, 200)}`);
          stop = true;
          return;
        }
        acked.push({ name, version, integrity: integrityOf(bytes) });
        if (running()) during.publishes++;
        if (backupEnded !== undefined && ++ackedAfterBackup >= AFTER_BACKUP) stop = true;
      }
    };
    const downloader = async (i: number) => {
      while (!stop) {
        const pick = acked[Math.floor(Math.random() * acked.length)];
        if (pick === undefined) {
          await new Promise((r) => setTimeout(r, 20));
          continue;
        }
        const res = await api('GET', `/v1/skills/${pick.name}`);
        const packument = (await res.json()) as { versions?: Record<string, { dist: { tarball: string; integrity: string } }> };
        const dist = packument.versions?.[pick.version]?.dist;
        if (res.status !== 200 || dist === undefined || dist.integrity !== pick.integrity) {
          failures.push(`downloader ${i}: packument of ${pick.name}: ${res.status}, ${pick.version} ${dist ? `with integrity ${dist.integrity}` : 'missing'}`);
          stop = true;
          return;
        }
        const got = await api('GET', dist.tarball);
        const bytes = new Uint8Array(await got.arrayBuffer());
        if (got.status !== 200 || integrityOf(bytes) !== pick.integrity) {
          failures.push(`downloader ${i}: tarball of ${pick.name}@${pick.version}: ${got.status}`);
          stop = true;
          return;
        }
        downloads++;
        if (running()) during.downloads++;
      }
    };
    const file = path.join(served.dir, 'db', 'registry.db');
    const reader = new Database(file, { readonly: true });
    reader.exec('BEGIN');
    const held = reader.prepare('SELECT COUNT(*) FROM versions').pluck().get();
    expect(held).toBe(0);
    const backupRun = (async () => {
      while (!stop && acked.length < BEFORE_BACKUP) await new Promise((r) => setTimeout(r, 10));
      if (stop) return undefined;
      // Read synchronously before the process is spawned: every 201 counted here came before it.
      const before = new Map(acked.map((p) => [`${p.name}@${p.version}`, p]));
      backupStarted = performance.now();
      const result = await runCli(['registry', 'backup', backupDir, '--db', file, '--json'], { timeoutMs: 60_000 });
      backupEnded = performance.now();
      reader.exec('COMMIT');
      return { before, result };
    })();

    const started = performance.now();
    await Promise.all([...Array.from({ length: PUBLISHERS }, (_, i) => publisher(i)), ...Array.from({ length: DOWNLOADERS }, (_, i) => downloader(i)), backupRun]);
    clearTimeout(deadline);
    reader.close();
    const loadMs = performance.now() - started;
    const backup = await backupRun;
    expect(failures).toEqual([]);
    expect(backup, 'the backup started').toBeDefined();
    if (backup === undefined) return;
    expect(backup.result.code, `${backup.result.stdout}\n${backup.result.stderr}`).toBe(0);
    expect(ackedAfterBackup, 'the load went on after the backup').toBeGreaterThanOrEqual(AFTER_BACKUP);
    // The registry answered publishes and downloads while the backup ran.
    expect(during.publishes).toBeGreaterThan(0);
    expect(during.downloads).toBeGreaterThan(0);
    const backedUp = backup.result.json<{ blobs: { count: number }; tables: Record<string, number>; durationMs: number }>();
    expect(backedUp.tables.versions).toBeGreaterThanOrEqual(backup.before.size);

    // What the original serves now (after the load): every acknowledged version, its bytes as published.
    const original = await servedVersions(api, names);
    for (const p of acked) expect(integrityOf(original.get(`${p.name}@${p.version}`)?.tarball ?? new Uint8Array()), `${p.name}@${p.version}`).toBe(p.integrity);

    const target = path.join(dir, 'restored', 'registry.db');
    const restoring = await runCli(['registry', 'restore', backupDir, '--db', target, '--json'], { timeoutMs: 60_000 });
    expect(restoring.code, `${restoring.stdout}\n${restoring.stderr}`).toBe(0);
    expect(restoring.json<{ blobs: { count: number } }>().blobs.count).toBe(backedUp.blobs.count);
    const restored = await registryOn(target);
    let copy: Map<string, { document: string; tarball: Buffer }>;
    try {
      copy = await servedVersions(restored.api, names);
    } finally {
      await restored.registry.close();
    }
    const missing = [...backup.before.keys()].filter((v) => !copy.has(v));
    expect(missing, 'acknowledged before the backup began, missing from the restored registry').toEqual([]);
    const differing = [...copy].filter(([v, { document, tarball }]) => {
      const theirs = original.get(v);
      return theirs === undefined || theirs.document !== document || !theirs.tarball.equals(tarball);
    });
    expect(differing.map(([v]) => v), 'restored versions that are not what the original serves').toEqual([]);
    expect(copy.size).toBe(backedUp.tables.versions);
    console.log(
      `backup under load: ${acked.length} publishes and ${downloads} downloads in ${(loadMs / 1000).toFixed(1)} s; ` +
        `${backup.before.size} versions acknowledged before the backup, ${copy.size} in it (${copy.size - backup.before.size} published while it ran); ` +
        `during the backup process (${((backupEnded ?? 0) - (backupStarted ?? 0)).toFixed(0)} ms, ${backedUp.durationMs} ms of work): ${during.publishes} publishes, ${during.downloads} downloads`,
    );
    await fs.rm(backupDir, { recursive: true, force: true });
  }, 120_000);
});
