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
import { SKILL_NAME_MAX } from './names';
import { estimateTokens } from './tokens';

export const SKILL_MD = 'SKILL.md';
export const FRONTMATTER_KEYS = ['name', 'description', 'license', 'compatibility', 'metadata', 'allowed-tools'] as const;
export const DESCRIPTION_MAX = 1024;
export const COMPATIBILITY_MAX = 500;
export const BODY_TOKENS_WARN = 5000;
export const BODY_LINES_WARN = 500;

export interface SkillFrontmatter {
  name: string;
  description: string;
  license?: string;
  compatibility?: string;
  metadata?: Record<string, string>;
  'allowed-tools'?: string;
}

export interface ParsedSkillMd {
  /** Present when the frontmatter had no errors. */
  frontmatter: SkillFrontmatter | undefined;
  body: string;
  raw: string;
  problems: Problem[];
}

export interface SkillMdOptions {
  /** The folder the skill lives in; its base name must equal `name`. */
  folderName?: string;
  path?: string;
}

const OPEN = /^\uFEFF?---[ \t]*\r?\n/;
const CLOSE = /^---[ \t]*$/m;

export function parseSkillMd(raw: string, options: SkillMdOptions = {}): ParsedSkillMd {
  const file = options.path ?? SKILL_MD;
  const problems: Problem[] = [];
  const open = OPEN.exec(raw);
  if (!open) {
    problems.push(error('EFRONTMATTERMISSING', file, 'SKILL.md must start with YAML frontmatter between --- lines'));
    return { frontmatter: undefined, body: raw, raw, problems };
  }
  const rest = raw.slice(open[0].length);
  const close = CLOSE.exec(rest);
  if (!close) {
    problems.push(error('EFRONTMATTERUNTERMINATED', file, 'the frontmatter is not closed: add a line with --- after it'));
    return { frontmatter: undefined, body: '', raw, problems };
  }
  const yamlText = rest.slice(0, close.index);
  const body = rest.slice(close.index + close[0].length).replace(/^\r?\n/, '');

  const doc = parseDocument(yamlText, { uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      problems.push(error('EFRONTMATTERYAML', file, `the frontmatter is not valid YAML: ${firstLine(e.message)}`));
    }
    return { frontmatter: undefined, body, raw, problems };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 10 });
  } catch (e) {
    // yaml throws (e.g. ReferenceError for an unresolved alias, or too many aliases) while converting.
    problems.push(error('EFRONTMATTERYAML', file, `the frontmatter is not valid YAML: ${firstLine(e instanceof Error ? e.message : String(e))}`));
    return { frontmatter: undefined, body, raw, problems };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    problems.push(error('EFRONTMATTERNOTMAP', file, 'the frontmatter must be a YAML mapping of keys to values'));
    return { frontmatter: undefined, body, raw, problems };
  }
  const fm = data as Record<string, unknown>;
  const allowed: readonly string[] = FRONTMATTER_KEYS;
  for (const key of Object.keys(fm)) {
    if (!allowed.includes(key)) {
      problems.push(
        error('EFRONTMATTERKEY', `${file}#${key}`, `unknown frontmatter key "${key}": allowed are ${FRONTMATTER_KEYS.join(', ')} (put the rest in skill.json)`),
      );
    }
  }
  problems.push(...checkName(fm.name, file, options.folderName));
  problems.push(...checkDescription(fm.description, file));
  problems.push(...checkOptionalString(fm, 'license', file, undefined, 'ELICENSE'));
  problems.push(...checkCompatibility(fm, file));
  problems.push(...checkOptionalString(fm, 'allowed-tools', file, undefined, 'EALLOWEDTOOLS'));
  if (fm.metadata !== undefined) {
    const metadata = readMetadata(doc, file, problems);
    if (metadata) fm.metadata = metadata;
  }
  problems.push(...bodyWarnings(body, file));

  const ok = !problems.some((p) => p.severity === 'error');
  return { frontmatter: ok ? (fm as unknown as SkillFrontmatter) : undefined, body, raw, problems };
}

function checkName(name: unknown, file: string, folderName: string | undefined): Problem[] {
  const at = `${file}#name`;
  if (name === undefined || name === null || name === '') return [error('ENAMEMISSING', at, 'the frontmatter needs a name')];
  if (typeof name !== 'string') return [error('ENAMECHARS', at, 'name must be a string')];
  const problems: Problem[] = [];
  if (name.length > SKILL_NAME_MAX) problems.push(error('ENAMELENGTH', at, `name is ${name.length} characters; the limit is ${SKILL_NAME_MAX}`));
  if (/[A-Z]/.test(name)) problems.push(error('ENAMECASE', at, `name "${name}" has upper-case letters; use lower case`));
  if (/^-|-$|--/.test(name)) problems.push(error('ENAMEHYPHEN', at, `name "${name}" may not start or end with a hyphen or contain "--"`));
  // ASCII only, although the spec allows any lower-case Unicode letter: a name is also a folder, a
  // package name and part of a URL, and Unicode admits look-alikes (Cyrillic "а" and Latin "a"
  // render the same), so two skills could read the same and be different packages.
  if (/[^A-Za-z0-9-]/.test(name)) problems.push(error('ENAMECHARS', at, `name "${name}" may contain only a-z, 0-9 and single hyphens (ASCII, so no two names look alike)`));
  if (folderName !== undefined && name !== folderName) {
    problems.push(error('ENAMEFOLDER', at, `name "${name}" must equal the folder name "${folderName}"`));
  }
  return problems;
}

function checkDescription(description: unknown, file: string): Problem[] {
  const at = `${file}#description`;
  if (description === undefined || description === null || description === '') {
    return [error('EDESCRIPTIONMISSING', at, 'the frontmatter needs a non-empty description of what the skill does and when to use it')];
  }
  if (typeof description !== 'string') return [error('EDESCRIPTIONTYPE', at, 'description must be a string')];
  const problems: Problem[] = [];
  if (description.trim() === '') problems.push(error('EDESCRIPTIONMISSING', at, 'description is blank'));
  const length = codePoints(description);
  if (length > DESCRIPTION_MAX) {
    problems.push(error('EDESCRIPTIONLENGTH', at, `description is ${length} characters; the limit is ${DESCRIPTION_MAX}`));
  }
  // Not a spec rule: agents often list skills inside XML-like tags, where these read as markup.
  if (/[<>]/.test(description)) problems.push(warning('WDESCRIPTIONANGLE', at, 'description contains < or >, which agents that list skills in XML-like tags may read as markup'));
  return problems;
}

/** Characters as the spec counts them: Unicode code points (an emoji is one, not two UTF-16 units). */
export function codePoints(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

function checkCompatibility(fm: Record<string, unknown>, file: string): Problem[] {
  if (!('compatibility' in fm)) return [];
  const value = fm.compatibility;
  const at = `${file}#compatibility`;
  if (value === null || (typeof value === 'string' && value.trim() === '')) {
    return [error('ECOMPATIBILITY', at, 'compatibility is empty: leave it out, or say what the skill needs (1-500 characters)')];
  }
  if (typeof value !== 'string') return [error('ECOMPATIBILITY', at, 'compatibility must be a string')];
  const length = codePoints(value);
  if (length > COMPATIBILITY_MAX) return [error('ECOMPATIBILITY', at, `compatibility is ${length} characters; the limit is ${COMPATIBILITY_MAX}`)];
  return [];
}

function checkOptionalString(fm: Record<string, unknown>, key: string, file: string, max: number | undefined, code: string): Problem[] {
  const value = fm[key];
  if (value === undefined) return [];
  if (typeof value !== 'string') return [error(code, `${file}#${key}`, `${key} must be a string`)];
  if (max !== undefined && codePoints(value) > max) {
    return [error(code, `${file}#${key}`, `${key} is ${codePoints(value)} characters; the limit is ${max}`)];
  }
  return [];
}

/**
 * `metadata` as the spec reads it: a map of strings to strings. An unquoted scalar that YAML
 * would read as a number or boolean (`version: 1.0`) is taken as the text written ("1.0", not 1),
 * with a warning, as the reference validator reads it; anything else that is not a string is an
 * error.
 */
function readMetadata(doc: Document, file: string, problems: Problem[]): Record<string, string> | undefined {
  const node = doc.get('metadata', true);
  const invalid = () => {
    problems.push(error('EMETADATA', `${file}#metadata`, 'metadata must be a mapping of string keys to string values'));
    return undefined;
  };
  if (!isMap(node)) return invalid();
  const out: Record<string, string> = {};
  for (const pair of node.items) {
    const key = scalarText(doc, pair.key as Node | null);
    const value = scalarText(doc, pair.value as Node | null);
    if (key === undefined || value === undefined) return invalid();
    if (value.unquoted) {
      problems.push(warning('WMETADATASCALAR', `${file}#metadata.${key.text}`, `metadata.${key.text} is unquoted and read as the text "${value.text}"; quote it to say so: ${key.text}: "${value.text}"`));
    }
    out[key.text] = value.text;
  }
  return out;
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
