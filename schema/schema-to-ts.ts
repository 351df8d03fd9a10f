/**
 * JSON Schema (as MCP tools declare them) to TypeScript type text, for the generated `servers/`
 * tree. Covers what tool schemas use: object/properties/required/additionalProperties, arrays and
 * tuples, enums and const, unions (type lists, anyOf, oneOf), allOf, nullable, $ref to local
 * $defs/definitions. Anything else becomes `unknown`, never a wrong type.
 */
type Schema = Record<string, unknown>;

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export function schemaToTs(schema: unknown, indent = '', root: unknown = schema, depth = 0): string {
  if (depth > 20 || schema === null || typeof schema !== 'object') return schema === true || schema === undefined ? 'unknown' : 'never';
  const s = schema as Schema;
  if (typeof s.$ref === 'string') {
    const target = resolveRef(root, s.$ref);
    return target === undefined ? 'unknown' : schemaToTs(target, indent, root, depth + 1);
  }
  if ('const' in s) return literal(s.const);
  if (Array.isArray(s.enum)) return s.enum.length > 0 ? s.enum.map(literal).join(' | ') : 'never';
  for (const key of ['anyOf', 'oneOf'] as const) {
    const list = s[key];
    if (Array.isArray(list) && list.length > 0) return unique(list.map((x) => wrap(schemaToTs(x, indent, root, depth + 1)))).join(' | ');
  }
  if (Array.isArray(s.allOf) && s.allOf.length > 0) return unique(s.allOf.map((x) => wrap(schemaToTs(x, indent, root, depth + 1)))).join(' & ');
  const type = s.type;
  if (Array.isArray(type)) return unique(type.map((t) => schemaToTs({ ...s, type: t }, indent, root, depth + 1))).join(' | ');
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
      out = arrayType(s, indent, root, depth);
      break;
    case 'object':
      out = objectType(s, indent, root, depth);
      break;
    default:
      out = s.properties !== undefined ? objectType(s, indent, root, depth) : 'unknown';
  }
  return s.nullable === true && out !== 'unknown' ? `${out} | null` : out;
}

function arrayType(s: Schema, indent: string, root: unknown, depth: number): string {
  if (Array.isArray(s.prefixItems)) return `[${s.prefixItems.map((x) => schemaToTs(x, indent, root, depth + 1)).join(', ')}]`;
  if (Array.isArray(s.items)) return `[${s.items.map((x) => schemaToTs(x, indent, root, depth + 1)).join(', ')}]`;
  const item = s.items === undefined ? 'unknown' : schemaToTs(s.items, indent, root, depth + 1);
  return /^[A-Za-z0-9_]+$/.test(item) ? `${item}[]` : `Array<${item}>`;
}

function objectType(s: Schema, indent: string, root: unknown, depth: number): string {
  const props = (s.properties ?? {}) as Record<string, unknown>;
  const required = new Set(Array.isArray(s.required) ? (s.required as string[]) : []);
  const inner = `${indent}  `;
  const lines: string[] = [];
  for (const key of Object.keys(props)) {
    const prop = props[key];
    const doc = prop && typeof prop === 'object' ? docComment((prop as Schema).description, inner) : '';
    const name = IDENT.test(key) ? key : JSON.stringify(key);
    lines.push(`${doc}${inner}${name}${required.has(key) ? '' : '?'}: ${schemaToTs(prop, inner, root, depth + 1)};`);
  }
  const extra = s.additionalProperties;
  if (extra !== undefined && extra !== false && (typeof extra === 'object' || Object.keys(props).length === 0)) {
    lines.push(`${inner}[key: string]: ${extra === true ? 'unknown' : schemaToTs(extra, inner, root, depth + 1)};`);
  }
  if (lines.length === 0) return extra === false ? 'Record<string, never>' : 'Record<string, unknown>';
  return `{\n${lines.join('\n')}\n${indent}}`;
}

export function docComment(description: unknown, indent: string): string {
  if (typeof description !== 'string' || description.trim() === '') return '';
  const text = description.replace(/\*\//g, '*\\/').trim().split(/\r?\n/);
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
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value === null ? JSON.stringify(value) : 'unknown';
}

function wrap(type: string): string {
  return /[|&]/.test(type) && !type.startsWith('{') ? `(${type})` : type;
}

function unique(list: string[]): string[] {
  return [...new Set(list)];
}
