/** Names of skills, scopes, MCP servers and tools, and the pure helpers that take them apart. */
import { z } from 'zod';

/** A SKILL.md `name` under the Agent Skills spec: lower-case words joined by single hyphens. */
export const SKILL_NAME_RE = /^[a-z0-9]+(-[a-z0-9]+)*$/;
export const SKILL_NAME_MAX = 64;
/** A scope, with its `@`. */
export const SCOPE_RE = /^@[a-z0-9]+(-[a-z0-9]+)*$/;
/** A full package name, `@scope/name`. */
export const PACKAGE_NAME_RE = /^@[a-z0-9]+(-[a-z0-9]+)*\/[a-z0-9]+(-[a-z0-9]+)*$/;
/** An MCP server key in skill.json / skills.json, also a folder name under ./servers. */
export const SERVER_NAME_RE = /^[a-z0-9]+([-_.][a-z0-9]+)*$/;
/** An MCP tool name (the MCP spec allows letters, digits, `_`, `-` and `.`, 1-128 chars). */
export const TOOL_NAME_RE = /^[A-Za-z0-9_.-]{1,128}$/;

export const packageNameSchema = z
  .string()
  .max(SKILL_NAME_MAX + 66)
  .regex(PACKAGE_NAME_RE, 'must be @scope/name in lower case, words joined by single hyphens');

export interface ParsedName {
  scope: string;
  /** The bare SKILL.md name (the part after the slash). */
  name: string;
}

export function parsePackageName(full: string): ParsedName | undefined {
  if (!PACKAGE_NAME_RE.test(full)) return undefined;
  const slash = full.indexOf('/');
  const name = full.slice(slash + 1);
  if (name.length > SKILL_NAME_MAX) return undefined;
  return { scope: full.slice(0, slash), name };
}

export interface PackageSpec {
  name: string;
  /** A semver range or a dist-tag; undefined when the spec named no version. */
  range: string | undefined;
}

/** Splits `@scope/name`, `@scope/name@^1.2.0` or `@scope/name@next`. */
export function parsePackageSpec(spec: string): PackageSpec | undefined {
  const at = spec.indexOf('@', 1);
  const name = at === -1 ? spec : spec.slice(0, at);
  const range = at === -1 ? undefined : spec.slice(at + 1);
  if (!parsePackageName(name)) return undefined;
  if (range !== undefined && range.trim() === '') return undefined;
  return { name, range };
}

const RESERVED = new Set(
  'break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof new null return super switch this throw true try typeof var void while with yield let static implements interface package private protected public await arguments eval'.split(' '),
);

/** `get_document` -> `getDocument`; `get-sum` -> `getSum`; `echo` -> `echo`; `delete` -> `delete_`. */
export function toolExportName(tool: string): string {
  const parts = tool.split(/[^A-Za-z0-9]+/).filter((p) => p.length > 0);
  const joined = parts
    .map((p, i) => (i === 0 ? p.charAt(0).toLowerCase() + p.slice(1) : p.charAt(0).toUpperCase() + p.slice(1)))
    .join('');
  if (joined === '') return '_';
  if (/^[0-9]/.test(joined)) return `_${joined}`;
  return RESERVED.has(joined) ? `${joined}_` : joined;
}

/** The tarball file name for a package version: `@acme/csv-export` 1.2.0 -> `acme-csv-export-1.2.0.tgz`. */
export function tarballFileName(name: string, version: string): string {
  return `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`;
}
