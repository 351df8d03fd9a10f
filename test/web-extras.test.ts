/**
 * Trust levels, provenance and audit findings on the catalog's pages: shown when the data carries
 * them, checked and escaped like everything else from a publisher, absent otherwise.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type RegistryApp } from '../registry-server/app';
import { sqliteStorage } from '../registry-server/storage/open';
import { SkillsStore } from '../registry-server/skills-store';
import { auditOf, provenanceOf, trustOf } from '../registry-server/web/extras';
import { html } from '../registry-server/web/html';
import { skillPage } from '../registry-server/web/pages/skill';
import { InProcessRunner } from '../sandbox/pool';
import { verifySkill } from '../sandbox/verify';
import { createTestRegistry, echoSkill, tarballOf, type TestRegistry } from '../testkit/registry';

let r: TestRegistry;
const HTML = { Accept: 'text/html' };

beforeAll(async () => {
  r = await createTestRegistry();
  for (const name of ['@acme/alpha', '@acme/beta']) {
    const res = await r.request('PUT', `/v1/skills/${name}`, { token: r.alice, body: await tarballOf(echoSkill(name)) });
    if (res.status !== 201) throw new Error(await res.text());
  }
}, 60_000);

afterAll(async () => {
  await r.close();
});

describe('web catalog: trust, provenance and audit', () => {
  it('shows the trust badge of every version, the audit the registry made at publish, and no provenance when a version carries none', async () => {
    const home = await (await r.request('GET', '/', { headers: HTML })).text();
    expect(home).toContain('<select name="trust">');
    const skill = await (await r.request('GET', '/@acme/alpha', { headers: HTML })).text();
    expect(skill).toMatch(/<h1>.*<span class="badge verified"/);
    expect(skill).toContain('<section class="card" id="audit"><h2>Audit <span class="badge passed">no findings</span>');
    expect(skill).not.toContain('id="provenance"');
  });

  it('filters by the trust of the version shown', async () => {
    r.db.prepare("UPDATE versions SET trust = 'unverified' WHERE skill_id = (SELECT id FROM skills WHERE name = '@acme/beta')").run();
    r.db.prepare("UPDATE skill_latest SET trust = 'unverified' WHERE skill_id = (SELECT id FROM skills WHERE name = '@acme/beta')").run();
    const runner = new InProcessRunner();
    const app: RegistryApp = createApp({ storage: sqliteStorage(r.db), verify: (files, dependencies, budget) => verifySkill({ files, dependencies }, { runner, ...budget }) });
    try {
      const get = async (path: string) => (await app.request(path, { headers: HTML })).text();
      const verified = await get('/search?trust=verified');
      expect(verified).toContain('@acme/alpha');
      expect(verified).not.toContain('@acme/beta');
      expect(verified).toContain('<span class="badge verified"');
      const unverified = await get('/search?trust=unverified');
      expect(unverified).toContain('<span class="badge unverified"');
      expect(unverified).not.toContain('@acme/alpha');
      expect(await get('/search?trust=bogus')).toContain('@acme/beta');
    } finally {
      await app.close();
      await runner.close();
    }
  });

  it('renders provenance and audit findings from a version document, escaped, with only http(s) links', async () => {
    const store = new SkillsStore(sqliteStorage(r.db));
    const skill = await store.skill('@acme/alpha');
    const base = skill ? await store.version(skill, '1.0.0', 'http://localhost') : undefined;
    if (!base) throw new Error('no version');
    const doc = {
      ...base,
      trust: 'instructions' as const,
      provenance: { source: 'git', url: 'https://git.example/acme/skills.git', commit: 'abc123"><script>alert(1)</script>', evil: 'javascript:alert(1)', nested: { ignored: true } },
      audit: { findings: [...Array.from({ length: 205 }, (_, i) => ({ severity: i === 0 ? 'error' : 'warning', code: 'EHIDDENUNICODE', path: 'SKILL.md', line: i + 1, message: `<img src=x onerror=alert(${i})>` }))] },
      // Hostile shapes on purpose: the page must render whatever a stored document holds, escaped.
    } as unknown as typeof base;
    expect(trustOf(doc)).toBe('instructions');
    expect(trustOf({ trust: 'root' })).toBeUndefined();
    const page = skillPage(
      { caller: undefined, signOutCsrf: undefined, path: '/@acme/alpha', query: '' },
      {
        name: '@acme/alpha',
        scope: '@acme',
        isPrivate: false,
        doc,
        isLatestPage: true,
        latest: '1.0.0',
        versions: [{ version: '1.0.0', publishedAt: base.publishedAt, yanked: false, deprecated: null, trust: 'instructions' }],
        distTags: { latest: '1.0.0' },
        readme: html`<p>readme</p>`,
        readmeCut: false,
        files: [],
        calls: new Map(),
        dependents: { names: [], more: false },
        downloads: { total: 0, lastWeek: 0, versions: {}, days: [] },
        trust: trustOf(doc),
        provenance: provenanceOf(doc),
        audit: auditOf(doc),
      },
    ).toString();
    expect(page).toContain('<span class="badge instructions"');
    expect(page).toContain('<a href="https://git.example/acme/skills.git" rel="nofollow noopener noreferrer">');
    expect(page).toContain('abc123&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain('<code>javascript:alert(1)</code>');
    expect(page).not.toContain('href="javascript:');
    expect(page).not.toContain('ignored');
    expect(page).toContain('id="audit"');
    expect(page.match(/<tr><td><span class="badge (failed|deprecated)">/g)).toHaveLength(200);
    expect(page).toContain('5 more findings not shown.');
    expect(page).not.toContain('<img src=x');
  });
});
