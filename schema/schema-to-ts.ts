/**
 * JSON Schema (as MCP tools declare them) to TypeScript type text, for the generated `servers/`
 * tree. Covers what tool schemas use: object/properties/required/additionalProperties, arrays and
 * tuples, enums and const, unions (type lists, anyOf, oneOf), allOf, nullable, $ref to local
 * $defs/definitions. Anything else becomes `unknown`, never a wrong type. Schemas come from MCP
 * servers (hostile input): a few hundred bytes of branching $refs would expand exponentially, so
 * the walk visits at most MAX_NODES schemas and keeps each doc comment short.
 */
import { INVISIBLE_RE, visibleText } from './tool-text';

type Schema = Record<string, unknown>;

/** The walk's state: the document $refs resolve in, and schemas it may still visit. */
interface Walk {
  root: unknown;
  left: number;
}

const MAX_NODES = 5000;
/** A tool's description in its file's doc comment. */
export const MAX_DOC_CHARS = 1000;
/** A property's description: the tool's own text carries the detail. */
const MAX_PROPERTY_DOC_CHARS = 400;

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export interface SchemaToTsOptions {
  /** Top-level properties left out (declared elsewhere, e.g. a server's shared parameters). */
  omit?: ReadonlySet<string>;
}

export function schemaToTs(schema: unknown, indent = '', options: SchemaToTsOptions = {}): string {
  const walk = { root: schema, left: MAX_NODES };
  if (options.omit && options.omit.size > 0 && isPlainObjectSchema(schema)) return objectType(schema, indent, walk, 0, options.omit);
  return toTs(schema, indent, walk, 0);
}

/** One property as a member line of an interface (doc comment included), `$ref`s resolved in `root`. */
export function propertyTs(root: unknown, key: string, prop: unknown, required: boolean, indent: string): string {
  const walk = { root, left: MAX_NODES };
  return propertyLine(key, prop, required, indent, walk, 1);
}

/** An object schema with properties and nothing that would change their meaning (no unions). */
export function isPlainObjectSchema(schema: unknown): schema is Schema {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return false;
  const s = schema as Schema;
  return (s.type === 'object' || s.type === undefined) && typeof s.properties === 'object' && s.properties !== null && !Array.isArray(s.properties) && !('$ref' in s) && !('anyOf' in s) && !('oneOf' in s) && !('allOf' in s) && !('const' in s) && !('enum' in s);
}

function toTs(schema: unknown, indent: string, walk: Walk, depth: number): string {
  if (--walk.left < 0) return 'unknown';
  if (depth > 20 || schema === null || typeof schema !== 'object') return schema === true || schema === undefined ? 'unknown' : 'never';
  const s = schema as Schema;
  if (typeof s.$ref === 'string') {
    const target = resolveRef(walk.root, s.$ref);
    return target === undefined ? 'unknown' : toTs(target, indent, walk, depth + 1);
  }
  if ('const' in s) return literal(s.const);
  if (Array.isArray(s.enum)) return s.enum.length > 0 ? s.enum.map(literal).join(' | ') : 'never';
  for (const key of ['anyOf', 'oneOf'] as const) {
    const list = s[key];
    if (Array.isArray(list) && list.length > 0) return unique(list.map((x) => wrap(toTs(x, indent, walk, depth + 1)))).join(' | ');
  }
  if (Array.isArray(s.allOf) && s.allOf.length > 0) return unique(s.allOf.map((x) => wrap(toTs(x, indent, walk, depth + 1)))).join(' & ');
  const type = s.type;
  if (Array.isArray(type)) return unique(type.map((t) => toTs({ ...s, type: t }, indent, walk, depth + 1))).join(' | ');
  let out: string;
  switch (type) {
    case 'string':
      out = 'string';
      break;
    case 'number':
    case 'integer':
      out = 'number';
      break;
    case 'boolean':
      out = 'boolean';
      break;
    case 'null':
      out = 'null';
      break;
    case 'array':
      out = arrayType(s, indent, walk, depth);
      break;
    case 'object':
      out = objectType(s, indent, walk, depth);
      break;
    default:
      out = s.properties !== undefined ? objectType(s, indent, walk, depth) : 'unknown';
  }
  return s.nullable === true && out !== 'unknown' ? `${out} | null` : out;
}

function arrayType(s: Schema, indent: string, walk: Walk, depth: number): string {
  if (Array.isArray(s.prefixItems)) return `[${s.prefixItems.map((x) => toTs(x, indent, walk, depth + 1)).join(', ')}]`;
  if (Array.isArray(s.items)) return `[${s.items.map((x) => toTs(x, indent, walk, depth + 1)).join(', ')}]`;
  const item = s.items === undefined ? 'unknown' : toTs(s.items, indent, walk, depth + 1);
  return /^[A-Za-z0-9_]+$/.test(item) ? `${item}[]` : `Array<${item}>`;
}

function objectType(s: Schema, indent: string, walk: Walk, depth: number, omit?: ReadonlySet<string>): string {
  const props = (s.properties ?? {}) as Record<string, unknown>;
  const required = new Set(Array.isArray(s.required) ? (s.required as string[]) : []);
  const inner = `${indent}  `;
  const lines: string[] = [];
  for (const key of Object.keys(props)) {
    if (omit?.has(key)) continue;
    lines.push(propertyLine(key, props[key], required.has(key), inner, walk, depth + 1));
  }
  const extra = s.additionalProperties;
  if (extra !== undefined && extra !== false && (typeof extra === 'object' || Object.keys(props).length === 0)) {
    lines.push(`${inner}[key: string]: ${extra === true ? 'unknown' : toTs(extra, inner, walk, depth + 1)};`);
  }
  if (lines.length === 0) return omit && omit.size > 0 ? '{}' : extra === false ? 'Record<string, never>' : 'Record<string, unknown>';
  return `{\n${lines.join('\n')}\n${indent}}`;
}

function propertyLine(key: string, prop: unknown, required: boolean, indent: string, walk: Walk, depth: number): string {
  const doc = prop && typeof prop === 'object' ? docComment((prop as Schema).description, indent, MAX_PROPERTY_DOC_CHARS) : '';
  const name = IDENT.test(key) ? key : jsonLiteral(key);
  return `${doc}${indent}${name}${required ? '' : '?'}: ${toTs(prop, indent, walk, depth)};`;
}

/**
 * A doc comment: one line `/** ... *\/` for one line of text, a block otherwise. Long text is cut
 * at `maxChars`; blank-line runs and trailing spaces are dropped.
 */
export function docComment(description: unknown, indent: string, maxChars = MAX_DOC_CHARS): string {
  if (typeof description !== 'string' || description.trim() === '') return '';
  const trimmed = visibleText(description).trim();
  const short = trimmed.length > maxChars ? `${trimmed.slice(0, maxChars).trimEnd()}...` : trimmed;
  const text = short
    .replace(/\*\//g, '*\\/')
    .split(/\r?\n/)
    .map((l) => l.trimEnd())
    .filter((l, i, all) => l !== '' || (i > 0 && all[i - 1] !== ''));
  if (text.length === 1) return `${indent}/** ${text[0]} */\n`;
  return `${indent}/**\n${text.map((l) => `${indent} * ${l}`.trimEnd()).join('\n')}\n${indent} */\n`;
}

function resolveRef(root: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = root;
  for (const part of ref.slice(2).split('/')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Schema)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node;
}

function literal(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value === null ? jsonLiteral(value) : 'unknown';
}

/** A JSON literal with invisible characters escaped (`\u202e`), so a file shows what it holds. */
export function jsonLiteral(value: string | number | boolean | null): string {
  return JSON.stringify(value).replace(INVISIBLE_RE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function wrap(type: string): string {
  return /[|&]/.test(type) && !type.startsWith('{') ? `(${type})` : type;
}

function unique(list: string[]): string[] {
  return [...new Set(list)];
}
