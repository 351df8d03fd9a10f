/**
 * Packument bodies as the store caches them: the bytes ready to send, their gzip form and ETag,
 * and for the full form the text without its download counts, so new counts can be spliced in
 * without building the packument again.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

/** A response body kept ready to send: the bytes, their gzip form when worth it, and an ETag. */
export interface CachedBody {
  body: Buffer;
  gzip: Buffer | undefined;
  etag: string;
}

/** A cached packument; a full one keeps its text without `downloads` to splice new counts in. */
export interface PackumentEntry extends CachedBody {
  /** The JSON text up to (not including) the closing brace, or without `downloads` for the full form. */
  head: string;
  /** `at`: when the counts were read (ms): another process's downloads are picked up by age. */
  counts: { skillId: number; json: string; generation: number; at: number } | undefined;
}

/** Bodies smaller than this are sent as they are: gzip would save little and cost a header. */
const GZIP_MIN_BYTES = 1024;

export function bodyOf(head: string, counts: PackumentEntry['counts']): PackumentEntry {
  const text = counts ? `${head},"downloads":${counts.json}}` : head;
  const body = Buffer.from(text, 'utf8');
  const hash = createHash('sha256').update(body).digest('base64url').slice(0, 27);
  return { body, gzip: body.byteLength >= GZIP_MIN_BYTES ? gzipSync(body, { level: 6 }) : undefined, etag: `"${hash}"`, head: counts ? head : '', counts };
}
