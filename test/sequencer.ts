/**
 * The order files start in (vitest.config.ts `sequence.sequencer`). Two workers take files from one
 * queue, so a long file that starts late makes the run end with one worker busy and the other idle.
 * Longest first (test/tiers.ts SLOW_SECONDS), then the rest of the slow tier, then the fast tier:
 * its files are short, and consecutive ones share a worker (isolate off), so they fill the end.
 * Without it vitest orders by its results cache (absent on a fresh CI machine) or by file size,
 * which starts the two crash files, among the smallest, last.
 */
import path from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { FAST_TESTS, SHORT_FILE_SECONDS, SLOW_SECONDS } from './tiers.ts';

/** The fast tier runs after every slow file, in the order tiers.ts lists it. */
function weight(spec: TestSpecification): number {
  const file = path.basename(spec.moduleId);
  if (FAST_TESTS.includes(file)) return -1 - FAST_TESTS.indexOf(file) / FAST_TESTS.length;
  return SLOW_SECONDS[file] ?? SHORT_FILE_SECONDS;
}

export class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    return [...files].sort((a, b) => weight(b) - weight(a) || a.moduleId.localeCompare(b.moduleId));
  }
}
