/**
 * Registry crash safety, first half: 25 of the 50 `kill -9`s (test/registry-crash-2.test.ts runs
 * the other 25 on its own database, so two workers share them). testkit/crash-stream.ts holds the test.
 */
import { describe, it } from 'vitest';
import { killDuringPublishes } from '../testkit/crash-stream';

const KILLS = 25;

describe('registry crash safety (kills 1-25 of 50)', () => {
  it(`kill -9 during a stream of publishes, ${KILLS} times: every acknowledged publish survives intact, nothing is half-present`, async () => {
    await killDuringPublishes(KILLS, 42);
  }, 300_000);
});
