/**
 * Every `--json` shape docs/cli.md documents (and audit.md and agents.md, for the commands cli.md
 * sends there) is what the command returns: the documented object shapes are parsed out of the
 * docs (keys, nested objects, arrays of objects, `"key"?` optional), and each documented key must
 * be present in a real run's output, recursively (array elements each checked). Real `skills`
 * processes against a real registry and a real MCP server. Every command the program registers
 * with `--json` must be run here against its documented shape (the last test checks that).
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../cli/program';
import { ROOT, runCli } from '../testkit/cli';
import { serveRegistry } from '../testkit/serve';
import { skillFiles } from '../testkit/skill-files';
import { tempDir } from '../testkit/temp';
import { liveRegistry, type LiveRegistry } from '../testkit/workspace';

type Doc = 'docs/cli.md' | 'docs/audit.md' | 'docs/agents.md';
const DOCS = new Map<Doc, string>((['docs/cli.md', 'docs/audit.md', 'docs/agents.md'] as const).map((d) => [d, fs.readFileSync(path.join(ROOT, d), 'utf8').replace(/\s+/g, ' ')]));

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
function documented(prefix: string, doc: Doc): Shape {
  const flat = DOCS.get(doc) ?? '';
  const at = flat.indexOf(prefix);
  expect(at, `${doc} documents ${prefix}`).toBeGreaterThanOrEqual(0);
  const end = flat.indexOf('`', at);
  return parseShape(flat.slice(at, end));
}

let tmp: string;
let live: LiveRegistry;
let env: NodeJS.ProcessEnv;
let skillDir: string;
/** The commands (`token create`) whose real output was checked against their documented shape. */
const exercised = new Set<string>();

async function json(args: string[], cwd = tmp, code = 0): Promise<unknown> {
  const run = await runCli([...args, '--json'], { cwd, env, timeoutMs: 120_000 });
  expect(run.code, `${args.join(' ')}: ${run.stdout}${run.stderr}`).toBe(code);
  return JSON.parse(run.stdout) as unknown;
}

/** Checks a real run of `command` against the shape `doc` documents, starting with `prefix`. */
function expectShape(command: string, prefix: string, actual: unknown, doc: Doc = 'docs/cli.md'): void {
  expect(missing(documented(prefix, doc), actual), `${command}: ${prefix}`).toEqual([]);
  exercised.add(command);
}

/** Every command of the program by its full name (`token create`), split by whether it takes `--json`. */
function commandsOf(command: Command, prefix = ''): { json: string[]; plain: string[] } {
  const out = { json: [] as string[], plain: [] as string[] };
  for (const sub of command.commands) {
    const name = `${prefix}${sub.name()}`;
    if (sub.options.some((o) => o.long === '--json')) out.json.push(name);
    else if (sub.commands.length === 0) out.plain.push(name);
    const inner = commandsOf(sub, `${name} `);
    out.json.push(...inner.json);
    out.plain.push(...inner.plain);
  }
  return out;
}

const SKILL_MD = `---
name: probe
description: A skill built by a test.
argument-hint: "[file]"
author: a test
---

Test skill.
`;

beforeAll(async () => {
  tmp = await tempDir('shapes');
  live = await liveRegistry(['@acme']);
  env = { SKILLS_CONFIG_DIR: path.join(tmp, 'config'), SKILLS_CACHE_DIR: path.join(tmp, 'cache'), SKILLS_REGISTRY: live.registry.url, SKILLS_TOKEN: live.admin, HOME: tmp };
  skillDir = path.join(tmp, 'probe');
  // An agent setting and a key no agent reads in SKILL.md: `info` reports both.
  for (const f of skillFiles({ name: 'probe', scope: '@acme', code: 'export function f() { return 1; }', fixtures: { one: { call: { export: 'f', args: [] }, expect: { returns: 1 } } } })) {
    await fsp.mkdir(path.dirname(path.join(skillDir, f.path)), { recursive: true });
    await fsp.writeFile(path.join(skillDir, f.path), f.path === 'SKILL.md' ? SKILL_MD : f.bytes);
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
  it('init, validate, pack, verify, run, audit', async () => {
    expectShape('init', '{ "name": "@acme/csv-export", "dir"', await json(['init', path.join(tmp, 'fresh'), '--name', '@acme/fresh']));
    expectShape('validate', '{ "ok": false, "valid": false', await json(['validate', skillDir]));
    expectShape('pack', '{ "name", "version", "file", "size", "fileCount"', await json(['pack', skillDir, '--out', path.join(tmp, 'probe.tgz')]));
    expectShape('verify', '{ "ok", "name", "version", "bundle"', await json(['verify', skillDir]));
    const ran = (await json(['run', skillDir, '--fixture', 'one'])) as { status: string; value: unknown };
    expect(ran).toMatchObject({ status: 'returned', value: 1 });
    expectShape('run', '{ "dir", "name", "export", "args", "status"', ran);
    const audited = (await json(['audit', skillDir])) as { report: { findings: unknown[] } };
    expect(audited.report.findings.length).toBeGreaterThan(0);
    expectShape('audit', '{ "failOn", "target", "name", "version", "failed", "report"', audited, 'docs/audit.md');
    expectShape('audit', '{ "rules": [{ "id", "severity", "catches", "misses" }] }', await json(['audit', '--rules']), 'docs/audit.md');
  }, 120_000);

  it('publish, install, ci, update, outdated, list, agents, audit, info, search, dist-tag, yank, unyank, deprecate, uninstall', async () => {
    expectShape('publish', '{ "registry", "url", "page", "name", "version", "tag"', await json(['publish', skillDir]));
    const ws = path.join(tmp, 'ws');
    await fsp.mkdir(ws);
    const installed = (await json(['install', '@acme/probe'], ws)) as { changes: unknown[]; skills: unknown[] };
    expect(installed.changes).toHaveLength(1);
    expectShape('install', '{ "root", "changes": [', installed);
    expectShape('ci', '{ "root", "changes": [', await json(['ci'], ws));
    expectShape('update', '{ "root", "changes": [', await json(['update'], ws));
    expectShape('outdated', '{ "outdated": [', await json(['outdated'], ws));
    const listed = (await json(['list'], ws)) as { skills: unknown[] };
    expect(listed.skills).toHaveLength(1);
    expectShape('list', '{ "recovered", "skills": [{ "name", "packageName"', listed);
    expectShape('agents', '{ "scope", "root", "mode", "configured"', await json(['agents'], ws), 'docs/agents.md');
    expectShape('audit', '{ "root", "failOn", "failed", "skills"', await json(['audit', ws]), 'docs/audit.md');
    expectShape('info', '{ "name", "distTags", "versions", "version"', await json(['info', '@acme/probe@1.0.0']));
    const found = (await json(['search', 'probe'])) as { results: unknown[] };
    expect(found.results).toHaveLength(1);
    expectShape('search', '{ "total", "results": [{ "name", "version", "description"', found);
    expectShape('dist-tag add', '{ "name", "distTags" }', await json(['dist-tag', 'add', '@acme/probe@1.0.0', 'next']));
    expectShape('dist-tag ls', '{ "name", "distTags": { "latest"', await json(['dist-tag', 'ls', '@acme/probe']));
    expectShape('dist-tag rm', '{ "name", "distTags" }', await json(['dist-tag', 'rm', '@acme/probe', 'next']));
    expectShape('yank', '{ "name", "version", "yanked" }', await json(['yank', '@acme/probe@1.0.0']));
    expectShape('unyank', '{ "name", "version", "yanked" }', await json(['unyank', '@acme/probe@1.0.0']));
    expectShape('deprecate', '{ "name", "version", "deprecated" }', await json(['deprecate', '@acme/probe@1.0.0', 'use something else']));
    expectShape('uninstall', '{ "root", "changes": [', await json(['uninstall', '@acme/probe'], ws));
  }, 300_000);

  it('audit allow, allowances, disallow', async () => {
    expectShape('audit allow', '{ "name", "rule", "file", "reason", "by", "at" }', await json(['audit', 'allow', '@acme/probe', 'script-pipe-to-shell', '--reason', 'the vendor installer']), 'docs/audit.md');
    const list = (await json(['audit', 'allowances', '@acme/probe'])) as { allowances: unknown[] };
    expect(list.allowances).toHaveLength(1);
    expectShape('audit allowances', '{ "name", "allowances": [', list, 'docs/audit.md');
    expectShape('audit disallow', '{ "name", "rule", "file", "removed" }', await json(['audit', 'disallow', '@acme/probe', 'script-pipe-to-shell']), 'docs/audit.md');
  }, 120_000);

  it('servers sync, search-tools and doctor', async () => {
    const ws = path.join(tmp, 'ws-servers');
    await fsp.mkdir(ws);
    const synthetic = path.join(ROOT, 'test', 'servers', 'synthetic-server.mjs');
    await fsp.writeFile(path.join(ws, 'skills.json'), JSON.stringify({ dependencies: {}, servers: { cloud: { command: process.execPath, args: [synthetic], env: { SYNTHETIC_TOOLS: '12' } } } }));
    expectShape('servers sync', '{ "root", "servers": [{ "server", "tools"', await json(['servers', 'sync'], ws));
    expectShape('search-tools', '{ "query", "total", "results": [', await json(['search-tools', 'storage', 'list'], ws));
    // A skill of the workspace declaring a tool the server does not have: doctor lists the server and the problem (exit 1).
    for (const f of skillFiles({ name: 'cloudy', scope: '@acme', mcp: { cloud: ['storage_gone_list'] }, code: 'export function f() { return 1; }', fixtures: {} })) {
      await fsp.mkdir(path.dirname(path.join(ws, 'skills', 'cloudy', f.path)), { recursive: true });
      await fsp.writeFile(path.join(ws, 'skills', 'cloudy', f.path), f.bytes);
    }
    const doctor = (await json(['doctor'], ws, 1)) as { servers: unknown[]; problems: { code: string }[] };
    expect(doctor.servers).toHaveLength(1);
    expect(doctor.problems.map((p) => p.code)).toContain('EMCPCONTRACT');
    expectShape('doctor', '{ "root", "ok", "skills", "servers"', doctor, 'docs/audit.md');
  }, 120_000);

  it('token, team and scope commands', async () => {
    const created = (await json(['token', 'create', '--permission', 'read'])) as { id: string };
    expectShape('token create', '{ "id", "user", "permission", "scopes"', created);
    expectShape('token list', '{ "tokens": [', await json(['token', 'list']));
    expectShape('token revoke', '{ "id", "revoked": true }', await json(['token', 'revoke', created.id]));
    expectShape('team create', '{ "name", "members" }', await json(['team', 'create', 'crew']));
    expectShape('team add', '{ "team", "user", "role" }', await json(['team', 'add', 'crew', 'carol', '--create-user', '--role', 'member']));
    expectShape('team list', '{ "teams": [{ "name", "members", "scopes" }] }', await json(['team', 'list']));
    expectShape('scope create', '{ "name", "team", "private" }', await json(['scope', 'create', '@crew', '--team', 'crew']));
    expectShape('scope list', '{ "scopes": [', await json(['scope', 'list']));
  }, 120_000);

  it('login, whoami, logout', async () => {
    const url = live.registry.url;
    expectShape('login', '{ "registry", "user", "permission", "configFile" }', await json(['login', '--token', live.admin, '--registry', url]));
    expectShape('whoami', '{ "registry", "user", "tokenId"', await json(['whoami']));
    const out = (await json(['logout', '--registry', url])) as { removed: boolean };
    expect(out.removed).toBe(true);
    expectShape('logout', '{ "registry", "removed" }', out);
  }, 120_000);

  it('registry migrate', async () => {
    const migrated = (await json(['registry', 'migrate', '--from', path.join(live.dir, 'registry.db'), '--to', path.join(tmp, 'migrated', 'registry.db')])) as { tables: Record<string, unknown> };
    expect(Object.keys(migrated.tables)).toContain('versions');
    expectShape('registry migrate', '{ "from", "to", "tables", "blobs"', migrated);
    expectShape('registry migrate', '{ "copied", "updated", "removed", "skipped" }', migrated.tables.versions);
  }, 120_000);

  it('registry log', async () => {
    const logged = (await json(['registry', 'log', '--since', '1h', '--limit', '2'])) as { entries: unknown[]; next: number | null };
    expect(logged.entries).toHaveLength(2);
    expect(logged.next).not.toBeNull();
    expectShape('registry log', '{ "registry", "since", "entries": [{ "id", "at", "user", "tokenId", "address", "action", "target", "details" }], "next" }', logged);
  });

  it('registry backup and restore', async () => {
    const backupDir = path.join(tmp, 'backup');
    const backedUp = (await json(['registry', 'backup', backupDir, '--db', path.join(live.dir, 'registry.db')])) as { tables: Record<string, number> };
    expect(Object.keys(backedUp.tables)).toContain('versions');
    expectShape('registry backup', '{ "dir", "manifest", "createdAt"', backedUp);
    const restored = await json(['registry', 'restore', backupDir, '--db', path.join(tmp, 'restored', 'registry.db')]);
    expectShape('registry restore', '{ "from", "to", "createdAt"', restored);
  }, 120_000);

  it('serve: the ready line, then the stopped line', async () => {
    const served = await serveRegistry();
    const [ready] = served.stdout().split('\n');
    expectShape('serve', '{ "event": "ready", "url"', JSON.parse(ready ?? '') as unknown);
    expect(await served.stop('SIGTERM'), served.stderr()).toBe(0);
    const lines = served.stdout().trim().split('\n');
    expect(lines).toHaveLength(2);
    expectShape('serve', '{ "event": "stopped", "signal" }', JSON.parse(lines[1] ?? '') as unknown);
  }, 120_000);
});

describe('every command is covered (with the whole file: it counts the runs above)', () => {
  it('each command the program registers with --json was run above against its documented shape; only mcp has no --json', async () => {
    const program = await buildProgram(async () => undefined, { writeErr: () => undefined }, []);
    const { json: withJson, plain } = commandsOf(program);
    expect(plain).toEqual(['mcp']);
    expect(withJson.filter((c) => !exercised.has(c))).toEqual([]);
    expect([...exercised].filter((c) => !withJson.includes(c))).toEqual([]);
  });
});
