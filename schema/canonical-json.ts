/**
 * Canonical JSON: object keys sorted by code unit, no whitespace, `undefined` members dropped.
 * Used to match MCP call arguments against recorded ones and to compare return values, so two
 * values are "the same" exactly when their canonical forms are equal strings.
 */
export interface CanonicalOptions {
  /** Object keys left out at every depth (e.g. `_meta` for MCP arguments). */
  omitKeys?: readonly string[];
}

export function canonicalJson(value: unknown, options: CanonicalOptions = {}): string {
  const omit = new Set(options.omitKeys ?? []);
  const out: string[] = [];
  // An explicit stack instead of recursion: values from skill code or an MCP server can be nested
  // deeper than the host's call stack. `leave` pops an object off the cycle check.
  const todo: ({ value: unknown } | { text: string } | { leave: object })[] = [{ value }];
  const open = new Set<object>();
  for (let item = todo.pop(); item !== undefined; item = todo.pop()) {
    if ('text' in item) {
      out.push(item.text);
      continue;
    }
    if ('leave' in item) {
      open.delete(item.leave);
      continue;
    }
    const v = item.value;
    const scalar = scalarJson(v);
    if (scalar !== undefined) {
      out.push(scalar);
      continue;
    }
    const obj = v as object;
    if (open.has(obj)) throw new TypeError('cannot canonicalise a cyclic value');
    open.add(obj);
    // Pushed in reverse: the stack pops them in order.
    const parts: typeof todo = [];
    if (Array.isArray(obj)) {
      parts.push({ text: '[' });
      obj.forEach((child: unknown, i) => {
        if (i > 0) parts.push({ text: ',' });
        parts.push({ value: child });
      });
      parts.push({ text: ']' });
    } else {
      const record = obj as Record<string, unknown>;
      const keys = Object.keys(record)
        .filter((k) => !omit.has(k) && record[k] !== undefined)
        .sort();
      parts.push({ text: '{' });
      keys.forEach((k, i) => {
        parts.push({ text: `${i > 0 ? ',' : ''}${JSON.stringify(k)}:` });
        parts.push({ value: record[k] });
      });
      parts.push({ text: '}' });
    }
    todo.push({ leave: obj });
    for (let i = parts.length - 1; i >= 0; i--) todo.push(parts[i] as (typeof todo)[number]);
  }
  return out.join('');
}

/** The JSON of a non-object value (undefined, functions and symbols as `null`), or undefined for an object. */
function scalarJson(value: unknown): string | undefined {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      return undefined;
    default:
      return 'null';
  }
}
