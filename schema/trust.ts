/**
 * How far a skill version is trusted, computed from its files (and, for code skills, from its
 * sandbox verification), never taken from whoever uploads it:
 *
 * - `verified`: code with fixtures, every case passed in the sandbox, and nothing else executable;
 * - `instructions`: nothing executable at all (Markdown, text, data, images, fonts);
 * - `unverified`: executable content the sandbox cannot run (Python, shell, other languages,
 *   binaries, files marked executable or starting with `#!`), or code that was not verified.
 *
 * The CLI computes it when packing and installing, the registry again when publishing.
 */
import { z } from 'zod';
import { runTargets, type RunTarget } from './run-targets';

export const TRUST_LEVELS = ['verified', 'instructions', 'unverified'] as const;
export const trustLevelSchema = z.enum(TRUST_LEVELS);
export type TrustLevel = z.infer<typeof trustLevelSchema>;

/** What a file is, for trust: text and data, sandbox code (JS/TS), or other executable content. */
export type FileKind = 'instructions' | 'code' | 'executable';

export interface ClassifiedFile {
  path: string;
  kind: FileKind;
  /** Why it is not `instructions` ("Python script", "executable bit", "ELF binary", ...). */
  why?: string;
}

const CODE_EXTENSIONS = new Set(['ts', 'mts', 'cts', 'tsx', 'js', 'mjs', 'cjs', 'jsx']);

/** Extensions of programs and scripts, by the name shown in a reason. */
const EXECUTABLE_EXTENSIONS: Record<string, string> = {
  py: 'Python script', pyw: 'Python script', pyc: 'Python bytecode', pyz: 'Python archive', ipynb: 'Jupyter notebook',
  sh: 'shell script', bash: 'shell script', zsh: 'shell script', fish: 'shell script', ksh: 'shell script', csh: 'shell script', command: 'shell script',
  ps1: 'PowerShell script', psm1: 'PowerShell script', bat: 'batch file', cmd: 'batch file', vbs: 'VBScript', wsf: 'Windows script', applescript: 'AppleScript', scpt: 'AppleScript',
  rb: 'Ruby script', pl: 'Perl script', pm: 'Perl module', php: 'PHP script', lua: 'Lua script', tcl: 'Tcl script', r: 'R script', jl: 'Julia script', groovy: 'Groovy script', awk: 'awk script',
  go: 'Go source', rs: 'Rust source', java: 'Java source', kt: 'Kotlin source', kts: 'Kotlin script', scala: 'Scala source', swift: 'Swift source', cs: 'C# source', fs: 'F# source',
  c: 'C source', cc: 'C++ source', cpp: 'C++ source', cxx: 'C++ source', h: 'C header', hpp: 'C++ header', m: 'Objective-C source', zig: 'Zig source', nim: 'Nim source', dart: 'Dart source', ex: 'Elixir source', exs: 'Elixir script', erl: 'Erlang source', hs: 'Haskell source', clj: 'Clojure source',
  exe: 'Windows executable', dll: 'Windows library', so: 'shared library', dylib: 'shared library', a: 'static library', o: 'object file', bin: 'binary', wasm: 'WebAssembly module', jar: 'Java archive', class: 'Java class', war: 'Java archive', apk: 'Android package', app: 'application', msi: 'installer', deb: 'Debian package', rpm: 'RPM package', dmg: 'disk image', pkg: 'installer',
};

/** Names of files that are programs whatever their extension. */
const EXECUTABLE_NAMES: Record<string, string> = {
  makefile: 'Makefile', gnumakefile: 'Makefile', dockerfile: 'Dockerfile', containerfile: 'Containerfile', justfile: 'justfile', rakefile: 'Rakefile', gemfile: 'Gemfile', vagrantfile: 'Vagrantfile', 'build.gradle': 'Gradle build',
};

/** Leading bytes of executable binaries. */
const BINARY_MAGIC: { bytes: number[]; why: string }[] = [
  { bytes: [0x7f, 0x45, 0x4c, 0x46], why: 'ELF binary' },
  { bytes: [0x4d, 0x5a], why: 'Windows executable' },
  { bytes: [0xcf, 0xfa, 0xed, 0xfe], why: 'Mach-O binary' },
  { bytes: [0xce, 0xfa, 0xed, 0xfe], why: 'Mach-O binary' },
  { bytes: [0xfe, 0xed, 0xfa, 0xcf], why: 'Mach-O binary' },
  { bytes: [0xca, 0xfe, 0xba, 0xbe], why: 'Mach-O universal binary or Java class' },
  { bytes: [0x00, 0x61, 0x73, 0x6d], why: 'WebAssembly module' },
];

/**
 * Compiled Python (`.pyc`): a two-byte little-endian magic number, then `\r\n`, then 12 or more
 * bytes of header (flags, source mtime and size, holding NULs). CPython 3.x numbers run from 3000
 * up; 2.x used 20121..62211.
 */
function isPythonBytecode(bytes: Uint8Array): boolean {
  if (bytes.length < 16 || bytes[2] !== 0x0d || bytes[3] !== 0x0a) return false;
  const number = (bytes[0] ?? 0) | ((bytes[1] ?? 0) << 8);
  return ((number >= 3000 && number < 4000) || (number >= 20000 && number <= 62300)) && bytes.subarray(4, 16).includes(0);
}

/**
 * The kind of binary program the bytes are, from their header alone (ELF, Mach-O, PE, WebAssembly,
 * Python bytecode), or undefined. A file's name or mode never makes it binary: a text script
 * marked executable is a script. `MZ` is only two bytes, so it counts when the file also holds a
 * NUL (a real PE header does; a text file starting "MZ" does not).
 */
export function binaryMagic(bytes: Uint8Array): string | undefined {
  const magic = BINARY_MAGIC.find((m) => startsWith(bytes, m.bytes));
  if (magic && (magic.bytes.length > 2 || !looksLikeText(bytes))) return magic.why;
  if (isPythonBytecode(bytes)) return 'Python bytecode';
  return undefined;
}

/** Extensions of data files that are binary by nature (images, fonts, documents, archives of data). */
const BINARY_DATA_EXTENSIONS = new Set([
  'png', 'jpg', 'jpeg', 'gif', 'webp', 'ico', 'bmp', 'tif', 'tiff', 'avif', 'heic', 'psd',
  'ttf', 'otf', 'woff', 'woff2', 'eot',
  'pdf', 'docx', 'xlsx', 'pptx', 'odt', 'ods', 'odp', 'epub',
  'mp3', 'wav', 'ogg', 'flac', 'm4a', 'mp4', 'webm', 'mov',
  'sqlite', 'db', 'parquet', 'avro', 'npy', 'npz',
]);

function extensionOf(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot <= 0 ? '' : base.slice(dot + 1).toLowerCase();
}

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return prefix.length <= bytes.length && prefix.every((b, i) => bytes[i] === b);
}

/** Whether the bytes look like text: no NUL in the first 8 KiB. */
function looksLikeText(bytes: Uint8Array): boolean {
  const end = Math.min(bytes.length, 8192);
  for (let i = 0; i < end; i++) if (bytes[i] === 0) return false;
  return true;
}

/** What one file is, from its name, its mode and its first bytes. */
export function classifyFile(file: { path: string; bytes: Uint8Array; executable?: boolean }): ClassifiedFile {
  const { path, bytes } = file;
  const base = path.slice(path.lastIndexOf('/') + 1).toLowerCase();
  const ext = extensionOf(path);
  const magic = binaryMagic(bytes);
  if (magic) return { path, kind: 'executable', why: magic };
  if (startsWith(bytes, [0x23, 0x21])) return { path, kind: 'executable', why: 'script with a #! line' };
  if (file.executable) return { path, kind: 'executable', why: 'marked executable' };
  const byName = EXECUTABLE_NAMES[base];
  if (byName) return { path, kind: 'executable', why: byName };
  const byExtension = EXECUTABLE_EXTENSIONS[ext];
  if (byExtension) return { path, kind: 'executable', why: byExtension };
  if (CODE_EXTENSIONS.has(ext)) return { path, kind: 'code', why: 'JavaScript/TypeScript' };
  if (BINARY_DATA_EXTENSIONS.has(ext) || looksLikeText(bytes)) return { path, kind: 'instructions' };
  return { path, kind: 'executable', why: 'binary file of unknown type' };
}

/**
 * A file without an extension whose content is a script: a shell or Python program by its
 * opening lines (a `#!` line is caught before this). `.env` files are data until something runs them.
 */
const utf8 = new TextDecoder('utf-8');

export function sniffScript(bytes: Uint8Array): 'shell' | 'python' | 'js' | undefined {
  if (!looksLikeText(bytes)) return undefined;
  const head = utf8.decode(bytes.subarray(0, 4096));
  if (/^(?:\s*#[^\n]*\n|\s*\n)*\s*(?:import\s+[\w.]+(?:\s*,\s*[\w.]+)*\s*$|from\s+[\w.]+\s+import\s|def\s+\w+\s*\(|class\s+\w+\s*[:(])/m.test(head) && /^\s*(?:import|from|def|class|if __name__)\b/m.test(head)) return 'python';
  if (/^\s*(?:set\s+-[euxo]+\b|(?:curl|wget|echo|cd|mkdir|rm|apt-get|brew|pip3?|npm|npx|chmod|source|exec|eval)\s+\S|\.\s+\S+\/|[A-Za-z_]\w*=\$\()/m.test(head)) return 'shell';
  if (/^\s*(?:(?:const|let|var)\s+\w+\s*=\s*require\(|import\s+[\w{}*,\s]+\s+from\s+['"]|module\.exports\s*=)/m.test(head)) return 'js';
  return undefined;
}

/**
 * Every file of a package classified, knowing what its instructions run: a file SKILL.md or
 * another Markdown file tells the agent to run (`python3 scripts/setup.txt`, `source .envrc`,
 * an .html with a script it is told to open) is executable whatever its name, and so is a file
 * without an extension whose content is a script.
 */
export function classifyFiles(files: readonly { path: string; bytes: Uint8Array; executable?: boolean }[], told: ReadonlyMap<string, RunTarget> = runTargets(files)): ClassifiedFile[] {
  return files.map((file) => {
    const classified = classifyFile(file);
    if (classified.kind === 'executable') return classified;
    const run = told.get(file.path);
    if (run && classified.kind === 'instructions') return { path: file.path, kind: 'executable', why: `run by the instructions (${run.command}, ${run.from}:${run.line})` };
    const base = file.path.slice(file.path.lastIndexOf('/') + 1);
    if (classified.kind === 'instructions' && extensionOf(file.path) === '' && !/^\.env(?:\.|$)/i.test(base)) {
      const sniffed = sniffScript(file.bytes);
      if (sniffed) return { path: file.path, kind: 'executable', why: `${sniffed === 'js' ? 'JavaScript' : sniffed === 'python' ? 'Python' : 'shell'} script (by its content)` };
    }
    return classified;
  });
}

export interface TrustInput {
  files: readonly { path: string; bytes: Uint8Array; executable?: boolean }[];
  /** `code` when the package has skill.json (an entry the sandbox runs), `plain` otherwise. */
  kind: 'code' | 'plain';
  /** The sandbox's verdict on a code package: passed means at least one case and none failed. */
  verification: 'passed' | 'failed' | 'not-run';
}

export interface TrustAssessment {
  level: TrustLevel;
  /** The files that kept the level from being higher, with why (at most 20 are listed). */
  because: { path: string; why: string }[];
}

const MAX_REASONS = 20;

/** The trust level of a package, and the files that decided it. */
export function assessTrust(input: TrustInput): TrustAssessment {
  const classified = classifyFiles(input.files);
  const executables = classified.filter((f) => f.kind === 'executable');
  const code = classified.filter((f) => f.kind === 'code');
  if (executables.length > 0) {
    return { level: 'unverified', because: executables.slice(0, MAX_REASONS).map((f) => ({ path: f.path, why: `${f.why ?? 'executable'}: the sandbox cannot run it` })) };
  }
  if (input.kind === 'code') {
    if (input.verification === 'passed') return { level: 'verified', because: [] };
    const why = input.verification === 'failed' ? 'its fixtures did not pass in the sandbox' : 'it has not been verified in the sandbox';
    return { level: 'unverified', because: [{ path: 'skill.json', why }] };
  }
  if (code.length > 0) {
    return { level: 'unverified', because: code.slice(0, MAX_REASONS).map((f) => ({ path: f.path, why: 'code without skill.json and fixtures: the sandbox cannot verify it' })) };
  }
  return { level: 'instructions', because: [] };
}
