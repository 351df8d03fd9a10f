/**
 * The web catalog in a real headless Chromium against a real registry: search, open a skill, read
 * its rendered SKILL.md and verification report, copy the install command, sign in to see a
 * private scope and sign out, and a 404 page. Every page is watched: a dialog, a console error, an
 * uncaught error or a request to anything but the registry fails the test.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PackageFile } from '../schema/package-files';
import { echoSkill } from '../testkit/registry';
import { artifactsDir, catalogSkill, launchBrowser, startWebRegistry, watchPage, type PageWatch, type WebRegistry } from '../testkit/web';

let registry: WebRegistry;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let watch: PageWatch;

function withVersion(files: readonly PackageFile[], version: string): PackageFile[] {
  return files.map((f) => (f.path === 'skill.json' ? { ...f, bytes: new TextEncoder().encode(JSON.stringify({ ...JSON.parse(new TextDecoder().decode(f.bytes)), version })) } : f));
}

beforeAll(async () => {
  [registry, browser] = await Promise.all([startWebRegistry(), launchBrowser()]);
  await registry.api('POST', '/v1/scopes', { token: registry.admin, body: { name: '@examples', team: 'acme' } });
  await registry.publish(await catalogSkill('csv-parse'), '@examples/csv-parse');
  const copy = await catalogSkill('csv-filter-copy');
  for (const version of ['1.0.0', '1.1.0', '1.2.0']) await registry.publish(withVersion(copy, version), '@examples/csv-filter-copy');
  await registry.api('POST', '/v1/skills/@examples/csv-filter-copy/versions/1.0.0/deprecate', { token: registry.admin, body: { message: 'use 1.2.0: it reports skipped rows' } });
  await registry.api('POST', '/v1/skills/@examples/csv-filter-copy/versions/1.1.0/yank', { token: registry.admin });
  for (let i = 0; i < 3; i++) await (await registry.api('GET', '/v1/skills/@examples/csv-filter-copy/-/csv-filter-copy-1.2.0.tgz')).arrayBuffer();
  await registry.publish(echoSkill('@secret/internal-report'), '@secret/internal-report');
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await registry?.close();
});

async function fresh(): Promise<void> {
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  watch = watchPage(page, registry.url);
}

afterEach(async () => {
  await context?.close();
});

describe('web catalog in a real browser', () => {
  it('searches from the home page and lists results with version, description and MCP servers', async () => {
    await fresh();
    const home = await page.goto(`${registry.url}/`);
    expect(home?.status()).toBe(200);
    expect(await page.locator('h2', { hasText: 'Recently published' }).count()).toBe(1);
    await page.locator('header input[name=q]').fill('csv');
    await page.locator('header form.search button').click();
    await page.waitForURL(/\/search\?q=csv/);
    const results = page.locator('ul.results > li');
    const names = await results.locator('a.name').allTextContents();
    expect(names).toEqual(expect.arrayContaining(['@examples/csv-filter-copy', '@examples/csv-parse']));
    expect(names).not.toContain('@secret/internal-report');
    const copy = results.filter({ hasText: '@examples/csv-filter-copy' });
    expect(await copy.locator('.ver').textContent()).toBe('1.2.0');
    expect(await copy.textContent()).toContain('Copies the rows of a CSV file');
    expect(await copy.locator('a.chip').allTextContents()).toEqual(['filesystem']);
    // The server filter, as a link from a result.
    await copy.locator('a.chip', { hasText: 'filesystem' }).click();
    await page.waitForURL(/server=filesystem/);
    expect(await page.locator('ul.results a.name').allTextContents()).toEqual(['@examples/csv-filter-copy']);
    expect(watch.problems).toEqual([]);
  });

  it('opens a skill: rendered SKILL.md, verification report with every case, versions, files and downloads', async () => {
    await fresh();
    await page.goto(`${registry.url}/search?q=filter`);
    await page.locator('a.name', { hasText: '@examples/csv-filter-copy' }).click();
    await page.waitForURL(`${registry.url}/@examples/csv-filter-copy`);
    const readme = page.locator('#readme');
    expect(await readme.locator('h1').textContent()).toBe('csv-filter-copy');
    expect(await readme.locator('pre code').textContent()).toContain("import { copyMatchingRows } from './skills/csv-filter-copy';");
    expect(await readme.textContent()).toContain('Only the counts come back to the agent');
    expect(await readme.textContent(), 'the frontmatter is not part of the rendered body').not.toContain('compatibility:');

    const cases = page.locator('#verification tbody tr');
    expect(await cases.count()).toBe(4);
    const rows = await cases.evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim())));
    expect(rows.map((r) => r[0]).sort()).toEqual(['eu-orders', 'missing-file', 'no-match', 'unknown-column']);
    for (const row of rows) {
      expect(row[1]).toBe('passed');
      expect(row[2]).toMatch(/^\d+(\.\d+)? (ms|s)$/);
    }
    expect(rows.find((r) => r[0] === 'eu-orders')?.[3]).toContain('filesystem.read_text_file');
    expect(rows.find((r) => r[0] === 'eu-orders')?.[3]).toContain('filesystem.write_file');

    const versions = await page.locator('#versions tbody tr').allTextContents();
    expect(versions).toHaveLength(3);
    expect(versions[0]).toContain('1.2.0');
    expect(versions[0]).toContain('latest');
    expect(versions.find((v) => v.includes('1.1.0'))).toContain('yanked');
    expect(versions.find((v) => v.includes('1.0.0'))).toContain('deprecated');
    expect(await page.locator('#weekly-downloads').textContent()).toBe('3');
    expect(await page.locator('#files tbody tr').count()).toBe(7);
    expect(await page.locator('aside').textContent()).toContain('@examples/csv-parse');

    // The dependency links to its page, which lists this skill as a dependent.
    await page.locator('aside a', { hasText: '@examples/csv-parse' }).click();
    await page.waitForURL(`${registry.url}/@examples/csv-parse`);
    expect(await page.locator('aside a', { hasText: '@examples/csv-filter-copy' }).count()).toBe(1);

    // An older version's page says so and shows its deprecation.
    await page.goto(`${registry.url}/@examples/csv-filter-copy/v/1.0.0`);
    expect(await page.locator('.banner.warn').textContent()).toContain('use 1.2.0: it reports skipped rows');
    expect(await page.locator('.banner.info').textContent()).toContain('The latest is 1.2.0');
    expect(await page.locator('#install-command').textContent()).toBe('skills install @examples/csv-filter-copy@1.0.0');

    // The file viewer shows a text file as text.
    await page.goto(`${registry.url}/@examples/csv-filter-copy`);
    await page.locator('#files a', { hasText: 'fixtures/eu-orders.json' }).click();
    expect(await page.locator('#file-text').textContent()).toContain('"read_text_file"');
    expect(watch.problems).toEqual([]);
  });

  it('copies the install command with the copy button, and saves a screenshot of the skill page', async () => {
    await fresh();
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: registry.url });
    await page.goto(`${registry.url}/@examples/csv-filter-copy`);
    const button = page.locator('.install button[data-copy]');
    await button.waitFor({ state: 'visible' });
    expect(await button.getAttribute('data-copy')).toBe('skills install @examples/csv-filter-copy');
    await button.click();
    await page.locator('.install button', { hasText: 'Copied' }).waitFor();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe('skills install @examples/csv-filter-copy');

    await fs.mkdir(artifactsDir(), { recursive: true });
    const shot = path.join(artifactsDir(), 'skill-page.png');
    await page.locator('.install button').evaluate((b) => {
      b.textContent = 'Copy';
    });
    await page.screenshot({ path: shot, fullPage: true });
    expect((await fs.stat(shot)).size).toBeGreaterThan(10_000);
    expect(watch.problems).toEqual([]);
  });

  it('works without JavaScript: the command is on the page and the copy button stays hidden', async () => {
    const noScript = await browser.newContext({ javaScriptEnabled: false });
    try {
      const p = await noScript.newPage();
      await p.goto(`${registry.url}/@examples/csv-filter-copy`);
      expect(await p.locator('#install-command').textContent()).toBe('skills install @examples/csv-filter-copy');
      expect(await p.locator('.install button').isHidden()).toBe(true);
      expect(await p.locator('#verification tbody tr').count()).toBe(4);
    } finally {
      await noScript.close();
    }
  });

  it('signs in with a token to see a private scope, and signs out', async () => {
    await fresh();
    const hidden = await page.goto(`${registry.url}/@secret`);
    expect(hidden?.status()).toBe(404);
    await page.goto(`${registry.url}/search?q=internal`);
    expect(await page.locator('ul.results a.name').count()).toBe(0);

    await page.locator('header a', { hasText: 'Sign in' }).click();
    await page.waitForURL(/\/sign-in\?next=/);
    await page.locator('input[name=token]').fill(registry.aliceRead);
    await page.locator('form[action="/sign-in"] button').click();
    await page.waitForURL(`${registry.url}/search?q=internal`);
    expect(await page.locator('header .who').textContent()).toContain('Signed in as alice');
    expect(await page.locator('ul.results a.name').allTextContents()).toEqual(['@secret/internal-report']);

    const cookies = await context.cookies(registry.url);
    const session = cookies.find((c) => c.name === 'skills_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(session?.value).not.toContain(registry.aliceRead.slice(4, 20));
    expect(await page.evaluate('document.cookie'), 'HttpOnly: no script can read the session').toBe('');

    const scope = await page.goto(`${registry.url}/@secret`);
    expect(scope?.status()).toBe(200);
    expect(await page.locator('ul.results a.name').allTextContents()).toEqual(['@secret/internal-report']);
    expect(await page.locator('aside').textContent()).toContain('Team acme');
    expect(await page.locator('h1 .badge.private').count()).toBe(1);
    await page.locator('ul.results a.name').click();
    expect(await page.locator('.install').textContent()).toContain('Private: installing needs a token');

    await page.locator('header button', { hasText: 'Sign out' }).click();
    await page.waitForURL(`${registry.url}/`);
    expect(await page.locator('header .who').textContent()).toContain('Sign in');
    expect((await context.cookies(registry.url)).some((c) => c.name === 'skills_session')).toBe(false);
    expect((await page.goto(`${registry.url}/@secret`))?.status()).toBe(404);
    expect(watch.problems.filter((p) => !p.includes('404'))).toEqual([]);
  });

  it('answers an unknown skill with a 404 page', async () => {
    await fresh();
    const res = await page.goto(`${registry.url}/@examples/no-such-skill`);
    expect(res?.status()).toBe(404);
    expect(await page.locator('.notfound h1').textContent()).toBe('404');
    expect(await page.locator('.notfound').textContent()).toContain('@examples/no-such-skill was not found');
    expect((await page.goto(`${registry.url}/no/such/page`))?.status()).toBe(404);
    expect(await page.locator('.notfound').textContent()).toContain('There is no page at this address');
    // The only problems are the browser reporting the two 404 answers.
    expect(watch.problems.filter((p) => !p.includes('404'))).toEqual([]);
  });
});
