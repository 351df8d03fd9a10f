/**
 * A gzip body assembled from separately compressed segments, so a large document whose parts
 * change one at a time (the discovery index) is re-compressed only where it changed. Each segment
 * is raw deflate ended with a sync flush (byte-aligned, no final block, no reference to earlier
 * segments); their concatenation plus one empty final block is a valid deflate stream, and the
 * gzip trailer's CRC-32 is combined from the segments' CRCs (zlib's crc32_combine).
 */
import { constants, deflateRawSync } from 'node:zlib';

export interface GzipSegment {
  /** The raw deflate bytes (sync-flushed, not final). */
  deflated: Buffer;
  crc: number;
  length: number;
}

const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = (TABLE[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const POLY = 0xedb88320;

/** a(x) * b(x) modulo the CRC-32 polynomial, bit-reflected (zlib's multmodp). */
function multModP(a: number, b: number): number {
  let m = 0x80000000;
  let p = 0;
  let bb = b >>> 0;
  for (;;) {
    if (a & m) {
      p ^= bb;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    bb = bb & 1 ? (bb >>> 1) ^ POLY : bb >>> 1;
  }
  return p >>> 0;
}

/** x^(2^k) modulo the polynomial, for k = 0..31 (zlib's x2n_table). */
const X2N = (() => {
  const table = new Uint32Array(32);
  let p = 0x40000000; // x^1
  table[0] = p;
  for (let k = 1; k < 32; k++) table[k] = p = multModP(p, p);
  return table;
})();

/** x^(n * 2^k) modulo the polynomial (zlib's x2nmodp). */
function x2nModP(n: number, k: number): number {
  let p = 0x80000000; // x^0
  let rest = n;
  let bit = k;
  while (rest > 0) {
    if (rest % 2 === 1) p = multModP(X2N[bit & 31] as number, p);
    rest = Math.floor(rest / 2);
    bit++;
  }
  return p;
}

/**
 * The CRC-32 of A followed by B, from crc(A), crc(B) and B's length: zlib's crc32_combine as of
 * 1.2.12, about 32 steps per bit of the length (the older matrix method took ~1,000 per bit and
 * was most of a discovery index request after a write).
 */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  if (lengthB <= 0) return crcA >>> 0;
  return (multModP(x2nModP(lengthB, 3), crcA >>> 0) ^ crcB) >>> 0;
}

export function segment(bytes: Uint8Array, level = 6): GzipSegment {
  return { deflated: deflateRawSync(bytes, { level, finishFlush: constants.Z_SYNC_FLUSH }), crc: crc32(bytes), length: bytes.byteLength };
}

const HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff]);
/** An empty fixed-Huffman block with BFINAL set: ends the deflate stream. */
const FINAL_BLOCK = Buffer.from([0x03, 0x00]);

export function assembleGzip(segments: readonly GzipSegment[]): Buffer {
  let crc = 0;
  let length = 0;
  for (const s of segments) {
    crc = crc32Combine(crc, s.crc, s.length);
    length += s.length;
  }
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(length % 2 ** 32, 4);
  return Buffer.concat([HEADER, ...segments.map((s) => s.deflated), FINAL_BLOCK, trailer]);
}
