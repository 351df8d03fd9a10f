/**
 * The safe unpacker. Never touches the disk: gunzip streams with a running byte count (so a
 * decompression bomb stops within the first MiB or at the size cap, never after inflating all
 * of itself), then a strict tar reader that accepts only regular files (and folder entries, which
 * carry nothing) with safe, distinct paths. Every rejection has its own `ETAR...` code.
 */
import { createGunzip } from 'node:zlib';
import { Header, Pax } from 'tar';
import { SkillsError, type ErrorCode } from '../schema/errors';
import type { PackageFile } from '../schema/package-files';
import { DEFAULT_UNPACK_LIMITS, type UnpackLimits } from './limits';
import { checkEntryPath, checkPathSet } from './paths';

const BLOCK = 512;
const FEED_SLICE = 16 * 1024;
/** Room for headers, PAX records and padding on top of the file bytes. */
const PER_ENTRY_OVERHEAD = 4 * BLOCK;
const MAX_META_BYTES = 64 * 1024;

export { DEFAULT_UNPACK_LIMITS, type UnpackLimits } from './limits';

function fail(code: ErrorCode, message: string, hint = 'the tarball is unsafe or damaged; it was not unpacked'): SkillsError {
  return new SkillsError(code, message, { hint, status: 400 });
}

export interface UnpackOptions {
  /**
   * Archives made by other tools (`tar -czf x.tgz -C dir .`) name every entry `./path`: read them
   * as `path` (and skip the `./` folder entry). Packages from a registry never need it.
   */
  stripDotSlash?: boolean;
}

export async function unpack(bytes: Uint8Array, limits: Partial<UnpackLimits> = {}, options: UnpackOptions = {}): Promise<PackageFile[]> {
  const max = { ...DEFAULT_UNPACK_LIMITS, ...limits };
  const tar = await inflateCapped(bytes, max);
  return readTar(tar, max, options);
}

/** Gunzips with a running count; rejects as soon as the output passes the cap or the ratio. */
export function inflateCapped(input: Uint8Array, max: UnpackLimits): Promise<Buffer> {
  if (input.byteLength < 18 || input[0] !== 0x1f || input[1] !== 0x8b || input[2] !== 8) {
    return Promise.reject(fail('ETARGZIP', 'the tarball is not gzip data'));
  }
  const cap = max.maxUnpackedBytes + (max.maxEntries + 2) * PER_ENTRY_OVERHEAD + 64 * 1024;
  return new Promise((resolve, reject) => {
    const gunzip = createGunzip({ chunkSize: 64 * 1024 });
    const out: Buffer[] = [];
    let total = 0;
    let settled = false;
    const stop = (error: SkillsError) => {
      if (settled) return;
      settled = true;
      gunzip.destroy();
      reject(error);
    };
    gunzip.on('data', (chunk: Buffer) => {
      if (settled) return;
      total += chunk.length;
      if (total > cap) {
        stop(fail('ETARTOOBIG', `the tarball inflates to more than ${cap} bytes, over the ${max.maxUnpackedBytes} byte unpacked limit`));
        return;
      }
      const consumed = Math.max(gunzip.bytesWritten, 1);
      if (total > max.ratioGraceBytes && total / consumed > max.maxCompressionRatio) {
        stop(fail('ETARBOMB', `decompression bomb: ${Math.round(total / consumed)}:1 compression after ${total} bytes, over the ${max.maxCompressionRatio}:1 limit`));
        return;
      }
      out.push(chunk);
    });
    gunzip.on('error', (error: NodeJS.ErrnoException) => {
      const truncated = error.code === 'Z_BUF_ERROR' || /unexpected end/i.test(error.message);
      stop(
        truncated
          ? fail('ETARTRUNCATED', 'the gzip stream ends early: the tarball is truncated')
          : fail('ETARGZIP', `the gzip stream is corrupt (${error.message})`),
      );
    });
    gunzip.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(Buffer.concat(out, total));
    });
    // Feed slices so the ratio is measured against input actually consumed.
    let offset = 0;
    const feed = () => {
      while (!settled && offset < input.byteLength) {
        const slice = input.subarray(offset, Math.min(offset + FEED_SLICE, input.byteLength));
        offset += slice.byteLength;
        if (!gunzip.write(slice)) {
          gunzip.once('drain', feed);
          return;
        }
      }
      if (!settled && offset >= input.byteLength) gunzip.end();
    };
    feed();
  });
}

const FILE_TYPES = new Set(['0', '\0', '7']);
const TYPE_CODES: Record<string, { code: ErrorCode; what: string }> = {
  '1': { code: 'ETARHARDLINK', what: 'a hard link' },
  '2': { code: 'ETARSYMLINK', what: 'a symbolic link' },
  '3': { code: 'ETARDEVICE', what: 'a character device' },
  '4': { code: 'ETARDEVICE', what: 'a block device' },
  '6': { code: 'ETARFIFO', what: 'a FIFO' },
  S: { code: 'ETARTYPE', what: 'a GNU sparse file' },
};

/** Reads an uncompressed tar held in memory into package files. */
export function readTar(buf: Buffer, limits: Partial<UnpackLimits> = {}, options: UnpackOptions = {}): PackageFile[] {
  const max = { ...DEFAULT_UNPACK_LIMITS, ...limits };
  const files: PackageFile[] = [];
  const folders: string[] = [];
  let total = 0;
  let headers = 0;
  let pax: Pax | undefined;
  let global: Pax | undefined;
  let longPath: string | undefined;
  let offset = 0;
  let sawEnd = false;
  // node-tar and others would sniff and inflate a second gzip layer; a package has exactly one.
  if (buf[0] === 0x1f && buf[1] === 0x8b) throw fail('ETARCORRUPT', 'the tarball holds a second compressed layer, not a tar archive');
  while (offset + BLOCK <= buf.length) {
    if (isZeroBlock(buf, offset)) {
      sawEnd = true;
      break;
    }
    if (++headers > max.maxEntries * 4 + 8) throw fail('ETARTOOMANY', `the tarball holds more than ${max.maxEntries} entries`);
    const rawType = String.fromCharCode(buf[offset + 156] ?? 0);
    let header: Header;
    try {
      header = new Header(buf, offset, pax, global);
    } catch (error) {
      throw fail('ETARCORRUPT', `tar header at byte ${offset} cannot be read (${error instanceof Error ? error.message : String(error)})`);
    }
    if (!header.cksumValid) throw fail('ETARCORRUPT', `tar header at byte ${offset} has a bad checksum`);
    const size = header.size ?? 0;
    if (!Number.isSafeInteger(size) || size < 0) throw fail('ETARCORRUPT', `tar header at byte ${offset} has an invalid size`);
    const dataStart = offset + BLOCK;
    const dataEnd = dataStart + size;
    if (dataEnd > buf.length) throw fail('ETARTRUNCATED', `tar entry at byte ${offset} claims ${size} bytes but the archive ends first`);
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;

    if (rawType === 'x' || rawType === 'g' || rawType === 'L' || rawType === 'K') {
      if (size > MAX_META_BYTES) throw fail('ETARCORRUPT', `tar metadata entry at byte ${dataStart - BLOCK} is over ${MAX_META_BYTES} bytes`);
      const text = buf.toString('utf8', dataStart, dataEnd);
      if (rawType === 'x') pax = Pax.parse(text, pax, false);
      else if (rawType === 'g') global = Pax.parse(text, global, true);
      else if (rawType === 'L') longPath = text.replace(/\0+$/, '');
      // 'K' names a link target; the link entry that follows is rejected below.
      continue;
    }
    // node-tar's Header prepends the ustar prefix field even to a PAX path, so take the PAX record
    // itself: it is the whole path (a writer that needs PAX puts only a truncated copy in ustar).
    const rawPath = longPath ?? pax?.path ?? header.path ?? '';
    const entryPath = options.stripDotSlash && rawPath.startsWith('./') ? rawPath.slice(2) : rawPath;
    pax = undefined;
    longPath = undefined;
    const special = TYPE_CODES[rawType];
    if (special) throw fail(special.code, `tar entry ${JSON.stringify(entryPath)} is ${special.what}; packages hold only regular files`);
    if (rawType === '5') {
      const folder = entryPath.replace(/\/$/, '');
      if (options.stripDotSlash && (folder === '' || folder === '.')) continue;
      const problem = checkEntryPath(folder);
      if (problem) throw fail(problem.code, problem.message);
      folders.push(folder);
      continue;
    }
    if (!FILE_TYPES.has(rawType)) throw fail('ETARTYPE', `tar entry ${JSON.stringify(entryPath)} has unsupported type ${JSON.stringify(rawType)}`);
    const problem = checkEntryPath(entryPath);
    if (problem) throw fail(problem.code, problem.message);
    if (files.length + 1 > max.maxEntries) throw fail('ETARTOOMANY', `the tarball holds more than ${max.maxEntries} files`);
    if (size > max.maxFileBytes) throw fail('ETARFILETOOBIG', `${entryPath} is ${size} bytes, over the ${max.maxFileBytes} byte limit for one file`);
    total += size;
    if (total > max.maxUnpackedBytes) throw fail('ETARTOOBIG', `the tarball unpacks to more than ${max.maxUnpackedBytes} bytes`);
    const bytes = new Uint8Array(size);
    bytes.set(buf.subarray(dataStart, dataEnd));
    const mode = header.mode ?? 0o644;
    files.push((mode & 0o111) !== 0 ? { path: entryPath, bytes, executable: true } : { path: entryPath, bytes });
  }
  if (!sawEnd) throw fail('ETARTRUNCATED', 'the tar archive ends without its end-of-archive marker');
  if (files.length === 0) throw fail('ETAREMPTY', 'the tarball holds no files');
  const collision = checkPathSet(files.map((f) => f.path));
  if (collision) throw fail(collision.code, collision.message);
  const filePaths = new Set(files.map((f) => f.path.normalize('NFC').toLowerCase()));
  for (const folder of folders) {
    if (filePaths.has(folder.normalize('NFC').toLowerCase())) throw fail('ETARPATHCONFLICT', `${JSON.stringify(folder)} is both a folder and a file`);
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return files;
}

function isZeroBlock(buf: Buffer, offset: number): boolean {
  for (let i = offset; i < offset + BLOCK; i++) if (buf[i] !== 0) return false;
  return true;
}
