/**
 * An XSS corpus published as SKILL.md bodies (and descriptions, keywords, licenses, fixture and
 * file names, a deprecation message, package files), then every page that shows them opened in a
 * real headless Chromium: nothing may run. The test fails on any dialog, console error or warning
 * (a CSP refusal is one), uncaught error, popup or request to anything but the registry, and on
 * any script, event-handler attribute, javascript:/data:/vbscript: URL or active element in the DOM.
 */
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCRIPT_ASSET } from '../registry-server/web/assets';
import type { PackageFile } from '../schema/package-files';
import { echoSkill } from '../testkit/registry';
import { launchBrowser, startWebRegistry, watchPage, type WebRegistry } from '../testkit/web';

const enc = new TextEncoder();
const PNG_1X1 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

const CORPUS: Record<string, string> = {
  'script-tags': [
    "<script>alert('script')</script>",
    '<SCRIPT SRC=https://evil.example/x.js></SCRIPT>',
    '<scr<script>ipt>alert(1)</scr</script>ipt>',
    '</textarea></pre></code><script>alert(1)</script>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '`<script>alert(1)</script>` and\n\n```html\n<script>alert(1)</script>\n```',
    '<!--<script>alert(1)</script>-->',
  ].join('\n\n'),
  'event-handlers': [
    "<img src=x onerror=alert('img')>",
    '<body onload=alert(1)>',
    '<div onmouseover="alert(1)" style="position:fixed;inset:0">cover</div>',
    '<a href="https://example.com" onclick="alert(1)">link</a>',
    '<details open ontoggle=alert(1)><summary>x</summary></details>',
    '<input autofocus onfocus=alert(1)>',
    '<video><source onerror=alert(1)></video>',
  ].join('\n\n'),
  'javascript-links': [
    "[plain](javascript:alert('js'))",
    '[upper](JAVASCRIPT:alert(1))',
    '[tab](java\tscript:alert(1))',
    '[entity](&#106;avascript:alert(1))',
    '[colon](javascript&colon;alert(1))',
    '[spaces](   javascript:alert(1))',
    '[encoded](%6A%61%76%61script:alert(1))',
    '<javascript:alert(1)>',
    '[reference][evil]\n\n[evil]: javascript:alert(1)',
    '![image](javascript:alert(1))',
    '[vb](vbscript:msgbox(1))',
    '[file](file:///etc/passwd)',
    '[protocol-relative](//evil.example/x)',
    '[backslash](/\\evil.example/x)',
    '[up](../../../sign-out)',
  ].join('\n\n'),
  'data-links': [
    '[html](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
    '[html2](data:text/html,<script>alert(1)</script>)',
    '![svg](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)',
    '![png](data:image/png;base64,iVBORw0KGgo=)',
    '<data:text/html,<script>alert(1)</script>>',
    '[ws]( data:text/html,<b>x</b>)',
  ].join('\n\n'),
  svg: [
    '<svg onload=alert(1)><script>alert(1)</script></svg>',
    '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">XSS</text></a></svg>',
    '<svg><animate onbegin=alert(1) attributeName=x dur=1s>',
    '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
    '![logo](assets/evil.svg)',
    '[logo](assets/evil.svg)',
    '![fake](assets/fake.png) ![polyglot](assets/polyglot.png) ![ok "x\\" onerror=\\"alert(1)"](assets/ok.png)',
    '[page](references/page.html)',
  ].join('\n\n'),
  entities: [
    '&lt;script&gt;alert(1)&lt;/script&gt;',
    '&#60;img src=x onerror=alert(1)&#62;',
    '&#x3C;svg onload=alert(1)&#x3E;',
    '\\<script\\>alert(1)\\</script\\>',
    '%3Cscript%3Ealert(1)%3C/script%3E',
    '[q](https://example.com/&quot;onmouseover=&quot;alert(1))',
    '&amp;lt;script&amp;gt;alert(1)',
  ].join('\n\n'),
  'link-titles': [
    '[double](https://example.com "title\\" onmouseover=\\"alert(1)")',
    "[single](https://example.com 'it\\'s\" onfocus=alert(1) autofocus x=\"')",
    '[paren](https://example.com (paren" onmouseover="alert(1)))',
    '[ref][t]\n\n[t]: https://example.com "t\\" onclick=\\"alert(1)"',
    '![alt" onerror="alert(1)](assets/ok.png "img\\" onload=\\"alert(1)")',
  ].join('\n\n'),
};

/** About 1 MB of Markdown with a payload on every line. */
function megabyteBody(): string {
  const lines: string[] = ['# A very long SKILL.md'];
  let size = 0;
  for (let i = 0; size < 1024 * 1024; i++) {
    const line = `Line ${i} ${(i * 2654435761) % 1_000_003} <img src=x onerror=alert(${i})> [x${i}](javascript:alert(${i})) <script>alert(${i})</script> **bold** _${i.toString(36)}_`;
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join('\n');
}

function hostileSkill(name: string, body: string): PackageFile[] {
  const bare = name.slice(name.indexOf('/') + 1);
  const files = echoSkill(name).map((f) => {
    if (f.path === 'SKILL.md') {
      // Publishing refuses < and > in a description; quotes and entities that decode to tags are allowed.
      const description = `${bare}: " onmouseover="alert(1)" ' autofocus onfocus='alert(1)' &lt;script&gt;alert(1)&lt;/script&gt; &#60;img src=x onerror=alert(1)&#62;`;
      return { ...f, bytes: enc.encode(`---\nname: ${bare}\ndescription: ${JSON.stringify(description)}\n---\n\n${body}\n`) };
    }
    if (f.path === 'skill.json') {
      const manifest = JSON.parse(new TextDecoder().decode(f.bytes)) as Record<string, unknown>;
      return { ...f, bytes: enc.encode(JSON.stringify({ ...manifest, keywords: ['"><svg onload=alert(1)>', 'javascript:alert(1)'], license: '<img src=x onerror=alert(1)>' })) };
    }
    return f;
  });
  const example = files.find((f) => f.path === 'fixtures/example.json');
  if (example) files.push({ path: 'fixtures/"><img src=x onerror=alert(1)>.json', bytes: example.bytes });
  files.push(
    { path: 'assets/evil.svg', bytes: enc.encode('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>') },
    { path: 'assets/fake.png', bytes: enc.encode('<html><script>alert(1)</script></html>') },
    { path: 'assets/polyglot.png', bytes: Buffer.concat([PNG_1X1.subarray(0, 8), Buffer.from('<html><script>alert(1)</script></html>')]) },
    { path: 'assets/ok.png', bytes: PNG_1X1 },
    { path: 'references/page.html', bytes: enc.encode('<!doctype html><script>alert(1)</script><img src=x onerror=alert(1)>') },
    { path: 'references/<svg onload=alert(1)>.md', bytes: enc.encode('# odd name') },
  );
  return files;
}

/** Runs in the page: what in the DOM could execute or leave the page. */
const DOM_AUDIT = `(() => {
  const problems = [];
  const allowedScript = location.origin + ${JSON.stringify(SCRIPT_ASSET.path)};
  for (const s of document.scripts) if (s.src !== allowedScript) problems.push('script: ' + s.outerHTML.slice(0, 120));
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      const name = a.name.toLowerCase();
      if (name.startsWith('on')) problems.push('handler ' + name + ' on ' + el.tagName);
      if (['href', 'src', 'action', 'formaction', 'xlink:href', 'data', 'srcdoc', 'poster', 'background'].includes(name)) {
        const v = a.value.replace(/[\\u0000-\\u0020]/g, '').toLowerCase();
        if (/^(javascript|data|vbscript|file):/.test(v)) problems.push(name + '=' + a.value.slice(0, 80) + ' on ' + el.tagName);
      }
      if (name === 'style') problems.push('style attribute on ' + el.tagName);
    }
  }
  for (const el of document.querySelectorAll('iframe, frame, object, embed, base, meta[http-equiv], link[rel=import], math, template, textarea, video, audio, details')) problems.push('element ' + el.tagName);
  for (const el of document.querySelectorAll('svg')) if (!el.classList.contains('spark')) problems.push('svg outside the downloads chart');
  for (const f of document.forms) if (!['/search', '/sign-in', '/sign-out'].includes(new URL(f.action).pathname) || new URL(f.action).origin !== location.origin) problems.push('form to ' + f.action);
  for (const img of document.images) { const u = new URL(img.src); if (u.origin !== location.origin && u.protocol !== 'https:') problems.push('img ' + img.src.slice(0, 80)); }
  for (const a of document.querySelectorAll('a[href]')) { const u = new URL(a.href); if (!['http:', 'https:', 'mailto:'].includes(u.protocol)) problems.push('link ' + a.href.slice(0, 80)); }
  return problems;
})()`;

let registry: WebRegistry;
let browser: Browser;
const names: string[] = [];

beforeAll(async () => {
  [registry, browser] = await Promise.all([startWebRegistry(), launchBrowser()]);
  for (const [label, body] of Object.entries({ ...CORPUS, 'megabyte-body': megabyteBody() })) {
    const name = `@acme/xss-${label}`;
    await registry.publish(hostileSkill(name, body), name);
    names.push(name);
  }
  const deprecated = await registry.api('POST', `/v1/skills/${names[0]}/versions/1.0.0/deprecate`, { token: registry.admin, body: { message: '<img src=x onerror=alert("deprecated")> [x](javascript:alert(1))' } });
  expect(deprecated.status).toBe(200);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await registry?.close();
});

async function visit(context: BrowserContext, paths: string[]): Promise<string[]> {
  const page = await context.newPage();
  const watch = watchPage(page, registry.url);
  const found: string[] = [];
  for (const path of paths) {
    const res = await page.goto(`${registry.url}${path}`, { waitUntil: 'load' });
    if (res?.headers()['content-type']?.startsWith('text/html')) {
      // Let deferred scripts, lazy images, focus and animation handlers have their chance.
      await page.mouse.move(200, 300);
      await page.mouse.move(640, 450);
      await page.keyboard.press('Tab');
      await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 50)))');
      for (const problem of (await page.evaluate(DOM_AUDIT)) as string[]) found.push(`${path}: ${problem}`);
    } else {
      // A sandboxed image document runs no script at all (not even the test's): just let it settle.
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    for (const problem of watch.problems.splice(0)) found.push(`${path}: ${problem}`);
  }
  await page.close();
  return found;
}

describe('XSS corpus in a real browser', () => {
  it('the watch itself catches a dialog, an inline script refusal and a request off the registry', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const watch = watchPage(page, registry.url);
      await page.setContent('<img src="https://evil.example/pixel.png"><script>alert(1); console.error("boom")</script>');
      await page.evaluate('new Promise((resolve) => setTimeout(resolve, 100))');
      expect(watch.problems.some((p) => p.startsWith('dialog alert'))).toBe(true);
      expect(watch.problems.some((p) => p.startsWith('console error'))).toBe(true);
      expect(watch.problems.some((p) => p.includes('evil.example'))).toBe(true);
    } finally {
      await context.close();
    }
  });

  it('runs nothing on the skill, version, search, scope and home pages of every corpus skill', async () => {
    const context = await browser.newContext();
    try {
      const paths = ['/', '/search?q=xss', '/search?q=%3Cscript%3Ealert(1)%3C/script%3E', '/@acme'];
      for (const name of names) paths.push(`/${name}`, `/${name}/v/1.0.0`);
      expect(await visit(context, paths)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('renders the hostile Markdown as text and keeps only safe links and package images', async () => {
    const res = await registry.api('GET', '/@acme/xss-svg', { headers: { Accept: 'text/html' } });
    const page = await res.text();
    expect(res.headers.get('Content-Security-Policy')).toContain("script-src 'self'");
    const readme = page.slice(page.indexOf('id="readme"'), page.indexOf('id="verification"'));
    expect(readme).toContain('&lt;svg onload=alert(1)&gt;');
    expect(readme).toContain('<img src="/@acme/xss-svg/v/1.0.0/raw/assets/ok.png"');
    expect(readme).not.toMatch(/<img[^>]+evil\.svg/);
    expect(readme).toContain('href="/@acme/xss-svg/v/1.0.0/files/references/page.html"');
    const links = await registry.api('GET', '/@acme/xss-javascript-links', { headers: { Accept: 'text/html' } });
    const linksPage = await links.text();
    const hrefs = [...linksPage.slice(linksPage.indexOf('id="readme"'), linksPage.indexOf('id="verification"')).matchAll(/href="([^"]*)"/g)].map((m) => m[1]);
    expect(hrefs).toEqual(['https://evil.example/x']);
  });

  it('runs nothing in the file viewer (SVG, HTML, odd file names, the 1 MB SKILL.md) or from package images', async () => {
    const context = await browser.newContext();
    try {
      const name = '@acme/xss-svg';
      const paths = ['assets/evil.svg', 'assets/fake.png', 'assets/polyglot.png', 'assets/ok.png', 'references/page.html', 'references/<svg onload=alert(1)>.md', 'fixtures/"><img src=x onerror=alert(1)>.json'].map(
        (p) => `/${name}/v/1.0.0/files/${p.split('/').map(encodeURIComponent).join('/')}`,
      );
      paths.push(`/@acme/xss-megabyte-body/v/1.0.0/files/SKILL.md`);
      // Opened on their own: only a real raster image is served, and it cannot run anything.
      paths.push(`/${name}/v/1.0.0/raw/assets/ok.png`, `/${name}/v/1.0.0/raw/assets/polyglot.png`);
      expect(await visit(context, paths)).toEqual([]);
      for (const refused of ['assets/evil.svg', 'assets/fake.png', 'references/page.html']) {
        const res = await registry.api('GET', `/${name}/v/1.0.0/raw/${refused}`);
        expect(res.status, refused).toBe(404);
        expect(res.headers.get('Content-Type'), refused).toContain('application/json');
      }
      const polyglot = await registry.api('GET', `/${name}/v/1.0.0/raw/assets/polyglot.png`);
      expect(polyglot.headers.get('Content-Type')).toBe('image/png');
      expect(polyglot.headers.get('X-Content-Type-Options')).toBe('nosniff');
      expect(polyglot.headers.get('Content-Security-Policy')).toContain('sandbox');
    } finally {
      await context.close();
    }
  });

  it('shows the 1 MB SKILL.md cut to its start, within a page of bounded size', async () => {
    const res = await registry.api('GET', '/@acme/xss-megabyte-body', { headers: { Accept: 'text/html' } });
    const page = await res.text();
    expect(res.status).toBe(200);
    expect(page).toContain('SKILL.md is long; the rest is in the');
    expect(Buffer.byteLength(page)).toBeLessThan(400 * 1024);
  });
});
