/** The admin log page: entries newest first, a page at a time. Every field is shown as text. */
import type { AdminLogPage } from '../../admin-log';
import { html, type Html } from '../html';
import { layout, type PageFrame } from '../layout';

export function adminLogPage(frame: PageFrame, data: { log: AdminLogPage; since: string | undefined; paged: boolean; base: string }): Html {
  const link = (before: number | undefined) => {
    const params = new URLSearchParams();
    if (data.since !== undefined) params.set('since', data.since);
    if (before !== undefined) params.set('before', String(before));
    const query = params.toString();
    return `${data.base}${query ? `?${query}` : ''}`;
  };
  const rows = data.log.entries.map(
    (e) => html`<tr>
<td class="num"><time datetime="${e.at}">${e.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</time></td>
<td>${e.user ?? html`<span class="muted">registry</span>`}</td>
<td><code>${e.tokenId ?? '-'}</code></td>
<td>${e.address ?? '-'}</td>
<td>${e.action}</td>
<td>${e.target}</td>
<td>${e.details === null ? '' : html`<code>${JSON.stringify(e.details)}</code>`}</td>
</tr>`,
  );
  const body = html`<h1>Admin log</h1>
<p class="muted">Every privileged action on this registry, newest first: who, when, with which token, from which address. Times are UTC.</p>
<form class="filters" action="${data.base}" method="get">
<label class="grow">Since (ISO time)<input type="text" name="since" value="${data.since ?? ''}" placeholder="2025-06-01 or 2025-06-01T12:00:00Z" maxlength="40"></label>
<button class="btn" type="submit">Show</button>
</form>
${
  data.log.entries.length === 0
    ? html`<p class="muted">No entries${data.since !== undefined ? ' since then' : ''}.</p>`
    : html`<table class="list log">
<thead><tr><th class="num">Time</th><th>User</th><th>Token</th><th>Address</th><th>Action</th><th>Target</th><th>Details</th></tr></thead>
<tbody>${rows}</tbody>
</table>`
}
<nav class="pager" aria-label="pages">
${data.paged ? html`<a href="${link(undefined)}">&larr; Newest</a>` : ''}
${data.log.next !== null ? html`<a href="${link(data.log.next)}" rel="next">Older &rarr;</a>` : ''}
</nav>`;
  return layout(frame, 'Admin log', body);
}
