/** What every blob store checks the same way: the key, the digest of the bytes put and read back. */
import { createHash } from 'node:crypto';
import { SkillsError } from '../../schema/errors';
import { BLOB_KEY } from './blobs';

/** Throws unless `key` is a lowercase hex sha256 (a key is never a path, a prefix or a pattern). */
export function checkBlobKey(key: string): void {
  if (typeof key !== 'string' || !BLOB_KEY.test(key)) throw new SkillsError('EINTERNAL', `not a blob key (a lowercase hex sha256): ${JSON.stringify(String(key).slice(0, 80))}`);
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Throws unless `bytes` hash to `key`: a store never keeps bytes under another digest. */
export function checkPut(key: string, bytes: Uint8Array): void {
  checkBlobKey(key);
  if (sha256Hex(bytes) !== key) throw new SkillsError('EINTERNAL', `the bytes to store under ${key} do not hash to it; nothing was stored`);
}

/** Throws EBLOBCORRUPT unless `bytes`, read from `where`, hash to `key`. */
export function checkRead(key: string, bytes: Uint8Array, where: string): void {
  if (sha256Hex(bytes) !== key) throw corruptBlob(key, where, 'its bytes do not match its digest');
}

export function corruptBlob(key: string, where: string, why: string): SkillsError {
  return new SkillsError('EBLOBCORRUPT', `the blob ${key} in ${where} is damaged (${why}); it was not served`, { status: 500 });
}

/** Why `bytes` are not the blob `key` of `size` bytes (size first: cheaper), or undefined when they are. */
export function blobMismatch(key: string, bytes: Uint8Array, size?: number): string | undefined {
  if (size !== undefined && bytes.byteLength !== size) return `it holds ${bytes.byteLength} bytes, not the ${size} its manifest lists`;
  if (sha256Hex(bytes) !== key) return 'its bytes do not match its digest';
  return undefined;
}
