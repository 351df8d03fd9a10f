/**
 * Markdown as the rules need it: which text is prose an agent reads as instructions and which is
 * quoted in a code block, parsed with markdown-it (raw HTML off, so an HTML comment is text, as an
 * agent reading the raw file sees it) rather than guessed with regular expressions.
 */
import MarkdownIt, { type MarkdownIt as Parser } from 'markdown-it';

export interface ProseSegment {
  context: 'prose';
  /** The block's text: soft and hard breaks as `\n`, inline code kept in place. */
  text: string;
  /** The 1-based line of the first character of `text`. */
  line: number;
  /** [start, end) offsets in `text` of inline code spans. */
  codeSpans: [number, number][];
  /** Where the block sits, which says how its words are meant (see prose.ts). */
  where?: BlockContext;
}

/** The structure around a block: a heading, a table cell, a list item and what introduced it. */
export interface BlockContext {
  /** The block is a heading. */
  heading?: boolean;
  /** The text of the nearest heading above. */
  section?: string;
  /** For a table cell: the table's header row and the cell's own row, as written. */
  table?: { header: string; row: string };
  /** For a list item: the paragraph just before its list ("Never do the following:"). */
  intro?: string;
}

export interface CodeSegment {
  context: 'code';
  text: string;
  line: number;
  /** The fence's info string (`bash`, `python`, ...), "" for an indented block. */
  lang: string;
  /** The prose just before the block (its paragraph or heading), which says how the block is meant. */
  lead: string;
  where?: BlockContext;
}

export type Segment = ProseSegment | CodeSegment;

/** The lines of a leading `---` YAML frontmatter block (0 when there is none). */
export function frontmatterLines(text: string): number {
  if (!text.startsWith('---\n') && !text.startsWith('---\r\n')) return 0;
  const lines = text.split('\n', 200);
  for (let i = 1; i < lines.length; i++) if (/^---\s*$/.test(lines[i] ?? '')) return i + 1;
  return 0;
}

interface InlineChild {
  type: string;
  content: string;
}

/**
 * Only block structure (fences, indented code, paragraphs, lists, quotes, tables, headings) and
 * inline code spans matter here. Emphasis, links, images, entities and reference definitions are
 * left as the raw text an agent reads, which also keeps parsing fast on hostile nesting.
 */
export function createMarkdownParser(): Parser {
  const md = new MarkdownIt({ html: false, linkify: false, typographer: false });
  md.disable(['emphasis', 'link', 'image', 'autolink', 'html_inline', 'entity', 'strikethrough', 'reference', 'html_block', 'balance_pairs', 'fragments_join', 'linkify', 'smartquotes', 'replacements'], true);
  return md;
}

/** Splits a Markdown document into prose blocks and code blocks with their line numbers. */
export function markdownSegments(md: Parser, text: string): Segment[] {
  const segments: Segment[] = [];
  const front = frontmatterLines(text);
  let body = text;
  if (front > 0) {
    const lines = text.split('\n');
    // The frontmatter is what agents read first (name, description): prose, line by line.
    for (let i = 1; i < front - 1; i++) {
      const line = lines[i] ?? '';
      const value = line.replace(/^\s*[A-Za-z0-9_-]+\s*:\s*/, '');
      segments.push({ context: 'prose', text: value, line: i + 1, codeSpans: [] });
    }
    // Blank lines keep the numbering of the rest.
    body = `${'\n'.repeat(front)}${lines.slice(front).join('\n')}`;
  }
  const tokens = md.parse(body, {});
  const source = body.split('\n');
  let lead = '';
  let section = '';
  let heading = false;
  let rowLine = 0;
  let header = '';
  let inTable = false;
  /** Intros of the open lists, innermost last; a list item's intro is the paragraph before its list. */
  const intros: string[] = [];
  let previous = '';
  for (const token of tokens) {
    if (token.map) rowLine = token.map[0];
    const line = (token.map?.[0] ?? rowLine) + 1;
    const where: BlockContext = { ...(section !== '' ? { section } : {}), ...(intros.length > 0 ? { intro: intros[intros.length - 1] ?? '' } : {}) };
    switch (token.type) {
      case 'heading_open':
        heading = true;
        break;
      case 'table_open':
        inTable = true;
        header = source[token.map?.[0] ?? 0] ?? '';
        break;
      case 'table_close':
        inTable = false;
        break;
      case 'bullet_list_open':
      case 'ordered_list_open':
        intros.push(previous === 'paragraph_close' || previous === 'heading_close' ? lead : (intros[intros.length - 1] ?? ''));
        break;
      case 'bullet_list_close':
      case 'ordered_list_close':
        intros.pop();
        break;
      default:
        break;
    }
    if (token.type !== 'inline') previous = token.type;
    if (token.type === 'fence' || token.type === 'code_block') {
      segments.push({ context: 'code', text: token.content, line: token.type === 'fence' ? line + 1 : line, lang: token.info.trim().split(/\s+/)[0] ?? '', lead, where });
      continue;
    }
    if (token.type !== 'inline') continue;
    const children = (token.children ?? []) as InlineChild[];
    let out = '';
    const codeSpans: [number, number][] = [];
    for (const child of children) {
      if (child.type === 'softbreak' || child.type === 'hardbreak') out += '\n';
      else if (child.type === 'code_inline') {
        codeSpans.push([out.length, out.length + child.content.length]);
        out += child.content;
      } else if (child.type === 'text' || child.type === 'text_special' || child.type === 'image' || child.type === 'html_inline') out += child.content;
    }
    if (heading) where.heading = true;
    if (inTable) where.table = { header, row: source[rowLine] ?? '' };
    segments.push({ context: 'prose', text: out, line, codeSpans, where });
    if (heading) section = out;
    heading = false;
    if (!inTable) lead = out;
  }
  return segments;
}
