/** Hashes: the tarball's SRI integrity, and a content digest that ignores how the tar was made. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { PackageFile } from '../schema/package-files';

export function integrityOf(bytes: Uint8Array): string {
  return `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
}

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** `sha256:` over the sorted lines `path\0sha256(content)\n`. */
export function contentDigest(files: readonly PackageFile[]): string {
  const lines = files
    .map((f) => `${f.path}\0${sha256Hex(f.bytes)}\n`)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return `sha256:${sha256Hex(lines.join(''))}`;
}

/** True when `bytes` hash to the SRI string `expected` (only sha512 is accepted). */
export function verifyIntegrity(bytes: Uint8Array, expected: string): boolean {
  if (!/^sha512-[A-Za-z0-9+/]+={0,2}$/.test(expected)) return false;
  const actual = Buffer.from(integrityOf(bytes));
  const wanted = Buffer.from(expected);
  return actual.length === wanted.length && timingSafeEqual(actual, wanted);
}
