/**
 * The two search engines side by side: the same fixed skills (testkit/search-corpus.ts) indexed in
 * SQLite (FTS5, BM25: registry-server/storage/sqlite-search.ts) and in a real PostgreSQL (tsvector,
 * ts_rank: registry-server/storage/postgres-search.ts), ranked for the same queries.
 *
 * What "equivalent" means here, as measured: both engines match exactly the same skills for every
 * query (tokens, stemming, prefixes and diacritics agree); the first result is the same for at
 * least 38 of the 40 queries and the whole order for at least 35; no skill moves more than two
 * places. The differences left are BM25's saturation of a prefix that hits several words of one
 * skill (`git` also hits `github`) and its finer length normalisation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../registry-server/db';
import { PostgresDatabase } from '../registry-server/storage/postgres';
import { migratePostgres } from '../registry-server/storage/postgres-schema';
import { postgresSearch, queryTerms, searchWords } from '../registry-server/storage/postgres-search';
import type { SearchEngine } from '../registry-server/storage/search';
import { ftsQuery, sqliteSearch } from '../registry-server/storage/sqlite-search';
import type { SqlExecutor, SqlValue } from '../registry-server/storage/sql';
import { SEARCH_CORPUS, SEARCH_QUERIES, searchDocument } from '../testkit/search-corpus';
import { sharedPostgres } from '../testkit/shared-postgres';

let pg: PostgresDatabase;
let lite: Db;
let liteExec: SqlExecutor;

/** The few calls the search engine makes, over better-sqlite3 (the real async SQLite adapter is written elsewhere). */
function sqliteExecutor(db: Db): SqlExecutor {
  return {
    dialect: 'sqlite',
    all: async <T>(text: string, params: readonly SqlValue[] = []) => db.prepare(text).all(...params) as T[],
    get: async <T>(text: string, params: readonly SqlValue[] = []) => db.prepare(text).get(...params) as T | undefined,
    run: async (text: string, params: readonly SqlValue[] = []) => ({ changes: db.prepare(text).run(...params).changes }),
  };
}

async function load(db: SqlExecutor, engine: SearchEngine): Promise<void> {
  await db.run("INSERT INTO teams (id, name, created_at) VALUES (1, 'team', 'now')");
  await db.run("INSERT INTO scopes (id, name, team_id, created_at) VALUES (1, 'scope', 1, 'now')");
  for (const [i, skill] of SEARCH_CORPUS.entries()) {
    await db.run("INSERT INTO skills (id, name, scope_id, created_at, updated_at) VALUES (?, ?, 1, 'now', 'now')", [i + 1, skill.name]);
    await engine.index(db, i + 1, searchDocument(skill));
  }
}

/** Names in rank order, as the store queries: `SELECT ... rank FROM <from> WHERE <where> ORDER BY rank, name`. */
async function ranked(db: SqlExecutor, engine: SearchEngine, query: string): Promise<string[]> {
  const match = engine.match(query);
  if (match === undefined) return (await db.all<{ name: string }>('SELECT name FROM skills s ORDER BY name')).map((r) => r.name);
  const rows = await db.all<{ name: string }>(`SELECT s.name, ${match.rank} AS rank FROM ${match.from} WHERE ${match.where} ORDER BY rank, s.name`, match.params);
  return rows.map((r) => r.name);
}

beforeAll(async () => {
  pg = await PostgresDatabase.open(await (await sharedPostgres()).createDatabase());
  await migratePostgres(pg);
  lite = openDatabase(':memory:');
  liteExec = sqliteExecutor(lite);
  await load(liteExec, sqliteSearch);
  await load(pg, postgresSearch);
});

afterAll(async () => {
  lite?.close();
  await pg?.close();
});

describe('search on SQLite and PostgreSQL', () => {
  it('match the same skills for every query, in nearly the same order', async () => {
    let sameFirst = 0;
    let sameOrder = 0;
    for (const query of SEARCH_QUERIES) {
      const a = await ranked(liteExec, sqliteSearch, query);
      const b = await ranked(pg, postgresSearch, query);
      expect([...b].sort(), query).toEqual([...a].sort());
      expect(a.length, query).toBeGreaterThan(0);
      if (a[0] === b[0]) sameFirst++;
      if (a.join() === b.join()) sameOrder++;
      for (const [i, name] of a.entries()) expect(Math.abs(b.indexOf(name) - i), `${query}: ${name}`).toBeLessThanOrEqual(2);
    }
    expect(sameFirst).toBeGreaterThanOrEqual(38);
    expect(sameOrder).toBeGreaterThanOrEqual(35);
  });

  it('rank a name hit above a description hit above a body hit, as the weights say', async () => {
    for (const [db, engine] of [[liteExec, sqliteSearch], [pg, postgresSearch]] as const) {
      // "subtitles": name of @media/video-subtitles; "rollbacks": description of @ops/kube-deploy only.
      expect((await ranked(db, engine, 'subtitles'))[0]).toBe('@media/video-subtitles');
      expect(await ranked(db, engine, 'rollbacks')).toEqual(['@ops/kube-deploy']);
      expect(await ranked(db, engine, 'pandoc')).toEqual(['@docs/report-writer']);
    }
  });

  it('take user text only as words: operators, quotes and SQL are separators, never syntax', async () => {
    for (const hostile of [`pdf' OR 1=1 --`, 'pdf & !tools | (x', `"pdf" NEAR(tools) *`, "pdf:* <-> tools:A", "'; DROP TABLE skills; --", '\\x00 pdf', '_', '__ _', 'pdf _']) {
      const a = await ranked(liteExec, sqliteSearch, hostile);
      const b = await ranked(pg, postgresSearch, hostile);
      expect([...b].sort(), hostile).toEqual([...a].sort());
    }
    expect(await pg.get('SELECT COUNT(*) AS n FROM skills')).toEqual({ n: SEARCH_CORPUS.length });
    expect(queryTerms(`it's a_b CAFÉ`)).toEqual(["'it'", "'s'", "'a' <-> 'b'", "'cafe':*"]);
    expect(ftsQuery(`it's CAFÉ`)).toBe('"it" "s" "CAFÉ"*');
    expect(searchWords('https://example.com/a_b Déjà-vu')).toEqual(['https', 'example', 'com', 'a', 'b', 'deja', 'vu']);
    expect(postgresSearch.match('  ,;  ')).toBeUndefined();
    expect(sqliteSearch.match('  ,;  ')).toBeUndefined();
  });

  it('replace and remove a document in both', async () => {
    for (const [db, engine] of [[liteExec, sqliteSearch], [pg, postgresSearch]] as const) {
      await engine.index(db, 1, { name: '@acme/pdf-tools pdf-tools pdf tools', description: 'Now about spreadsheets', keywords: '', body: '' });
      expect(await ranked(db, engine, 'spreadsheets')).toEqual(['@acme/pdf-tools']);
      expect(await ranked(db, engine, 'OCR')).toEqual([]);
      await engine.remove(db, 1);
      expect(await ranked(db, engine, 'spreadsheets')).toEqual([]);
      await engine.index(db, 1, searchDocument(SEARCH_CORPUS[0] ?? { name: '', description: '', keywords: [], body: '' }));
    }
  });
});
