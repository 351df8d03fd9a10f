/**
 * Reading an HTTP body with a byte cap, for the registry's request bodies and the CLI's registry
 * answers alike: the bytes are counted as they arrive and refused as soon as they pass the cap,
 * whatever the length header said. Web streams only (no Node API), so both sides import it from here.
 */

export interface BodyCap {
  maxBytes: number;
  /** The error when the body is over `maxBytes`. */
  tooLarge: () => Error;
  /** The error when the body fails while being read (a cut connection, a timeout). */
  readFailed: (error: unknown) => Error;
}

/** The byte count a Content-Length header declares, or undefined when it is absent or not a whole number. */
export function contentLength(header: string | null | undefined): number | undefined {
  if (header === null || header === undefined) return undefined;
  const n = Number(header);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/**
 * The body's bytes, at most `cap.maxBytes` of them. Past the cap (or when reading fails) the
 * stream is cancelled, which closes the connection, without waiting for that to finish. A length
 * declared over the cap is for the caller to refuse first: only it knows whether to close the
 * connection (a client) or leave it to answer (a server).
 */
export async function readCappedBody(stream: ReadableStream<Uint8Array> | null, cap: BodyCap): Promise<Uint8Array> {
  if (!stream) return new Uint8Array(0);
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    let next: Awaited<ReturnType<typeof reader.read>>;
    try {
      next = await reader.read();
    } catch (error) {
      void reader.cancel().catch(() => undefined);
      throw cap.readFailed(error);
    }
    if (next.done) break;
    total += next.value.byteLength;
    if (total > cap.maxBytes) {
      void reader.cancel().catch(() => undefined);
      throw cap.tooLarge();
    }
    chunks.push(next.value);
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}
