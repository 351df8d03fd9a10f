/**
 * What `skills registry migrate` refuses, and how it resumes. Through the real `skills` process:
 * sources that are not a registry database at this schema version (EMIGRATESOURCE, no target
 * created), targets holding other data or being the source (EMIGRATETARGET, left unchanged), a
 * damaged or missing source blob (EBLOBCORRUPT / EBLOBMISSING naming the version, nothing written
 * for it, and a resumed run once it is restored), a password in the target URL (never printed), no
 * target at all (EUSAGE). In process, over batches of 2 rows: a run failing after any batch is
 * completed by the next one, and rows changed, added or deleted in the source since the last run
 * (at the ends of key ranges too) are brought over.
 */
import { mkdirSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, SCHEMA_VERSION, startRegistry } from '../registry-server/index';
import { migrateRegistry, MIGRATED_TABLES, NOT_MIGRATED, type MigrateResult } from '../registry-server/storage/migrate';
import { openTarget } from '../registry-server/storage/migrate-target';
import { isSkillsError } from '../schema/errors';
import { runCli } from '../testkit/cli';
import { dumpDb } from '../testkit/db-dump';
import { fillRegistry } from '../testkit/registry-fill';
import { tempDir } from '../testkit/temp';

let dir: string;
/** A filled registry's database, no longer served: tests copy it before changing anything. */
let template: string;
let counter = 0;

beforeAll(async () => {
  dir = await tempDir('migrate-checks');
  const filled = await fillRegistry(path.join(dir, 'template', 'registry.db'));
  await filled.close();
  template = filled.file;
}, 180_000);

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** A fresh copy of the filled database, in a folder of its own. */
async function sourceCopy(): Promise<string> {
  const file = path.join(dir, `case-${++counter}`, 'source.db');
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.copyFile(template, file);
  return file;
}

/** A path for a target in a new folder of its own (the file does not exist). */
function fresh(): string {
  const folder = path.join(dir, `case-${++counter}`);
  mkdirSync(folder);
  return path.join(folder, 'target.db');
}

function dump(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    const tables = JSON.parse(dumpDb(db)) as Record<string, string[]>;
    delete tables.skills_fts_data;
    delete tables.skills_fts_idx;
    return JSON.stringify(tables);
  } finally {
    db.close();
  }
}

/** Runs the CLI expecting a failure: its JSON error, and everything it printed. */
async function fails(args: string[], code: string, env: NodeJS.ProcessEnv = {}): Promise<{ message: string; hint: string; printed: string }> {
  const run = await runCli(['registry', 'migrate', ...args, '--json'], { env, timeoutMs: 120_000 });
  const body = run.json<{ error: { code: string; message: string; hint: string } }>();
  expect(body.error?.code, `${run.stdout}\n${run.stderr}`).toBe(code);
  expect(run.code).toBe(code === 'EUSAGE' ? 2 : 1);
  return { message: body.error.message, hint: body.error.hint, printed: run.stdout + run.stderr };
}

const exists = (file: string) => fs.stat(file).then(() => true, () => false);

describe('the source', () => {
  it('EMIGRATESOURCE: a missing, empty, non-SQLite, foreign, older or newer database is refused, and no target is created', async () => {
    const base = path.join(dir, 'sources');
    await fs.mkdir(base);
    const file = (name: string) => path.join(base, name);
    await fs.writeFile(file('empty.db'), '');
    await fs.writeFile(file('text.db'), 'not a database at all, just some text that is long enough to be a header');
    const foreign = new Database(file('foreign.db'));
    foreign.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)');
    foreign.close();
    for (const [name, version] of [['older.db', SCHEMA_VERSION - 1], ['newer.db', SCHEMA_VERSION + 1]] as const) {
      openDatabase(file(name)).close();
      const db = new Database(file(name));
      db.pragma(`user_version = ${version}`);
      db.close();
    }
    const cases: [string, RegExp][] = [
      ['missing.db', /no such file/],
      ['empty.db', /empty/],
      ['text.db', /not a SQLite database/],
      ['foreign.db', /another program/],
      ['older.db', new RegExp(`schema version ${SCHEMA_VERSION - 1}.*only a database at this version's schema \\(${SCHEMA_VERSION}\\)`)],
      ['newer.db', /newer/],
    ];
    for (const [name, why] of cases) {
      const target = fresh();
      const error = await fails(['--from', file(name), '--to', target], 'EMIGRATESOURCE');
      expect(error.message, name).toMatch(why);
      expect(await exists(target), name).toBe(false);
    }
    const older = await fails(['--from', file('older.db'), '--to', fresh()], 'EMIGRATESOURCE');
    expect(older.hint).toContain('skills serve --db');
  }, 120_000);

  it('copies every table of the schema but the search index and SQLite\'s own (MIGRATED_TABLES is complete)', () => {
    const db = openDatabase(':memory:');
    try {
      const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[]).filter((t) => !NOT_MIGRATED.test(t)).sort();
      expect(MIGRATED_TABLES.map((t) => t.name).sort()).toEqual(tables);
    } finally {
      db.close();
    }
  });
});

describe('the target', () => {
  it('EMIGRATETARGET: the source itself, a registry of its own, rows of other things, another schema version or not SQLite; each left unchanged', async () => {
    const source = await sourceCopy();
    const before = dump(source);
    const itself = await fails(['--from', source, '--to', source], 'EMIGRATETARGET');
    expect(itself.message).toContain('the source itself');
    expect(dump(source)).toBe(before);

    // A registry started on the target: its own admin user (id 1, like the source's) and admin token.
    const served = fresh();
    await (await startRegistry({ port: 0, db: served, workers: 1 })).close();
    const servedDump = dump(served);
    const other = await fails(['--from', source, '--to', served], 'EMIGRATETARGET');
    expect(other.message).toMatch(/a row of tokens \(id "[A-Za-z0-9]{16}", user_id 1\), which the source does not have; nothing was written/);
    expect(other.hint).toContain('admin user and token');
    expect(dump(served)).toBe(servedDump);

    // A complete copy, then changed: a user renamed; a skill the source does not have.
    const changes: [string, string, RegExp][] = [
      ["UPDATE users SET name = 'mallory' WHERE name = 'bob'", 'renamed', /a row of users \(id \d+, name "mallory"\), which the source holds with another name \(a row of users \(id \d+, name "bob"\)\)/],
      ["INSERT INTO skills (id, name, scope_id, created_at, updated_at) VALUES (999, '@acme/intruder', 1, '2026-01-01', '2026-01-01')", 'extra', /a row of skills \(id 999, name "@acme\/intruder"\), which the source does not have/],
    ];
    for (const [sql, label, why] of changes) {
      const target = fresh();
      expect((await runCli(['registry', 'migrate', '--from', source, '--to', target, '--json'])).code, label).toBe(0);
      const db = new Database(target);
      db.exec(sql);
      db.close();
      const changed = dump(target);
      const error = await fails(['--from', source, '--to', target], 'EMIGRATETARGET');
      expect(error.message, label).toMatch(why);
      expect(dump(target), label).toBe(changed);
    }

    // A registry database at another schema version, and a file that is not SQLite.
    const older = fresh();
    openDatabase(older).close();
    const raw = new Database(older);
    raw.pragma(`user_version = ${SCHEMA_VERSION - 1}`);
    raw.close();
    const olderDump = dump(older);
    expect((await fails(['--from', source, '--to', older], 'EMIGRATETARGET')).message).toContain(`schema version ${SCHEMA_VERSION - 1}`);
    expect(dump(older)).toBe(olderDump);
    const text = fresh();
    await fs.writeFile(text, 'some notes, not a database, long enough for a header');
    expect((await fails(['--from', source, '--to', text], 'EMIGRATETARGET')).message).toContain('not a SQLite database');
    expect(await fs.readFile(text, 'utf8')).toBe('some notes, not a database, long enough for a header');
    expect(dump(source)).toBe(before);
  }, 180_000);

  it('never prints the password of a target URL (from --to or SKILLS_DATABASE_URL); without a target it is EUSAGE', async () => {
    const source = await sourceCopy();
    const secret = 'Sup3r-s3cret-pw';
    // Nothing listens on port 1: the target is out of reach, and says so without the password.
    const pg = await fails(['--from', source, '--to', `postgres://registry:${secret}@127.0.0.1:1/skills?sslpassword=${secret}2`], 'EDBUNAVAILABLE');
    expect(pg.printed).not.toContain(secret);
    expect(pg.message).toContain('127.0.0.1:1/skills');
    const env = await fails(['--from', source], 'EDBUNAVAILABLE', { SKILLS_DATABASE_URL: `postgres://registry:${secret}@127.0.0.1:1/skills` });
    expect(env.printed).not.toContain(secret);
    const other = await fails(['--from', source, '--to', `mysql://registry:${secret}@127.0.0.1/skills`], 'EMIGRATETARGET');
    expect(other.printed).not.toContain(secret);
    expect(other.message).toContain('neither a postgres:// URL nor a file path');
    const none = await fails(['--from', source], 'EUSAGE', { SKILLS_DATABASE_URL: '' });
    expect(none.message).toContain('SKILLS_DATABASE_URL');
  }, 120_000);
});

describe('blobs', () => {
  it('EBLOBCORRUPT: a source blob that does not match its digest stops the copy, naming the version; nothing is written for it; restored, the copy resumes', async () => {
    const source = await sourceCopy();
    const db = new Database(source);
    const victim = db.prepare("SELECT v.tarball_sha256 AS sha, b.bytes FROM versions v JOIN skills s ON s.id = v.skill_id JOIN blobs b ON b.sha256 = v.tarball_sha256 WHERE s.name = '@acme/notes' AND v.version = '1.0.0'").get() as { sha: string; bytes: Buffer };
    const damaged = Buffer.from(victim.bytes);
    damaged[damaged.length >> 1] = (damaged[damaged.length >> 1] ?? 0) ^ 0xff;
    db.prepare('UPDATE blobs SET bytes = ? WHERE sha256 = ?').run(damaged, victim.sha);
    db.close();

    const target = fresh();
    const error = await fails(['--from', source, '--to', target], 'EBLOBCORRUPT');
    expect(error.message).toContain('@acme/notes@1.0.0');
    expect(error.message).toContain(victim.sha);
    const partial = new Database(target, { readonly: true });
    try {
      expect(partial.prepare('SELECT COUNT(*) AS n FROM blobs WHERE sha256 = ?').get(victim.sha)).toEqual({ n: 0 });
      expect(partial.prepare('SELECT COUNT(*) AS n FROM versions').get()).toEqual({ n: 0 });
    } finally {
      partial.close();
    }

    // Missing instead of damaged: EBLOBMISSING, also naming the version.
    const fix = new Database(source);
    fix.prepare('DELETE FROM blobs WHERE sha256 = ?').run(victim.sha);
    fix.close();
    expect((await fails(['--from', source, '--to', target], 'EBLOBMISSING')).message).toContain('@acme/notes@1.0.0');

    // Restored from a backup: the next run completes the copy.
    const restore = new Database(source);
    restore.prepare('INSERT INTO blobs (sha256, bytes) VALUES (?, ?)').run(victim.sha, victim.bytes);
    restore.close();
    const run = await runCli(['registry', 'migrate', '--from', source, '--to', target, '--json']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.json<MigrateResult>().blobs.present).toBeGreaterThan(0);
    expect(dump(target)).toBe(dump(source));
  }, 120_000);
});

describe('resuming, in batches of two rows', () => {
  it('completes a copy that failed after any batch, and brings over what the source changed since', async () => {
    const source = await sourceCopy();
    const copy = (target: string, afterBatch?: (n: number) => Promise<void>) =>
      (async () => {
        const opened = await openTarget(target, { source });
        try {
          return await migrateRegistry({ from: source, target: opened, batchSize: 2, afterBatch });
        } finally {
          await opened.close();
        }
      })();

    let batches = 0;
    const whole = fresh();
    await copy(whole, async (n) => {
      batches = n;
    });
    expect(dump(whole)).toBe(dump(source));
    expect(batches).toBeGreaterThan(40);

    for (const at of [1, 7, Math.floor(batches / 2), batches - 2, batches - 1]) {
      const target = fresh();
      const failed = await copy(target, async (n) => {
        if (n === at) throw new Error(`stopped after batch ${n}`);
      }).catch((error: unknown) => error);
      expect(failed, `at ${at}`).toBeInstanceOf(Error);
      expect(isSkillsError(failed), `at ${at}`).toBe(false);
      await copy(target);
      expect(dump(target), `at ${at}`).toBe(dump(source));
    }

    // The source changes: rows deleted at the start and end of key ranges, rows changed, rows added.
    const db = new Database(source);
    db.exec(`
      DELETE FROM dist_tags WHERE tag = 'stable';
      DELETE FROM web_sessions WHERE id_hash = (SELECT MIN(id_hash) FROM web_sessions);
      DELETE FROM audit_allowances;
      DELETE FROM downloads WHERE (version_id, day) = (SELECT version_id, day FROM downloads ORDER BY version_id DESC, day DESC LIMIT 1);
      UPDATE versions SET deprecated = 'gone soon' WHERE id = (SELECT MIN(id) FROM versions);
      UPDATE version_downloads SET count = count + 40;
      INSERT INTO audit_log (at, action, target) VALUES ('2030-01-01T00:00:00.000Z', 'test', 'resume');
      INSERT INTO used_versions (name, version) VALUES ('@acme/gone', '0.0.1');
    `);
    db.close();
    const synced = await copy(whole);
    expect(dump(whole)).toBe(dump(source));
    expect(synced.tables.dist_tags).toMatchObject({ removed: 1, copied: 0 });
    expect(synced.tables.web_sessions).toMatchObject({ removed: 1, copied: 0 });
    expect(synced.tables.audit_allowances).toMatchObject({ removed: 1, copied: 0 });
    expect(synced.tables.downloads).toMatchObject({ removed: 1, copied: 0 });
    expect(synced.tables.versions).toMatchObject({ updated: 1, copied: 0 });
    expect(synced.tables.version_downloads?.updated).toBeGreaterThan(1);
    expect(synced.tables.audit_log).toMatchObject({ copied: 1, updated: 0 });
    expect(synced.tables.used_versions).toMatchObject({ copied: 1 });
    expect(synced.blobs.copied).toBe(0);
  }, 180_000);
});
