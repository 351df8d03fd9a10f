/**
 * Every `--json` shape docs/cli.md documents is what the command returns: the documented object
 * shapes are parsed out of the docs (keys, nested objects, arrays of objects, `"key"?` optional),
 * and each documented key must be present in a real run's output, recursively (array elements
 * each checked). Real `skills` processes against a real registry and a real MCP server.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../testkit/cli';
import { skillFiles } from '../testkit/skill-files';
import { tempDir } from '../testkit/temp';
import { liveRegistry, type LiveRegistry } from '../testkit/workspace';

const DOC = fs.readFileSync(path.join(ROOT, 'docs/cli.md'), 'utf8');

type Shape = { kind: 'object'; keys: Map<string, { optional: boolean; value: Shape | undefined }> } | { kind: 'array'; element: Shape | undefined };

/** Tokens of a documented shape: strings, punctuation, and words (types, `...`, literals). */
function tokens(text: string): string[] {
  return [...text.matchAll(/"(?:[^"\\]|\\.)*"|[{}[\]:,|?]|[^\s{}[\]:,|?"]+/g)].map((m) => m[0]);
}

/** Parses one documented shape (`{ "a", "b": [{ "c" }], "d"?: { "e" } | null }`). */
export function parseShape(text: string): Shape {
  const t = tokens(text);
  let i = 0;
  const value = (): Shape | undefined => {
    let found: Shape | undefined;
    for (;;) {
      const tok = t[i];
      let alt: Shape | undefined;
      if (tok === '{') alt = object();
      else if (tok === '[') alt = array();
      else i++; // a literal, a type word, `...`
      found ??= alt;
      if (t[i] === '|') {
        i++;
        continue;
      }
      return found;
    }
  };
  const array = (): Shape => {
    i++; // [
    let element: Shape | undefined;
    while (i < t.length && t[i] !== ']') {
      if (t[i] === ',') {
        i++;
        continue;
      }
      element ??= value();
    }
    i++; // ]
    return { kind: 'array', element };
  };
  const object = (): Shape => {
    i++; // {
    const keys = new Map<string, { optional: boolean; value: Shape | undefined }>();
    while (i < t.length && t[i] !== '}') {
      const tok = t[i] ?? '';
      if (tok === ',') {
        i++;
        continue;
      }
      if (!tok.startsWith('"')) {
        i++; // `...` or `...info`
        continue;
      }
      i++;
      const optional = t[i] === '?';
      if (optional) i++;
      let v: Shape | undefined;
      if (t[i] === ':') {
        i++;
        v = value();
      }
      keys.set(JSON.parse(tok) as string, { optional, value: v });
    }
    i++; // }
    return { kind: 'object', keys };
  };
  return value() ?? { kind: 'object', keys: new Map() };
}

/** Documented keys missing from `actual`, as paths. */
function missing(shape: Shape | undefined, actual: unknown, at = '$'): string[] {
  if (!shape || actual === null || actual === undefined) return [];
  if (shape.kind === 'array') return Array.isArray(actual) ? actual.flatMap((a, n) => missing(shape.element, a, `${at}[${n}]`)) : [`${at} (not an array)`];
  if (typeof actual !== 'object' || Array.isArray(actual)) return [`${at} (not an object)`];
  const out: string[] = [];
  for (const [key, { optional, value }] of shape.keys) {
    if (!(key in actual)) {
      if (!optional) out.push(`${at}.${key}`);
      continue;
    }
    out.push(...missing(value, (actual as Record<string, unknown>)[key], `${at}.${key}`));
  }
  return out;
}

/** The documented shape that starts with `prefix` (whitespace-insensitive); fails when the docs no longer have it. */
function documented(prefix: string): Shape {
  const flat = DOC.replace(/\s+/g, ' ');
  const at = flat.indexOf(prefix);
  expect(at, `docs/cli.md documents ${prefix}`).toBeGreaterThanOrEqual(0);
  const end = flat.indexOf('`', at);
  return parseShape(flat.slice(at, end));
}

let tmp: string;
let live: LiveRegistry;
let env: NodeJS.ProcessEnv;
let skillDir: string;

async function json(args: string[], cwd = tmp): Promise<unknown> {
  const run = await runCli([...args, '--json'], { cwd, env, timeoutMs: 120_000 });
  expect(run.code, `${args.join(' ')}: ${run.stdout}${run.stderr}`).toBe(0);
  return JSON.parse(run.stdout) as unknown;
}

function expectShape(prefix: string, actual: unknown): void {
  expect(missing(documented(prefix), actual), prefix).toEqual([]);
}

beforeAll(async () => {
  tmp = await tempDir('shapes');
  live = await liveRegistry(['@acme']);
  env = { SKILLS_CONFIG_DIR: path.join(tmp, 'config'), SKILLS_CACHE_DIR: path.join(tmp, 'cache'), SKILLS_REGISTRY: live.registry.url, SKILLS_TOKEN: live.admin, HOME: tmp };
  skillDir = path.join(tmp, 'probe');
  for (const f of skillFiles({ name: 'probe', scope: '@acme', code: 'export function f() { return 1; }', fixtures: { one: { call: { export: 'f', args: [] }, expect: { returns: 1 } } } })) {
    await fsp.mkdir(path.dirname(path.join(skillDir, f.path)), { recursive: true });
    await fsp.writeFile(path.join(skillDir, f.path), f.bytes);
  }
}, 60_000);
afterAll(async () => {
  await live.close();
  await fsp.rm(tmp, { recursive: true, force: true });
});

describe('the shape parser', () => {
  it('reads keys, nested objects, arrays, optional keys and alternatives', () => {
    const shape = parseShape('{ "a", "b": [{ "c", "d"?: { "e" } }], "f": "x" | null, "g": { "h" } | null, ... }');
    expect(missing(shape, { a: 1, b: [{ c: 1 }, { c: 2, d: { e: 1 } }], f: null, g: { h: 1 } })).toEqual([]);
    expect(missing(shape, { b: [{ d: {} }], f: 1, g: {} })).toEqual(['$.a', '$.b[0].c', '$.b[0].d.e', '$.g.h']);
  });
});

describe('documented --json shapes match real runs', () => {
  it('init, validate, pack, verify', async () => {
    expectShape('{ "name": "@acme/csv-export", "dir"', await json(['init', path.join(tmp, 'fresh'), '--name', '@acme/fresh']));
    expectShape('{ "ok": false, "valid": false', await json(['validate', skillDir]));
    expectShape('{ "name", "version", "file", "size", "fileCount"', await json(['pack', skillDir, '--out', path.join(tmp, 'probe.tgz')]));
    expectShape('{ "ok", "name", "version", "bundle"', await json(['verify', skillDir]));
  }, 120_000);

  it('publish, install, outdated, yank, deprecate', async () => {
    expectShape('{ "registry", "url", "page", "name", "version", "tag"', await json(['publish', skillDir]));
    const ws = path.join(tmp, 'ws');
    await fsp.mkdir(ws);
    expectShape('{ "root", "changes": [', await json(['install', '@acme/probe'], ws));
    expectShape('{ "outdated": [', await json(['outdated'], ws));
    expectShape('{ "name", "version", "yanked" }', await json(['yank', '@acme/probe@1.0.0']));
    expectShape('{ "name", "version", "deprecated" }', await json(['deprecate', '@acme/probe@1.0.0', 'use something else']));
  }, 120_000);

  it('servers sync and search-tools', async () => {
    const ws = path.join(tmp, 'ws-servers');
    await fsp.mkdir(ws);
    const synthetic = path.join(ROOT, 'test', 'servers', 'synthetic-server.mjs');
    await fsp.writeFile(path.join(ws, 'skills.json'), JSON.stringify({ dependencies: {}, servers: { cloud: { command: process.execPath, args: [synthetic], env: { SYNTHETIC_TOOLS: '12' } } } }));
    expectShape('{ "root", "servers": [{ "server", "tools"', await json(['servers', 'sync'], ws));
    expectShape('{ "query", "total", "results": [', await json(['search-tools', 'storage', 'list'], ws));
  }, 120_000);

  it('token, team and scope commands', async () => {
    const created = (await json(['token', 'create', '--permission', 'read'])) as { id: string };
    expectShape('{ "id", "user", "permission", "scopes"', created);
    expectShape('{ "tokens": [', await json(['token', 'list']));
    expectShape('{ "id", "revoked": true }', await json(['token', 'revoke', created.id]));
    expectShape('{ "name", "members" }', await json(['team', 'create', 'crew']));
    expectShape('{ "teams": [{ "name", "members", "scopes" }] }', await json(['team', 'list']));
    expectShape('{ "name", "team", "private" }', await json(['scope', 'create', '@crew', '--team', 'crew']));
    expectShape('{ "scopes": [', await json(['scope', 'list']));
  }, 120_000);
});
