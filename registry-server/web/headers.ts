/**
 * Response headers of the catalog's pages: a Content-Security-Policy that allows scripts and
 * styles only from this origin (pages carry no inline script or style, so nothing injected into
 * one could run), no framing, no MIME sniffing, no referrer to other sites, and caching that
 * never keeps a signed-in page.
 */
import type { Ctx } from '../context';

export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' https:",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** A package image: displayed by pages, inert when opened on its own (even a disguised SVG). */
export const IMAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

export type PageCaching = 'revalidate' | 'private' | 'no-store';

export function pageHeaders(c: Ctx, caching: PageCaching): void {
  c.header('Content-Security-Policy', PAGE_CSP);
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('X-Frame-Options', 'DENY');
  c.header('Referrer-Policy', 'same-origin');
  c.header('Cross-Origin-Opener-Policy', 'same-origin');
  c.header('Cross-Origin-Resource-Policy', 'same-origin');
  // Who is signed in changes a page (private scopes, the top bar), so a cache keys on the cookie.
  c.header('Vary', 'Accept, Cookie');
  c.header('Cache-Control', caching === 'revalidate' ? 'no-cache' : caching === 'private' ? 'private, no-store' : 'no-store');
}

/** Whether the client asked for a web page (browsers send `Accept: text/html,...`). */
export function wantsHtml(c: Ctx): boolean {
  return (c.req.header('Accept') ?? '').includes('text/html');
}

/** Paths that belong to the JSON API (their errors stay JSON whoever asks). */
export function isApiPath(path: string): boolean {
  return path.startsWith('/v1/') || path === '/v1' || (path.startsWith('/-/') && !path.startsWith('/-/web/')) || path === '/mcp' || path.startsWith('/mcp/') || path.startsWith('/.well-known/');
}
