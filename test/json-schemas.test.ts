import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { jsonSchemaFiles } from '../schema/json-schemas';

// The committed files under schema/json/ must equal what the zod schemas generate today. They are
// always compared, never written, so a schema change without its JSON file fails (locally too,
// not only where CI is set). After changing a schema, regenerate them with `npm run schema:json`
// (vitest --update), the only run that writes them.
const DIR = fileURLToPath(new URL('../schema/json', import.meta.url));
const generated = jsonSchemaFiles();

function updating(): boolean {
  return expect.getState().snapshotState?.snapshotUpdateState === 'all';
}

describe('committed JSON Schemas', () => {
  for (const [file, text] of Object.entries(generated)) {
    it(`schema/json/${file} matches the zod schema`, async () => {
      if (updating()) {
        await expect(text).toMatchFileSnapshot(`../schema/json/${file}`);
        return;
      }
      const committed = await fs.readFile(path.join(DIR, file), 'utf8').catch(() => undefined);
      expect(committed, `schema/json/${file} is missing: run \`npm run schema:json\``).toBeDefined();
      expect(committed, `schema/json/${file} differs from the zod schema: run \`npm run schema:json\``).toBe(text);
    });
  }

  it('schema/json/ holds no file that is no longer generated', async () => {
    // An update writes new files only after the run; a stale one is removed by hand.
    if (updating()) return;
    const present = (await fs.readdir(DIR)).filter((f) => f.endsWith('.json')).sort();
    expect(present).toEqual(Object.keys(generated).sort());
  });
});
