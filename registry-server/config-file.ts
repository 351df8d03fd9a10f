/**
 * Reading the registry's config file (`skills serve --config <file>`): TOML or JSON by its
 * extension, read and never written (through a symbolic link too), at most MAX_CONFIG_FILE_BYTES
 * (the size is checked on the open file before a byte is read, and the read stops past it), and
 * parsed into plain values with the line of each key, for messages. Every failure is ECONFIGFILE
 * naming the file; what the values mean is settings.ts's business.
 */
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import { createScanner, findNodeAtLocation, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import { parse as parseToml, TomlError } from 'smol-toml';
import { SkillsError } from '../schema/errors';
import { lineColumns } from '../schema/text-position';
import { JSON_SYNTAX_MESSAGES, walkProperties } from '../schema/json-tree';

/** The largest config file read: a complete one is a few KiB. */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;
/** Deeper nesting than any setting needs is refused before a parser (which recurses) sees it. */
const MAX_CONFIG_DEPTH = 16;

export type ConfigFormat = 'toml' | 'json';

export interface ConfigDocument {
  /** The file as given, made absolute. */
  file: string;
  format: ConfigFormat;
  /** The parsed document: objects of the file's keys (own properties, whatever their names). */
  value: unknown;
  /** The line (1-based) where `path` (keys from the top) is written, when it can be told. */
  lineOf(path: readonly string[]): number | undefined;
}

const HINT = 'fix the file, or give --config another one (docs/configuration.md shows an example); nothing was started';

/** ECONFIGFILE: `the config file <file> <what>`, with the line in the details when there is one. */
function refused(file: string, what: string, line?: number): SkillsError {
  return new SkillsError('ECONFIGFILE', `the config file ${file} ${what}`, { hint: HINT, details: line === undefined ? { file } : { file, line } });
}

export function formatOf(file: string): ConfigFormat {
  const lower = file.toLowerCase();
  if (lower.endsWith('.toml')) return 'toml';
  if (lower.endsWith('.json')) return 'json';
  throw new SkillsError('ECONFIGFILE', `the config file ${file} is neither .toml nor .json: its extension says which format it is in`, { hint: 'name it registry.toml (TOML) or registry.json (JSON)' });
}

/** Reads and parses `file` (an absolute path). */
export async function readConfigFile(file: string): Promise<ConfigDocument> {
  const format = formatOf(file);
  const text = await readBounded(file);
  return format === 'toml' ? parseTomlConfig(text, file) : parseJsonConfig(text, file);
}

/** The file's text: a regular file (a link to one is followed) of at most MAX_CONFIG_FILE_BYTES, UTF-8. */
async function readBounded(file: string): Promise<string> {
  let handle: fs.FileHandle;
  try {
    // Non-blocking, so that a FIFO in its place is refused below instead of waiting for a writer.
    handle = await fs.open(file, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  } catch (error) {
    throw refused(file, openProblem(error as NodeJS.ErrnoException));
  }
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) throw refused(file, 'is a folder');
    if (!stat.isFile()) throw refused(file, 'is not a regular file');
    if (stat.size > MAX_CONFIG_FILE_BYTES) throw refused(file, `is ${stat.size} bytes; a config file may hold at most ${MAX_CONFIG_FILE_BYTES} bytes (1 MiB)`);
    // One byte more than allowed: a file that grew since the check is still caught.
    const buffer = Buffer.alloc(MAX_CONFIG_FILE_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > MAX_CONFIG_FILE_BYTES) throw refused(file, `holds more than ${MAX_CONFIG_FILE_BYTES} bytes (1 MiB), the most a config file may hold`);
    }
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(buffer.subarray(0, length));
    } catch {
      throw refused(file, 'is not UTF-8 text');
    }
    return text.startsWith('\uFEFF') ? text.slice(1) : text;
  } catch (error) {
    if (error instanceof SkillsError) throw error;
    throw refused(file, `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  } finally {
    await handle.close();
  }
}

function openProblem(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ENOENT':
      return 'does not exist (or is a link to nothing)';
    case 'EACCES':
    case 'EPERM':
      return 'cannot be read: this user may not read it';
    case 'ELOOP':
      return 'cannot be read: its symbolic links form a loop';
    case 'ENOTDIR':
      return 'does not exist (a part of its path is a file)';
    default:
      return `cannot be read (${error.code ?? error.message})`;
  }
}

function parseTomlConfig(text: string, file: string): ConfigDocument {
  let value: unknown;
  try {
    // 'keep': a key such as __proto__ stays a key (in objects without a prototype) and is refused as unknown.
    value = parseToml(text, { maxDepth: MAX_CONFIG_DEPTH, unsafeKeyBehaviour: 'keep' });
  } catch (error) {
    if (error instanceof TomlError) {
      const what = (error.message.split('\n')[0] ?? '').replace(/^Invalid TOML document: /, '');
      throw refused(file, `is not valid TOML: line ${error.line}, column ${error.column}: ${what}`, error.line);
    }
    throw refused(file, `is not valid TOML: ${error instanceof Error ? error.message : String(error)}`);
  }
  const lines = tomlKeyLines(text);
  return { file, format: 'toml', value, lineOf: (path) => lineOfPath(lines, path) };
}

function lineOfPath(lines: ReadonlyMap<string, number>, path: readonly string[]): number | undefined {
  for (let n = path.length; n > 0; n--) {
    const line = lines.get(JSON.stringify(path.slice(0, n)));
    if (line !== undefined) return line;
  }
  return undefined;
}

const BARE_OR_QUOTED = String.raw`(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')`;
const TOML_HEADER = new RegExp(String.raw`^\[\s*(${BARE_OR_QUOTED}(?:\s*\.\s*${BARE_OR_QUOTED})*)\s*\]`);
const TOML_KEY = new RegExp(String.raw`^(${BARE_OR_QUOTED}(?:\s*\.\s*${BARE_OR_QUOTED})*)\s*=(.*)$`);

/**
 * Where each table header and key of a TOML text is first written (keyed by the JSON of its path),
 * by a scan of its lines: smol-toml reports positions only for syntax errors. Lines inside
 * multi-line strings are skipped; a key it cannot place simply has no line in messages.
 */
function tomlKeyLines(text: string): Map<string, number> {
  const found = new Map<string, number>();
  const remember = (path: string[], line: number) => {
    for (let n = 1; n <= path.length; n++) {
      const key = JSON.stringify(path.slice(0, n));
      if (!found.has(key)) found.set(key, line);
    }
  };
  let table: string[] = [];
  let openString: string | undefined;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (openString !== undefined) {
      if (line.split(openString).length % 2 === 0) openString = undefined;
      return;
    }
    const header = TOML_HEADER.exec(line);
    if (header && !line.startsWith('[[')) {
      table = keyParts(header[1] ?? '');
      remember(table, index + 1);
      return;
    }
    const assignment = TOML_KEY.exec(line);
    if (!assignment) return;
    remember([...table, ...keyParts(assignment[1] ?? '')], index + 1);
    const rest = assignment[2] ?? '';
    for (const quotes of ['"""', "'''"]) if (rest.split(quotes).length % 2 === 0) openString = quotes;
  });
  return found;
}

/** The parts of a dotted TOML key, unquoted. */
function keyParts(dotted: string): string[] {
  const parts: string[] = [];
  for (const m of dotted.matchAll(new RegExp(BARE_OR_QUOTED, 'g'))) {
    const part = m[0];
    if (part.startsWith('"')) parts.push(JSON.parse(part) as string);
    else if (part.startsWith("'")) parts.push(part.slice(1, -1));
    else parts.push(part);
  }
  return parts;
}

const JSON_SYNTAX: Partial<Record<ReturnType<typeof printParseErrorCode>, string>> = {
  ...JSON_SYNTAX_MESSAGES,
  InvalidCommentToken: 'a comment (JSON has none: use TOML for a commented file)',
};

function parseJsonConfig(text: string, file: string): ConfigDocument {
  const position = lineColumns(text);
  checkJsonDepth(text, file, position);
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, { allowTrailingComma: false, disallowComments: true, allowEmptyContent: false });
  const first = errors[0];
  if (first || !tree) {
    const at = position(first?.offset ?? 0);
    const what = /^\s*$/.test(text) ? 'is empty (write {} for no settings)' : `is not valid JSON: line ${at.line}, column ${at.column}: ${(first && JSON_SYNTAX[printParseErrorCode(first.error)]) ?? 'invalid JSON'}`;
    throw refused(file, what, at.line);
  }
  checkJsonDuplicates(tree, file, position);
  return {
    file,
    format: 'json',
    value: valueOf(tree),
    lineOf(path) {
      for (let n = path.length; n > 0; n--) {
        const node = findNodeAtLocation(tree, path.slice(0, n) as string[]);
        if (node) return position((node.parent?.type === 'property' ? node.parent : node).offset).line;
      }
      return undefined;
    },
  };
}

function checkJsonDepth(text: string, file: string, position: ReturnType<typeof lineColumns>): void {
  const scanner = createScanner(text, true);
  let depth = 0;
  // jsonc-parser's SyntaxKind is a const enum (not importable here): { is 1, } 2, [ 3, ] 4, the end 17.
  for (let token: number = scanner.scan(); token !== 17; token = scanner.scan()) {
    if (token === 1 || token === 3) {
      if (++depth > MAX_CONFIG_DEPTH) {
        const at = position(scanner.getTokenOffset()).line;
        throw refused(file, `nests objects and arrays deeper than ${MAX_CONFIG_DEPTH} (line ${at}); no setting needs more than 2`, at);
      }
    } else if (token === 2 || token === 4) {
      depth = Math.max(0, depth - 1);
    }
  }
}

function keyOf(property: Node): string {
  return String(property.children?.[0]?.value ?? '');
}

/** JSON.parse would keep the last of two equal keys; a config file saying two things is refused. */
function checkJsonDuplicates(tree: Node, file: string, position: ReturnType<typeof lineColumns>): void {
  walkProperties(tree, ({ path, key, property, earlier }) => {
    if (earlier === undefined) return;
    const line = position(property.offset).line;
    throw refused(file, `holds the key "${[...path, key].join('.')}" twice (lines ${position(earlier).line} and ${line})`, line);
  });
}

/** The value of a parsed node. Keys become own properties whatever they are (`__proto__` too), never a prototype. */
function valueOf(node: Node): unknown {
  if (node.type === 'array') return (node.children ?? []).map(valueOf);
  if (node.type !== 'object') return node.value;
  const out: Record<string, unknown> = {};
  for (const property of node.children ?? []) {
    const value = property.children?.[1];
    Object.defineProperty(out, keyOf(property), { value: value ? valueOf(value) : undefined, enumerable: true, writable: true, configurable: true });
  }
  return out;
}
