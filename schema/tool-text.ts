/**
 * Short text about MCP tools for what an agent reads first: one-sentence summaries, the words a
 * tool name is made of, and tool groups (shared name prefixes). Tool names and descriptions come
 * from MCP servers (hostile): every function here bounds what it returns.
 */

/** Control, zero-width and bidirectional-override characters: invisible or misleading in a file. */
export const INVISIBLE_RE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/** Text from an MCP server as it may appear in a generated file: invisible characters become spaces. */
export function visibleText(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(INVISIBLE_RE, ' ');
}

/** The longest summary of a tool, in characters. */
export const MAX_SUMMARY_CHARS = 160;

/** Text cut at a word boundary to at most `max` characters, `…` marking the cut. */
export function shorten(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 1) return '…'.slice(0, Math.max(0, max));
  const cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).replace(/[\s,;:.-]+$/, '')}…`;
}

/**
 * The first sentence of a description (its first non-empty line, up to the first `.`, `!` or `?`
 * that ends a sentence), whitespace collapsed, at most `max` characters.
 */
export function firstSentence(description: string, max: number = MAX_SUMMARY_CHARS): string {
  const head = description.slice(0, 4000);
  const line = head
    .split(/\r?\n/)
    .map((l) => l.replace(/^[\s#>*-]+/, '').trim())
    .find((l) => l !== '') ?? '';
  const text = line.replace(/\s+/g, ' ');
  // A sentence ends at . ! ? followed by a space and a capital, quote or bracket, or the end;
  // "e.g. x" and "v1.2" do not end one.
  const end = /(?<!\b(?:e\.g|i\.e|etc|vs|approx|incl|[A-Z]))[.!?](?=\s+["'`(\[A-Z]|$)/.exec(text);
  const sentence = end ? text.slice(0, end.index + 1) : text;
  return shorten(sentence, max);
}

/** A tool's summary: the first sentence of its description, else its title, else nothing. */
export function toolSummary(description: string | undefined, title?: string): string {
  const fromDescription = firstSentence(description ?? '');
  if (fromDescription !== '') return fromDescription;
  return firstSentence(title ?? '');
}

/** Raw words of a name with their positions: `API-post-page`, `getHTTPStatus`, `list_v2`. */
function rawWords(name: string): { word: string; end: number }[] {
  const out: { word: string; end: number }[] = [];
  for (const m of name.matchAll(/[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+/g)) out.push({ word: m[0].toLowerCase(), end: m.index + m[0].length });
  return out;
}

/** The words of a name or a text, lower case, lightly stemmed (`files` -> `file`). */
export function words(text: string): string[] {
  const out: string[] = [];
  for (const m of text.slice(0, 20_000).matchAll(/[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+/g)) out.push(stem(m[0].toLowerCase()));
  return out;
}

/** A light English stemmer: plural and a few verb endings, enough to match `files` with `file`. */
export function stem(word: string): string {
  if (word.length <= 3) return word;
  if (word.endsWith('ies') && word.length > 4) return `${word.slice(0, -3)}y`;
  if (/(ss|sh|ch|x)es$/.test(word)) return word.slice(0, -2);
  if (word.endsWith('s') && !word.endsWith('ss') && !word.endsWith('us') && !word.endsWith('is')) return word.slice(0, -1);
  return word;
}

export interface ToolGroup {
  /** The word the group's tools start with (after the prefix all of the server's tools share). */
  key: string;
  /** The raw name prefix, e.g. `compute_`, `API-retrieve-`, `get`. */
  prefix: string;
  tools: string[];
}

export interface ToolGroups {
  /** The raw prefix every tool shares (`API-`, `browser_`), or ''. */
  common: string;
  /** Groups of two or more tools, largest first. */
  groups: ToolGroup[];
  /** Tools that share their first word with no other tool. */
  singles: string[];
}

/**
 * Tools grouped by their first word, after dropping the leading words every tool of the server
 * shares (`API-get-user` and `API-get-self` group as `API-get-*`).
 */
export function toolGroups(names: readonly string[]): ToolGroups {
  const split = [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((name) => ({ name, words: rawWords(name) }));
  let skip = 0;
  if (split.length > 1) {
    for (;;) {
      const word = split[0]?.words[skip]?.word;
      if (word === undefined || !split.every((s) => s.words.length > skip + 1 && s.words[skip]?.word === word)) break;
      skip++;
    }
  }
  const first = split[0];
  const commonEnd = skip === 0 || !first ? 0 : prefixEnd(first.name, first.words[skip - 1]?.end ?? 0);
  const common = first ? first.name.slice(0, commonEnd) : '';
  const byKey = new Map<string, ToolGroup>();
  for (const s of split) {
    const w = s.words[skip] ?? s.words[s.words.length - 1];
    const key = w?.word ?? s.name.toLowerCase();
    const group = byKey.get(key);
    if (group) group.tools.push(s.name);
    else byKey.set(key, { key, prefix: s.name.slice(0, w ? prefixEnd(s.name, w.end) : s.name.length), tools: [s.name] });
  }
  const all = [...byKey.values()];
  const groups = all.filter((g) => g.tools.length > 1).sort((a, b) => b.tools.length - a.tools.length || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const singles = all.filter((g) => g.tools.length === 1).flatMap((g) => g.tools);
  return { common, groups, singles };
}

/** Where a word ends in a raw name, with one following separator (`-`, `_`, `.`) included. */
function prefixEnd(name: string, end: number): number {
  return /[-_.]/.test(name.charAt(end)) ? end + 1 : end;
}
