/** House rules for the test files themselves: temporary folders come from testkit/temp.ts, so they are always removed. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../testkit/cli';

const TEST_DIR = path.join(ROOT, 'test');
const testFiles = fs.readdirSync(TEST_DIR).filter((f) => f.endsWith('.test.ts')).sort();

describe('test files', () => {
  it('make temporary folders with testkit tempDir (removed when the file ends), never with mkdtemp', () => {
    const call = new RegExp(['mkdtemp', '(Sync)?\\('].join(''));
    const offenders = testFiles.filter((f) => call.test(fs.readFileSync(path.join(TEST_DIR, f), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
