/** skills/INDEX.md within the skill-listing budget of agent clients, however many skills (issue 17). */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOG_BUDGET_CHARS, renderCatalog, type CatalogEntry } from '../schema/catalog';
import { runCli } from '../testkit/cli';
import { tempDir } from '../testkit/temp';

const DESCRIPTION =
  'Migrates records from a CSV file on the filesystem MCP server into entities of the memory MCP server knowledge graph, moving the data between the two servers inside the sandbox. Use it to import a contact list or an inventory into long-term memory.';

function entries(count: number, description = DESCRIPTION): CatalogEntry[] {
  return Array.from({ length: count }, (_, i) => {
    const name = `skill-${String(i).padStart(4, '0')}-import`;
    return { name, packageName: `@acme/${name}`, version: '1.0.0', description, location: `skills/${name}/SKILL.md`, source: 'installed' as const };
  });
}

let ws: string;
beforeAll(async () => {
  ws = await tempDir('context-catalog');
});
afterAll(async () => {
  await fs.rm(ws, { recursive: true, force: true });
});

describe('skills/INDEX.md at scale', () => {
  it('lists 100 skills within 8,000 characters, every name listed, and says descriptions were cut', async () => {
    for (const e of entries(100)) {
      await fs.mkdir(path.join(ws, 'skills', e.name), { recursive: true });
      await fs.writeFile(path.join(ws, 'skills', e.name, 'SKILL.md'), `---\nname: ${e.name}\ndescription: ${e.description}\n---\n\nBody.\n`);
      await fs.writeFile(path.join(ws, 'skills', e.name, 'skill.json'), JSON.stringify({ name: e.packageName, version: '1.0.0' }));
    }
    const list = await runCli(['list', '--json'], { cwd: ws });
    expect(list.code, list.stderr).toBe(0);
    const catalog = list.json<{ catalog: { chars: number; overBudget: boolean }; warnings?: string[] }>();
    const index = await fs.readFile(path.join(ws, 'skills', 'INDEX.md'), 'utf8');
    expect(index.length).toBeLessThanOrEqual(CATALOG_BUDGET_CHARS);
    expect(catalog.catalog).toMatchObject({ chars: index.length, overBudget: false });
    expect(catalog.warnings ?? []).toEqual([]);
    for (const e of entries(100)) expect(index).toContain(`\n- ${e.name} (1.0.0, local): `);
    expect(index).toMatch(/Descriptions cut to \d+ characters \(100 of 100\) to keep this file within the 8,000-character budget agent clients give skill listings; each SKILL\.md has the full text\./);
    expect(index).toContain('read its instructions: `skills/<name>/SKILL.md`');
  }, 60_000);

  it('leaves descriptions whole when they fit, and cuts them at a word', () => {
    const few = renderCatalog(entries(3));
    expect(few.shortened).toBe(0);
    expect(few.markdown).toContain(`- skill-0000-import (1.0.0): ${DESCRIPTION} [skills/skill-0000-import/SKILL.md]\n`);
    const many = renderCatalog(entries(60));
    expect(many.chars).toBeLessThanOrEqual(CATALOG_BUDGET_CHARS);
    const line = many.markdown.split('\n').find((l) => l.startsWith('- skill-0000')) ?? '';
    expect(line).toMatch(/[A-Za-z]…$/);
    expect(DESCRIPTION.startsWith(line.slice(line.indexOf(': ') + 2, -1))).toBe(true);
  });

  it('with more skills than names fit, lists what fits, counts the rest and says where they are', () => {
    const rendered = renderCatalog(entries(1000));
    expect(rendered.chars).toBeLessThanOrEqual(CATALOG_BUDGET_CHARS);
    expect(rendered.overBudget).toBe(false);
    expect(rendered.omitted.length).toBeGreaterThan(0);
    expect(rendered.markdown).not.toContain(`- ${rendered.omitted[0]}`);
    expect(rendered.markdown).toContain(`${rendered.omitted.length} more skills are not listed here (the budget): \`skills list\` shows them all.`);
    expect(rendered.markdown).toContain('Descriptions left out (1000 of 1000)');
  });
});
