/**
 * A strict, in-memory reader for .zip archives (the other format the Agent Skills discovery index
 * allows). Read from the central directory; every entry must agree with its local header; only
 * stored and deflated regular files (folders carry nothing); no encryption, no zip64, no
 * multi-disk, no links; the same path rules, counts and sizes as tarballs (tarball/paths.ts,
 * limits.ts). Deflate output is capped at the declared size and checked against the CRC, so a
 * zip bomb stops at the limit instead of inflating.
 */
import { crc32, inflateRawSync } from 'node:zlib';
import { SkillsError, type ErrorCode } from '../schema/errors';
import type { PackageFile } from '../schema/package-files';
import { DEFAULT_UNPACK_LIMITS, type UnpackLimits } from './limits';
import { checkEntryPath, checkPathSet } from './paths';

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MAX_COMMENT = 0xffff;
const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;

function fail(code: ErrorCode, message: string): SkillsError {
  return new SkillsError(code, message, { hint: 'the archive is unsafe or damaged; it was not unpacked', status: 400 });
}

export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

export function unzip(input: Uint8Array, limits: Partial<UnpackLimits> = {}): PackageFile[] {
  const max = { ...DEFAULT_UNPACK_LIMITS, ...limits };
  const buf = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const eocd = findEocd(buf);
  const disk = buf.readUInt16LE(eocd + 4);
  const cdDisk = buf.readUInt16LE(eocd + 6);
  const count = buf.readUInt16LE(eocd + 10);
  const cdSize = buf.readUInt32LE(eocd + 12);
  const cdOffset = buf.readUInt32LE(eocd + 16);
  if (disk !== 0 || cdDisk !== 0 || buf.readUInt16LE(eocd + 8) !== count) throw fail('EZIPUNSUPPORTED', 'the zip archive spans several disks');
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) throw fail('EZIPUNSUPPORTED', 'the zip archive is zip64, which skills do not need');
  if (cdOffset + cdSize > eocd) throw fail('EZIPCORRUPT', 'the zip central directory lies outside the archive');
  if (count > max.maxEntries * 2) throw fail('ETARTOOMANY', `the archive holds more than ${max.maxEntries} entries`);

  const files: PackageFile[] = [];
  let total = 0;
  let offset = cdOffset;
  for (let i = 0; i < count; i++) {
    if (offset + 46 > cdOffset + cdSize || buf.readUInt32LE(offset) !== CENTRAL) throw fail('EZIPCORRUPT', `zip central directory entry ${i} is damaged`);
    const madeBy = buf.readUInt16LE(offset + 4) >> 8;
    const flags = buf.readUInt16LE(offset + 8);
    const method = buf.readUInt16LE(offset + 10);
    const crc = buf.readUInt32LE(offset + 16);
    const compressed = buf.readUInt32LE(offset + 20);
    const size = buf.readUInt32LE(offset + 24);
    const nameLength = buf.readUInt16LE(offset + 28);
    const extraLength = buf.readUInt16LE(offset + 30);
    const commentLength = buf.readUInt16LE(offset + 32);
    const external = buf.readUInt32LE(offset + 38);
    const localOffset = buf.readUInt32LE(offset + 42);
    const nameEnd = offset + 46 + nameLength;
    if (nameEnd > buf.length) throw fail('EZIPCORRUPT', `zip entry ${i} has a name past the end`);
    const nameBytes = buf.subarray(offset + 46, nameEnd);
    // Bit 11: UTF-8 names; others are taken as UTF-8 too, and then checked by the path rules.
    const name = nameBytes.toString('utf8');
    offset = nameEnd + extraLength + commentLength;
    if (flags & 0x1) throw fail('EZIPUNSUPPORTED', `${JSON.stringify(name)} is encrypted`);
    const mode = madeBy === 3 ? external >>> 16 : 0;
    const type = mode & S_IFMT;
    if (type === S_IFLNK) throw fail('ETARSYMLINK', `zip entry ${JSON.stringify(name)} is a symbolic link; packages hold only regular files`);
    const isFolder = name.endsWith('/') || type === S_IFDIR;
    const path = name.replace(/\/$/, '');
    const problem = checkEntryPath(path);
    if (problem) throw fail(problem.code, problem.message);
    if (isFolder) continue;
    if (type !== 0 && type !== S_IFREG) throw fail('ETARTYPE', `zip entry ${JSON.stringify(name)} is not a regular file`);
    if (method !== 0 && method !== 8) throw fail('EZIPUNSUPPORTED', `${JSON.stringify(name)} uses compression method ${method}; only stored and deflated entries are read`);
    if (files.length + 1 > max.maxEntries) throw fail('ETARTOOMANY', `the archive holds more than ${max.maxEntries} files`);
    if (size > max.maxFileBytes) throw fail('ETARFILETOOBIG', `${path} is ${size} bytes, over the ${max.maxFileBytes} byte limit for one file`);
    total += size;
    if (total > max.maxUnpackedBytes) throw fail('ETARTOOBIG', `the archive unpacks to more than ${max.maxUnpackedBytes} bytes`);

    if (localOffset + 30 > buf.length || buf.readUInt32LE(localOffset) !== LOCAL) throw fail('EZIPCORRUPT', `the local header of ${JSON.stringify(name)} is damaged`);
    const localNameLength = buf.readUInt16LE(localOffset + 26);
    const localExtra = buf.readUInt16LE(localOffset + 28);
    if (!buf.subarray(localOffset + 30, localOffset + 30 + localNameLength).equals(nameBytes)) throw fail('EZIPCORRUPT', `the local header of ${JSON.stringify(name)} names another file`);
    const dataStart = localOffset + 30 + localNameLength + localExtra;
    if (dataStart + compressed > cdOffset) throw fail('EZIPCORRUPT', `the data of ${JSON.stringify(name)} runs past the file data`);
    const data = buf.subarray(dataStart, dataStart + compressed);
    let bytes: Buffer;
    if (method === 0) {
      if (compressed !== size) throw fail('EZIPCORRUPT', `${JSON.stringify(name)} is stored with two different sizes`);
      bytes = Buffer.from(data);
    } else {
      try {
        bytes = inflateRawSync(data, { maxOutputLength: Math.max(size, 1) });
      } catch {
        throw fail('ETARBOMB', `${JSON.stringify(name)} inflates past its declared ${size} bytes, or is corrupt`);
      }
    }
    if (bytes.length !== size || crc32(bytes) !== crc) throw fail('EZIPCORRUPT', `${JSON.stringify(name)} does not match its size and CRC`);
    const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    files.push((mode & 0o111) !== 0 ? { path, bytes: view, executable: true } : { path, bytes: view });
  }
  if (files.length === 0) throw fail('ETAREMPTY', 'the archive holds no files');
  const collision = checkPathSet(files.map((f) => f.path));
  if (collision) throw fail(collision.code, collision.message);
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function findEocd(buf: Buffer): number {
  const stop = Math.max(0, buf.length - 22 - MAX_COMMENT);
  for (let i = buf.length - 22; i >= stop; i--) {
    if (buf.readUInt32LE(i) === EOCD && i + 22 + buf.readUInt16LE(i + 20) === buf.length) return i;
  }
  throw fail('EZIPCORRUPT', 'the zip archive has no end-of-central-directory record');
}
