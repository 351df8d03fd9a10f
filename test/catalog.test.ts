import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CATALOG_BUDGET_CHARS, renderCatalog } from '../schema/catalog';
import { writeCatalog } from '../cli/core/workspace/catalog';
import { tempDir } from '../testkit/temp';

let root: string;
beforeEach(async () => {
  root = await tempDir('catalog');
});
afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

async function addSkill(folder: string, description: string, manifest?: object): Promise<void> {
  const dir = path.join(root, 'skills', folder);
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'SKILL.md'), `---\nname: ${folder}\ndescription: ${JSON.stringify(description)}\n---\nBody\n`);
  if (manifest) await fs.writeFile(path.join(dir, 'skill.json'), JSON.stringify(manifest));
}

describe('skills/INDEX.md catalog', () => {
  it('lists installed and local skills sorted, one line each', async () => {
    await addSkill('zeta', 'Local one & only.');
    await addSkill('alpha', 'Installed one.', { name: '@acme/alpha', version: '1.2.0' });
    await fs.mkdir(path.join(root, 'skills', 'not-a-skill'));
    const catalog = await writeCatalog(root, new Set(['alpha']));
    expect(catalog.entries.map((e) => [e.name, e.packageName, e.version, e.source])).toEqual([
      ['alpha', '@acme/alpha', '1.2.0', 'installed'],
      ['zeta', null, null, 'local'],
    ]);
    expect(catalog.skipped).toEqual([{ folder: 'not-a-skill', reason: 'no SKILL.md' }]);
    const written = await fs.readFile(path.join(root, 'skills', 'INDEX.md'), 'utf8');
    expect(written).toBe(catalog.markdown);
    expect(written).toContain('2 skills. Before using one, read its instructions: `skills/<name>/SKILL.md`.\n\n- alpha (1.2.0): Installed one. [skills/alpha/SKILL.md]\n- zeta (local): Local one & only. [skills/zeta/SKILL.md]\n');
    expect(catalog.overBudget).toBe(false);
    expect(catalog.shortened).toBe(0);
  });

  it('cuts descriptions to keep a catalog within the 8,000 character budget, and says so', () => {
    const entries = Array.from({ length: 12 }, (_, i) => ({
      name: `skill-${i}`,
      packageName: null,
      version: null,
      description: 'd'.repeat(700),
      location: `skills/skill-${i}/SKILL.md`,
      source: 'local' as const,
    }));
    const rendered = renderCatalog(entries);
    expect(rendered.chars).toBeLessThanOrEqual(CATALOG_BUDGET_CHARS);
    expect(rendered.overBudget).toBe(false);
    expect(rendered.shortened).toBe(12);
    expect(rendered.markdown).toContain('each SKILL.md has the full text');
    expect(renderCatalog(entries.slice(0, 2)).shortened).toBe(0);
  });

  it('writes an empty catalog for a workspace with no skills folder', async () => {
    const catalog = await writeCatalog(root, new Set());
    expect(catalog.entries).toEqual([]);
    expect(await fs.readFile(path.join(root, 'skills', 'INDEX.md'), 'utf8')).toContain('No skills yet');
  });
});
