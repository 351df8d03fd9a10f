/**
 * The clock and random seed a replayed case sees. Both are drawn at random for every case, so a
 * skill cannot recognise verification by a constant `Date.now()` or `Math.random()` sequence and
 * behave well only then: the epoch is a real-looking date within a year either side of now (a
 * date-triggered behaviour inside that window shows in a share of verifications), the seed any
 * 32-bit value. Within a case, time is deterministic and monotonic: it moves with timers and with
 * the work the skill does (a fixed step per interrupt check), never with the host's real clock.
 */
import { randomInt } from 'node:crypto';

export interface ReplayClock {
  /** `Date.now()` when the case starts. */
  epochMs: number;
  /** Seed of the case's `Math.random()`. */
  seed: number;
}

const YEAR_MS = 365 * 24 * 60 * 60 * 1000;

/** Virtual milliseconds per QuickJS interrupt check (about every 10,000 operations). */
export const VIRTUAL_MS_PER_TICK = 0.5;

export function randomReplayClock(now: number = Date.now()): ReplayClock {
  return { epochMs: now - YEAR_MS + randomInt(0, 2 * YEAR_MS), seed: randomInt(0, 2 ** 32) };
}
