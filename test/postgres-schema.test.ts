/**
 * The PostgreSQL schema (registry-server/storage/postgres-schema.ts) against a real PostgreSQL: it
 * ends at SQLite's version and has the same tables and columns as SQLite at that version; a new
 * database is migrated once even by several processes at once; a newer or foreign database is
 * refused unchanged; the two triggers and the checks behave as SQLite's do.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, SCHEMA_VERSION } from '../registry-server/db';
import { readAdminLog, recordAdminAction } from '../registry-server/admin-log';
import { MIGRATIONS } from '../registry-server/migrations';
import { PostgresDatabase } from '../registry-server/storage/postgres';
import { migratePostgres, POSTGRES_MIGRATIONS, POSTGRES_SCHEMA_VERSION } from '../registry-server/storage/postgres-schema';
import type { PostgresDatabases } from '../testkit/postgres';
import { refusal } from '../testkit/refusal';
import { sharedPostgres } from '../testkit/shared-postgres';

let server: PostgresDatabases;
const opened: PostgresDatabase[] = [];

beforeAll(async () => {
  server = await sharedPostgres();
});

afterAll(async () => {
  for (const db of opened) await db.close();
});

async function open(url: string): Promise<PostgresDatabase> {
  const db = await PostgresDatabase.open(url);
  opened.push(db);
  return db;
}

/** Tables, columns, types, nullability, constraints, indexes, triggers and rows of registry_schema: what a refusal must not change. */
async function snapshot(db: PostgresDatabase): Promise<unknown> {
  return {
    columns: await db.all("SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY 1, 2"),
    constraints: await db.all("SELECT conname FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = current_schema() ORDER BY 1"),
    indexes: await db.all('SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() ORDER BY 1'),
    triggers: await db.all('SELECT tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1'),
    marker: await db.all("SELECT * FROM registry_schema WHERE to_regclass('registry_schema') IS NOT NULL").catch(() => 'none'),
  };
}

describe('the PostgreSQL schema', () => {
  it('ends at the SQLite schema version (every new migration goes into both lists)', () => {
    expect(POSTGRES_SCHEMA_VERSION).toBe(SCHEMA_VERSION);
    expect(POSTGRES_SCHEMA_VERSION).toBe(MIGRATIONS.length);
    const versions = POSTGRES_MIGRATIONS.map((m) => m.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(new Set(versions).size).toBe(versions.length);
  });

  it('migrates a new database to the same tables and columns as SQLite, with matching types and NOT NULL', async () => {
    const db = await open(await server.createDatabase());
    await migratePostgres(db);
    expect(await db.get('SELECT application, version FROM registry_schema')).toEqual({ application: 'skills-registry', version: SCHEMA_VERSION });

    const lite = openDatabase(':memory:');
    const expected = new Map<string, string>();
    const liteTables = (lite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'skills_fts%'").all() as { name: string }[]).map((t) => t.name);
    for (const table of liteTables) {
      for (const c of lite.pragma(`table_info(${table})`) as { name: string; type: string; notnull: number; pk: number }[]) {
        const type = c.type === 'INTEGER' ? 'integer' : c.type === 'BLOB' ? 'bytea' : 'text';
        expected.set(`${table}.${c.name}`, `${type} ${c.notnull === 1 || c.pk > 0 ? 'not null' : 'null'}`);
      }
    }
    lite.close();
    const actual = new Map<string, string>();
    const pgTables = new Set<string>();
    for (const c of await db.all<{ table_name: string; column_name: string; data_type: string; is_nullable: string }>(
      "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = current_schema()",
    )) {
      pgTables.add(c.table_name);
      const type = c.data_type === 'bigint' ? 'integer' : c.data_type;
      actual.set(`${c.table_name}.${c.column_name}`, `${type} ${c.is_nullable === 'NO' ? 'not null' : 'null'}`);
    }
    // What PostgreSQL has on top: its version mark, the change feed and the search documents (for FTS5's table).
    expect([...pgTables].filter((t) => !liteTables.includes(t)).sort()).toEqual(['registry_changes', 'registry_schema', 'registry_state', 'skills_search']);
    expect(liteTables.filter((t) => !pgTables.has(t))).toEqual([]);
    for (const [column, shape] of expected) expect(`${column}: ${actual.get(column)}`).toBe(`${column}: ${shape}`);

    // Migrating again changes nothing.
    const before = await snapshot(db);
    await migratePostgres(db);
    expect(await snapshot(db)).toEqual(before);
  });

  it('brings a version 6 database to 7 keeping every admin log row (no address), and reads the log as on SQLite', async () => {
    const db = await open(await server.createDatabase());
    const first = POSTGRES_MIGRATIONS[0];
    if (first?.version !== 6 || typeof first.up !== 'string') throw new Error('the first step builds version 6 in SQL');
    const sql = first.up;
    await db.transaction(async (tx) => {
      await tx.run(sql);
      await tx.run("INSERT INTO registry_schema (id, application, version) VALUES (1, 'skills-registry', 6)");
    });
    await db.run("INSERT INTO users (name, created_at) VALUES ('ada', 'now')");
    for (let i = 1; i <= 5; i++) {
      await db.run('INSERT INTO audit_log (at, user_id, token_id, action, target, details) VALUES (?, ?, ?, ?, ?, ?)', [`2025-01-0${i}T00:00:00.000Z`, i === 5 ? null : 1, 'AAAAAAAAAAAAAAAA', 'publish', `@acme/a@1.0.${i}`, i === 1 ? null : '{"tag":"latest"}']);
    }
    const before = await db.all<Record<string, unknown>>('SELECT * FROM audit_log ORDER BY id');
    await migratePostgres(db);
    expect(await db.get('SELECT version FROM registry_schema')).toEqual({ version: SCHEMA_VERSION });
    expect(await db.all('SELECT * FROM audit_log ORDER BY id')).toEqual(before.map((row) => ({ ...row, address: null })));
    expect(await db.all("SELECT indexname FROM pg_indexes WHERE tablename = 'audit_log' AND indexname = 'audit_log_at'")).toHaveLength(1);

    const page = await readAdminLog(db, { since: '2025-01-02T00:00:00.000Z', limit: 2 });
    expect(page.entries.map((e) => [e.target, e.user, e.address])).toEqual([
      ['@acme/a@1.0.5', null, null],
      ['@acme/a@1.0.4', 'ada', null],
    ]);
    const rest = await readAdminLog(db, { since: '2025-01-02T00:00:00.000Z', before: page.next ?? 0, limit: 2 });
    expect(rest.entries.map((e) => e.target)).toEqual(['@acme/a@1.0.3', '@acme/a@1.0.2']);
    expect(rest.next).toBeNull();
    expect((await readAdminLog(db, { limit: 10 })).entries.at(-1)).toMatchObject({ target: '@acme/a@1.0.1', details: null });
    await db.transaction((tx) => recordAdminAction(tx, { userId: 1, tokenId: 'BBBBBBBBBBBBBBBB', address: '::1' }, { action: 'team-create', target: 'crew' }));
    expect((await readAdminLog(db, { limit: 1 })).entries).toEqual([{ id: 6, at: expect.any(String), user: 'ada', tokenId: 'BBBBBBBBBBBBBBBB', address: '::1', action: 'team-create', target: 'crew', details: null }]);
  });

  it('is migrated once when several registry processes start on a new database at once', async () => {
    const url = await server.createDatabase();
    const pools = await Promise.all([open(url), open(url), open(url)]);
    await Promise.all(pools.map((db) => migratePostgres(db)));
    expect(await pools[0]?.all('SELECT version FROM registry_schema')).toEqual([{ version: SCHEMA_VERSION }]);
    expect(await pools[1]?.get('SELECT change_seq FROM registry_state')).toEqual({ change_seq: 0 });
  });

  it('refuses a database of a newer schema (EDBNEWER) and leaves it as it was', async () => {
    const db = await open(await server.createDatabase());
    await migratePostgres(db);
    await db.run('UPDATE registry_schema SET version = ?', [SCHEMA_VERSION + 1]);
    await db.run('CREATE TABLE from_the_future (x integer)');
    const before = await snapshot(db);
    const error = await refusal(migratePostgres(db));
    expect(error.code).toBe('EDBNEWER');
    expect(error.message).toContain(`version ${SCHEMA_VERSION + 1}`);
    expect(error.message).not.toContain(server.password);
    expect(await snapshot(db)).toEqual(before);
  });

  it('refuses a database of another program (EDBFOREIGN) and leaves it as it was', async () => {
    const other = await open(await server.createDatabase());
    await other.run('CREATE TABLE orders (id integer PRIMARY KEY, total integer)');
    await other.run('INSERT INTO orders VALUES (1, 42)');
    const before = await snapshot(other);
    const error = await refusal(migratePostgres(other));
    expect(error.code).toBe('EDBFOREIGN');
    expect(error.message).toContain('not changed');
    expect(await snapshot(other)).toEqual(before);
    expect(await other.all('SELECT * FROM orders')).toEqual([{ id: 1, total: 42 }]);

    // A table of the same name that is not a registry's mark.
    const lookalike = await open(await server.createDatabase());
    await lookalike.run('CREATE TABLE registry_schema (id integer, application text, version integer)');
    await lookalike.run("INSERT INTO registry_schema VALUES (1, 'someone-else', 3)");
    const marked = await snapshot(lookalike);
    expect((await refusal(migratePostgres(lookalike))).code).toBe('EDBFOREIGN');
    expect(await snapshot(lookalike)).toEqual(marked);
  });

  it('keeps the triggers and checks SQLite has: dependencies from the manifest, sessions ended by a revoked token', async () => {
    const db = await open(await server.createDatabase());
    await migratePostgres(db);
    await db.run("INSERT INTO users (name, created_at) VALUES ('ada', 'now')");
    await db.run("INSERT INTO teams (name, created_at) VALUES ('t', 'now')");
    await db.run("INSERT INTO scopes (name, team_id, created_at) VALUES ('acme', 1, 'now')");
    const skill = await db.get<{ id: number }>("INSERT INTO skills (name, scope_id, created_at, updated_at) VALUES ('@acme/x', 1, 'now', 'now') RETURNING id");
    const insertVersion = (version: string, manifest: unknown) =>
      db.get<{ id: number }>(
        "INSERT INTO versions (skill_id, version, integrity, digest, manifest, skill_md, description, files, file_count, unpacked_size, size, verification, published_at) VALUES (?, ?, 'i', 'd', ?, '', '', '[]', 0, 0, 0, '{}', 'now') RETURNING id",
        [skill?.id ?? 0, version, JSON.stringify(manifest)],
      );
    const v1 = await insertVersion('1.0.0', { dependencies: { '@acme/a': '^1.0.0', '@acme/b': '2.0.0' } });
    await insertVersion('1.0.1', { dependencies: {} });
    await insertVersion('1.0.2', {});
    await insertVersion('1.0.3', { dependencies: ['not', 'an', 'object'] });
    expect(await db.all('SELECT dependency, version_id FROM skill_dependencies ORDER BY dependency')).toEqual([
      { dependency: '@acme/a', version_id: v1?.id },
      { dependency: '@acme/b', version_id: v1?.id },
    ]);
    expect(await db.get("SELECT kind, trust, trust_reasons, yanked, tarball_sha256 FROM versions WHERE version = '1.0.0'")).toEqual({ kind: 'code', trust: 'unverified', trust_reasons: '[]', yanked: 0, tarball_sha256: '' });
    await expect(db.run("UPDATE versions SET yanked = 2 WHERE version = '1.0.0'")).rejects.toMatchObject({ code: '23514' });
    await expect(db.run("UPDATE versions SET trust = 'trusted' WHERE version = '1.0.0'")).rejects.toMatchObject({ code: '23514' });

    await db.run("INSERT INTO tokens (id, user_id, hash, permission, created_at) VALUES ('t1', 1, ?, 'read', 'now'), ('t2', 1, ?, 'admin', 'now')", [Buffer.from([1]), Buffer.from([2])]);
    await db.run("INSERT INTO web_sessions (id_hash, token_id, created_at, expires_at) VALUES (?, 't1', 'now', 'later'), (?, 't2', 'now', 'later')", [Buffer.from([10]), Buffer.from([20])]);
    await db.run("UPDATE tokens SET last_used_at = 'now' WHERE id = 't1'");
    expect((await db.all('SELECT token_id FROM web_sessions ORDER BY token_id')).length).toBe(2);
    await db.run("UPDATE tokens SET revoked_at = 'now' WHERE id = 't1'");
    expect(await db.all('SELECT token_id, id_hash FROM web_sessions')).toEqual([{ token_id: 't2', id_hash: Buffer.from([20]) }]);

    // Explicit ids (a copy from SQLite) are accepted next to generated ones.
    await db.run("INSERT INTO users (id, name, created_at) VALUES (100, 'copied', 'now')");
    expect(await db.all('SELECT id, name FROM users ORDER BY id')).toEqual([{ id: 1, name: 'ada' }, { id: 100, name: 'copied' }]);
    // Names sort by code point, as SQLite's BINARY collation does.
    await db.run("INSERT INTO users (name, created_at) VALUES ('Zed', 'now'), ('_x', 'now'), ('émile', 'now')");
    expect((await db.all<{ name: string }>('SELECT name FROM users ORDER BY name')).map((u) => u.name)).toEqual(['Zed', '_x', 'ada', 'copied', 'émile']);
  });
});
