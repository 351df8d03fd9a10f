/**
 * Registry crash safety, second half: the other 25 of the 50 `kill -9`s (test/registry-crash.test.ts
 * runs the first 25), on a database of its own and at other offsets. testkit/crash-stream.ts holds the test.
 */
import { describe, it } from 'vitest';
import { killDuringPublishes } from '../testkit/crash-stream';

const KILLS = 25;

describe('registry crash safety (kills 26-50 of 50)', () => {
  it(`kill -9 during a stream of publishes, ${KILLS} times: every acknowledged publish survives intact, nothing is half-present`, async () => {
    await killDuringPublishes(KILLS, 1_234_567);
  }, 300_000);
});
