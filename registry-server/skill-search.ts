/**
 * Ranked search over skills, as SQL: the matches the caller may read that pass the filters,
 * ranked by the search engine, one page of them with a capped count; and keeping what it reads
 * (the index, the server list, the shown version) pointed at each skill's shown version. Kept
 * apart from the store, which only keeps answers (by the key a plan names) until the next write.
 */
import type { Manifest } from '../schema/manifest';
import type { SearchResult } from '../schema/registry';
import { SERVER_NAME_RE } from '../schema/names';
import type { TrustLevel } from '../schema/trust';
import { searchDocument, type SearchEngine } from './storage/search';
import { jsonList, type SqlDatabase, type SqlExecutor, type SqlValue } from './storage/sql';
import { shownVersion, writeLatest } from './version-trust';

export interface SearchOptions {
  query: string;
  scope?: string | undefined;
  server?: string | undefined;
  /** Only skills whose shown version has one of these levels; undefined for all. */
  trust?: readonly TrustLevel[] | undefined;
  limit: number;
  offset: number;
  readablePrivate: ReadonlySet<string> | 'all';
}

export interface SearchAnswer {
  /** Exact when `totalCapped` is false; else a lower bound (matches were counted only up to the cap). */
  total: number;
  /** True when there are more matches than were counted: `total` is then "at least". */
  totalCapped: boolean;
  results: SearchResult[];
}

/** A search ready to run: `key` names everything its answer depends on. */
export interface PlannedSearch {
  key: string;
  run: () => Promise<SearchAnswer>;
}

/**
 * True when the options match no skill without asking the database: skills name only valid
 * server names (skill.json is validated), and /mcp passes the name unchecked (it may hold what
 * the database cannot take).
 */
export function matchesNothing(options: SearchOptions): boolean {
  return options.server !== undefined && !SERVER_NAME_RE.test(options.server);
}

/**
 * Plans a ranked search (the engine's rank: BM25 on SQLite, weighted ts_rank on PostgreSQL), ties
 * by name. Planning reads the scopes the caller may read; running finds the ranked page in one
 * statement (only matches the caller may read, and that pass the filters), reads the shown rows
 * in one more, and counts up to `totalCap` (skipped when the page shows every match).
 */
export async function planSearch(db: SqlDatabase, engine: SearchEngine, options: SearchOptions, totalCap: number): Promise<PlannedSearch> {
  const match = engine.match(options.query);
  const where: string[] = [];
  const params: SqlValue[] = [];
  if (match !== undefined) {
    where.push(match.where);
    params.push(...match.params);
  }
  // The scopes the caller may read (and the one asked for), as ids: no join per match.
  const scopes = (await db.all<{ id: number; name: string; private: number }>('SELECT id, name, private FROM scopes')).filter(
    (sc) => (sc.private === 0 || options.readablePrivate === 'all' || options.readablePrivate.has(sc.name)) && (options.scope === undefined || sc.name === options.scope),
  );
  const scopeIds = JSON.stringify(scopes.map((sc) => sc.id).sort((x, y) => x - y));
  where.push(`s.scope_id IN ${jsonList(db, 'int')}`);
  params.push(scopeIds);
  const key = JSON.stringify([match?.params ?? null, scopeIds, options.server ?? null, options.trust ? [...new Set(options.trust)].sort() : null, options.limit, options.offset]);

  const run = async (): Promise<SearchAnswer> => {
    const conditions = [...where];
    const values = [...params];
    if (options.server !== undefined) {
      conditions.push('EXISTS (SELECT 1 FROM skill_servers ss WHERE ss.skill_id = s.id AND ss.server = ?)');
      values.push(options.server);
    }
    if (options.trust !== undefined) {
      conditions.push(`sl.trust IN ${jsonList(db, 'text')}`);
      values.push(JSON.stringify([...new Set(options.trust)]));
    }
    const from =
      match !== undefined
        ? `FROM ${match.from}${options.trust !== undefined ? ' JOIN skill_latest sl ON sl.skill_id = s.id' : ''}`
        : 'FROM skills s JOIN skill_latest sl ON sl.skill_id = s.id';
    const filtered = `${from} WHERE ${conditions.join(' AND ')}`;
    const page = await db.all<{ id: number; name: string; rank: number }>(`SELECT s.id, s.name, ${match !== undefined ? match.rank : '0'} AS rank ${filtered} ORDER BY rank, s.name LIMIT ? OFFSET ?`, [
      ...values,
      options.limit,
      options.offset,
    ]);
    let total: number;
    let totalCapped = false;
    if (page.length > 0 && page.length < options.limit) total = options.offset + page.length;
    else if (page.length === 0 && options.offset === 0) total = 0;
    else {
      // One row past the cap tells "exactly the cap" from "more than were counted".
      const counted = (await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM (SELECT 1 AS one ${filtered} LIMIT ${totalCap + 1}) AS counted`, values))?.n ?? 0;
      totalCapped = counted > totalCap;
      total = page.length > 0 ? Math.max(options.offset + page.length, Math.min(counted, totalCap)) : Math.min(counted, totalCap);
    }
    const shown = new Map(
      (
        await db.all<{ skill_id: number; version: string; trust: TrustLevel; description: string; manifest: string }>(
          `SELECT sl.skill_id, sl.version, sl.trust, v.description, v.manifest FROM skill_latest sl JOIN versions v ON v.skill_id = sl.skill_id AND v.version = sl.version
           WHERE sl.skill_id IN ${jsonList(db, 'int')}`,
          [JSON.stringify(page.map((r) => r.id))],
        )
      ).map((r) => [r.skill_id, r]),
    );
    const results: SearchResult[] = [];
    for (const r of page) {
      const row = shown.get(r.id);
      if (!row) continue;
      const manifest = JSON.parse(row.manifest) as Manifest;
      results.push({
        name: r.name,
        version: row.version,
        description: row.description,
        keywords: manifest.keywords,
        servers: Object.keys(manifest.mcp),
        score: Math.round(-Number(r.rank) * 1000) / 1000,
        trust: row.trust,
      });
    }
    return { total, totalCapped, results };
  };
  return { key, run };
}

/**
 * Points the search index and server list at the version `latest` names (else the highest):
 * what the search reads for the skill `skillId`.
 */
export async function indexSkill(tx: SqlExecutor, engine: SearchEngine, skillId: number, latestTag: () => Promise<string | undefined>): Promise<void> {
  const skill = await tx.get<{ name: string }>('SELECT name FROM skills WHERE id = ?', [skillId]);
  await engine.remove(tx, skillId);
  await tx.run('DELETE FROM skill_servers WHERE skill_id = ?', [skillId]);
  const versions = skill ? (await tx.all<{ version: string }>('SELECT version FROM versions WHERE skill_id = ?', [skillId])).map((r) => r.version) : [];
  const chosen = shownVersion(versions, await latestTag());
  await writeLatest(tx, skillId, chosen);
  if (!skill || chosen === undefined) return;
  const row = await tx.get<{ manifest: string; skill_md: string; description: string }>('SELECT manifest, skill_md, description FROM versions WHERE skill_id = ? AND version = ?', [skillId, chosen]);
  if (!row) return;
  const manifest = JSON.parse(row.manifest) as Manifest;
  await engine.index(tx, skillId, searchDocument(skill.name, { description: row.description, keywords: manifest.keywords, skillMd: row.skill_md }));
  for (const server of Object.keys(manifest.mcp)) await tx.run('INSERT INTO skill_servers (skill_id, server) VALUES (?, ?)', [skillId, server]);
}
