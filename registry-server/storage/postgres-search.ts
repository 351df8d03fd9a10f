/**
 * Full-text search on PostgreSQL: one tsvector per skill in `skills_search`, weighted A name,
 * B description, C keywords, D SKILL.md, in the `skills_english` configuration (English stemming,
 * no stop words: FTS5's porter tokenizer drops none either). Text is cut into words the way FTS5's
 * unicode61 tokenizer does (letters and digits; case and Latin diacritics folded) before PostgreSQL
 * sees it, so URLs, paths and e-mail addresses are words here as they are there.
 *
 * The query is the AND of the words, the last one a prefix, as in SQLite. The rank imitates FTS5's
 * BM25 with weights 10, 5, 3, 1: per word, ts_rank over that word alone, with weights that give
 * BM25's saturated term frequency of a single hit in each column, divided by 1 + log(document
 * length) as BM25 favours short documents, summed over the words (ts_rank of an AND query would
 * score by how near the words are to each other, which BM25 ignores). On the comparison corpus
 * (test/postgres-search.test.ts) the matches are the same for every query and the order mostly
 * is; BM25's inverse document frequency is left out (it changed no order there and costs a count
 * per word), and a prefix matching several words of one skill counts each (BM25 saturates them).
 */
import { queryWords, type SearchDocument, type SearchEngine, type SearchMatch } from './search';
import type { SqlExecutor } from './sql';

/** Words of a document kept (a tsvector is at most 1 MB; positions past 16383 all count as the last). */
const MAX_WORDS = 100_000;

/**
 * ts_rank weights {D, C, B, A}: BM25 (k1 = 1.2) of a single hit weighted 1, 3, 5, 10, that is
 * 2.2w / (w + 1.2), relative to the name's 1.96.
 */
export const RANK_WEIGHTS = [0.51, 0.8, 0.9, 1.0] as const;

const CONFIG = "'skills_english'";

export const postgresSearch: SearchEngine = {
  async index(tx: SqlExecutor, skillId: number, doc: SearchDocument): Promise<void> {
    const vector = (weight: string) => `setweight(to_tsvector(${CONFIG}, ?), '${weight}')`;
    await tx.run(
      `INSERT INTO skills_search (skill_id, document) VALUES (?, ${vector('A')} || ${vector('B')} || ${vector('C')} || ${vector('D')})
       ON CONFLICT (skill_id) DO UPDATE SET document = excluded.document`,
      [skillId, searchText(doc.name), searchText(doc.description), searchText(doc.keywords), searchText(doc.body)],
    );
  },

  async remove(tx: SqlExecutor, skillId: number): Promise<void> {
    await tx.run('DELETE FROM skills_search WHERE skill_id = ?', [skillId]);
  },

  match(text: string): SearchMatch | undefined {
    const terms = queryTerms(text);
    if (terms.length === 0) {
      // Words with nothing to index (`_`) match nothing, as FTS5's empty phrases do; no words at all match everything.
      return queryWords(text).length === 0 ? undefined : { from: 'skills s', where: '1 = 0', rank: '0', params: [] };
    }
    return {
      // The query and each word's own query, computed once; user text only ever travels as parameters.
      from: `(SELECT to_tsquery(${CONFIG}, ?) AS query, ARRAY(SELECT to_tsquery(${CONFIG}, t) FROM json_array_elements_text(?::json) AS t) AS terms) q
        CROSS JOIN skills_search ss JOIN skills s ON s.id = ss.skill_id`,
      where: 'ss.document @@ q.query',
      rank: `-(SELECT COALESCE(SUM(ts_rank('{${RANK_WEIGHTS.join(',')}}', ss.document, t, 1)), 0) FROM unnest(q.terms) AS t)`,
      params: [terms.map((t) => `(${t})`).join(' & '), JSON.stringify(terms)],
    };
  },
};

/** Words as FTS5's unicode61 tokenizer cuts them: letters and digits, lowercase, Latin diacritics removed. */
export function searchWords(text: string): string[] {
  return (
    text
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .normalize('NFC')
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? []
  );
}

function searchText(text: string): string {
  return searchWords(text).slice(0, MAX_WORDS).join(' ');
}

/**
 * One tsquery per query word (a word FTS5 would cut in parts, like `a_b`, is a phrase of them);
 * the last one a prefix. Lexemes are quoted and hold only letters and digits, so no text of the
 * user can be read as tsquery syntax.
 */
export function queryTerms(text: string): string[] {
  const words = queryWords(text)
    .map(searchWords)
    .filter((parts) => parts.length > 0);
  return words.map((parts, i) => parts.map((p) => `'${p}'${i === words.length - 1 ? ':*' : ''}`).join(' <-> '));
}
