/**
 * The JSON Schema that MCP tools declare, as far as contracts need it: normalising a schema for
 * storage and comparison (annotations dropped, bounded), checking a recorded value against the
 * structural keywords (`type`, `properties`, `required`, `additionalProperties`, `items`, `enum`,
 * `const`, `anyOf`/`oneOf`/`allOf`, local `$ref`), and naming the fields where two schemas differ.
 * Value keywords (`pattern`, `minimum`, `format`, ...) are kept in stored schemas but not
 * evaluated: drift is about shape (a renamed, removed, retyped or newly required field).
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Schema = { [key: string]: Json };

/** Keywords that only describe (changing them changes no validation). */
const ANNOTATIONS = new Set(['title', 'description', 'examples', 'example', '$comment', 'default', 'deprecated', 'readOnly', 'writeOnly', '$schema', '$id', 'markdownDescription']);
/** Keywords whose value is a map of name -> schema. */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);
/** Keywords whose value is a schema (or, for items, a list of schemas). */
const SCHEMA_VALUES = new Set(['items', 'additionalProperties', 'not', 'if', 'then', 'else', 'contains', 'propertyNames', 'unevaluatedProperties', 'unevaluatedItems', 'additionalItems']);
const SCHEMA_LISTS = new Set(['anyOf', 'oneOf', 'allOf', 'prefixItems']);

export const MAX_SCHEMA_DEPTH = 32;
export const MAX_SCHEMA_NODES = 5000;

export class SchemaTooLarge extends Error {}

/**
 * A schema with annotations dropped and object keys sorted, so equal shapes are equal JSON.
 * Throws SchemaTooLarge past MAX_SCHEMA_DEPTH levels or MAX_SCHEMA_NODES values.
 */
export function normalizeSchema(schema: unknown): Json {
  const budget = { nodes: 0 };
  return normalize(schema, 0, budget, true);
}

function normalize(value: unknown, depth: number, budget: { nodes: number }, isSchema: boolean): Json {
  if (++budget.nodes > MAX_SCHEMA_NODES || depth > MAX_SCHEMA_DEPTH) throw new SchemaTooLarge('schema too large');
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (Array.isArray(value)) return value.map((v) => normalize(v, depth + 1, budget, false));
  if (typeof value !== 'object') return null;
  const record = value as Record<string, unknown>;
  const out: Schema = {};
  for (const key of Object.keys(record).sort()) {
    const v = record[key];
    if (v === undefined) continue;
    if (isSchema && ANNOTATIONS.has(key)) continue;
    if (isSchema && SCHEMA_MAPS.has(key) && v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const map: Schema = {};
      for (const name of Object.keys(v as object).sort()) map[name] = normalize((v as Record<string, unknown>)[name], depth + 2, budget, true);
      out[key] = map;
    } else if (isSchema && (SCHEMA_VALUES.has(key) || SCHEMA_LISTS.has(key))) {
      out[key] = Array.isArray(v) ? v.map((s) => normalize(s, depth + 2, budget, true)) : normalize(v, depth + 1, budget, true);
    } else out[key] = normalize(v, depth + 1, budget, false);
  }
  return out;
}

export interface SchemaIssue {
  /** The field, as a dotted path (`filter.since`, `items[2]`), "" for the value itself. */
  field: string;
  message: string;
}

const MAX_ISSUES = 20;
const MAX_STEPS = 20_000;

/** Structural problems of `value` against `schema` (empty when it validates). */
export function checkValue(schema: unknown, value: unknown): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  const state = { steps: 0, root: schema };
  check(schema, value, '', 0, issues, state);
  return issues.slice(0, MAX_ISSUES);
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function typeMatches(expected: string, actual: string): boolean {
  return expected === actual || (expected === 'number' && actual === 'integer');
}

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

function resolveRef(root: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let at: unknown = root;
  for (const part of ref.slice(2).split('/').slice(0, 16)) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return at;
}

function check(schema: unknown, value: unknown, path: string, depth: number, issues: SchemaIssue[], state: { steps: number; root: unknown }): void {
  if (issues.length >= MAX_ISSUES || ++state.steps > MAX_STEPS || depth > MAX_SCHEMA_DEPTH) return;
  if (schema === false) {
    issues.push({ field: path, message: 'is not allowed' });
    return;
  }
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return;
  const s = schema as Record<string, unknown>;
  if (typeof s.$ref === 'string') {
    const target = resolveRef(state.root, s.$ref);
    if (target !== undefined) check(target, value, path, depth + 1, issues, state);
  }
  const actual = typeOf(value);
  const types = typeof s.type === 'string' ? [s.type] : Array.isArray(s.type) ? s.type.filter((t): t is string => typeof t === 'string') : [];
  if (s.nullable === true && value === null) return;
  if (types.length > 0 && !types.some((t) => typeMatches(t, actual))) {
    issues.push({ field: path, message: `is ${actual}, the schema wants ${types.join(' or ')}` });
    return;
  }
  if (Array.isArray(s.enum) && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    issues.push({ field: path, message: `is not one of ${s.enum.slice(0, 5).map((e) => JSON.stringify(e)).join(', ')}${s.enum.length > 5 ? ', ...' : ''}` });
  }
  if ('const' in s && JSON.stringify(s.const) !== JSON.stringify(value)) issues.push({ field: path, message: `must be ${JSON.stringify(s.const)}` });
  for (const key of ['allOf'] as const) {
    if (Array.isArray(s[key])) for (const sub of s[key] as unknown[]) check(sub, value, path, depth + 1, issues, state);
  }
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = s[key];
    if (!Array.isArray(options) || options.length === 0) continue;
    const attempts = options.slice(0, 20).map((sub) => {
      const sink: SchemaIssue[] = [];
      check(sub, value, path, depth + 1, sink, state);
      return sink;
    });
    if (!attempts.some((a) => a.length === 0)) {
      const closest = attempts.reduce((a, b) => (b.length < a.length ? b : a));
      issues.push(...closest.slice(0, MAX_ISSUES - issues.length));
    }
  }
  if (actual === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    const properties = (s.properties !== null && typeof s.properties === 'object' ? s.properties : {}) as Record<string, unknown>;
    if (Array.isArray(s.required)) {
      for (const name of s.required) if (typeof name === 'string' && !Object.hasOwn(record, name)) issues.push({ field: join(path, name), message: 'is required by the schema and missing' });
    }
    for (const [key, v] of Object.entries(record)) {
      if (Object.hasOwn(properties, key)) check(properties[key], v, join(path, key), depth + 1, issues, state);
      else if (s.additionalProperties === false) issues.push({ field: join(path, key), message: 'is not a property the schema accepts' });
      else if (s.additionalProperties !== undefined && typeof s.additionalProperties === 'object') check(s.additionalProperties, v, join(path, key), depth + 1, issues, state);
    }
  }
  if (actual === 'array' && s.items !== undefined && !Array.isArray(s.items)) {
    (value as unknown[]).slice(0, 1000).forEach((item, i) => check(s.items, item, join(path, i), depth + 1, issues, state));
  }
}

/**
 * The fields where two (normalised) schemas differ in shape: removed or added properties, changed
 * types, newly required fields. At most 20, shallowest first.
 */
export function schemaDifferences(before: unknown, after: unknown): SchemaIssue[] {
  const out: SchemaIssue[] = [];
  diff(before, after, '', 0, out);
  if (out.length === 0 && JSON.stringify(before) !== JSON.stringify(after)) out.push({ field: '', message: 'the schema changed' });
  return out.slice(0, MAX_ISSUES);
}

function diff(before: unknown, after: unknown, path: string, depth: number, out: SchemaIssue[]): void {
  if (out.length >= MAX_ISSUES || depth > 8) return;
  const b = (before !== null && typeof before === 'object' && !Array.isArray(before) ? before : {}) as Record<string, unknown>;
  const a = (after !== null && typeof after === 'object' && !Array.isArray(after) ? after : {}) as Record<string, unknown>;
  if (JSON.stringify(b.type) !== JSON.stringify(a.type)) out.push({ field: path, message: `type changed from ${JSON.stringify(b.type ?? 'any')} to ${JSON.stringify(a.type ?? 'any')}` });
  const bp = (b.properties ?? {}) as Record<string, unknown>;
  const ap = (a.properties ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(bp)) if (!Object.hasOwn(ap, key)) out.push({ field: join(path, key), message: 'was removed' });
  for (const key of Object.keys(ap)) if (!Object.hasOwn(bp, key)) out.push({ field: join(path, key), message: 'was added' });
  const br = new Set(Array.isArray(b.required) ? b.required : []);
  for (const key of Array.isArray(a.required) ? a.required : []) if (typeof key === 'string' && !br.has(key)) out.push({ field: join(path, key), message: 'is newly required' });
  for (const key of Object.keys(bp)) if (Object.hasOwn(ap, key)) diff(bp[key], ap[key], join(path, key), depth + 1, out);
  if (b.items !== undefined || a.items !== undefined) diff(b.items, a.items, `${path}[]`, depth + 1, out);
}
