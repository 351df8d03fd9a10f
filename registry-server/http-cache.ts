/** Conditional requests and content negotiation for the bodies the registry keeps ready to send. */

/** Whether the client takes gzip (`Accept-Encoding`, honouring `q=0` and `*`). */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  let star: boolean | undefined;
  for (const part of header.split(',')) {
    const [coding = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const accepted = q === undefined || Number(q.slice(2)) > 0;
    if (coding.trim() === 'gzip' || coding.trim() === 'x-gzip') return accepted;
    if (coding.trim() === '*') star = accepted;
  }
  return star === true;
}

/** The ETag of the gzip form of a representation whose plain ETag is `etag` (a strong ETag names one encoding). */
export function gzipEtag(etag: string): string {
  return `${etag.slice(0, -1)}-gzip"`;
}

/**
 * Whether `If-None-Match` names the current representation in either encoding (RFC 9110 asks for
 * the weak comparison here, so `W/` is ignored and `*` matches anything).
 */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const gz = gzipEtag(etag);
  for (const raw of header.split(',')) {
    const tag = raw.trim().replace(/^W\//, '');
    if (tag === '*' || tag === etag || tag === gz) return true;
  }
  return false;
}

/** A Buffer as the Uint8Array Hono's `c.body` takes (same memory, no copy). */
export function bytesOf(buffer: Buffer): Uint8Array<ArrayBuffer> {
  return new Uint8Array(buffer.buffer as ArrayBuffer, buffer.byteOffset, buffer.byteLength);
}
