/**
 * SKILL.md: YAML frontmatter validated exactly per the open Agent Skills spec, plus the markdown
 * body agents read. Parsing never throws: it returns every problem at once.
 *
 * Lengths are counted in characters (Unicode code points) as the spec states them, not in UTF-16
 * units. Two deliberate differences from the reference validator (skills-ref): names stay ASCII
 * (see `checkName`), and `<` or `>` in a description is a warning the spec does not have.
 */
import { isAlias, isMap, isScalar, parseDocument, type Document, type Node } from 'yaml';
import { error, warning, type Problem } from './problems';
import type { ErrorCode, WarningCode } from './error-catalog';
import { SKILL_NAME_MAX } from './names';
import { estimateTokens } from './tokens';
import { isStorableText } from './utf8';

export const SKILL_MD = 'SKILL.md';
export const FRONTMATTER_KEYS = ['name', 'description', 'license', 'compatibility', 'metadata', 'allowed-tools'] as const;
export const DESCRIPTION_MAX = 1024;
export const COMPATIBILITY_MAX = 500;
export const BODY_TOKENS_WARN = 5000;
export const BODY_LINES_WARN = 500;

/**
 * Front-matter keys that agents document beyond the spec's six, with who documents them: taken
 * without a warning and shown by `skills info`. Any other key is kept (the file is never
 * rewritten) and reported once as a warning.
 */
export const AGENT_FRONTMATTER_KEYS: Readonly<Record<string, string>> = {
  'argument-hint': 'Claude Code',
  'disable-model-invocation': 'Claude Code',
  'user-invocable': 'Claude Code',
  model: 'Claude Code',
  effort: 'Claude Code',
  context: 'Claude Code',
  agent: 'Claude Code',
  hooks: 'Claude Code',
  paths: 'Claude Code',
};

/**
 * How a SKILL.md is judged. `strict`: the spec's rules are errors (validate, publish, scaffold,
 * and installs under --strict). `lenient`: what an agent would still load takes in, and each
 * spec rule it breaks is a warning naming the rule (installs from any source by default).
 */
export type SpecMode = 'strict' | 'lenient';

export interface SkillFrontmatter {
  name: string;
  description: string;
  license?: string;
  compatibility?: string;
  metadata?: Record<string, string>;
  'allowed-tools'?: string | string[];
}

export interface ParsedSkillMd {
  /** Present when the frontmatter had no errors: the spec's keys only. */
  frontmatter: SkillFrontmatter | undefined;
  /**
   * The name the skill installs and publishes under: `name` when it follows the spec, else (lenient
   * only) `name` normalised by `normaliseSkillName`, or the folder's name normalised when nothing of
   * `name` is left. Present with `frontmatter`.
   */
  id: string | undefined;
  /** Values of the agent keys present (AGENT_FRONTMATTER_KEYS), as written. */
  agentKeys: Record<string, unknown>;
  /** Keys neither in the spec nor known agent keys, in file order (kept in the file, never read). */
  unknownKeys: string[];
  body: string;
  raw: string;
  problems: Problem[];
}

export interface SkillMdOptions {
  /** The folder the skill lives in; its base name must equal `name`. */
  folderName?: string;
  path?: string;
  /** Default `strict`. */
  mode?: SpecMode;
}

const OPEN = /^\uFEFF?---[ \t]*\r?\n/;
const CLOSE = /^---[ \t]*$/m;
const MAX_KEYS_SHOWN = 10;
const MAX_KEY_SHOWN = 64;

export function parseSkillMd(raw: string, options: SkillMdOptions = {}): ParsedSkillMd {
  const file = options.path ?? SKILL_MD;
  const mode = options.mode ?? 'strict';
  const problems: Problem[] = [];
  const failed = (body: string): ParsedSkillMd => ({ frontmatter: undefined, id: undefined, agentKeys: {}, unknownKeys: [], body, raw, problems });
  const open = OPEN.exec(raw);
  if (!open) {
    problems.push(error('EFRONTMATTERMISSING', file, 'SKILL.md must start with YAML frontmatter between --- lines', 1));
    return failed(raw);
  }
  const rest = raw.slice(open[0].length);
  const close = CLOSE.exec(rest);
  if (!close) {
    problems.push(error('EFRONTMATTERUNTERMINATED', file, 'the frontmatter is not closed: add a line with --- after it', 1));
    return failed('');
  }
  const yamlText = rest.slice(0, close.index);
  const body = rest.slice(close.index + close[0].length).replace(/^\r?\n/, '');
  // The frontmatter's first line is the file's second (after the opening ---).
  const lineAt = (offset: number): number => 2 + countNewlines(yamlText, offset);

  const doc = parseDocument(yamlText, { uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      problems.push(error('EFRONTMATTERYAML', file, `the frontmatter is not valid YAML: ${firstLine(e.message)}`, lineAt(e.pos[0])));
    }
    return failed(body);
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 10 });
  } catch (e) {
    // yaml throws (e.g. ReferenceError for an unresolved alias, or too many aliases) while converting.
    problems.push(error('EFRONTMATTERYAML', file, `the frontmatter is not valid YAML: ${firstLine(e instanceof Error ? e.message : String(e))}`, 2));
    return failed(body);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    problems.push(error('EFRONTMATTERNOTMAP', file, 'the frontmatter must be a YAML mapping of keys to values', 2));
    return failed(body);
  }
  const fm = data as Record<string, unknown>;
  const lines = keyLines(doc, lineAt);
  const at = (key: string) => lines.get(key);
  // A spec rule an agent does not need: an error when strict, a warning naming the rule when lenient.
  const spec = (code: LenientRule, key: string, message: string): Problem =>
    mode === 'strict' ? error(code, `${file}#${key}`, message, at(key)) : warning(LENIENT_RULES[code], `${file}#${key}`, `${message} (spec rule ${code}: refused under --strict and by a registry)`, at(key));

  const specKeys: readonly string[] = FRONTMATTER_KEYS;
  const agentKeys: Record<string, unknown> = {};
  const unknownKeys: string[] = [];
  for (const key of Object.keys(fm)) {
    if (specKeys.includes(key)) continue;
    if (Object.hasOwn(AGENT_FRONTMATTER_KEYS, key)) Object.defineProperty(agentKeys, key, { value: fm[key], enumerable: true, writable: true, configurable: true });
    else unknownKeys.push(key);
  }
  if (unknownKeys.length > 0) {
    const shownKeys = unknownKeys.slice(0, MAX_KEYS_SHOWN).map((k) => JSON.stringify(k.length > MAX_KEY_SHOWN ? `${k.slice(0, MAX_KEY_SHOWN)}\u2026` : k));
    const more = unknownKeys.length > MAX_KEYS_SHOWN ? ` and ${unknownKeys.length - MAX_KEYS_SHOWN} more` : '';
    problems.push(
      warning(
        'WFRONTMATTERKEY',
        `${file}#${unknownKeys[0] ?? ''}`,
        `frontmatter key${unknownKeys.length === 1 ? '' : 's'} ${shownKeys.join(', ')}${more} ${unknownKeys.length === 1 ? 'is' : 'are'} not in the Agent Skills spec or known to an agent; kept as written, not read by skills`,
        at(unknownKeys[0] ?? ''),
      ),
    );
  }
  const name = checkName(fm.name, file, options.folderName, spec, at('name'));
  problems.push(...name.problems);
  problems.push(...checkDescription(fm.description, file, spec, at('description')));
  problems.push(...checkOptionalString(fm, 'license', file, spec));
  problems.push(...checkCompatibility(fm, file, spec));
  const allowedTools = checkAllowedTools(fm['allowed-tools'], file, spec);
  problems.push(...allowedTools.problems);
  let metadata: Record<string, string> | undefined;
  if (fm.metadata !== undefined) metadata = readMetadata(doc, file, problems, spec, at);
  problems.push(...bodyWarnings(body, file));

  const ok = !problems.some((p) => p.severity === 'error');
  if (!ok || name.id === undefined) return { frontmatter: undefined, id: undefined, agentKeys, unknownKeys, body, raw, problems };
  const frontmatter: SkillFrontmatter = { name: String(fm.name), description: String(fm.description) };
  if (typeof fm.license === 'string') frontmatter.license = fm.license;
  if (typeof fm.compatibility === 'string') frontmatter.compatibility = fm.compatibility;
  if (metadata) frontmatter.metadata = metadata;
  if (allowedTools.value !== undefined) frontmatter['allowed-tools'] = allowedTools.value;
  return { frontmatter, id: name.id, agentKeys, unknownKeys, body, raw, problems };
}

function countNewlines(text: string, end: number): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** The line of each top-level key, from the parsed document's source ranges. */
function keyLines(doc: Document, lineAt: (offset: number) => number): Map<string, number> {
  const lines = new Map<string, number>();
  const contents = doc.contents;
  if (!isMap(contents)) return lines;
  for (const pair of contents.items) {
    const key = pair.key as Node | null;
    if (isScalar(key) && key.range) lines.set(String(key.value), lineAt(key.range[0]));
  }
  return lines;
}

/** Rules of the spec that lenient intake downgrades to warnings (as `W...`), and the unknown-key warning: what an install reports of a skill it takes in. */
const LENIENT_RULES = {
  ENAMELENGTH: 'WNAMELENGTH',
  ENAMECASE: 'WNAMECASE',
  ENAMEHYPHEN: 'WNAMEHYPHEN',
  ENAMECHARS: 'WNAMECHARS',
  ENAMEFOLDER: 'WNAMEFOLDER',
  EDESCRIPTIONLENGTH: 'WDESCRIPTIONLENGTH',
  ECOMPATIBILITY: 'WCOMPATIBILITY',
  ELICENSE: 'WLICENSE',
  EALLOWEDTOOLS: 'WALLOWEDTOOLS',
  EMETADATA: 'WMETADATA',
} as const satisfies Partial<Record<ErrorCode, WarningCode>>;
type LenientRule = keyof typeof LENIENT_RULES;
const INTAKE_WARNINGS = new Set<string>(['WFRONTMATTERKEY', ...Object.values(LENIENT_RULES)]);

export function isIntakeWarning(code: string): boolean {
  return INTAKE_WARNINGS.has(code);
}

type SpecProblem = (code: LenientRule, key: string, message: string) => Problem;

/**
 * The name a skill goes by where the spec's alphabet is required (a folder, a package name): lower
 * case, every run of other characters a single hyphen, no hyphen at either end, at most 64
 * characters. Empty when nothing of `name` is left (a name in another script).
 */
export function normaliseSkillName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, SKILL_NAME_MAX)
    .replace(/-+$/, '');
}

function checkName(name: unknown, file: string, folderName: string | undefined, spec: SpecProblem, line: number | undefined): { problems: Problem[]; id: string | undefined } {
  const at = `${file}#name`;
  if (name === undefined || name === null || name === '') return { problems: [error('ENAMEMISSING', at, 'the frontmatter needs a name', line)], id: undefined };
  if (typeof name !== 'string') return { problems: [error('ENAMECHARS', at, 'name must be a string', line)], id: undefined };
  const problems: Problem[] = [];
  if (name.length > SKILL_NAME_MAX) problems.push(spec('ENAMELENGTH', 'name', `name is ${name.length} characters; the limit is ${SKILL_NAME_MAX}`));
  if (/[A-Z]/.test(name)) problems.push(spec('ENAMECASE', 'name', `name "${clipName(name)}" has upper-case letters; use lower case`));
  if (/^-|-$|--/.test(name)) problems.push(spec('ENAMEHYPHEN', 'name', `name "${clipName(name)}" may not start or end with a hyphen or contain "--"`));
  // ASCII only, although the spec allows any lower-case Unicode letter: a name is also a folder, a
  // package name and part of a URL, and Unicode admits look-alikes (Cyrillic "а" and Latin "a"
  // render the same), so two skills could read the same and be different packages.
  if (/[^A-Za-z0-9-]/.test(name)) problems.push(spec('ENAMECHARS', 'name', `name "${clipName(name)}" may contain only a-z, 0-9 and single hyphens (ASCII, so no two names look alike)`));
  if (folderName !== undefined && name !== folderName) {
    problems.push(spec('ENAMEFOLDER', 'name', `name "${clipName(name)}" must equal the folder name "${clipName(folderName)}"`));
  }
  if (problems.length === 0) return { problems, id: name };
  const id = normaliseSkillName(name) || normaliseSkillName(folderName ?? '');
  if (id === '') {
    if (problems.some((p) => p.severity === 'error')) return { problems, id: undefined };
    problems.push(error('ENAMECHARS', at, `name "${clipName(name)}" leaves no letter or digit of a-z, 0-9 to install it under${folderName === undefined ? '' : `, and neither does its folder "${clipName(folderName)}"`}`, line));
    return { problems, id: undefined };
  }
  return { problems, id };
}

function clipName(name: string): string {
  return name.length > 80 ? `${name.slice(0, 80)}\u2026` : name;
}

function checkDescription(description: unknown, file: string, spec: SpecProblem, line: number | undefined): Problem[] {
  const at = `${file}#description`;
  if (description === undefined || description === null || description === '') {
    return [error('EDESCRIPTIONMISSING', at, 'the frontmatter needs a non-empty description of what the skill does and when to use it', line)];
  }
  if (typeof description !== 'string') return [error('EDESCRIPTIONTYPE', at, 'description must be a string', line)];
  const problems: Problem[] = [];
  if (description.trim() === '') problems.push(error('EDESCRIPTIONMISSING', at, 'description is blank', line));
  // YAML escapes ("\0", "\ud800") can make text no UTF-8 carries; the registry stores descriptions as text.
  if (!isStorableText(description)) problems.push(error('EENCODING', at, 'description holds a NUL character (U+0000) or an unpaired surrogate', line));
  const length = codePoints(description);
  if (length > DESCRIPTION_MAX) problems.push(spec('EDESCRIPTIONLENGTH', 'description', `description is ${length} characters; the limit is ${DESCRIPTION_MAX}`));
  // Not a spec rule: agents often list skills inside XML-like tags, where these read as markup.
  if (/[<>]/.test(description)) problems.push(warning('WDESCRIPTIONANGLE', at, 'description contains < or >, which agents that list skills in XML-like tags may read as markup', line));
  return problems;
}

/** Characters as the spec counts them: Unicode code points (an emoji is one, not two UTF-16 units). */
export function codePoints(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

function checkCompatibility(fm: Record<string, unknown>, file: string, spec: SpecProblem): Problem[] {
  if (!Object.hasOwn(fm, 'compatibility')) return [];
  const value = fm.compatibility;
  if (value === null || (typeof value === 'string' && value.trim() === '')) {
    return [spec('ECOMPATIBILITY', 'compatibility', 'compatibility is empty: leave it out, or say what the skill needs (1-500 characters)')];
  }
  if (typeof value !== 'string') return [spec('ECOMPATIBILITY', 'compatibility', 'compatibility must be a string')];
  const length = codePoints(value);
  if (length > COMPATIBILITY_MAX) return [spec('ECOMPATIBILITY', 'compatibility', `compatibility is ${length} characters; the limit is ${COMPATIBILITY_MAX}`)];
  return [];
}

function checkOptionalString(fm: Record<string, unknown>, key: 'license', file: string, spec: SpecProblem): Problem[] {
  const value = fm[key];
  if (value === undefined) return [];
  if (typeof value !== 'string') return [spec('ELICENSE', key, `${key} must be a string`)];
  return [];
}

/**
 * `allowed-tools`: the spec writes a space-delimited string; agents and many published skills
 * write a YAML list of tool names, read the same way.
 */
function checkAllowedTools(value: unknown, file: string, spec: SpecProblem): { problems: Problem[]; value: string | string[] | undefined } {
  if (value === undefined) return { problems: [], value: undefined };
  if (typeof value === 'string') return { problems: [], value };
  if (Array.isArray(value) && value.every((v): v is string => typeof v === 'string')) return { problems: [], value: [...value] };
  return { problems: [spec('EALLOWEDTOOLS', 'allowed-tools', 'allowed-tools must be a string of tool names or a list of them')], value: undefined };
}

/**
 * `metadata` as the spec reads it: a map of strings to strings. An unquoted scalar that YAML
 * would read as a number or boolean (`version: 1.0`) is taken as the text written ("1.0", not 1),
 * with a warning, as the reference validator reads it; anything else that is not a string breaks
 * a spec rule (its value is not read).
 */
function readMetadata(doc: Document, file: string, problems: Problem[], spec: SpecProblem, at: (key: string) => number | undefined): Record<string, string> | undefined {
  const node = doc.get('metadata', true);
  const invalid = () => {
    problems.push(spec('EMETADATA', 'metadata', 'metadata must be a mapping of string keys to string values'));
    return undefined;
  };
  if (!isMap(node)) return invalid();
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const pair of node.items) {
    const key = scalarText(doc, pair.key as Node | null);
    const value = scalarText(doc, pair.value as Node | null);
    if (key === undefined || value === undefined) return invalid();
    if (value.unquoted) {
      problems.push(warning('WMETADATASCALAR', `${file}#metadata.${key.text}`, `metadata.${key.text} is unquoted and read as the text "${value.text}"; quote it to say so: ${key.text}: "${value.text}"`, at('metadata')));
    }
    out[key.text] = value.text;
  }
  return { ...out };
}

/** A scalar's text: a string as is; a plain number or boolean as written. Undefined for anything else. */
function scalarText(doc: Document, node: Node | null): { text: string; unquoted: boolean } | undefined {
  const scalar = isAlias(node) ? node.resolve(doc) : node;
  if (!isScalar(scalar)) return undefined;
  if (typeof scalar.value === 'string') return { text: scalar.value, unquoted: false };
  if ((typeof scalar.value === 'number' || typeof scalar.value === 'boolean') && scalar.type === 'PLAIN' && typeof scalar.source === 'string') {
    return { text: scalar.source, unquoted: true };
  }
  return undefined;
}

function bodyWarnings(body: string, file: string): Problem[] {
  const problems: Problem[] = [];
  const tokens = estimateTokens(body);
  if (tokens > BODY_TOKENS_WARN) {
    problems.push(warning('WBODYTOKENS', file, `the body is about ${tokens} tokens; keep it under ${BODY_TOKENS_WARN} and move detail to references/`));
  }
  const lines = body.split('\n').length;
  if (lines > BODY_LINES_WARN) {
    problems.push(warning('WBODYLINES', file, `the body has ${lines} lines; keep it under ${BODY_LINES_WARN} and move detail to references/`));
  }
  return problems;
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
