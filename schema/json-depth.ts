/**
 * Nesting depth of untrusted JSON. `JSON.parse` reads a 100,000-deep `[[[...]]]` from a few
 * hundred bytes, but structured clone (worker messages), `JSON.stringify` and any recursive walker
 * overflow the stack on it. Fixtures and manifests are refused past `MAX_JSON_DEPTH`, checked here
 * without recursion so that the check itself cannot overflow.
 */
import type { z } from 'zod';

/** Deepest nesting of arrays and objects a fixture or manifest may have (`{}` is 1). */
export const MAX_JSON_DEPTH = 64;

export interface DepthExcess {
  /** Keys from the root to the first array/object past the limit. */
  path: (string | number)[];
  max: number;
}

/**
 * The first place where `value` nests arrays/objects deeper than `max`, or undefined. Scalars have
 * depth 0, `[]` and `{}` depth 1. A cycle (JSON.parse never makes one) counts as too deep.
 */
export function findJsonDepthExcess(value: unknown, max: number = MAX_JSON_DEPTH): DepthExcess | undefined {
  const stack: Item[] = [{ value, depth: 0, key: undefined, parent: undefined }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const v = item.value;
    if (v === null || typeof v !== 'object') continue;
    const depth = item.depth + 1;
    if (depth > max) return { path: pathOf(item), max };
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i] as unknown, depth, key: i, parent: item });
    } else {
      const record = v as Record<string, unknown>;
      for (const key of Object.keys(record).reverse()) stack.push({ value: record[key], depth, key, parent: item });
    }
  }
  return undefined;
}

/** A value still to visit; the path is rebuilt from parents only when the limit is passed. */
interface Item {
  value: unknown;
  depth: number;
  key: string | number | undefined;
  parent: Item | undefined;
}

function pathOf(item: Item): (string | number)[] {
  const keys: (string | number)[] = [];
  for (let at: Item | undefined = item; at?.key !== undefined; at = at.parent) keys.push(at.key);
  return keys.reverse();
}

/** Keys of a depth problem's path that are shown: enough to find the spot, never 64 of them. */
const SHOWN_KEYS = 6;

export function jsonDepthMessage(excess: DepthExcess): string {
  const shown = excess.path.slice(0, SHOWN_KEYS).map(String).join('.');
  const at = excess.path.length === 0 ? '' : ` under ${shown}${excess.path.length > SHOWN_KEYS ? '...' : ''}`;
  return `JSON nested deeper than ${excess.max} levels${at}; flatten the data`;
}

/** A zod refinement: the parsed value (which keeps every free-form JSON value) is not too deep. */
export function refineJsonDepth(value: unknown, ctx: z.RefinementCtx): void {
  const excess = findJsonDepthExcess(value);
  if (excess) ctx.addIssue({ code: 'custom', message: jsonDepthMessage(excess), path: excess.path.slice(0, SHOWN_KEYS), params: { code: 'EJSONDEPTH' } });
}
