/**
 * The registry crash test, shared by test/registry-crash*.test.ts so two workers run its kills side
 * by side: a real `skills serve` killed with SIGKILL during streams of concurrent publishes, again
 * and again on one database, then every acknowledged publish checked against what survived.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'vitest';
import { integrityOf } from '../tarball/digest';
import { pack } from '../tarball/pack';
import { BIN } from './cli';
import { skillFiles } from './skill-files';
import { tempDir } from './temp';

async function start(db: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--db', db, '--json', '--quiet'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      // The ready line is one line of JSON; anything else (an error, pretty-printed) is reported at exit.
      const first = out.split('\n')[0] ?? '';
      if (out.includes('\n') && first.startsWith('{"')) resolve((JSON.parse(first) as { url: string }).url);
    });
    child.once('close', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
  });
  return { child, url };
}

/** A small deterministic PRNG so every run kills at the same offsets. */
function prng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

/**
 * Kills a registry `kills` times while three publishers stream versions into it, at offsets drawn
 * from `seed`, then checks that every acknowledged version is present with its integrity and
 * downloadable, and that versions, tarballs, used versions and audit entries agree row for row.
 */
export async function killDuringPublishes(kills: number, seed: number): Promise<void> {
  const dir = await tempDir('crash');
  const db = path.join(dir, 'db', 'registry.db');
  const random = prng(seed);
  const acked = new Map<string, string>();
  let next = 0;
  let token = '';
  for (let round = 0; round < kills; round++) {
    const { child, url } = await start(db);
    if (round === 0) {
      token = (await fs.readFile(path.join(dir, 'db', 'admin-token'), 'utf8')).trim();
      const call = (p: string, body: object) => fetch(`${url}${p}`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      await call('/v1/teams', { name: 'crash' });
      await call('/v1/scopes', { name: '@crash', team: 'crash' });
    }
    let killed = false;
    let flowing!: () => void;
    const firstAck = new Promise<void>((resolve) => (flowing = resolve));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const publisher = async () => {
      while (!killed) {
        const version = `1.0.${next++}`;
        const bytes = (await pack(skillFiles({ name: 'stream', scope: '@crash', version, code: 'export const f = () => 1;', fixtures: { c: { call: { export: 'f', args: [] }, expect: { returns: 1 } } } }))).bytes;
        try {
          const res = await fetch(`${url}/v1/skills/@crash/stream`, { method: 'PUT', headers: { Authorization: `Bearer ${token}` }, body: bytes });
          if (res.status === 201) {
            acked.set(version, integrityOf(bytes));
            flowing();
          } else await res.arrayBuffer();
        } catch {
          // the server died mid-request: this publish was never acknowledged
        }
      }
    };
    const publishers = Promise.all([publisher(), publisher(), publisher()]);
    // Kill at a random point after the stream is flowing (the first acknowledgement, or 5 s on a
    // very slow machine), so every round exercises publishes in flight whatever the machine's speed.
    let waited: NodeJS.Timeout | undefined;
    await Promise.race([firstAck, new Promise((r) => (waited = setTimeout(r, 5000)))]);
    clearTimeout(waited);
    await new Promise((r) => setTimeout(r, Math.floor(random() * 300)));
    child.kill('SIGKILL');
    killed = true;
    await exited;
    await publishers;
  }
  expect(acked.size).toBeGreaterThanOrEqual(kills);

  const { child, url } = await start(db);
  try {
    const packument = (await (await fetch(`${url}/v1/skills/@crash/stream`)).json()) as { versions: Record<string, { dist: { integrity: string; tarball: string } }> };
    for (const [version, integrity] of acked) {
      const v = packument.versions[version];
      expect(v?.dist.integrity, version).toBe(integrity);
      const bytes = new Uint8Array(await (await fetch(v?.dist.tarball ?? '')).arrayBuffer());
      expect(integrityOf(bytes), version).toBe(integrity);
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  const sqlite = new Database(db, { readonly: true });
  try {
    expect(sqlite.pragma('integrity_check', { simple: true })).toBe('ok');
    const count = (sql: string) => (sqlite.prepare(sql).get() as { n: number }).n;
    const versions = count('SELECT COUNT(*) AS n FROM versions');
    // Every version's tarball is in the blob store (an unnamed blob left by a kill is harmless).
    expect(count('SELECT COUNT(*) AS n FROM versions v WHERE NOT EXISTS (SELECT 1 FROM blobs b WHERE b.sha256 = v.tarball_sha256)')).toBe(0);
    expect(count("SELECT COUNT(*) AS n FROM used_versions WHERE name = '@crash/stream'")).toBe(versions);
    expect(count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'publish'")).toBe(versions);
  } finally {
    sqlite.close();
  }
}
