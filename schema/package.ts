/**
 * Validation of a whole skill package (SKILL.md + skill.json + fixtures + entry) from its files in
 * memory, so the CLI (a folder) and the registry (an unpacked tarball) apply the same rules.
 */
import type { z } from 'zod';
import { SkillsError } from './errors';
import { fixtureSchema, type Fixture } from './fixture';
import { manifestSchema, MANIFEST_KEYS, type Manifest } from './manifest';
import { parsePackageName, SCOPE_RE } from './names';
import type { PackageFile } from './package-files';
import { error, hasErrors, warning, type Problem } from './problems';
import { codePoints, DESCRIPTION_MAX, parseSkillMd, SKILL_MD, type SkillFrontmatter, type SpecMode } from './skill-md';
import { decodeUtf8, isStorableText } from './utf8';

export const MANIFEST_FILE = 'skill.json';
export const FIXTURES_DIR = 'fixtures/';

/** Longest file or folder name, in UTF-8 bytes: NAME_MAX on Linux file systems, APFS and HFS+. */
export const MAX_PATH_SEGMENT_BYTES = 255;
/**
 * Longest path inside a package, in UTF-8 bytes. An install writes it under
 * `<workspace>/skills/.staging-<id>/<name>/`, and macOS refuses absolute paths of 1024 bytes or
 * more, so this leaves about 400 bytes for where the workspace is.
 */
export const MAX_PACKAGE_PATH_BYTES = 512;

export interface ValidatedSkill {
  frontmatter: SkillFrontmatter;
  /** The name it installs and publishes under (SKILL.md `name`, normalised where lenient intake allowed one outside the spec). */
  id: string;
  /** Agent keys present (Claude Code's `argument-hint`, ...), as written. */
  agentKeys: Record<string, unknown>;
  body: string;
  raw: string;
}

export interface PackageValidation {
  ok: boolean;
  problems: Problem[];
  /** `code`: the package has skill.json (an entry the sandbox runs). `plain`: SKILL.md and files only. */
  kind: 'code' | 'plain';
  /** skill.json, or for a plain skill the manifest derived from SKILL.md and `derive`. */
  manifest?: Manifest;
  skill?: ValidatedSkill;
  /** Parsed fixtures by case name (file name without `.json`); only those that parsed. */
  fixtures: Map<string, Fixture>;
}

export interface ValidatePackageOptions {
  /** The folder's base name, when validating a folder: SKILL.md `name` must equal it. */
  folderName?: string;
  /** Publishing a code skill requires at least one fixture; validating a draft only warns. */
  requireFixtures?: boolean;
  /**
   * For a plain skill (no skill.json): the scope of its derived name `@scope/<SKILL.md name>`, and
   * its version (else SKILL.md `metadata.version`). Ignored when skill.json exists.
   */
  derive?: { scope?: string | undefined; version?: string | undefined };
  /** How SKILL.md is judged (see SpecMode); default `strict`. Intake from a source is `lenient`. */
  mode?: SpecMode;
}

export function fixtureCaseName(path: string): string | undefined {
  if (!path.startsWith(FIXTURES_DIR) || !path.endsWith('.json')) return undefined;
  const name = path.slice(FIXTURES_DIR.length, -'.json'.length);
  return name.length > 0 && !name.includes('/') ? name : undefined;
}

export function validatePackage(files: readonly PackageFile[], options: ValidatePackageOptions = {}): PackageValidation {
  const problems: Problem[] = [];
  const byPath = new Map(files.map((f) => [f.path, f]));

  checkWritablePaths(files, problems);
  const skill = checkSkillMd(byPath.get(SKILL_MD), options.folderName, options.mode ?? 'strict', problems);
  const manifestFile = byPath.get(MANIFEST_FILE);
  if (!manifestFile) {
    const manifest = skill ? deriveManifest(skill, options.derive ?? {}, problems) : undefined;
    return { ok: !hasErrors(problems), problems, kind: 'plain', ...(manifest ? { manifest } : {}), ...(skill ? { skill } : {}), fixtures: new Map() };
  }
  const manifest = checkManifest(manifestFile, problems);

  if (manifest && skill) {
    const parsed = parsePackageName(manifest.name);
    if (parsed && parsed.name !== skill.id) {
      problems.push(
        error('ENAMEMISMATCH', `${MANIFEST_FILE}#name`, `skill.json name "${manifest.name}" must be @scope/${skill.id} to match SKILL.md`),
      );
    }
  }
  if (manifest && !byPath.has(manifest.entry)) {
    problems.push(error('EENTRYMISSING', `${MANIFEST_FILE}#entry`, `the entry file "${manifest.entry}" does not exist`));
  }

  const fixtures = checkFixtures(files, manifest, problems);
  if (fixtures.size === 0 && !problems.some((p) => p.path.startsWith(FIXTURES_DIR))) {
    const message = 'no fixtures/*.json: record at least one case (skills run --live --record) before publishing';
    problems.push(options.requireFixtures ? error('ENOFIXTURES', FIXTURES_DIR, message) : warning('WNOFIXTURES', FIXTURES_DIR, message));
  }

  return {
    ok: !hasErrors(problems),
    problems,
    kind: 'code',
    ...(manifest ? { manifest } : {}),
    ...(skill ? { skill } : {}),
    fixtures,
  };
}

const utf8 = new TextEncoder();
const byteLength = (text: string): number => utf8.encode(text).byteLength;

/**
 * Refuses, at pack, validate and publish, every path an install could not write or would write
 * as something else: a name over 255 bytes (also once decomposed, as HFS+ stores it), a path over
 * the package limit, empty, `.` or `..` segments, NUL and control characters, and names ending in
 * a dot or a space (invisible in listings, and stripped by Windows and SMB file systems, so `a.`
 * and `a` would be one file).
 */
function checkWritablePaths(files: readonly PackageFile[], problems: Problem[]): void {
  for (const file of files) {
    const shown = JSON.stringify(file.path.length > 80 ? `${file.path.slice(0, 80)}\u2026` : file.path);
    if (byteLength(file.path) > MAX_PACKAGE_PATH_BYTES) {
      problems.push(error('EPATHTOOLONG', file.path, `the path ${shown} is ${byteLength(file.path)} bytes; paths in a package are at most ${MAX_PACKAGE_PATH_BYTES}`));
      continue;
    }
    for (const segment of file.path.split('/')) {
      const bytes = Math.max(byteLength(segment), byteLength(segment.normalize('NFD')));
      let problem: Problem | undefined;
      if (bytes > MAX_PATH_SEGMENT_BYTES) {
        problem = error('EPATHTOOLONG', file.path, `the name ${JSON.stringify(`${segment.slice(0, 40)}\u2026`)} in ${shown} is ${bytes} bytes; file systems allow ${MAX_PATH_SEGMENT_BYTES}`);
      } else if (segment === '' || segment === '.' || segment === '..') {
        problem = error('EPATHNAME', file.path, `the path ${shown} has an empty, "." or ".." part`);
      } else if (/[\u0000-\u001f\u007f]/.test(segment)) {
        problem = error('EPATHNAME', file.path, `the path ${shown} contains a NUL or control character`);
      } else if (/[. ]$/.test(segment)) {
        problem = error('EPATHNAME', file.path, `the name ${JSON.stringify(segment.slice(0, 80))} in ${shown} ends in a dot or a space`);
      }
      if (problem) {
        problems.push(problem);
        break;
      }
    }
  }
}

function checkSkillMd(file: PackageFile | undefined, folderName: string | undefined, mode: SpecMode, problems: Problem[]): ValidatedSkill | undefined {
  if (!file) {
    problems.push(error('ESKILLMDMISSING', SKILL_MD, 'the skill folder has no SKILL.md'));
    return undefined;
  }
  const raw = decodeUtf8(file.bytes);
  if (raw === undefined) {
    problems.push(error('EENCODING', SKILL_MD, 'SKILL.md is not valid UTF-8 text'));
    return undefined;
  }
  if (!isStorableText(raw)) {
    problems.push(error('EENCODING', SKILL_MD, 'SKILL.md holds a NUL character (U+0000): it is not text'));
    return undefined;
  }
  const parsed = parseSkillMd(raw, folderName === undefined ? { mode } : { folderName, mode });
  problems.push(...parsed.problems);
  return parsed.frontmatter && parsed.id !== undefined ? { frontmatter: parsed.frontmatter, id: parsed.id, agentKeys: parsed.agentKeys, body: parsed.body, raw } : undefined;
}

/**
 * The manifest of a plain skill: `@<scope>/<SKILL.md name>`, the version given or SKILL.md
 * `metadata.version`, no dependencies, no MCP servers, no entry the sandbox would run.
 */
function deriveManifest(skill: ValidatedSkill, derive: NonNullable<ValidatePackageOptions['derive']>, problems: Problem[]): Manifest | undefined {
  const { description } = skill.frontmatter;
  const name = skill.id;
  const scope = derive.scope;
  let version = derive.version ?? skill.frontmatter.metadata?.version;
  // `version: 1.0` in YAML metadata is read as "1.0": taken as 1.0.0, with a warning (a given version is never changed).
  const short = derive.version === undefined && version !== undefined ? /^(0|[1-9]\d*)(?:\.(0|[1-9]\d*))?$/.exec(version) : null;
  if (short && version !== undefined) {
    const full = `${short[1]}.${short[2] ?? '0'}.0`;
    problems.push(warning('WVERSIONSHORT', `${SKILL_MD}#metadata.version`, `metadata.version "${version}" is not full semver; it is read as ${full}`));
    version = full;
  }
  let ok = true;
  if (scope === undefined) {
    problems.push(error('ESCOPEMISSING', MANIFEST_FILE, `a plain skill (no skill.json) is named @<scope>/${name}, and no scope was given`));
    ok = false;
  } else if (!SCOPE_RE.test(scope)) {
    problems.push(error('EMANIFESTNAME', MANIFEST_FILE, `"${scope}" is not a scope such as @acme`));
    ok = false;
  }
  if (version === undefined) {
    problems.push(error('EVERSIONMISSING', `${SKILL_MD}#metadata.version`, 'a plain skill (no skill.json) needs a version: SKILL.md metadata.version, or one given with --version'));
    ok = false;
  }
  if (!ok) return undefined;
  // A description past the spec's length was taken in with a warning (lenient intake); the manifest keeps its start.
  const result = manifestSchema.safeParse({ name: `${scope}/${name}`, version, description: clipCodePoints(description, DESCRIPTION_MAX) });
  if (!result.success) {
    problems.push(...result.error.issues.map((issue) => (issue.path[0] === 'version' ? error('EVERSIONINVALID', `${SKILL_MD}#metadata.version`, `version "${version}": ${issue.message}`) : manifestProblem(issue))));
    return undefined;
  }
  return result.data;
}

function checkManifest(file: PackageFile, problems: Problem[]): Manifest | undefined {
  const json = parseJson(file.bytes);
  if (!json.ok) {
    problems.push(error('EMANIFESTJSON', MANIFEST_FILE, `skill.json is not valid JSON: ${json.message}`));
    return undefined;
  }
  if (typeof json.value !== 'object' || json.value === null || Array.isArray(json.value)) {
    problems.push(error('EMANIFESTJSON', MANIFEST_FILE, 'skill.json must be a JSON object'));
    return undefined;
  }
  for (const key of Object.keys(json.value)) {
    if (!MANIFEST_KEYS.includes(key)) problems.push(warning('WMANIFESTKEY', `${MANIFEST_FILE}#${key}`, `unknown key "${key}" is ignored`));
  }
  const name = (json.value as Record<string, unknown>).name;
  const unscoped = typeof name === 'string' && !name.startsWith('@');
  if (unscoped) {
    problems.push(error('ENAMEUNSCOPED', `${MANIFEST_FILE}#name`, `name "${name}" has no scope: every skill is named @scope/${name}`));
  }
  const result = manifestSchema.safeParse(json.value);
  if (!result.success) {
    const issues = result.error.issues.filter((issue) => !(unscoped && issue.path[0] === 'name'));
    problems.push(...issues.map((issue) => manifestProblem(issue)));
    return undefined;
  }
  return result.data;
}

/** Maps a zod issue on skill.json to a stable code by the field it is about. */
function manifestProblem(issue: z.core.$ZodIssue): Problem {
  const [field] = issue.path;
  const path = `${MANIFEST_FILE}#${issue.path.map(String).join('.')}`;
  if (isDepthIssue(issue)) return error('EJSONDEPTH', path, issue.message);
  switch (field) {
    case 'name':
      return error('EMANIFESTNAME', path, `name must be @scope/name: ${issue.message}`);
    case 'version':
      return error('EVERSIONINVALID', path, `version: ${issue.message}`);
    case 'dependencies':
      return issue.path.length > 1 && issue.code !== 'invalid_key'
        ? error('ERANGEINVALID', path, `dependency range: ${issue.message}`)
        : error('EDEPENDENCIES', path, `dependencies must map @scope/name to a semver range: ${issue.message}`);
    case 'mcp':
      return error('EMCPDECLARATION', path, `mcp must map server names to arrays of tool names: ${issue.message}`);
    case 'entry':
      return error('EENTRYINVALID', path, `entry: ${issue.message}`);
    default:
      return error('EMANIFEST', path, issue.message);
  }
}

function isDepthIssue(issue: z.core.$ZodIssue): boolean {
  return issue.code === 'custom' && issue.params?.code === 'EJSONDEPTH';
}

function checkFixtures(files: readonly PackageFile[], manifest: Manifest | undefined, problems: Problem[]): Map<string, Fixture> {
  const fixtures = new Map<string, Fixture>();
  for (const file of files) {
    const name = fixtureCaseName(file.path);
    if (name === undefined) continue;
    const json = parseJson(file.bytes);
    if (!json.ok) {
      problems.push(error('EFIXTUREJSON', file.path, `not valid JSON: ${json.message}`));
      continue;
    }
    const result = fixtureSchema.safeParse(json.value);
    if (!result.success) {
      for (const issue of result.error.issues) {
        problems.push(error(isDepthIssue(issue) ? 'EJSONDEPTH' : 'EFIXTURE', `${file.path}#${issue.path.map(String).join('.')}`, issue.message));
      }
      continue;
    }
    fixtures.set(name, result.data);
    if (!manifest) continue;
    result.data.mcp.forEach((call, i) => {
      if (!manifest.mcp[call.server]?.includes(call.tool)) {
        problems.push(
          error('EFIXTUREUNDECLARED', `${file.path}#mcp.${i}`, `recorded call to ${call.server}/${call.tool} is not declared in skill.json "mcp"`),
        );
      }
    });
  }
  return fixtures;
}

type JsonResult = { ok: true; value: unknown } | { ok: false; message: string };

function parseJson(bytes: Uint8Array): JsonResult {
  const text = decodeUtf8(bytes);
  if (text === undefined) return { ok: false, message: 'not UTF-8 text' };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    return { ok: false, message: e instanceof Error ? e.message : String(e) };
  }
}

/** The one error for "this package is not valid", carrying every problem in `details`. */
export function validationError(label: string, problems: readonly Problem[], hint: string): SkillsError {
  const errors = problems.filter((p) => p.severity === 'error');
  const first = errors[0];
  return new SkillsError(
    'EVALIDATION',
    `${label} is not a valid skill: ${errors.length} problem${errors.length === 1 ? '' : 's'}${first ? `, first: ${first.code} ${first.path}: ${first.message}` : ''}`,
    { hint, details: { problems } },
  );
}

function clipCodePoints(text: string, max: number): string {
  return codePoints(text) <= max ? text : `${[...text].slice(0, max - 1).join('')}\u2026`;
}
