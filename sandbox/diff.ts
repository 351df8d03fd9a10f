/** A readable difference between an expected and an actual JSON value, one line per difference. */
import { canonicalJson } from '../schema/canonical-json';

const MAX_LINES = 20;
/** Past this depth a difference is reported whole, at its path: the walk recurses, the values may be deep. */
const MAX_WALK_DEPTH = 64;

export function jsonEqual(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

export function diffJson(expected: unknown, actual: unknown): string {
  const lines: string[] = [];
  walk(expected, actual, '$', lines, 0);
  if (lines.length > MAX_LINES) return [...lines.slice(0, MAX_LINES), `... and ${lines.length - MAX_LINES} more differences`].join('\n');
  return lines.join('\n');
}

function show(value: unknown): string {
  if (value === undefined) return '(missing)';
  const text = canonicalJson(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function walk(expected: unknown, actual: unknown, at: string, lines: string[], depth: number): void {
  if (lines.length > MAX_LINES) return;
  if (depth >= MAX_WALK_DEPTH) {
    if (canonicalJson(expected) !== canonicalJson(actual)) lines.push(`${at}: expected ${show(expected)}, got ${show(actual)}`);
    return;
  }
  if (kind(expected) !== kind(actual)) {
    lines.push(`${at}: expected ${show(expected)}, got ${show(actual)}`);
    return;
  }
  if (Array.isArray(expected) && Array.isArray(actual)) {
    if (expected.length !== actual.length) lines.push(`${at}: expected ${expected.length} items, got ${actual.length}`);
    for (let i = 0; i < Math.min(expected.length, actual.length); i++) walk(expected[i], actual[i], `${at}[${i}]`, lines, depth + 1);
    return;
  }
  if (typeof expected === 'object' && expected !== null && typeof actual === 'object' && actual !== null) {
    const e = expected as Record<string, unknown>;
    const a = actual as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(e), ...Object.keys(a)])].sort();
    for (const key of keys) {
      const path = /^[A-Za-z_$][\w$]*$/.test(key) ? `${at}.${key}` : `${at}[${JSON.stringify(key)}]`;
      if (!(key in a)) lines.push(`${path}: missing (expected ${show(e[key])})`);
      else if (!(key in e)) lines.push(`${path}: unexpected ${show(a[key])}`);
      else walk(e[key], a[key], path, lines, depth + 1);
    }
    return;
  }
  if (canonicalJson(expected) !== canonicalJson(actual)) lines.push(`${at}: expected ${show(expected)}, got ${show(actual)}`);
}
