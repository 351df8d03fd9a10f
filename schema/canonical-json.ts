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
  write(value, omit, out, new Set());
  return out.join('');
}

function write(value: unknown, omit: Set<string>, out: string[], seen: Set<object>): void {
  if (value === null || value === undefined) {
    out.push('null');
    return;
  }
  switch (typeof value) {
    case 'string':
      out.push(JSON.stringify(value));
      return;
    case 'number':
      out.push(Number.isFinite(value) ? JSON.stringify(value) : 'null');
      return;
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'object':
      break;
    default:
      out.push('null');
      return;
  }
  const obj = value as object;
  if (seen.has(obj)) throw new TypeError('cannot canonicalise a cyclic value');
  seen.add(obj);
  if (Array.isArray(obj)) {
    out.push('[');
    obj.forEach((item, i) => {
      if (i > 0) out.push(',');
      write(item, omit, out, seen);
    });
    out.push(']');
  } else {
    const record = obj as Record<string, unknown>;
    const keys = Object.keys(record)
      .filter((k) => !omit.has(k) && record[k] !== undefined)
      .sort();
    out.push('{');
    keys.forEach((k, i) => {
      if (i > 0) out.push(',');
      out.push(JSON.stringify(k), ':');
      write(record[k], omit, out, seen);
    });
    out.push('}');
  }
  seen.delete(obj);
}
