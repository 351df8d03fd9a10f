/**
 * What a package holds, as info: languages, executables and binaries with their sizes, and the
 * network endpoints it names (`inventory-languages`, `inventory-executable`, `inventory-endpoint`).
 * And one high rule: `binary-disguised`, binary content behind a text name (a `.md` that is an
 * ELF file), which reviewers and the text rules would otherwise skip.
 */
import type { Inventory } from '../../schema/audit-report';
import { binaryMagic, classifyFile, type ClassifiedFile } from '../../schema/trust';
import { escapeInvisible, extensionOf } from '../text';
import { finding, type Emit, type TextFile } from '../types';

const LANGUAGES: Record<string, string> = {
  md: 'Markdown', markdown: 'Markdown', mdx: 'Markdown', txt: 'text', rst: 'reStructuredText', adoc: 'AsciiDoc',
  json: 'JSON', jsonl: 'JSON', yaml: 'YAML', yml: 'YAML', toml: 'TOML', csv: 'CSV', tsv: 'CSV', xml: 'XML', html: 'HTML', htm: 'HTML', css: 'CSS', ini: 'INI', cfg: 'INI', env: 'dotenv',
  ts: 'TypeScript', mts: 'TypeScript', cts: 'TypeScript', tsx: 'TypeScript', js: 'JavaScript', mjs: 'JavaScript', cjs: 'JavaScript', jsx: 'JavaScript',
  py: 'Python', pyw: 'Python', sh: 'shell', bash: 'shell', zsh: 'shell', fish: 'shell', ps1: 'PowerShell', psm1: 'PowerShell', bat: 'batch', cmd: 'batch',
  rb: 'Ruby', pl: 'Perl', php: 'PHP', lua: 'Lua', go: 'Go', rs: 'Rust', java: 'Java', kt: 'Kotlin', swift: 'Swift', c: 'C', h: 'C', cpp: 'C++', cc: 'C++', cs: 'C#', r: 'R', jl: 'Julia', sql: 'SQL',
  png: 'image', jpg: 'image', jpeg: 'image', gif: 'image', svg: 'SVG', webp: 'image', ico: 'image', pdf: 'PDF', woff: 'font', woff2: 'font', ttf: 'font', otf: 'font',
};

/** Extensions that promise text: binary content behind one of them is disguised. */
const TEXT_EXTENSIONS = new Set([
  'md', 'markdown', 'mdx', 'txt', 'rst', 'adoc', 'json', 'jsonl', 'yaml', 'yml', 'toml', 'csv', 'tsv', 'xml', 'html', 'htm', 'css', 'ini', 'cfg', 'conf', 'env',
  'ts', 'mts', 'cts', 'tsx', 'js', 'mjs', 'cjs', 'jsx', 'py', 'sh', 'bash', 'zsh', 'ps1', 'bat', 'cmd', 'rb', 'pl', 'php', 'lua', 'sql', 'svg', 'tex', 'log',
]);

export function languageOf(path: string): string {
  const ext = extensionOf(path);
  if (ext === '') {
    const base = path.slice(path.lastIndexOf('/') + 1);
    if (/^\.env(?:\.|$)/i.test(base)) return 'dotenv';
    return /^(?:makefile|dockerfile|justfile)$/i.test(base) ? base.toLowerCase() : 'no extension';
  }
  if (/^\.env/i.test(path.slice(path.lastIndexOf('/') + 1))) return 'dotenv';
  return LANGUAGES[ext] ?? `.${ext}`;
}

/** "an ELF binary", "a Windows executable", "Python bytecode". */
function described(why: string): string {
  if (/bytecode$/i.test(why)) return why;
  return `${/^[AEIOU]/i.test(why) ? 'an' : 'a'} ${why}`;
}

/** Extensions that say a file is a binary program. */
const BINARY_EXTENSIONS = /^(?:exe|dll|so|dylib|a|o|bin|wasm|jar|class|war|apk|app|msi|deb|rpm|dmg|pkg|pyc|pyo)$/;

/**
 * Binary content behind a name that hides it. Only the bytes decide what is binary: NUL bytes, or
 * a program's header (ELF, Mach-O, PE, WebAssembly, Python bytecode; see `binaryMagic`). A text
 * script that is marked executable, with or without a `#!` line, is a script, read as one.
 */
export function scanDisguisedBinary(file: { path: string; bytes: Uint8Array }, binary: boolean, emit: Emit): void {
  const ext = extensionOf(file.path);
  const magic = binaryMagic(file.bytes);
  if (TEXT_EXTENSIONS.has(ext) && (binary || magic !== undefined)) {
    emit(
      finding(
        'binary-disguised',
        'high',
        file.path,
        0,
        `${escapeInvisible(file.path)} is named as .${ext} text but holds ${magic !== undefined ? described(magic) : 'binary data'} (${file.bytes.byteLength} bytes): text checks cannot read it`,
        '',
      ),
    );
  } else if (magic !== undefined && !BINARY_EXTENSIONS.test(ext)) {
    emit(finding('binary-disguised', 'high', file.path, 0, `${escapeInvisible(file.path)} holds ${described(magic)} under a name that does not say so (${file.bytes.byteLength} bytes)`, ''));
  }
}

const URL = /\b(?:https?|wss?|ftp):\/\/([A-Za-z0-9.-]{1,253}|\[[0-9a-fA-F:]{2,45}\])(?::\d{1,5})?/g;
const MAX_ENDPOINTS = 100;

export class InventoryBuilder {
  readonly languages = new Map<string, number>();
  readonly executables: Inventory['executables'] = [];
  readonly endpoints = new Map<string, { host: string; file: string; line: number }>();

  /** `classified`: the file as the package classifies it (schema/trust.ts classifyFiles: what the instructions run counts). */
  addFile(file: { path: string; bytes: Uint8Array; executable?: boolean }, emit: Emit, classified: ClassifiedFile = classifyFile(file)): void {
    const language = languageOf(file.path);
    this.languages.set(language, (this.languages.get(language) ?? 0) + 1);
    if (classified.kind === 'executable' && this.executables.length < 200) {
      const why = classified.why ?? 'executable';
      this.executables.push({ file: file.path, size: file.bytes.byteLength, why });
      emit(finding('inventory-executable', 'info', file.path, 0, `${why}, ${file.bytes.byteLength} bytes: outside the sandbox's reach`, ''));
    }
  }

  addEndpoints(file: TextFile, emit: Emit): void {
    if (this.endpoints.size >= MAX_ENDPOINTS) return;
    URL.lastIndex = 0;
    for (let m = URL.exec(file.text); m !== null; m = URL.exec(file.text)) {
      const host = (m[1] ?? '').toLowerCase().replace(/\.$/, '');
      if (host === '' || this.endpoints.has(host)) continue;
      const line = file.lines.lineOf(m.index);
      this.endpoints.set(host, { host, file: file.path, line });
      emit(finding('inventory-endpoint', 'info', file.path, line, `names the network endpoint ${host}`, escapeInvisible(m[0]).slice(0, 300)));
      if (this.endpoints.size >= MAX_ENDPOINTS) return;
    }
  }

  build(): Inventory {
    const languages = Object.fromEntries([...this.languages.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    const endpoints = [...this.endpoints.values()].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
    return { languages, executables: this.executables, endpoints };
  }
}
