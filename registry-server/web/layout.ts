/** The frame every page shares: head, the top bar (search, who is signed in), the footer. */
import type { TrustLevel } from '../../schema/trust';
import { isGlobalAdmin, type Caller } from '../auth';
import { SCRIPT_ASSET, STYLE_ASSET } from './assets';
import { formatCount } from './format';
import { html, pathOf, type Html } from './html';

export interface PageFrame {
  caller: Caller | undefined;
  /** The sign-out form's CSRF token (signed in only). */
  signOutCsrf: string | undefined;
  /** Where sign-in returns to. */
  path: string;
  /** What the search box shows. */
  query: string;
}

export function layout(frame: PageFrame, title: string, body: Html): Html {
  const who = frame.caller
    ? html`${isGlobalAdmin(frame.caller) ? html`<a href="/admin/log">Admin log</a>` : ''}<span>Signed in as <strong>${frame.caller.user}</strong></span>
        <form method="post" action="/sign-out"><input type="hidden" name="csrf" value="${frame.signOutCsrf ?? ''}"><button class="linkish" type="submit">Sign out</button></form>`
    : html`<a href="/sign-in?next=${encodeURIComponent(frame.path)}">Sign in</a>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · skills registry</title>
<link rel="stylesheet" href="${STYLE_ASSET.path}">
<script src="${SCRIPT_ASSET.path}" defer></script>
</head>
<body>
<header class="top"><div class="wrap">
<a class="brand" href="/">skills<span>registry</span></a>
<form class="search" action="/search" method="get" role="search"><input type="search" name="q" value="${frame.query}" placeholder="Search skills" aria-label="Search skills" maxlength="256"><button type="submit">Search</button></form>
<nav class="who">${who}</nav>
</div></header>
<main class="wrap">
${body}
</main>
<footer><div class="wrap">The code of every skill that has fixtures ran in a sandbox against its recorded MCP calls before the registry accepted it. <a href="/v1/search">JSON API</a></div></footer>
</body>
</html>`;
}

const TRUST_LABEL: Record<TrustLevel, string> = { verified: 'verified', instructions: 'instructions only', unverified: 'unverified' };
const TRUST_TITLE: Record<TrustLevel, string> = {
  verified: 'code with fixtures; every case passed in the sandbox',
  instructions: 'nothing executable: instructions, data and assets only',
  unverified: 'executable content the sandbox cannot run',
};

export function trustBadge(trust: TrustLevel | undefined): Html {
  return trust ? html`<span class="badge ${trust}" title="${TRUST_TITLE[trust]}">${TRUST_LABEL[trust]}</span>` : html``;
}

export function skillLink(name: string): string {
  const slash = name.indexOf('/');
  return pathOf(name.slice(0, slash), name.slice(slash + 1));
}

export function pager(base: string, params: URLSearchParams, page: number, pages: number, total: number): Html {
  if (pages <= 1) return html``;
  const at = (n: number) => {
    const next = new URLSearchParams(params);
    if (n <= 1) next.delete('page');
    else next.set('page', String(n));
    const query = next.toString();
    return `${base}${query ? `?${query}` : ''}`;
  };
  return html`<nav class="pager" aria-label="pages">
${page > 1 ? html`<a href="${at(page - 1)}" rel="prev">&larr; Previous</a>` : ''}
<span class="muted">page ${page} of ${formatCount(pages)} (${formatCount(total)} skills)</span>
${page < pages ? html`<a href="${at(page + 1)}" rel="next">Next &rarr;</a>` : ''}
</nav>`;
}
