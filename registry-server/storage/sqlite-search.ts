/** Search on SQLite: the FTS5 table `skills_fts` (porter, unicode61), ranked by BM25 with weights 10, 5, 3, 1 over name, description, keywords and SKILL.md. */
import { queryWords, type SearchEngine, type SearchMatch } from './search';

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

export const sqliteSearch: SearchEngine = {
  async index(tx, skillId, doc) {
    await tx.run('INSERT INTO skills_fts (rowid, name, description, keywords, body) VALUES (?, ?, ?, ?, ?)', [skillId, doc.name, doc.description, doc.keywords, doc.body]);
  },
  async remove(tx, skillId) {
    await tx.run('DELETE FROM skills_fts WHERE rowid = ?', [skillId]);
  },
  match(text): SearchMatch | undefined {
    const match = ftsQuery(text);
    if (match === undefined) return undefined;
    return { from: 'skills_fts JOIN skills s ON s.id = skills_fts.rowid', where: 'skills_fts MATCH ?', rank: 'bm25(skills_fts, 10.0, 5.0, 3.0, 1.0)', params: [match] };
  },
};
