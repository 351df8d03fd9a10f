/**
 * House rules for the test files themselves: temporary folders come from testkit/temp.ts, so they
 * are always removed; every file is in exactly one tier of test/tiers.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../testkit/cli';
import { FAST_TESTS, SHORT_FILE_SECONDS, SLOW_SECONDS, SLOW_TESTS } from './tiers';

const TEST_DIR = path.join(ROOT, 'test');
const testFiles = fs.readdirSync(TEST_DIR).filter((f) => f.endsWith('.test.ts')).sort();

describe('test files', () => {
  it('make temporary folders with testkit tempDir (removed when the file ends), never with mkdtemp', () => {
    const call = new RegExp(['mkdtemp', '(Sync)?\\('].join(''));
    const offenders = testFiles.filter((f) => call.test(fs.readFileSync(path.join(TEST_DIR, f), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('are each in exactly one tier (test/tiers.ts): a new file must be classified fast or slow', () => {
    const listed = [...FAST_TESTS, ...SLOW_TESTS];
    expect(listed.filter((f, i) => listed.indexOf(f) !== i), 'in both tiers or listed twice').toEqual([]);
    expect(testFiles.filter((f) => !listed.includes(f)), 'in no tier').toEqual([]);
    expect(listed.filter((f) => !testFiles.includes(f)).sort(), 'listed but missing').toEqual([]);
  });

  it('give the sequencer (test/sequencer.ts) durations only for slow files, each longer than an unlisted one', () => {
    expect(Object.keys(SLOW_SECONDS).filter((f) => !SLOW_TESTS.includes(f))).toEqual([]);
    expect(Object.entries(SLOW_SECONDS).filter(([, s]) => !(s > SHORT_FILE_SECONDS))).toEqual([]);
  });
});
