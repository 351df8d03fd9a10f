/**
 * SKILL.md is written by anyone who can publish, so it is rendered as hostile input:
 *
 * - raw HTML is off: every `<` in the source reaches the page as `&lt;` (markdown-it escapes all
 *   text and attribute values, so no tag or attribute can be injected);
 * - every link and image URL is parsed with the WHATWG URL parser (the browser's own rules for
 *   whitespace, control characters, backslashes and `//host`) and the page gets the parser's
 *   serialisation, never the source text, so what was checked is what the browser follows;
 * - links: http, https and mailto, or a relative path to a file inside the package (shown in the
 *   file viewer); images: https, or a relative path to a file of the package whose bytes are a
 *   raster image (PNG, JPEG, GIF, WebP). Anything
 *   else (javascript:, data:, vbscript:, file:, paths out of the package) keeps its text and loses
 *   its link; a refused image shows its alt text.
 */
import MarkdownIt, { type Token } from 'markdown-it';

/** Where relative references of one package version point. */
export interface MarkdownPackage {
  /** Paths of the package's files. */
  files: ReadonlySet<string>;
  /** Paths of the package's raster images (judged by their bytes). */
  images: ReadonlySet<string>;
  /** The file viewer's address for a path of the package. */
  fileUrl(path: string): string;
  /** The address serving a raster image of the package. */
  imageUrl(path: string): string;
}

/** Most Markdown source rendered on a page; the rest is in the file viewer. */
export const MAX_MARKDOWN_CHARS = 64 * 1024;

const BASE_HOST = 'package.invalid';
const BASE_PATH = '/__package__/';
const BASE = `https://${BASE_HOST}${BASE_PATH}`;
const LINK_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);

export type ResolvedUrl = { kind: 'external'; href: string } | { kind: 'package'; path: string; hash: string } | { kind: 'fragment'; hash: string };

/** What an href or src in SKILL.md refers to, or undefined when it is refused outright. */
export function resolveReference(reference: string): ResolvedUrl | undefined {
  let url: URL;
  try {
    url = new URL(reference, BASE);
  } catch {
    return undefined;
  }
  if (!LINK_PROTOCOLS.has(url.protocol)) return undefined;
  if (url.protocol === 'https:' && url.host === BASE_HOST) {
    if (url.pathname === BASE_PATH && url.search === '' && url.hash !== '') return { kind: 'fragment', hash: url.hash };
    if (!url.pathname.startsWith(BASE_PATH)) return undefined;
    let path: string;
    try {
      path = decodeURIComponent(url.pathname.slice(BASE_PATH.length));
    } catch {
      return undefined;
    }
    return { kind: 'package', path, hash: url.hash };
  }
  if (url.username !== '' || url.password !== '') return undefined;
  return { kind: 'external', href: url.href };
}

function linkHref(reference: string, pkg: MarkdownPackage): { href: string; external: boolean } | undefined {
  const resolved = resolveReference(reference);
  if (!resolved) return undefined;
  if (resolved.kind === 'external') return { href: resolved.href, external: true };
  if (resolved.kind === 'fragment') return { href: resolved.hash, external: false };
  if (!pkg.files.has(resolved.path)) return undefined;
  return { href: `${pkg.fileUrl(resolved.path)}${resolved.hash}`, external: false };
}

function imageSrc(reference: string, pkg: MarkdownPackage): string | undefined {
  const resolved = resolveReference(reference);
  if (!resolved) return undefined;
  if (resolved.kind === 'external') return resolved.href.startsWith('https:') ? resolved.href : undefined;
  if (resolved.kind !== 'package' || !pkg.images.has(resolved.path)) return undefined;
  return pkg.imageUrl(resolved.path);
}

const NO_PACKAGE: MarkdownPackage = { files: new Set(), images: new Set(), fileUrl: () => '#', imageUrl: () => '#' };

export type MarkdownRenderer = (source: string, pkg: MarkdownPackage) => string;

export function createMarkdownRenderer(): MarkdownRenderer {
  const md = new MarkdownIt('default', { html: false, linkify: true, typographer: false });
  md.linkify.set({ fuzzyLink: false, fuzzyEmail: false, fuzzyIP: false });
  // Replaces markdown-it's own list (which lets some data: images through).
  md.validateLink = (url: string) => resolveReference(url) !== undefined;
  md.core.ruler.push('skills_references', (state) => {
    const pkg = (state.env as { pkg?: MarkdownPackage }).pkg ?? NO_PACKAGE;
    for (const block of state.tokens) {
      if (block.type !== 'inline' || !block.children) continue;
      const kept: Token[] = [];
      const dropped: boolean[] = [];
      for (const token of block.children) {
        if (token.type === 'link_open') {
          const target = linkHref(String(token.attrGet('href') ?? ''), pkg);
          dropped.push(target === undefined);
          if (!target) continue;
          token.attrSet('href', target.href);
          if (target.external) token.attrSet('rel', 'nofollow noopener noreferrer ugc');
        } else if (token.type === 'link_close') {
          if (dropped.pop() === true) continue;
        } else if (token.type === 'image') {
          const src = imageSrc(String(token.attrGet('src') ?? ''), pkg);
          if (src === undefined) {
            const text = new state.Token('text', '', 0);
            text.content = token.children ? token.children.map((child) => child.content).join('') : token.content;
            kept.push(text);
            continue;
          }
          token.attrSet('src', src);
          token.attrSet('loading', 'lazy');
          token.attrSet('referrerpolicy', 'no-referrer');
        }
        kept.push(token);
      }
      block.children = kept;
    }
  });
  return (source, pkg) => {
    const cut = source.length > MAX_MARKDOWN_CHARS ? source.slice(0, MAX_MARKDOWN_CHARS) : source;
    return md.render(cut, { pkg });
  };
}
