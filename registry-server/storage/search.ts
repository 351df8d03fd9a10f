/**
 * Full-text search over skills, as each engine does it: SQLite's FTS5 with BM25, PostgreSQL's
 * tsvector with weights. The store builds the rest of the query (filters, privacy, paging) the same
 * way for both.
 */
import type { SqlExecutor, SqlValue } from './sql';

/** What is indexed for a skill (its shown version). */
export interface SearchDocument {
  /** The full name, the bare name and the bare name with hyphens as spaces. */
  name: string;
  description: string;
  keywords: string;
  body: string;
}

/** The document a skill is indexed by: its full name and bare name, and its shown version's text. */
export function searchDocument(name: string, version: { description: string; keywords: readonly string[]; skillMd: string }): SearchDocument {
  const bare = name.slice(name.indexOf('/') + 1);
  return { name: `${name} ${bare} ${bare.replace(/-/g, ' ')}`, description: version.description, keywords: version.keywords.join(' '), body: version.skillMd };
}

/**
 * The parts of a ranked query: a FROM fragment that joins matches to `skills s`, a condition, and a
 * rank expression (lower ranks first). `params` are those of `from` then of `where`, in text
 * order; `rank` takes none, since it precedes them in `SELECT ... rank FROM ... WHERE ...`.
 */
export interface SearchMatch {
  from: string;
  where: string;
  rank: string;
  params: SqlValue[];
}

export interface SearchEngine {
  /** Replaces the indexed document of a skill (inside the writer's transaction). */
  index(tx: SqlExecutor, skillId: number, doc: SearchDocument): Promise<void>;
  remove(tx: SqlExecutor, skillId: number): Promise<void>;
  /** The match for free text, or undefined when no word is left (then everything matches). */
  match(text: string): SearchMatch | undefined;
}

/** Words of a query: letters, digits and `_` after NFKC, at most 16 (operators of either engine are separators). */
export function queryWords(text: string): string[] {
  return (text.normalize('NFKC').match(/[\p{L}\p{N}_]+/gu) ?? []).slice(0, 16);
}
