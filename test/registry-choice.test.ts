/**
 * Which registry each command talks to. A table names every command of the program (a new one
 * fails the first test until it is added): either why it never talks to a registry, or how to run
 * it. Each is run as a real `skills` process in a workspace whose skills.json names a real
 * registry, with no --registry and no $SKILLS_REGISTRY, and must use that registry (its skills are
 * in a private scope, so a read succeeds only with the token the user config saved for it); then
 * --registry and $SKILLS_REGISTRY, naming another server, must each beat skills.json.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../cli/program';
import { BIN, runCli, type CliRun } from '../testkit/cli';
import { loggedRegistry, recordingServer, sendJson, type LoggedRegistry, type RecordingServer } from '../testkit/recording-server';
import { skillFiles } from '../testkit/skill-files';
import { tempDir } from '../testkit/temp';

/** Where one run happens: its workspace and a number no other run has (for names it creates). */
interface Run {
  ws: string;
  n: number;
}

interface Exercised {
  /** The arguments after `skills`, after any setup it needs on the registry. */
  args: (at: Run) => string[] | Promise<string[]>;
  /** Besides skills.json the workspace holds @priv/base as `install` left it, or only its skills.json and lockfile. */
  workspace?: 'installed' | 'locked';
  /** login: the user config's registry, never skills.json (a clone must not choose where a typed token goes). */
  account?: true;
  /** logout sends nothing: the registry it chose is the one its output names. */
  reports?: true;
  /** ci downloads the tarball URLs the lockfile names: the client it chose shows in whether its token went with them. */
  lockedUrls?: true;
  /** skills mcp has no --registry; it is reached through an MCP client's search_skills call. */
  mcp?: true;
}

type Row = { none: string } | Exercised;

const NO_REGISTRY = {
  local: 'works on local files only',
  agents: 'reads and links agent folders only',
  mcpServers: "talks to the workspace's MCP servers, not to a registry",
  serve: 'is a registry',
  storage: "works on a registry's database and blobs on this machine; it calls no registry server",
  group: 'a group: its subcommands are listed one by one',
};

let W: LoggedRegistry;
let O: RecordingServer;
let root: string;
let installed: string;
let counter = 0;

const TABLE: Record<string, Row> = {
  init: { none: NO_REGISTRY.local },
  validate: { none: NO_REGISTRY.local },
  pack: { none: NO_REGISTRY.local },
  verify: { none: NO_REGISTRY.local },
  audit: { args: () => ['audit', '@priv/base'] },
  'audit allow': { args: () => ['audit', 'allow', '@priv/tagged', 'script-pipe-to-shell', '--reason', 'a test'] },
  'audit disallow': {
    args: async () => {
      await ok(W.call('POST', '/v1/skills/@priv/tagged/audit-allowances', { rule: 'script-decode-exec', reason: 'to remove' }));
      return ['audit', 'disallow', '@priv/tagged', 'script-decode-exec'];
    },
  },
  'audit allowances': { args: () => ['audit', 'allowances', '@priv/tagged'] },
  run: { none: NO_REGISTRY.local },
  install: { args: () => ['install', '@priv/base'] },
  ci: { args: () => ['ci'], workspace: 'locked', lockedUrls: true },
  uninstall: {
    // Removing a skill installs the rest of skills.json: here one not locked yet, so its packument is read.
    args: async ({ ws }) => {
      const file = path.join(ws, 'skills.json');
      const json = JSON.parse(await fs.readFile(file, 'utf8')) as { dependencies: Record<string, string> };
      await fs.writeFile(file, JSON.stringify({ ...json, dependencies: { ...json.dependencies, '@priv/tagged': '^1.0.0' } }, null, 2));
      return ['uninstall', '@priv/base'];
    },
    workspace: 'installed',
  },
  update: { args: () => ['update'], workspace: 'installed' },
  outdated: { args: () => ['outdated'], workspace: 'installed' },
  list: { none: NO_REGISTRY.local },
  agents: { none: NO_REGISTRY.agents },
  search: { args: () => ['search', 'base'] },
  info: { args: () => ['info', '@priv/base'] },
  'servers sync': { none: NO_REGISTRY.mcpServers },
  doctor: { none: NO_REGISTRY.mcpServers },
  'search-tools': { none: NO_REGISTRY.local },
  mcp: { args: () => ['mcp'], mcp: true },
  publish: {
    args: async ({ ws, n }) => {
      const dir = path.join(ws, 'skills', `note-${n}`);
      await fs.mkdir(dir, { recursive: true });
      await fs.writeFile(path.join(dir, 'SKILL.md'), `---\nname: note-${n}\ndescription: A plain skill a test publishes.\n---\n\nTake notes.\n`);
      return ['publish', `skills/note-${n}`, '--scope', '@priv', '--version', '1.0.0'];
    },
  },
  yank: { args: () => ['yank', '@priv/tagged@1.0.0'] },
  unyank: { args: () => ['unyank', '@priv/tagged@1.0.0'] },
  deprecate: { args: () => ['deprecate', '@priv/tagged@1.0.0', ''] },
  'dist-tag add': { args: () => ['dist-tag', 'add', '@priv/tagged@1.0.0', 'beta'] },
  'dist-tag rm': {
    args: async () => {
      await ok(W.call('PUT', '/v1/skills/@priv/tagged/dist-tags/gone', { version: '1.0.0' }));
      return ['dist-tag', 'rm', '@priv/tagged', 'gone'];
    },
  },
  'dist-tag ls': { args: () => ['dist-tag', 'ls', '@priv/tagged'] },
  serve: { none: NO_REGISTRY.serve },
  'registry migrate': { none: NO_REGISTRY.storage },
  'registry backup': { none: NO_REGISTRY.storage },
  'registry restore': { none: NO_REGISTRY.storage },
  'registry log': { args: () => ['registry', 'log'] },
  login: { args: () => ['login', '--token', W.admin], account: true },
  logout: { args: () => ['logout'], account: true, reports: true },
  whoami: { args: () => ['whoami'] },
  'token create': { args: () => ['token', 'create', '--permission', 'read'] },
  'token list': { args: () => ['token', 'list'] },
  'token revoke': {
    args: async () => {
      const created = (await (await ok(W.call('POST', '/v1/tokens', { permission: 'read' }))).json()) as { id: string };
      return ['token', 'revoke', created.id];
    },
  },
  'team create': { args: ({ n }) => ['team', 'create', `team-${n}`] },
  'team add': { args: ({ n }) => ['team', 'add', 'core', `user-${n}`, '--create-user', '--role', 'member'] },
  'team list': { args: () => ['team', 'list'] },
  'scope create': { args: ({ n }) => ['scope', 'create', `@scope-${n}`, '--team', 'core'] },
  'scope list': { args: () => ['scope', 'list'] },
};

async function ok(res: Promise<Response>): Promise<Response> {
  const r = await res;
  if (r.status >= 300) throw new Error(`setup failed: ${r.status} ${await r.clone().text()}`);
  return r;
}

/** Every command that runs something: the leaves, and groups that take arguments themselves (audit). */
function runnable(command: Command, prefix: string[] = []): { name: string; command: Command }[] {
  return command.commands.flatMap((c) => {
    const names = [...prefix, c.name()];
    const own = c.commands.length === 0 || c.registeredArguments.length > 0 ? [{ name: names.join(' '), command: c }] : [];
    return [...own, ...runnable(c, names)];
  });
}

const tagged = (version: string) => skillFiles({ name: 'tagged', scope: '@priv', version, code: `export function v() { return '${version}'; }`, fixtures: { v: { call: { export: 'v', args: [] }, expect: { returns: version } } } });

beforeAll(async () => {
  root = await tempDir('registry-choice');
  W = await loggedRegistry([{ name: '@priv', private: true }]);
  // The other registry: any request reaching it shows it was chosen; it has nothing.
  O = await recordingServer((_req, res) => sendJson(res, 404, { error: { code: 'ENOTFOUND', message: 'nothing here' } }));
  const base = skillFiles({ name: 'base', scope: '@priv', code: 'export function double(n: number): number { return n * 2; }', fixtures: { twenty: { call: { export: 'double', args: [21] }, expect: { returns: 42 } } } });
  for (const files of [base, tagged('1.0.0'), tagged('1.1.0')]) {
    const res = await W.publish(files);
    expect(res.status, await res.clone().text()).toBe(201);
  }
  const template = await fresh();
  installed = template.ws;
  const run = await cli(installed, ['install', '@priv/base', '--json'], template.env);
  expect(run.code, run.stdout + run.stderr).toBe(0);
}, 240_000);

afterAll(async () => {
  await W?.close();
  await O?.close();
  if (root) await fs.rm(root, { recursive: true, force: true });
});

/** A workspace whose skills.json names W, with a user config and cache of its own. */
async function fresh(config: { registry?: string } = {}, from?: { dir: string; skillsDir: boolean }): Promise<Run & { env: NodeJS.ProcessEnv }> {
  const n = ++counter;
  const base = path.join(root, `run-${n}`);
  const ws = path.join(base, 'ws');
  await fs.mkdir(ws, { recursive: true });
  if (from) {
    await fs.cp(from.dir, ws, { recursive: true, verbatimSymlinks: true, filter: (src) => from.skillsDir || path.relative(from.dir, src).split(path.sep)[0] !== 'skills' });
  } else {
    await fs.writeFile(path.join(ws, 'skills.json'), `${JSON.stringify({ registry: W.url, dependencies: {} }, null, 2)}\n`);
  }
  await fs.mkdir(path.join(base, 'config'));
  await fs.writeFile(path.join(base, 'config', 'config.json'), JSON.stringify({ ...config, tokens: { [W.url]: W.admin } }), { mode: 0o600 });
  const env = { SKILLS_CONFIG_DIR: path.join(base, 'config'), SKILLS_CACHE_DIR: path.join(base, 'cache'), HOME: base, XDG_CONFIG_HOME: undefined, XDG_CACHE_HOME: undefined };
  return { ws, n, env };
}

function cli(ws: string, args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  return runCli(args, { cwd: ws, env: { SKILLS_REGISTRY: undefined, SKILLS_TOKEN: undefined, ...env }, timeoutMs: 180_000 });
}

async function fromMcp(ws: string, env: NodeJS.ProcessEnv): Promise<{ isError: boolean }> {
  const client = new Client({ name: 'registry-choice-test', version: '1.0.0' });
  const childEnv = Object.fromEntries(Object.entries({ ...process.env, SKILLS_REGISTRY: undefined, SKILLS_TOKEN: undefined, NO_COLOR: '1', ...env }).filter((e): e is [string, string] => e[1] !== undefined));
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [BIN, 'mcp'], cwd: ws, env: childEnv, stderr: 'ignore' }));
  try {
    const result = await client.callTool({ name: 'search_skills', arguments: { query: 'base' } });
    return { isError: result.isError === true };
  } finally {
    await client.close();
  }
}

/** What reached each registry while `action` ran: W's log entries (with the token id they carried) and O's requests. */
async function observe(action: () => Promise<unknown>): Promise<{ w: { path: unknown; token: unknown }[]; o: number }> {
  const w = W.logs.length;
  const o = O.requests.length;
  await action();
  return { w: W.logs.slice(w).filter((e) => e.method !== undefined).map((e) => ({ path: e.path, token: e.token })), o: O.requests.length - o };
}

type Choice = 'skills.json' | '--registry' | '$SKILLS_REGISTRY';

async function exercise(row: Exercised, choice: Choice): Promise<{ run: CliRun | undefined; mcp: { isError: boolean } | undefined; reached: Awaited<ReturnType<typeof observe>> }> {
  // login and logout read the user config's registry: there it is O, so that skills.json naming W can be seen to lose.
  const at = await fresh(row.account && choice === 'skills.json' ? { registry: O.url } : {}, row.workspace ? { dir: installed, skillsDir: row.workspace === 'installed' } : undefined);
  const args = [...(await row.args(at)), ...(row.mcp ? [] : ['--json'])];
  const env = { ...at.env, ...(choice === '$SKILLS_REGISTRY' ? { SKILLS_REGISTRY: O.url } : {}) };
  if (choice === '--registry') args.push('--registry', O.url);
  let run: CliRun | undefined;
  let mcp: { isError: boolean } | undefined;
  const reached = await observe(async () => {
    if (row.mcp) mcp = await fromMcp(at.ws, env);
    else run = await cli(at.ws, args, env);
  });
  return { run, mcp, reached };
}

describe('every command of the program is in the table', () => {
  it('names each runnable command once, and each that takes --registry is run against one', async () => {
    const program = await buildProgram(async () => undefined, { writeErr: () => undefined }, []);
    const commands = runnable(program);
    expect(commands.map((c) => c.name).sort()).toEqual(Object.keys(TABLE).sort());
    for (const { name, command } of commands) {
      const takesRegistry = command.options.some((o) => o.long === '--registry');
      if (takesRegistry) expect('args' in (TABLE[name] as Row), `${name} takes --registry`).toBe(true);
      if ('args' in (TABLE[name] as Row) && !(TABLE[name] as Exercised).mcp) expect(takesRegistry, `${name} talks to a registry but takes no --registry`).toBe(true);
    }
  });
});

describe('--json is the program\'s, before or after the command', () => {
  it.each([
    [['--json', 'search', 'base']],
    [['search', '--json', 'base']],
    [['search', 'base', '--json']],
    [['--json', 'audit', 'allowances', '@priv/tagged']],
    [['audit', 'allowances', '@priv/tagged', '--json']],
  ])('skills %j --registry <other> prints the error of the other registry as JSON', async (args) => {
    const at = await fresh();
    const reached = await observe(async () => {
      const run = await cli(at.ws, [...args, '--registry', O.url], at.env);
      expect(run.code, run.stderr).toBe(1);
      expect(run.json<{ error: { code: string } }>().error.code).toBe('ENOTFOUND');
    });
    expect(reached.o).toBe(1);
    expect(reached.w).toEqual([]);
  }, 120_000);
});

describe('a skills.json that does not parse', () => {
  it('stops a command that works on the workspace with its error, and is passed over by one that does not', async () => {
    const at = await fresh({ registry: O.url });
    await fs.writeFile(path.join(at.ws, 'skills.json'), `{ "registry": "${W.url}", `);
    const outdated = await cli(at.ws, ['outdated', '--json'], at.env);
    expect(outdated.code, outdated.stderr).toBe(1);
    expect(outdated.json<{ error: { code: string } }>().error.code).toMatch(/^EWORKSPACE/);
    // search goes on to the next in the order: the user config's registry.
    const reached = await observe(async () => {
      const search = await cli(at.ws, ['search', 'base', '--json'], at.env);
      expect(search.json<{ error: { code: string } }>().error.code, search.stderr).toBe('ENOTFOUND');
    });
    expect(reached.o).toBe(1);
    expect(reached.w).toEqual([]);
  }, 120_000);
});

const exercised = Object.entries(TABLE).filter((e): e is [string, Exercised] => 'args' in e[1]);

describe.each(exercised)('skills %s', (_name, row) => {
  it(row.account ? 'takes the user config’s registry, not the one skills.json names' : 'uses the registry skills.json names, with the token the user config saved for it', async () => {
    const { run, mcp, reached } = await exercise(row, 'skills.json');
    const said = run ? run.stdout + run.stderr : '';
    if (row.reports) {
      expect(run?.json<{ registry: string }>().registry, said).toBe(O.url);
      expect(reached.w).toEqual([]);
    } else if (row.account) {
      expect(reached.o, said).toBeGreaterThan(0);
      expect(reached.w).toEqual([]);
    } else {
      if (run) expect(run.code, said).toBe(0);
      if (mcp) expect(mcp.isError).toBe(false);
      expect(reached.w.length, said).toBeGreaterThan(0);
      for (const entry of reached.w) expect(entry.token, `${String(entry.path)} without the saved token`).not.toBeNull();
      expect(reached.o).toBe(0);
    }
  }, 300_000);

  for (const choice of ['--registry', '$SKILLS_REGISTRY'] as const) {
    if (row.mcp && choice === '--registry') continue;
    it(`${choice} beats skills.json`, async () => {
      const { run, reached } = await exercise(row, choice);
      const said = run ? run.stdout + run.stderr : '';
      if (row.reports) {
        expect(run?.json<{ registry: string }>().registry, said).toBe(O.url);
      } else if (row.lockedUrls) {
        // The lockfile names W's tarballs: they are fetched there, but as by a client of O (no token for W).
        expect(reached.o).toBe(0);
        expect(reached.w.length, said).toBeGreaterThan(0);
        for (const entry of reached.w) expect(entry.token, String(entry.path)).toBeNull();
      } else {
        expect(reached.o, said).toBeGreaterThan(0);
      }
      expect(reached.w.filter((e) => e.token !== null)).toEqual([]);
      if (!row.lockedUrls) expect(reached.w).toEqual([]);
    }, 300_000);
  }
});
