import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixtureSchema } from '../schema/fixture';
import { InProcessRunner } from '../sandbox/pool';
import { verifySkill } from '../sandbox/verify';
import { EXAMPLE_WORKSPACE } from '../testkit/cli';

const runner = new InProcessRunner();
afterAll(() => runner.close());

const folders = (await fs.readdir(path.join(EXAMPLE_WORKSPACE, 'skills'), { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();

describe('the first-party catalog in examples/workspace/skills/', () => {
  it('has at least eight skills', () => {
    expect(folders.length).toBeGreaterThanOrEqual(8);
  });

  for (const folder of folders) {
    it(`${folder}: at least three recorded fixtures, one an error path, all verifying in the sandbox`, async () => {
      const dir = path.join(EXAMPLE_WORKSPACE, 'skills', folder);
      const files = (await fs.readdir(path.join(dir, 'fixtures'))).filter((f) => f.endsWith('.json'));
      expect(files.length).toBeGreaterThanOrEqual(3);
      const fixtures = await Promise.all(files.map(async (f) => fixtureSchema.parse(JSON.parse(await fs.readFile(path.join(dir, 'fixtures', f), 'utf8')))));
      expect(fixtures.some((f) => f.expect.throws !== undefined)).toBe(true);
      const report = await verifySkill({ dir }, { runner });
      expect(report.ok, JSON.stringify(report.cases.filter((c) => c.status === 'failed'))).toBe(true);
    });
  }
});
