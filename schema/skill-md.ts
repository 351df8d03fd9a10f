/**
 * SKILL.md: YAML frontmatter validated exactly per the open Agent Skills spec, plus the markdown
 * body agents read. Parsing never throws: it returns every problem at once.
 */
import { parseDocument } from 'yaml';
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
  problems.push(...checkOptionalString(fm, 'compatibility', file, COMPATIBILITY_MAX, 'ECOMPATIBILITY'));
  problems.push(...checkOptionalString(fm, 'allowed-tools', file, undefined, 'EALLOWEDTOOLS'));
  if (fm.metadata !== undefined && !isStringMap(fm.metadata)) {
    problems.push(error('EMETADATA', `${file}#metadata`, 'metadata must be a mapping of string keys to string values'));
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
  if (/[^A-Za-z0-9-]/.test(name)) problems.push(error('ENAMECHARS', at, `name "${name}" may contain only a-z, 0-9 and single hyphens`));
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
  if (description.length > DESCRIPTION_MAX) {
    problems.push(error('EDESCRIPTIONLENGTH', at, `description is ${description.length} characters; the limit is ${DESCRIPTION_MAX}`));
  }
  if (/[<>]/.test(description)) problems.push(error('EDESCRIPTIONANGLE', at, 'description may not contain < or >'));
  return problems;
}

function checkOptionalString(fm: Record<string, unknown>, key: string, file: string, max: number | undefined, code: string): Problem[] {
  const value = fm[key];
  if (value === undefined) return [];
  if (typeof value !== 'string') return [error(code, `${file}#${key}`, `${key} must be a string`)];
  if (max !== undefined && value.length > max) {
    return [error(code, `${file}#${key}`, `${key} is ${value.length} characters; the limit is ${max}`)];
  }
  return [];
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

function isStringMap(value: unknown): value is Record<string, string> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
