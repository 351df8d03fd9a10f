/** The one capped body reader (schema/capped-body.ts) that the registry and the CLI's client share. */
import { describe, expect, it } from 'vitest';
import { contentLength, readCappedBody, type BodyCap } from '../schema/capped-body';

function streamOf(chunks: Uint8Array[], failAfter?: number): { stream: ReadableStream<Uint8Array>; cancelled: () => boolean } {
  let i = 0;
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (failAfter !== undefined && i === failAfter) controller.error(new Error('connection reset'));
      else if (i < chunks.length) controller.enqueue(chunks[i++] as Uint8Array);
      else controller.close();
    },
    cancel() {
      cancelled = true;
    },
  });
  return { stream, cancelled: () => cancelled };
}

const cap = (maxBytes: number): BodyCap => ({
  maxBytes,
  tooLarge: () => new Error('too large'),
  readFailed: (error) => new Error(`read failed: ${error instanceof Error ? error.message : String(error)}`),
});

describe('readCappedBody', () => {
  it('returns the bytes of a body at or under the cap, and nothing for no body', async () => {
    const { stream } = streamOf([new Uint8Array([1, 2]), new Uint8Array([3]), new Uint8Array([4, 5])]);
    expect([...(await readCappedBody(stream, cap(5)))]).toEqual([1, 2, 3, 4, 5]);
    expect((await readCappedBody(null, cap(5))).byteLength).toBe(0);
  });

  it('refuses a body as soon as it passes the cap and cancels the stream', async () => {
    const big = streamOf([new Uint8Array(4), new Uint8Array(4), new Uint8Array(4)]);
    await expect(readCappedBody(big.stream, cap(6))).rejects.toThrow('too large');
    expect(big.cancelled()).toBe(true);
  });

  it('turns a failed read into the caller\'s error', async () => {
    const { stream } = streamOf([new Uint8Array(2)], 1);
    await expect(readCappedBody(stream, cap(100))).rejects.toThrow('read failed: connection reset');
  });
});

describe('contentLength', () => {
  it('reads a whole, non-negative byte count and nothing else', () => {
    expect([contentLength('12'), contentLength('0'), contentLength(null), contentLength(undefined), contentLength('-1'), contentLength('1.5'), contentLength('x'), contentLength('1e400')]).toEqual([12, 0, undefined, undefined, undefined, undefined, undefined, undefined]);
  });
});
