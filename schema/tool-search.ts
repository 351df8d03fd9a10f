/**
 * Ranking tools for `skills search-tools`, offline over the saved tool index. Name matches rank
 * above description matches: each query word scores by its inverse document frequency times the
 * best of an exact name word (4), a name word it begins or a name that contains it (3), and BM25
 * over the title and description (at most 2.2). Tools matching more of the query's words come
 * first; ties keep server and tool order, so results are deterministic.
 */
import { words } from './tool-text';

export interface SearchDocument {
  server: string;
  name: string;
  /** The export name in the generated tree. */
  exportName: string;
  title?: string | undefined;
  description: string;
}

export interface RankedTool<T extends SearchDocument> {
  doc: T;
  score: number;
  /** How many of the query's words the tool matched. */
  matched: number;
}

const K1 = 1.2;
const B = 0.75;
const EXACT_NAME = 4;
const NAME_PREFIX = 3;
const SERVER_WORD = 0.5;
const FULL_NAME = 100;

const STOP = new Set('a an and are as at be by can do for from get how i in into is it me my of on or set that the this to tool use using what when which with you your'.split(' '));

/** The query's distinct words, stop words dropped unless nothing else is left. */
export function queryWords(query: string): string[] {
  const all = [...new Set(words(query))];
  const kept = all.filter((w) => !STOP.has(w));
  return (kept.length > 0 ? kept : all).slice(0, 32);
}

function normalizedName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

export function rankTools<T extends SearchDocument>(docs: readonly T[], query: string): RankedTool<T>[] {
  const terms = queryWords(query);
  const ordered = [...docs].sort((a, b) => compare(a.server, b.server) || compare(a.name, b.name));
  if (terms.length === 0) return ordered.map((doc) => ({ doc, score: 0, matched: 0 }));
  const whole = normalizedName(query);
  const prepared = ordered.map((doc) => {
    const nameWords = new Set([...words(doc.name), ...words(doc.exportName)]);
    const text = words(`${doc.title ?? ''} ${doc.description}`);
    const tf = new Map<string, number>();
    for (const w of text) tf.set(w, (tf.get(w) ?? 0) + 1);
    return { doc, nameWords, joined: normalizedName(doc.name), serverWords: new Set(words(doc.server)), tf, length: text.length };
  });
  const avgLength = prepared.reduce((sum, p) => sum + p.length, 0) / Math.max(1, prepared.length);
  const nameWeight = (p: (typeof prepared)[number], term: string): number => {
    if (p.nameWords.has(term)) return EXACT_NAME;
    if (term.length >= 2 && [...p.nameWords].some((w) => w.startsWith(term))) return NAME_PREFIX;
    if (term.length >= 4 && p.joined.includes(term)) return NAME_PREFIX;
    return 0;
  };
  const weights = prepared.map((p) =>
    terms.map((term) => {
      const tf = p.tf.get(term) ?? 0;
      const bm25 = tf === 0 ? 0 : (tf * (K1 + 1)) / (tf + K1 * (1 - B + (B * p.length) / Math.max(1, avgLength)));
      return { name: nameWeight(p, term), text: bm25, server: p.serverWords.has(term) ? SERVER_WORD : 0 };
    }),
  );
  const n = prepared.length;
  const idf = terms.map((_, i) => {
    const having = weights.filter((w) => (w[i]?.name ?? 0) > 0 || (w[i]?.text ?? 0) > 0).length;
    return Math.log(1 + (n - having + 0.5) / (having + 0.5));
  });
  const ranked: RankedTool<T>[] = [];
  prepared.forEach((p, d) => {
    let score = 0;
    let matched = 0;
    terms.forEach((_, i) => {
      const w = weights[d]?.[i];
      if (!w) return;
      const own = Math.max(w.name, w.text);
      if (own > 0) matched++;
      score += (idf[i] ?? 0) * own + (own > 0 ? w.server : 0);
    });
    if (matched === 0 && terms.some((_, i) => (weights[d]?.[i]?.server ?? 0) > 0)) {
      // Only the server's name matched: listed after every tool that matched a word of its own.
      score = SERVER_WORD;
    }
    if (whole !== '' && (whole === p.joined || whole === normalizedName(p.doc.exportName))) score += FULL_NAME;
    if (score > 0) ranked.push({ doc: p.doc, score: Math.round(score * 1000) / 1000, matched });
  });
  return ranked.sort((a, b) => b.matched - a.matched || b.score - a.score || compare(a.doc.server, b.doc.server) || compare(a.doc.name, b.doc.name));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
