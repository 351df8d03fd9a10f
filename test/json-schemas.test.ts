import { describe, expect, it } from 'vitest';
import { jsonSchemaFiles } from '../schema/json-schemas';

// The committed files under schema/json/ must equal what the zod schemas generate today.
// After changing a schema, regenerate them with `npm run schema:json`.
describe('committed JSON Schemas', () => {
  for (const [file, text] of Object.entries(jsonSchemaFiles())) {
    it(`schema/json/${file} matches the zod schema`, async () => {
      await expect(text).toMatchFileSnapshot(`../schema/json/${file}`);
    });
  }
});
