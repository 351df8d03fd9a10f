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
/** Names the generated tool files bind themselves (servers/runtime.ts): a tool may not take them. */
const TREE_BINDINGS = new Set(['callMcpTool']);

function identifier(joined: string): string {
  if (joined === '') return '_';
  if (/^[0-9]/.test(joined)) return `_${joined}`;
  return RESERVED.has(joined) || TREE_BINDINGS.has(joined) ? `${joined}_` : joined;
}

/**
 * The readable camelCase export name of one tool, from its name alone: `get_document` ->
 * `getDocument`, `get-sum` -> `getSum`, `API-post-page` -> `apiPostPage`, `XMLHttpGet` ->
 * `xmlHttpGet`, `delete` -> `delete_`. A leading acronym is lower-cased whole; later words keep
 * their case with the first letter raised. Two tools may share it: `toolExportNames` decides.
 */
export function toolExportName(tool: string): string {
  const parts = tool.split(/[^A-Za-z0-9]+/).filter((p) => p.length > 0);
  const joined = parts.map((p, i) => (i === 0 ? lowerLeading(p) : p.charAt(0).toUpperCase() + p.slice(1))).join('');
  return identifier(joined);
}

/** `API` -> `api`, `APIPost` -> `apiPost`, `Echo` -> `echo`, `getX` -> `getX`. */
function lowerLeading(word: string): string {
  const run = /^[A-Z]+/.exec(word)?.[0].length ?? 0;
  if (run === 0) return word;
  if (run === word.length || run === 1 || !/[a-z]/.test(word.charAt(run))) return word.slice(0, run).toLowerCase() + word.slice(run);
  return word.slice(0, run - 1).toLowerCase() + word.slice(run - 1);
}

/**
 * The tool's own spelling as an identifier, used when readable names collide: letters, digits and
 * `_` kept, every other character becomes `$` (`get-document` -> `get$document`).
 */
export function toolIdentifier(tool: string): string {
  return identifier(tool.replace(/[^A-Za-z0-9_]/g, '$'));
}

/**
 * Export names for a server's tools, unique even where readable names collide (compared without
 * case, so generated files and types stay distinct on any file system). A tool whose readable
 * name is its own keeps it; every tool of a colliding group takes `toolIdentifier` instead, and a
 * fallback that still clashes gets `$2`, `$3`... in code-unit order of tool names. Deterministic:
 * the same set of tools always gets the same names, whatever their order. The generated servers/
 * tree and the sandbox's virtual modules both name exports with this function.
 */
export function toolExportNames(tools: readonly string[]): Map<string, string> {
  const sorted = [...new Set(tools)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const readable = new Map(sorted.map((t) => [t, toolExportName(t)]));
  const count = new Map<string, number>();
  for (const name of readable.values()) count.set(name.toLowerCase(), (count.get(name.toLowerCase()) ?? 0) + 1);
  const names = new Map<string, string>();
  const taken = new Set<string>();
  const colliding: string[] = [];
  for (const [tool, name] of readable) {
    if (count.get(name.toLowerCase()) === 1) {
      names.set(tool, name);
      taken.add(name.toLowerCase());
    } else colliding.push(tool);
  }
  for (const tool of colliding) {
    const fallback = toolIdentifier(tool);
    let name = fallback;
    for (let n = 2; taken.has(name.toLowerCase()); n++) name = `${fallback}$${n}`;
    taken.add(name.toLowerCase());
    names.set(tool, name);
  }
  return new Map(sorted.map((t) => [t, names.get(t) ?? toolIdentifier(t)]));
}

/** The tarball file name for a package version: `@acme/csv-export` 1.2.0 -> `acme-csv-export-1.2.0.tgz`. */
export function tarballFileName(name: string, version: string): string {
  return `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`;
}
