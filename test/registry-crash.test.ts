import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { integrityOf } from '../tarball/digest';
import { pack } from '../tarball/pack';
import { BIN } from '../testkit/cli';
import { skillFiles } from '../testkit/skill-files';
import { tempDir } from '../testkit/temp';

const KILLS = 50;
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
});

async function start(db: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--db', db, '--json', '--quiet'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('\n')) resolve((JSON.parse(out.split('\n')[0] ?? '{}') as { url: string }).url);
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}`)));
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

describe('registry crash safety', () => {
  it(`kill -9 during a stream of publishes, ${KILLS} times: every acknowledged publish survives intact, nothing is half-present`, async () => {
    const dir = await tempDir('crash');
    dirs.push(dir);
    const db = path.join(dir, 'db', 'registry.db');
    const random = prng(42);
    const acked = new Map<string, string>();
    let next = 0;
    let token = '';
    for (let round = 0; round < KILLS; round++) {
      const { child, url } = await start(db);
      if (round === 0) {
        token = (await fs.readFile(path.join(dir, 'db', 'admin-token'), 'utf8')).trim();
        const call = (p: string, body: object) => fetch(`${url}${p}`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
        await call('/v1/teams', { name: 'crash' });
        await call('/v1/scopes', { name: '@crash', team: 'crash' });
      }
      let killed = false;
      let roundAcks = 0;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      const publisher = async () => {
        while (!killed) {
          const version = `1.0.${next++}`;
          const bytes = (await pack(skillFiles({ name: 'stream', scope: '@crash', version, code: 'export const f = () => 1;', fixtures: { c: { call: { export: 'f', args: [] }, expect: { returns: 1 } } } }))).bytes;
          try {
            const res = await fetch(`${url}/v1/skills/@crash/stream`, { method: 'PUT', headers: { Authorization: `Bearer ${token}` }, body: bytes });
            if (res.status === 201) {
              acked.set(version, integrityOf(bytes));
              roundAcks++;
            }
            else await res.arrayBuffer();
          } catch {
            // the server died mid-request: this publish was never acknowledged
          }
        }
      };
      const publishers = Promise.all([publisher(), publisher(), publisher()]);
      // Kill at a random point after the stream is flowing (the first acknowledgement, or 5 s on a
      // very slow machine), so every round exercises publishes in flight whatever the machine's speed.
      const flowing = Date.now();
      while (roundAcks === 0 && Date.now() - flowing < 5000) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, Math.floor(random() * 300)));
      child.kill('SIGKILL');
      killed = true;
      await exited;
      await publishers;
    }
    expect(acked.size).toBeGreaterThanOrEqual(KILLS);

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
      expect(count('SELECT COUNT(*) AS n FROM tarballs')).toBe(versions);
      expect(count("SELECT COUNT(*) AS n FROM used_versions WHERE name = '@crash/stream'")).toBe(versions);
      expect(count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'publish'")).toBe(versions);
    } finally {
      sqlite.close();
    }
  }, 300_000);
});
