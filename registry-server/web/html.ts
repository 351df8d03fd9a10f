/**
 * The one way pages build HTML: Hono's `html` tagged template, which escapes every interpolated
 * string (`& < > " '`), so data can only ever land in text or in a double-quoted attribute.
 * Values known to be markup are wrapped in `raw` by the code that produced them, never by a page.
 */
import { html as honoHtml, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

export type Html = HtmlEscapedString;

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  const out = honoHtml(strings, ...values);
  // Pages never interpolate promises, so rendering stays synchronous.
  if (out instanceof Promise) throw new TypeError('web pages render synchronously');
  return out;
}

/** Markup produced by the Markdown renderer (which escapes on its own). */
export function trusted(markup: string): Html {
  return raw(markup);
}

/** A path of this registry for a skill, scope or file, each segment percent-encoded. */
export function pathOf(...segments: string[]): string {
  return `/${segments.map((s) => encodeURIComponent(s).replace(/^%40/, '@')).join('/')}`;
}
