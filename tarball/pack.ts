/**
 * Deterministic tarballs: entries sorted by path with no folder entries, mtime 0, uid/gid 0,
 * empty owner names, modes 0644/0755, ustar headers (PAX only for paths ustar cannot hold), and
 * gzip at level 9 with header mtime 0 and the OS byte fixed, so any machine packs the same bytes.
 */
import { gzipSync, constants as zlibConstants } from 'node:zlib';
import { Header, Pax } from 'tar';
import { SkillsError } from '../schema/errors';
import type { PackageFile } from '../schema/package-files';
import { collectFiles } from './collect';
import { contentDigest, integrityOf, sha256Hex } from './digest';
import type { PackageLimits } from './limits';
import { checkEntryPath, checkPathSet } from './paths';

export interface PackedFile {
  path: string;
  size: number;
  sha256: string;
}

export interface PackResult {
  bytes: Uint8Array;
  integrity: string;
  digest: string;
  files: PackedFile[];
  unpackedSize: number;
  fileCount: number;
}

const BLOCK = 512;
const EPOCH = new Date(0);
/** RFC 1952 OS byte; 255 = unknown, the same on every platform. */
const GZIP_OS_UNKNOWN = 255;

export async function packFolder(dir: string, limits: Partial<PackageLimits> = {}): Promise<PackResult> {
  return pack(await collectFiles(dir, limits));
}

export async function pack(input: readonly PackageFile[]): Promise<PackResult> {
  const files = [...input].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const f of files) {
    const problem = checkEntryPath(f.path);
    if (problem) throw new SkillsError(problem.code, problem.message, { hint: 'rename the file' });
  }
  const collision = checkPathSet(files.map((f) => f.path));
  if (collision) throw new SkillsError(collision.code, collision.message, { hint: 'rename the files so every path is distinct' });

  const chunks: Buffer[] = [];
  for (const f of files) {
    const fields = {
      path: f.path,
      mode: f.executable ? 0o755 : 0o644,
      uid: 0,
      gid: 0,
      size: f.bytes.byteLength,
      mtime: EPOCH,
      type: 'File' as const,
      uname: '',
      gname: '',
    };
    const header = new Header(fields);
    const block = Buffer.alloc(BLOCK);
    header.encode(block);
    if (header.needPax) {
      // Pax encodes atime/ctime/mtime only when set; leave them undefined so nothing varies.
      const pax = new Pax({ path: f.path, size: f.bytes.byteLength }, false);
      chunks.push(pax.encode());
    }
    chunks.push(block);
    chunks.push(Buffer.from(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength));
    const pad = (BLOCK - (f.bytes.byteLength % BLOCK)) % BLOCK;
    if (pad > 0) chunks.push(Buffer.alloc(pad));
  }
  chunks.push(Buffer.alloc(BLOCK * 2));
  const tar = Buffer.concat(chunks);
  const gz = gzipSync(tar, { level: 9, memLevel: 8, strategy: zlibConstants.Z_DEFAULT_STRATEGY });
  gz[9] = GZIP_OS_UNKNOWN;
  const bytes = new Uint8Array(gz.buffer, gz.byteOffset, gz.byteLength);
  const packed = files.map((f) => ({ path: f.path, size: f.bytes.byteLength, sha256: sha256Hex(f.bytes) }));
  return {
    bytes,
    integrity: integrityOf(bytes),
    digest: contentDigest(files),
    files: packed,
    unpackedSize: packed.reduce((sum, f) => sum + f.size, 0),
    fileCount: packed.length,
  };
}
