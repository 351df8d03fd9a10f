/**
 * Full-text search on SQLite: the FTS5 table `skills_fts` (one row per skill, rowid = skills.id,
 * porter stemming over unicode61 tokens), ranked by BM25 with weights 10, 5, 3 and 1 on name,
 * description, keywords and SKILL.md. What skills-store.ts has always done, behind SearchEngine.
 */
import { queryWords, type SearchDocument, type SearchEngine, type SearchMatch } from './search';
import type { SqlExecutor } from './sql';

export const sqliteSearch: SearchEngine = {
  async index(tx: SqlExecutor, skillId: number, doc: SearchDocument): Promise<void> {
    await tx.run('DELETE FROM skills_fts WHERE rowid = ?', [skillId]);
    await tx.run('INSERT INTO skills_fts (rowid, name, description, keywords, body) VALUES (?, ?, ?, ?, ?)', [skillId, doc.name, doc.description, doc.keywords, doc.body]);
  },

  async remove(tx: SqlExecutor, skillId: number): Promise<void> {
    await tx.run('DELETE FROM skills_fts WHERE rowid = ?', [skillId]);
  },

  match(text: string): SearchMatch | undefined {
    const query = ftsQuery(text);
    if (query === undefined) return undefined;
    return { from: 'skills_fts JOIN skills s ON s.id = skills_fts.rowid', where: 'skills_fts MATCH ?', rank: 'bm25(skills_fts, 10.0, 5.0, 3.0, 1.0)', params: [query] };
  },
};

/**
 * Turns free text into a safe FTS5 query: words only (FTS5 operators such as `"`, `*`, `NEAR(`,
 * `-` and column filters are treated as separators), each quoted, the last one as a prefix.
 * Undefined when nothing searchable is left (then everything matches).
 */
export function ftsQuery(text: string): string | undefined {
  const words = queryWords(text);
  if (words.length === 0) return undefined;
  return words.map((w, i) => `"${w}"${i === words.length - 1 ? '*' : ''}`).join(' ');
}
