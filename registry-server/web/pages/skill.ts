/** A skill's page (its latest version) and a version's page: everything we know about it. */
import type { PackumentVersion } from '../../../schema/registry';
import type { DownloadStats } from '../../downloads';
import type { VersionListing } from '../catalog';
import type { AuditView, ProvenanceField } from '../extras';
import { safeHttpUrl } from '../extras';
import { formatBytes, formatCount, formatDay, formatDuration, plural } from '../format';
import { html, pathOf, type Html } from '../html';
import { layout, skillLink, trustBadge, type PageFrame } from '../layout';
import type { TrustLevel } from '../../../schema/trust';

/** The MCP calls a case makes, as recorded in its fixture: `server.tool` and how many times. */
export type CaseCalls = ReadonlyMap<string, { call: string; times: number }[]>;

export interface SkillPageData {
  name: string;
  scope: string;
  isPrivate: boolean;
  /** The version shown. */
  doc: PackumentVersion;
  /** True on /@scope/name (the latest version), false on /@scope/name/v/x. */
  isLatestPage: boolean;
  latest: string | undefined;
  versions: readonly VersionListing[];
  distTags: Readonly<Record<string, string>>;
  readme: Html;
  readmeCut: boolean;
  files: readonly { path: string; size: number }[];
  calls: CaseCalls | undefined;
  dependents: { names: { name: string; version: string }[]; more: boolean };
  downloads: DownloadStats;
  trust: TrustLevel | undefined;
  provenance: ProvenanceField[] | undefined;
  audit: AuditView | undefined;
}

function versionPath(name: string, version: string): string {
  return `${skillLink(name)}/v/${encodeURIComponent(version)}`;
}

/** The file viewer's address for a file of a version. */
export function filePath(name: string, version: string, file: string): string {
  return `${versionPath(name, version)}/files/${file.split('/').map(encodeURIComponent).join('/')}`;
}

/** The address serving a raster image of a version. */
export function rawPath(name: string, version: string, file: string): string {
  return `${versionPath(name, version)}/raw/${file.split('/').map(encodeURIComponent).join('/')}`;
}

function sparkline(days: DownloadStats['days']): Html {
  const max = Math.max(1, ...days.map((d) => d.count));
  const width = 10;
  return html`<svg class="spark" viewBox="0 0 ${days.length * width} 36" preserveAspectRatio="none" role="img" aria-label="downloads per day, last ${days.length} days">${days.map((d, i) => {
    const h = d.count === 0 ? 0.5 : Math.max(2, Math.round((d.count / max) * 34));
    return html`<rect x="${i * width + 1}" y="${36 - h}" width="${width - 2}" height="${h}"${i === days.length - 1 ? html` class="today"` : ''}><title>${d.day}: ${formatCount(d.count)}</title></rect>`;
  })}</svg>`;
}

function verification(data: SkillPageData): Html {
  const v = data.doc.verification;
  const cases = v.cases;
  if (cases.length === 0) {
    return html`<section class="card" id="verification"><h2>Verification</h2>
<p class="muted">This version has no fixtures, so nothing of it ran in the sandbox.${data.trust === 'instructions' ? ' It holds instructions only: nothing in it is executable.' : ''}</p></section>`;
  }
  const status = v.ok ? html`<span class="badge passed">passed</span>` : html`<span class="badge failed">failed</span>`;
  const rows = cases.map((c) => {
    const calls = data.calls?.get(c.case);
    const shownCalls =
      calls === undefined
        ? html`<span class="muted">-</span>`
        : calls.length === 0
          ? html`<span class="muted">none</span>`
          : html`${calls.map((k, i) => html`${i > 0 ? ', ' : ''}<code>${k.call}</code>${k.times > 1 ? ` ×${k.times}` : ''}`)}`;
    return html`<tr><td><code>${c.case}</code></td><td><span class="badge ${c.status}">${c.status}</span>${c.code ? html` <code>${c.code}</code>` : ''}</td><td class="num">${formatDuration(c.durationMs)}</td><td class="calls">${shownCalls}</td></tr>`;
  });
  return html`<section class="card" id="verification"><h2>Verification ${status}</h2>
<p class="small muted">${v.passed} of ${cases.length} ${cases.length === 1 ? 'case' : 'cases'} passed in the sandbox against recorded MCP calls, ${formatDay(v.verifiedAt)}. Each case replays its fixture: every MCP call must match a recorded one, and the return value must equal the recorded one.</p>
<table class="list"><thead><tr><th>Case</th><th>Result</th><th class="num">Duration</th><th>MCP calls</th></tr></thead><tbody>${rows}</tbody></table>
</section>`;
}

function audit(view: AuditView | undefined): Html {
  if (!view) return html``;
  if (view.findings.length === 0) return html`<section class="card" id="audit"><h2>Audit <span class="badge passed">no findings</span></h2><p class="small muted">The static audit (hidden Unicode, prompt injection, dangerous scripts, committed secrets) found nothing.</p></section>`;
  return html`<section class="card" id="audit"><h2>Audit findings</h2>
<table class="list"><thead><tr><th>Severity</th><th>Finding</th><th>Where</th><th>Message</th></tr></thead><tbody>${view.findings.map(
    (f) => html`<tr><td><span class="badge ${f.allowed ? 'passed' : f.severity === 'error' || f.severity === 'high' || f.severity === 'critical' ? 'failed' : 'deprecated'}">${f.severity}${f.allowed ? ' · allowed' : ''}</span></td><td><code>${f.code}</code></td><td>${f.path ? html`<code>${f.path}${f.line ? `:${f.line}` : ''}</code>` : ''}</td><td>${f.message}</td></tr>`,
  )}</tbody></table>${view.omitted > 0 ? html`<p class="small muted">${plural(view.omitted, 'more finding')} not shown.</p>` : ''}${
    view.allowances.length > 0
      ? html`<h3>Allowed by the scope's owner</h3><ul class="allowances">${view.allowances.map((a) => html`<li><code>${a.rule}</code>${a.file ? html` in <code>${a.file}</code>` : ' in every file'}${a.by ? ` by ${a.by}` : ''}: ${a.reason}</li>`)}</ul>`
      : ''
  }</section>`;
}

function versionsTable(data: SkillPageData): Html {
  const tagsOf = new Map<string, string[]>();
  for (const [tag, version] of Object.entries(data.distTags)) tagsOf.set(version, [...(tagsOf.get(version) ?? []), tag]);
  return html`<section class="card" id="versions"><h2>Versions <span class="muted small">${data.versions.length}</span></h2>
<table class="list"><thead><tr><th>Version</th><th>Published</th><th class="num">Downloads</th><th>State</th></tr></thead><tbody>${data.versions.map(
    (v) => html`<tr><td><a href="${versionPath(data.name, v.version)}">${v.version}</a>${(tagsOf.get(v.version) ?? []).map((t) => html` <span class="badge tag">${t}</span>`)}</td>
<td>${formatDay(v.publishedAt)}</td><td class="num">${formatCount(data.downloads.versions[v.version] ?? 0)}</td>
<td>${trustBadge(v.trust)}${v.yanked ? html` <span class="badge yanked">yanked</span>` : ''}${v.deprecated !== null ? html` <span class="badge deprecated" title="${v.deprecated}">deprecated</span>` : ''}</td></tr>`,
  )}</tbody></table></section>`;
}

function filesTable(data: SkillPageData): Html {
  const version = data.doc.version;
  return html`<section class="card" id="files"><h2>Files <span class="muted small">${data.files.length} · ${formatBytes(data.doc.dist.unpackedSize)}</span></h2>
<table class="list"><thead><tr><th>Path</th><th class="num">Size</th></tr></thead><tbody>${data.files.map(
    (f) => html`<tr><td><a href="${filePath(data.name, version, f.path)}"><code>${f.path}</code></a></td><td class="num">${formatBytes(f.size)}</td></tr>`,
  )}</tbody></table></section>`;
}

function sidebar(data: SkillPageData): Html {
  const { doc } = data;
  const manifest = doc.manifest;
  const command = data.isLatestPage ? `skills install ${data.name}` : `skills install ${data.name}@${doc.version}`;
  const servers = Object.entries(manifest.mcp);
  const dependencies = Object.entries(manifest.dependencies);
  const tags = Object.entries(data.distTags);
  return html`<div class="card install"><h3>Install</h3>
<div class="cmd"><code id="install-command">${command}</code><button type="button" data-copy="${command}" hidden>Copy</button></div>
${data.isPrivate ? html`<p class="small muted">Private: installing needs a token of the team (<code>skills login</code>).</p>` : ''}
</div>
<div class="card"><h3>Weekly downloads</h3><p class="big" id="weekly-downloads">${formatCount(data.downloads.lastWeek)}</p>${sparkline(data.downloads.days)}<p class="small muted">${formatCount(data.downloads.total)} in all</p></div>
<div class="card"><h3>Dist-tags</h3><ul class="plain">${tags.map(([tag, version]) => html`<li><span class="badge tag">${tag}</span> <a href="${versionPath(data.name, version)}">${version}</a></li>`)}</ul></div>
<div class="card tools"><h3>MCP tools</h3>${
    servers.length === 0
      ? html`<p class="small muted">Calls no MCP server.</p>`
      : html`<ul class="plain">${servers.map(([server, tools]) => html`<li><a href="/search?server=${encodeURIComponent(server)}">${server}</a>: ${tools.map((t, i) => html`${i > 0 ? ', ' : ''}<code>${t}</code>`)}</li>`)}</ul>`
  }</div>
<div class="card"><h3>Dependencies</h3>${
    dependencies.length === 0
      ? html`<p class="small muted">None.</p>`
      : html`<ul class="plain">${dependencies.map(([dep, range]) => html`<li><a href="${skillLink(dep)}">${dep}</a> <code>${range}</code></li>`)}</ul>`
  }</div>
<div class="card"><h3>Dependents</h3>${
    data.dependents.names.length === 0
      ? html`<p class="small muted">None that you can see.</p>`
      : html`<ul class="plain">${data.dependents.names.map((d) => html`<li><a href="${skillLink(d.name)}">${d.name}</a> <span class="muted small">${d.version}</span></li>`)}</ul>${data.dependents.more ? html`<p class="small muted">and more</p>` : ''}`
  }</div>
${
  data.provenance
    ? html`<div class="card" id="provenance"><h3>Provenance</h3><dl class="kv">${data.provenance.map((f) => {
        const href = safeHttpUrl(f.value);
        return html`<dt>${f.label}</dt><dd>${href ? html`<a href="${href}" rel="nofollow noopener noreferrer">${f.value}</a>` : html`<code>${f.value}</code>`}</dd>`;
      })}</dl></div>`
    : ''
}
<div class="card"><h3>Details</h3><dl class="kv">
<dt>License</dt><dd>${manifest.license ?? 'not stated'}</dd>
<dt>Published</dt><dd>${formatDay(doc.publishedAt)}${doc.publishedBy ? ` by ${doc.publishedBy}` : ''}</dd>
<dt>Size</dt><dd>${formatBytes(doc.dist.size)} packed, ${formatBytes(doc.dist.unpackedSize)} in ${plural(doc.dist.fileCount, 'file')}</dd>
<dt>Integrity</dt><dd><code title="${doc.dist.integrity}">${doc.dist.integrity.slice(0, 22)}…</code></dd>
${manifest.keywords.length > 0 ? html`<dt>Keywords</dt><dd>${manifest.keywords.map((k, i) => html`${i > 0 ? ' ' : ''}<a class="chip" href="/search?q=${encodeURIComponent(k)}">${k}</a>`)}</dd>` : ''}
</dl></div>`;
}

export function skillPage(frame: PageFrame, data: SkillPageData): Html {
  const { doc } = data;
  const bare = data.name.slice(data.scope.length + 1);
  const banners: Html[] = [];
  if (doc.yanked) banners.push(html`<div class="banner bad"><strong>Yanked.</strong> Installs no longer choose ${doc.version}; lockfiles that name it still download it.</div>`);
  if (doc.deprecated !== null) banners.push(html`<div class="banner warn"><strong>Deprecated:</strong> ${doc.deprecated}</div>`);
  if (!data.isLatestPage && data.latest !== undefined && data.latest !== doc.version) {
    banners.push(html`<div class="banner info">This is version ${doc.version}. The latest is <a href="${skillLink(data.name)}">${data.latest}</a>.</div>`);
  }
  const body = html`<div class="skill-head">
<h1><a class="scope" href="${pathOf(data.scope)}">${data.scope}</a>/${bare}<span class="version">${doc.version}</span> ${trustBadge(data.trust)} ${data.isPrivate ? html`<span class="badge private">private</span>` : ''}</h1>
<p class="lead">${doc.description}</p>
<p class="meta"><span>published ${formatDay(doc.publishedAt)}</span><span>${plural(data.versions.length, 'version')}</span><span>${plural(data.downloads.lastWeek, 'download')} this week</span></p>
</div>
<div class="columns">
<article>
${banners}
<section class="card"><div class="markdown" id="readme">${data.readme}</div>${data.readmeCut ? html`<p class="small muted">SKILL.md is long; the rest is in the <a href="${filePath(data.name, doc.version, 'SKILL.md')}">file viewer</a>.</p>` : ''}</section>
${verification(data)}
${audit(data.audit)}
${versionsTable(data)}
${filesTable(data)}
</article>
<aside>${sidebar(data)}</aside>
</div>`;
  return layout(frame, `${data.name}${data.isLatestPage ? '' : `@${doc.version}`}`, body);
}

export function filePage(frame: PageFrame, data: { name: string; version: string; path: string; size: number; text: string | undefined; image: string | undefined; cut: boolean }): Html {
  const body = html`<div class="skill-head">
<h1><a href="${skillLink(data.name)}">${data.name}</a><span class="version">${data.version}</span></h1>
<p class="meta"><span><code>${data.path}</code></span><span>${formatBytes(data.size)}</span><span><a href="${versionPath(data.name, data.version)}#files">all files</a></span></p>
</div>
${
  data.text !== undefined
    ? html`<pre class="file" id="file-text">${data.text}</pre>${data.cut ? html`<p class="small muted">The file is longer; only its start is shown. Download the tarball for all of it.</p>` : ''}`
    : data.image !== undefined
      ? html`<div class="card"><img src="${data.image}" alt="${data.path}"></div>`
      : html`<p class="card muted">This file is not text, so it is not shown here. Download the tarball to read it.</p>`
}`;
  return layout(frame, `${data.path} · ${data.name}@${data.version}`, body);
}
