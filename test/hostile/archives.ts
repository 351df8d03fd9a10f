/**
 * Crafted hostile tarballs, built in code as real tar bytes. Headers are written by hand (not by
 * node-tar) so every malformed case can be made exactly. The registry (publish) and the CLI
 * (install) reuse this list, so it stays a plain exported array.
 */
import { gzipSync } from 'node:zlib';
import type { UnpackLimits } from '../../tarball/limits';

const BLOCK = 512;

export interface RawEntry {
  name: string;
  /** Tar type flag: '0' file, '1' hard link, '2' symlink, '3' char device, '4' block device, '5' folder, '6' FIFO, 'x' PAX, 'L' GNU long name, 'S' sparse. */
  type?: string;
  body?: Uint8Array | string;
  /** Size written in the header; defaults to the body length. */
  size?: number;
  mode?: number;
  linkname?: string;
  prefix?: string;
  /** Corrupt the checksum on purpose. */
  badChecksum?: boolean;
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

export function rawHeader(entry: RawEntry, size: number): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(entry.name, 0, 100, 'utf8');
  h.write(octal(entry.mode ?? 0o644, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(0, 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write(entry.type ?? '0', 156, 'ascii');
  if (entry.linkname) h.write(entry.linkname, 157, 100, 'utf8');
  h.write('ustar\u000000', 257, 'binary');
  if (entry.prefix) h.write(entry.prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of h) sum += byte;
  if (entry.badChecksum) sum += 1;
  h.write(octal(sum, 7) + ' ', 148, 'ascii');
  return h;
}

/** An uncompressed tar of the given entries, with the end-of-archive marker unless `noEnd`. */
export function rawTar(entries: readonly RawEntry[], options: { noEnd?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const body = typeof entry.body === 'string' ? Buffer.from(entry.body) : Buffer.from(entry.body ?? new Uint8Array(0));
    parts.push(rawHeader(entry, entry.size ?? body.length));
    parts.push(body);
    const pad = (BLOCK - (body.length % BLOCK)) % BLOCK;
    parts.push(Buffer.alloc(pad));
  }
  if (!options.noEnd) parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

export function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body);
  length += String(length).length;
  if (String(length).length !== String(length - String(length).length).length) length += 1;
  return `${length}${body}`;
}

export function tgz(entries: readonly RawEntry[], options: { noEnd?: boolean } = {}): Uint8Array {
  return new Uint8Array(gzipSync(rawTar(entries, options)));
}

const SKILL_MD = '---\nname: x\ndescription: A harmless skill used as the valid part of hostile archives.\n---\n\nBody.\n';
const MANIFEST = JSON.stringify({ name: '@hostile/x', version: '1.0.0' });
/** The two files that make a package valid; hostile cases add their payload beside them. */
export const VALID_ENTRIES: readonly RawEntry[] = [
  { name: 'SKILL.md', body: SKILL_MD },
  { name: 'skill.json', body: MANIFEST },
];

/** A gzip stream of `size` zero bytes inside one tar file entry, built in streaming pieces. */
function zeroBomb(inflatedBytes: number): Uint8Array {
  const header = rawHeader({ name: 'zeros.bin' }, inflatedBytes);
  const zeros = Buffer.alloc(inflatedBytes);
  return new Uint8Array(gzipSync(Buffer.concat([header, zeros]), { level: 9 }));
}

export interface HostileArchive {
  name: string;
  description: string;
  bytes: () => Uint8Array;
  /** The ETAR code unpack must fail with, or 'ok' when the archive is legitimate. */
  code: `ETAR${string}` | 'ok';
  /** Limits to unpack with (defaults otherwise), to keep big cases fast. */
  limits?: Partial<UnpackLimits>;
}

export const HOSTILE_ARCHIVES: readonly HostileArchive[] = [
  { name: 'absolute-path', description: 'an entry at /etc/passwd', code: 'ETARABSOLUTE', bytes: () => tgz([...VALID_ENTRIES, { name: '/etc/passwd', body: 'root' }]) },
  { name: 'dotdot', description: 'an entry escaping with ../', code: 'ETARDOTDOT', bytes: () => tgz([...VALID_ENTRIES, { name: '../../evil.sh', body: 'rm -rf' }]) },
  { name: 'dotdot-inner', description: 'a .. segment inside the path', code: 'ETARDOTDOT', bytes: () => tgz([...VALID_ENTRIES, { name: 'lib/../../evil', body: 'x' }]) },
  { name: 'backslash', description: 'a Windows separator', code: 'ETARBACKSLASH', bytes: () => tgz([...VALID_ENTRIES, { name: '..\\evil.txt', body: 'x' }]) },
  { name: 'drive-letter', description: 'a C: drive path', code: 'ETARDRIVE', bytes: () => tgz([...VALID_ENTRIES, { name: 'C:/Windows/evil.txt', body: 'x' }]) },
  { name: 'symlink', description: 'a symbolic link to /etc', code: 'ETARSYMLINK', bytes: () => tgz([...VALID_ENTRIES, { name: 'etc', type: '2', linkname: '/etc' }]) },
  { name: 'hardlink', description: 'a hard link to /etc/shadow', code: 'ETARHARDLINK', bytes: () => tgz([...VALID_ENTRIES, { name: 'shadow', type: '1', linkname: '/etc/shadow' }]) },
  { name: 'char-device', description: 'a character device', code: 'ETARDEVICE', bytes: () => tgz([...VALID_ENTRIES, { name: 'null', type: '3' }]) },
  { name: 'block-device', description: 'a block device', code: 'ETARDEVICE', bytes: () => tgz([...VALID_ENTRIES, { name: 'sda', type: '4' }]) },
  { name: 'fifo', description: 'a named pipe', code: 'ETARFIFO', bytes: () => tgz([...VALID_ENTRIES, { name: 'pipe', type: '6' }]) },
  { name: 'duplicate', description: 'the same path twice (a later entry would overwrite a checked one)', code: 'ETARDUPLICATE', bytes: () => tgz([...VALID_ENTRIES, { name: 'SKILL.md', body: 'replaced' }]) },
  { name: 'case-collision', description: 'Index.ts and index.ts', code: 'ETARCASECOLLISION', bytes: () => tgz([...VALID_ENTRIES, { name: 'index.ts', body: 'a' }, { name: 'Index.ts', body: 'b' }]) },
  {
    name: 'nfc-collision',
    description: 'é precomposed and e + combining accent',
    code: 'ETARNFCCOLLISION',
    bytes: () => tgz([...VALID_ENTRIES, { name: 'caf\u00e9.md', body: 'a' }, { name: 'cafe\u0301.md', body: 'b' }]),
  },
  {
    name: 'too-many-entries',
    description: '1,001 files',
    code: 'ETARTOOMANY',
    bytes: () => tgz([...VALID_ENTRIES, ...Array.from({ length: 1000 }, (_, i) => ({ name: `f/${i}.txt`, body: 'x' }))]),
  },
  {
    name: 'too-big-unpacked',
    description: 'more than the unpacked limit in total (limit scaled to 64 KiB)',
    code: 'ETARTOOBIG',
    limits: { maxUnpackedBytes: 64 * 1024, maxFileBytes: 32 * 1024 },
    bytes: () => tgz([...VALID_ENTRIES, ...Array.from({ length: 3 }, (_, i) => ({ name: `part${i}.txt`, body: 'abc'.repeat(9000) }))]),
  },
  {
    name: 'file-too-big',
    description: 'one file over the per-file limit (limit scaled to 32 KiB)',
    code: 'ETARFILETOOBIG',
    limits: { maxFileBytes: 32 * 1024 },
    bytes: () => tgz([...VALID_ENTRIES, { name: 'big.txt', body: 'x'.repeat(40 * 1024) }]),
  },
  {
    name: 'truncated-gzip',
    description: 'a gzip stream cut in half',
    code: 'ETARTRUNCATED',
    bytes: () => {
      const whole = tgz([...VALID_ENTRIES, { name: 'data.txt', body: 'some text '.repeat(500) }]);
      return whole.subarray(0, Math.floor(whole.length / 2));
    },
  },
  {
    name: 'corrupt-gzip',
    description: 'gzip bytes flipped in the middle of the deflate stream',
    code: 'ETARGZIP',
    bytes: () => {
      const bytes = tgz([...VALID_ENTRIES, { name: 'data.txt', body: 'some text '.repeat(500) }]);
      const copy = new Uint8Array(bytes);
      for (let i = 20; i < copy.length - 8; i += 7) copy[i] = (copy[i] ?? 0) ^ 0xff;
      return copy;
    },
  },
  { name: 'not-gzip', description: 'a plain tar, not gzipped', code: 'ETARGZIP', bytes: () => new Uint8Array(rawTar(VALID_ENTRIES)) },
  { name: 'bad-checksum', description: 'a tar header whose checksum does not match', code: 'ETARCORRUPT', bytes: () => tgz([...VALID_ENTRIES, { name: 'a.txt', body: 'a', badChecksum: true }]) },
  {
    name: 'truncated-tar',
    description: 'a tar entry claiming more bytes than the archive holds',
    code: 'ETARTRUNCATED',
    bytes: () => new Uint8Array(gzipSync(Buffer.concat([rawTar(VALID_ENTRIES, { noEnd: true }), rawHeader({ name: 'a.txt' }, 4096), Buffer.alloc(512)]))),
  },
  { name: 'no-end-marker', description: 'a tar without its end-of-archive blocks', code: 'ETARTRUNCATED', bytes: () => tgz(VALID_ENTRIES, { noEnd: true }) },
  {
    name: 'pax-dotdot',
    description: 'a PAX header whose path escapes with ../../x while the ustar name looks harmless',
    code: 'ETARDOTDOT',
    bytes: () => tgz([...VALID_ENTRIES, { name: 'PaxHeader/x', type: 'x', body: paxRecord('path', '../../x') }, { name: 'harmless.txt', body: 'x' }]),
  },
  {
    name: 'pax-absolute-long',
    description: 'a PAX header with a 300 character absolute path',
    code: 'ETARABSOLUTE',
    bytes: () => tgz([...VALID_ENTRIES, { name: 'PaxHeader/y', type: 'x', body: paxRecord('path', `/${'a'.repeat(300)}`) }, { name: 'y.txt', body: 'y' }]),
  },
  {
    name: 'gnu-longlink',
    description: 'a GNU ././@LongLink long name holding ../',
    code: 'ETARDOTDOT',
    bytes: () => tgz([...VALID_ENTRIES, { name: '././@LongLink', type: 'L', body: `../${'d/'.repeat(80)}evil\0` }, { name: 'short.txt', body: 'x' }]),
  },
  { name: 'sparse', description: 'a GNU sparse file', code: 'ETARTYPE', bytes: () => tgz([...VALID_ENTRIES, { name: 'sparse.bin', type: 'S', body: 'x' }]) },
  { name: 'unknown-type', description: 'an unknown type flag', code: 'ETARTYPE', bytes: () => tgz([...VALID_ENTRIES, { name: 'odd', type: 'Z', body: 'x' }]) },
  { name: 'empty-name', description: 'an entry with an empty name', code: 'ETARNAME', bytes: () => tgz([...VALID_ENTRIES, { name: '', body: 'x' }]) },
  {
    name: 'nul-in-pax-name',
    description: 'a control character smuggled into a PAX path',
    code: 'ETARNAME',
    bytes: () => tgz([...VALID_ENTRIES, { name: 'PaxHeader/z', type: 'x', body: paxRecord('path', 'evil\u0007.txt') }, { name: 'z.txt', body: 'x' }]),
  },
  {
    name: 'file-and-folder',
    description: 'lib as a file and lib/x.ts as a file under it',
    code: 'ETARPATHCONFLICT',
    bytes: () => tgz([...VALID_ENTRIES, { name: 'lib', body: 'x' }, { name: 'lib/x.ts', body: 'y' }]),
  },
  {
    name: 'bomb-100-to-1',
    description: 'a 100:1 gzip bomb: 8 MiB of zeros, over the (scaled) 4 MiB unpacked limit',
    code: 'ETARTOOBIG',
    limits: { maxUnpackedBytes: 4 * 1024 * 1024, maxEntries: 10 },
    bytes: () => {
      // Random-ish bytes cap the ratio near 100:1: one 80 KiB noise file then zeros.
      const noise = Buffer.alloc(80 * 1024);
      let state = 0x9e3779b9;
      for (let i = 0; i < noise.length; i++) {
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        noise[i] = state & 0xff;
      }
      return new Uint8Array(gzipSync(Buffer.concat([rawHeader({ name: 'noise.bin' }, noise.length), noise, rawHeader({ name: 'zeros.bin' }, 8 * 1024 * 1024), Buffer.alloc(8 * 1024 * 1024)])));
    },
  },
  {
    name: 'bomb-1-gib-of-zeros',
    description: 'a ~1000:1 zero bomb of 1 GiB (gzip cannot exceed ~1032:1 in one layer); the ratio rule stops it after the first MiB',
    code: 'ETARBOMB',
    bytes: () => zeroBombCached(),
  },
  {
    name: 'nested-gzip',
    description: 'a gzip inside a gzip (the inner one is not a tar, and must not be inflated)',
    code: 'ETARCORRUPT',
    bytes: () => new Uint8Array(gzipSync(gzipSync(rawTar(VALID_ENTRIES)))),
  },
  {
    name: 'base256-size',
    description: 'a header whose size field is a base-256 number beyond the safe integer range (found by fuzzing)',
    code: 'ETARCORRUPT',
    bytes: () => {
      const header = rawHeader({ name: 'huge.bin' }, 0);
      header.fill(0xff, 124, 136);
      header[124] = 0x80;
      header.write('        ', 148, 'ascii');
      let sum = 0;
      for (const byte of header) sum += byte;
      header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
      return new Uint8Array(gzipSync(Buffer.concat([rawTar(VALID_ENTRIES, { noEnd: true }), header, Buffer.alloc(1024)])));
    },
  },
  {
    name: 'tar-inside-tar',
    description: 'a .tar file inside the package is just a file: allowed',
    code: 'ok',
    bytes: () => tgz([...VALID_ENTRIES, { name: 'assets/inner.tar', body: rawTar([{ name: '../escape', body: 'x' }]) }]),
  },
  {
    name: 'folder-entries',
    description: 'folder entries from other tar tools are accepted and carry nothing',
    code: 'ok',
    bytes: () => tgz([{ name: 'lib/', type: '5', mode: 0o755 }, ...VALID_ENTRIES, { name: 'lib/a.ts', body: 'export {}' }]),
  },
];

let bombCache: Uint8Array | undefined;
/** Building the 1 GiB bomb takes a few seconds of gzip, so build it once per process. */
function zeroBombCached(): Uint8Array {
  bombCache ??= zeroBombStreamed(1024 * 1024 * 1024);
  return bombCache;
}

/** Deflates zeros chunk by chunk so building the bomb never holds 1 GiB in memory. */
function zeroBombStreamed(inflatedBytes: number): Uint8Array {
  if (inflatedBytes <= 64 * 1024 * 1024) return zeroBomb(inflatedBytes);
  // Concatenated gzip members are one valid gzip stream; each member is 64 MiB of zeros.
  const member = 64 * 1024 * 1024;
  const first = new Uint8Array(gzipSync(Buffer.concat([rawHeader({ name: 'zeros.bin' }, inflatedBytes), Buffer.alloc(member - BLOCK)]), { level: 9 }));
  const rest = new Uint8Array(gzipSync(Buffer.alloc(member), { level: 9 }));
  const count = Math.ceil(inflatedBytes / member) - 1;
  const out = new Uint8Array(first.length + rest.length * count);
  out.set(first, 0);
  for (let i = 0; i < count; i++) out.set(rest, first.length + i * rest.length);
  return out;
}
