/** Home, search results and scope pages: lists of skills with their latest version. */
import { TRUST_LEVELS, type TrustLevel } from '../../../schema/trust';
import type { SkillSummary } from '../catalog';
import { formatDay, plural } from '../format';
import { html, pathOf, type Html } from '../html';
import { layout, pager, skillLink, trustBadge, type PageFrame } from '../layout';

export function skillList(skills: readonly SkillSummary[], empty: string): Html {
  if (skills.length === 0) return html`<p class="muted">${empty}</p>`;
  return html`<ul class="results">${skills.map(
    (s) => html`<li>
<a class="name" href="${skillLink(s.name)}">${s.name}</a><span class="ver">${s.version}</span> ${trustBadge(s.trust)} ${s.private ? html`<span class="badge private">private</span>` : ''}
<p>${s.description}</p>
<div class="chips">${s.servers.length > 0 ? html`<span>MCP:</span>${s.servers.map((server) => html`<a class="chip" href="/search?server=${encodeURIComponent(server)}">${server}</a>`)}` : html`<span>no MCP servers</span>`}<span>published ${formatDay(s.publishedAt)}</span></div>
</li>`,
  )}</ul>`;
}

export interface FilterValues {
  query: string;
  scope: string | undefined;
  server: string | undefined;
  trust: TrustLevel | undefined;
}

export interface FilterChoices {
  scopes: readonly string[];
  servers: readonly string[];
}

function filters(values: FilterValues, choices: FilterChoices): Html {
  return html`<form class="filters" action="/search" method="get">
<label class="grow">Search<input type="search" name="q" value="${values.query}" placeholder="csv, knowledge graph, files…" maxlength="256"></label>
<label>Scope<select name="scope"><option value="">any scope</option>${choices.scopes.map((s) => html`<option value="${s}"${s === values.scope ? html` selected` : ''}>${s}</option>`)}</select></label>
<label>MCP server<input type="text" name="server" value="${values.server ?? ''}" list="servers" placeholder="any server" maxlength="64"></label>
<datalist id="servers">${choices.servers.map((s) => html`<option value="${s}">`)}</datalist>
<label>Trust<select name="trust"><option value="">any</option>${TRUST_LEVELS.map((t) => html`<option value="${t}"${t === values.trust ? html` selected` : ''}>${t}</option>`)}</select></label>
<button class="btn" type="submit">Search</button>
</form>`;
}

export function homePage(frame: PageFrame, data: { count: number; recent: readonly SkillSummary[]; choices: FilterChoices }): Html {
  const body = html`<section class="hero">
<h1>Find a skill your agent can trust</h1>
<p class="lead">${plural(data.count, 'skill')} on this registry. Each version shows how far it can be trusted: its code ran in a sandbox against recorded MCP calls before it was accepted, and the page shows every case.</p>
</section>
${filters({ query: '', scope: undefined, server: undefined, trust: undefined }, data.choices)}
<h2>Recently published</h2>
${skillList(data.recent, 'Nothing has been published yet. Publish a skill with `skills publish`.')}`;
  return layout(frame, 'Skills', body);
}

export function searchPage(frame: PageFrame, data: { values: FilterValues; choices: FilterChoices; total: number; results: readonly SkillSummary[]; page: number; pageSize: number; params: URLSearchParams }): Html {
  const pages = Math.max(1, Math.ceil(data.total / data.pageSize));
  const described = data.values.query ? html`for “${data.values.query}”` : html``;
  const body = html`${filters(data.values, data.choices)}
<h2>${plural(data.total, 'skill')} ${described}</h2>
${skillList(data.results, data.page > 1 ? 'No skills on this page.' : 'No skill matches. Try fewer words or another filter.')}
${pager('/search', data.params, data.page, pages, data.total)}`;
  return layout(frame, data.values.query ? `Search: ${data.values.query}` : 'Search', body);
}

export function scopePage(
  frame: PageFrame,
  data: { scope: string; isPrivate: boolean; team: { name: string; members: { user: string; role: string }[] } | undefined; total: number; results: readonly SkillSummary[]; page: number; pageSize: number },
): Html {
  const pages = Math.max(1, Math.ceil(data.total / data.pageSize));
  const body = html`<div class="skill-head">
<h1>${data.scope} ${data.isPrivate ? html`<span class="badge private">private</span>` : ''}</h1>
<p class="meta"><span>${plural(data.total, 'skill')}</span>${data.team ? html`<span>owned by team ${data.team.name}</span>` : ''}</p>
</div>
<div class="columns">
<div>${skillList(data.results, 'No skills in this scope yet.')}
${pager(pathOf(data.scope), new URLSearchParams(), data.page, pages, data.total)}</div>
<aside>${
    data.team
      ? html`<div class="card"><h3>Team ${data.team.name}</h3><ul class="plain">${data.team.members.map((m) => html`<li>${m.user} ${m.role === 'owner' ? html`<span class="badge tag">owner</span>` : ''}</li>`)}</ul></div>`
      : ''
  }
<div class="card"><h3>Publish here</h3><p class="small muted">Members of ${data.team?.name ?? 'the team'} publish with <code>skills publish</code> and a publish token.</p></div>
</aside>
</div>`;
  return layout(frame, data.scope, body);
}

export function notFoundPage(frame: PageFrame, status: number, message: string): Html {
  const title = status === 404 ? 'Not found' : status >= 500 ? 'Something went wrong' : 'Cannot show this page';
  const body = html`<section class="notfound">
<h1>${status}</h1>
<h2>${title}</h2>
<p class="muted">${message}</p>
<p><a class="btn" href="/">Browse skills</a></p>
</section>`;
  return layout(frame, title, body);
}

export function signInPage(frame: PageFrame, data: { csrf: string; next: string; error: string | undefined }): Html {
  const body = html`<section class="card form">
<h1>Sign in</h1>
${
  frame.caller
    ? html`<p>You are signed in as <strong>${frame.caller.user}</strong>. Signing in with another token replaces this session.</p>`
    : html`<p class="muted">Paste a registry token (it starts with <code>skr_</code>). The page keeps only a session cookie; the token itself is never stored in the browser.</p>`
}
${data.error ? html`<p class="error" role="alert">${data.error}</p>` : ''}
<form method="post" action="/sign-in">
<input type="hidden" name="csrf" value="${data.csrf}">
<input type="hidden" name="next" value="${data.next}">
<label for="token">Token</label>
<input id="token" type="password" name="token" autocomplete="off" required maxlength="200" spellcheck="false">
<button class="btn" type="submit">Sign in</button>
</form>
<p class="small muted">Create a token with <code>skills token create</code>. Private scopes appear to members of their team.</p>
</section>`;
  return layout(frame, 'Sign in', body);
}
