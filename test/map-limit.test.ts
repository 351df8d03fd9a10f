import { describe, expect, it } from 'vitest';
import { mapLimit } from '../cli/core/registry/fetcher';

describe('mapLimit', () => {
  it('keeps order, never runs more than the limit at once, and starts nothing after a failure', async () => {
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const task = async (n: number) => {
      started.push(n);
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setImmediate(r));
      running--;
      if (n === 3) throw new Error('task 3 failed');
      return n * 2;
    };
    expect(await mapLimit([0, 1, 2], 2, task)).toEqual([0, 2, 4]);
    expect(peak).toBe(2);
    started.length = 0;
    await expect(mapLimit([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 2, task)).rejects.toThrow('task 3 failed');
    // Let any worker still alive go on, then count: tasks 0-3 ran (two at a time), and at most the
    // one the other worker had already started; nothing after.
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(started.length).toBeLessThanOrEqual(5);
  });
});
