/**
 * skills.json as text. Commands read what they know from it and change it by key-level edits
 * (jsonc-parser's `modify`) applied to the text as it is at commit time, never by writing their
 * model back: every key, its order, the indentation, line endings, a BOM and comments are the
 * user's and stay as they were. The file is JSON with comments (JSONC, like tsconfig.json).
 * Duplicate keys are refused rather than guessed at, and keys skills does not know are kept as
 * written and reported (with the known key they are probably a misspelling of).
 */
import { applyEdits, createScanner, findNodeAtLocation, modify, parseTree, printParseErrorCode, type FormattingOptions, type JSONPath, type Node, type ParseError } from 'jsonc-parser';
import { SkillsError } from '../../../schema/errors';
import { MAX_JSON_DEPTH } from '../../../schema/json-depth';
import { nearest } from '../../../schema/suggest';
import { auditPolicySchema, httpServerSchema, privacySchema, stdioServerSchema, workspaceSchema, workspaceTrustSchema, type Workspace } from '../../../schema/workspace';
import { lineColumns } from '../../../schema/text-position';
import { JSON_SYNTAX_MESSAGES, walkProperties } from '../../../schema/json-tree';

const BOM = '\uFEFF';

export interface UnknownKey {
  /** From the root, e.g. ["privacy", "tokenizePII"]. */
  path: string[];
  line: number;
  /** The known key it is closest to, when it is probably a misspelling of one. */
  suggestion: string | undefined;
}

export interface WorkspaceDocument {
  workspace: Workspace;
  unknownKeys: UnknownKey[];
}

/** One key-level change: set `path` to `value`, or remove it (`value` undefined). */
export interface WorkspaceEdit {
  path: (string | number)[];
  value: unknown;
  /** Insert `value` into the array at `path` (its last segment is the index). */
  insert?: boolean;
}

/**
 * What a skills.json text says. EWORKSPACE (with line and column) for a syntax error or a value
 * the schema refuses, EWORKSPACEDUPKEY for a key written twice in one object.
 */
export function parseWorkspaceText(text: string, file: string): WorkspaceDocument {
  const body = text.startsWith(BOM) ? text.slice(1) : text;
  checkDepth(body, file);
  const errors: ParseError[] = [];
  const tree = parseTree(body, errors, { allowTrailingComma: false, disallowComments: false, allowEmptyContent: false });
  const first = errors[0];
  if (first || !tree) throw syntaxError(body, file, first);
  checkDuplicates(body, tree, file);
  const parsed = workspaceSchema.safeParse(valueOf(tree));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue ? nodeAt(tree, issue.path) : undefined;
    const where = at ? ` (line ${position(body, at.offset).line})` : '';
    throw new SkillsError('EWORKSPACE', `${file} is invalid${issue ? `: ${issue.path.map(String).join('.') || '(root)'} ${issue.message}` : ''}${where}`, {
      hint: 'fix that value (schema/json/skills.schema.json describes the file); nothing was changed',
      ...(at ? { details: position(body, at.offset) } : {}),
    });
  }
  return { workspace: parsed.data, unknownKeys: unknownKeys(body, tree) };
}

/** Whether `text` is a skills.json every command accepts. */
export function isValidWorkspaceText(text: string): boolean {
  try {
    parseWorkspaceText(text, 'skills.json');
    return true;
  } catch {
    return false;
  }
}

export function unknownKeyWarning(file: string, key: UnknownKey): string {
  const name = key.path.join('.');
  return `${file} line ${key.line}: unknown key "${name}", kept as written${key.suggestion ? `; did you mean "${[...key.path.slice(0, -1), key.suggestion].join('.')}"?` : ' and ignored'}`;
}

/** A value JSON-like all the way down, so the edits below can walk it. */
type Plain = null | boolean | number | string | Plain[] | { [key: string]: Plain };

/**
 * The key-level changes that turn `before` into `after`: entries of objects one by one (so a
 * dependency added is one inserted line), arrays by appended or removed items when that is all
 * that changed, anything else replaced whole.
 */
export function workspaceEdits(before: Workspace, after: Workspace): WorkspaceEdit[] {
  const edits: WorkspaceEdit[] = [];
  diff([], plain(before), plain(after), edits);
  return edits;
}

/**
 * `text` with the edits applied, each against the text the one before it left. Lines an edit
 * touches are laid out in the file's own indentation and line endings; the rest stays byte for byte.
 */
export function applyWorkspaceEdits(text: string, edits: readonly WorkspaceEdit[]): string {
  const bom = text.startsWith(BOM);
  let body = bom ? text.slice(1) : text;
  const formattingOptions = formattingOf(body);
  for (const edit of edits) {
    if (edit.value === undefined) {
      body = collapseEmpty(removeAt(body, edit.path), edit.path.slice(0, -1));
      continue;
    }
    body = applyEdits(
      body,
      modify(body, edit.path, edit.value, {
        formattingOptions,
        isArrayInsertion: edit.insert === true,
        // Records kept sorted by hand (dependencies, alias, servers) stay sorted; the top level grows at the end.
        getInsertionIndex: edit.path.length > 1 ? sortedIndex(String(edit.path[edit.path.length - 1])) : (properties) => properties.length,
      }),
    );
  }
  return bom ? `${BOM}${body}` : body;
}

/**
 * `body` without the entry at `path` (a property or an array item) and its comma. An entry on a
 * line of its own takes that line with it, a comment at its end included; every other comment
 * stays (jsonc-parser's own removal would also take a comment that ends the line before).
 */
function removeAt(body: string, path: JSONPath): string {
  const tree = parseTree(body);
  const target = tree ? findNodeAtLocation(tree, path) : undefined;
  const node = target?.parent?.type === 'property' ? target.parent : target;
  const siblings = node?.parent?.children;
  if (!node || !siblings) return body;
  const start = node.offset;
  const end = node.offset + node.length;
  const lineStart = body.lastIndexOf('\n', start - 1) + 1;
  const ownLine = /^[ \t]*$/.test(body.slice(lineStart, start));
  const after = tokenAfter(body, end);
  if (after?.kind === COMMA) {
    const eol = restOfLine(body, after.offset + 1);
    if (ownLine && eol !== undefined) return body.slice(0, lineStart) + body.slice(pastLineBreak(body, eol));
    return body.slice(0, start) + body.slice(skipSpaces(body, after.offset + 1));
  }
  const previous = siblings[siblings.indexOf(node) - 1];
  const commaBefore = previous ? tokenAfter(body, previous.offset + previous.length) : undefined;
  const eol = restOfLine(body, end);
  if (ownLine && eol !== undefined && lineStart > 0) {
    const from = lineStart - (body[lineStart - 2] === '\r' ? 2 : 1);
    const out = body.slice(0, from) + body.slice(eol);
    return commaBefore?.kind === COMMA ? out.slice(0, commaBefore.offset) + out.slice(commaBefore.offset + 1) : out;
  }
  if (commaBefore?.kind === COMMA) return body.slice(0, commaBefore.offset) + body.slice(end);
  return body.slice(0, start) + body.slice(skipSpaces(body, end));
}

/** jsonc-parser's SyntaxKind is a const enum: a comma is 5, comments, line breaks and spaces 12 to 15. */
const COMMA = 5;

function tokenAfter(body: string, from: number): { offset: number; kind: number } | undefined {
  const scanner = createScanner(body, false);
  scanner.setPosition(from);
  for (let kind: number = scanner.scan(); kind !== 17; kind = scanner.scan()) {
    if (kind < 12 || kind > 15) return { offset: scanner.getTokenOffset(), kind };
  }
  return undefined;
}

/** Where the line break after `from` starts, when only spaces and comments are between. */
function restOfLine(body: string, from: number): number | undefined {
  let i = from;
  for (;;) {
    while (body[i] === ' ' || body[i] === '\t') i++;
    if (body.startsWith('//', i)) {
      const nl = body.indexOf('\n', i);
      const at = nl === -1 ? body.length : nl;
      return body[at - 1] === '\r' ? at - 1 : at;
    }
    if (body.startsWith('/*', i)) {
      const close = body.indexOf('*/', i + 2);
      const nl = body.indexOf('\n', i);
      if (close === -1 || (nl !== -1 && nl < close)) return undefined;
      i = close + 2;
      continue;
    }
    if (i >= body.length || body[i] === '\n' || (body[i] === '\r' && body[i + 1] === '\n')) return i;
    return undefined;
  }
}

function pastLineBreak(body: string, at: number): number {
  if (body.startsWith('\r\n', at)) return at + 2;
  return body[at] === '\n' ? at + 1 : at;
}

function skipSpaces(body: string, from: number): number {
  let i = from;
  while (body[i] === ' ' || body[i] === '\t') i++;
  return i;
}

function sortedIndex(key: string): (properties: string[]) => number {
  return (properties) => {
    const sorted = properties.every((p, i) => i === 0 || (properties[i - 1] as string) <= p);
    if (!sorted) return properties.length;
    const at = properties.findIndex((p) => p > key);
    return at === -1 ? properties.length : at;
  };
}

/** An object or array left empty by a removal is written `{}` / `[]`, as it most likely was before anything was added. */
function collapseEmpty(body: string, path: JSONPath): string {
  const tree = parseTree(body);
  const node = tree ? findNodeAtLocation(tree, path) : undefined;
  if (!node || (node.type !== 'object' && node.type !== 'array') || (node.children?.length ?? 0) > 0) return body;
  const inside = body.slice(node.offset + 1, node.offset + node.length - 1);
  if (inside === '' || /\S/.test(inside)) return body;
  return `${body.slice(0, node.offset + 1)}${body.slice(node.offset + node.length - 1)}`;
}

/** Tabs or the narrowest indentation of a property line (2 spaces when nothing is indented), and CRLF when the file uses it. */
function formattingOf(body: string): FormattingOptions {
  const eol = body.includes('\r\n') ? '\r\n' : '\n';
  let width = 0;
  let tabs = false;
  for (const match of body.matchAll(/^([ \t]+)["}\]]/gm)) {
    const indent = match[1] ?? '';
    // The first indented line decides between tabs and spaces.
    if (indent.startsWith('\t')) {
      tabs = width === 0;
      break;
    }
    if (width === 0 || indent.length < width) width = indent.length;
  }
  return tabs ? { insertSpaces: false, tabSize: 1, eol } : { insertSpaces: true, tabSize: width || 2, eol };
}

function plain(value: unknown): Plain | undefined {
  return value === undefined ? undefined : (JSON.parse(JSON.stringify(value)) as Plain);
}

function isRecord(value: Plain | undefined): value is { [key: string]: Plain } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function same(a: Plain | undefined, b: Plain | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function diff(path: (string | number)[], before: Plain | undefined, after: Plain | undefined, edits: WorkspaceEdit[]): void {
  if (same(before, after)) return;
  if (isRecord(before) && isRecord(after)) {
    for (const key of Object.keys(before)) if (!Object.hasOwn(after, key)) edits.push({ path: [...path, key], value: undefined });
    for (const key of Object.keys(after)) diff([...path, key], Object.hasOwn(before, key) ? before[key] : undefined, after[key], edits);
    return;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    if (after.length > before.length && before.every((item, i) => same(item, after[i]))) {
      after.slice(before.length).forEach((item, i) => edits.push({ path: [...path, before.length + i], value: item, insert: true }));
      return;
    }
    const removed = removedIndexes(before, after);
    if (removed) {
      // From the end, so each index still names the item it did.
      for (const i of removed.reverse()) edits.push({ path: [...path, i], value: undefined });
      return;
    }
  }
  edits.push({ path, value: after });
}

/** The indexes of `before` to remove to get `after`, when `after` is `before` with items taken out. */
function removedIndexes(before: Plain[], after: Plain[]): number[] | undefined {
  const removed: number[] = [];
  let j = 0;
  for (let i = 0; i < before.length; i++) {
    if (j < after.length && same(before[i], after[j])) j++;
    else removed.push(i);
  }
  return j === after.length ? removed : undefined;
}

/** Refused before parsing: the parser and every walker after it recurse. */
function checkDepth(body: string, file: string): void {
  const scanner = createScanner(body, true);
  let depth = 0;
  // jsonc-parser's SyntaxKind is a const enum (not importable here): { is 1, } 2, [ 3, ] 4, the end 17.
  for (let token: number = scanner.scan(); token !== 17; token = scanner.scan()) {
    if (token === 1 || token === 3) {
      depth++;
      if (depth > MAX_JSON_DEPTH) {
        const at = position(body, scanner.getTokenOffset());
        throw new SkillsError('EWORKSPACE', `${file} line ${at.line}, column ${at.column}: nests objects and arrays deeper than ${MAX_JSON_DEPTH}`, { hint: 'skills.json never needs that; fix the file (nothing was changed)', details: at });
      }
    } else if (token === 2 || token === 4) {
      depth = Math.max(0, depth - 1);
    }
  }
}

export function position(body: string, offset: number): { line: number; column: number } {
  return lineColumns(body)(offset);
}

function syntaxError(body: string, file: string, error: ParseError | undefined): SkillsError {
  const offset = error?.offset ?? 0;
  const at = position(body, offset);
  const kind = error ? printParseErrorCode(error.error) : 'ValueExpected';
  let what = JSON_SYNTAX_MESSAGES[kind] ?? 'invalid JSON';
  if (/^\s*$/.test(body)) what = 'the file is empty (write {} or delete it)';
  else if ((kind === 'PropertyNameExpected' || kind === 'ValueExpected') && /,\s*$/.test(body.slice(0, offset)) && /^[}\]]/.test(body.slice(offset))) {
    what = 'a comma before a closing bracket (trailing commas are not allowed: remove it)';
  }
  return new SkillsError('EWORKSPACE', `${file} is not valid JSON: line ${at.line}, column ${at.column}: ${what}`, {
    hint: 'fix the file there (comments are allowed, trailing commas are not); nothing was changed',
    details: at,
  });
}

function keyOf(property: Node): string {
  return String(property.children?.[0]?.value ?? '');
}

function checkDuplicates(body: string, tree: Node, file: string): void {
  const lineOf = (offset: number) => position(body, offset).line;
  walkProperties(tree, ({ path, key, property, earlier }) => {
    if (earlier !== undefined) {
      const line = lineOf(property.offset);
      const firstLine = lineOf(earlier);
      throw new SkillsError('EWORKSPACEDUPKEY', `${file} line ${line}: the key "${[...path, key].join('.')}" is written twice (first on line ${firstLine}); which one counts is ambiguous`, {
        hint: 'delete one of them; nothing was changed',
        details: { key: [...path, key], line, firstLine },
      });
    }
    if (key === '__proto__' && isRecordPath(path)) {
      // zod drops such an entry without a word; a name it can never be is refused instead.
      throw new SkillsError('EWORKSPACE', `${file} line ${lineOf(property.offset)}: "${[...path, key].join('.')}" is not a valid name here`, { hint: 'remove that entry; nothing was changed' });
    }
  });
}

/** Objects of skills.json whose keys are names (skills, servers, aliases, variables), not fields. */
function isRecordPath(path: readonly string[]): boolean {
  const joined = path.length === 3 && path[0] === 'servers' ? `servers.*.${path[2]}` : path.join('.');
  return ['dependencies', 'servers', 'alias', 'privacy.patterns', 'servers.*.env', 'servers.*.headers'].includes(joined);
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

function nodeAt(tree: Node, path: readonly PropertyKey[]): Node | undefined {
  for (let n = path.length; n >= 0; n--) {
    const segments = path.slice(0, n);
    if (segments.some((s) => typeof s === 'symbol')) continue;
    const node = findNodeAtLocation(tree, segments as (string | number)[]);
    if (node) return node.parent?.type === 'property' ? node.parent : node;
  }
  return undefined;
}

/** The keys each closed object of skills.json knows (records, whose keys are names, are open). */
const TOP_KEYS = Object.keys(workspaceSchema.shape);
const CLOSED: Record<string, string[]> = {
  privacy: Object.keys(privacySchema.shape),
  trust: Object.keys(workspaceTrustSchema.shape),
  audit: Object.keys(auditPolicySchema.shape),
};
const STDIO_KEYS = Object.keys(stdioServerSchema.shape);
const HTTP_KEYS = Object.keys(httpServerSchema.shape);

function unknownKeys(body: string, tree: Node): UnknownKey[] {
  const out: UnknownKey[] = [];
  const lineOf = lineColumns(body);
  const check = (object: Node | undefined, path: string[], known: readonly string[]) => {
    if (object?.type !== 'object') return;
    for (const property of object.children ?? []) {
      const key = keyOf(property);
      if (known.includes(key)) continue;
      out.push({ path: [...path, key], line: lineOf(property.offset).line, suggestion: nearest(key, known) });
    }
  };
  check(tree, [], TOP_KEYS);
  for (const [key, known] of Object.entries(CLOSED)) check(findNodeAtLocation(tree, [key]), [key], known);
  for (const server of findNodeAtLocation(tree, ['servers'])?.children ?? []) {
    const config = server.children?.[1];
    if (config?.type !== 'object') continue;
    const keys = (config.children ?? []).map(keyOf);
    const known = keys.includes('url') && !keys.includes('command') ? HTTP_KEYS : keys.includes('command') ? STDIO_KEYS : [...STDIO_KEYS, ...HTTP_KEYS];
    check(config, ['servers', keyOf(server)], known);
  }
  return out;
}
