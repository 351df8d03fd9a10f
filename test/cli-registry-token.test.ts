/**
 * Which registry a command talks to and which token it sends there (issue 11, item 6):
 * the URL order --registry > $SKILLS_REGISTRY > skills.json > config > default, and
 * $SKILLS_TOKEN only for its own registry, the config's tokens only for the URL they were saved
 * for, and never a token to another origin (tarball URLs, redirects).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_REGISTRY, resolveRegistry } from '../cli/core/registry/config';
import { runCli } from '../testkit/cli';
import { loggedRegistry, recordingServer, sendJson, type LoggedRegistry, type RecordingServer } from '../testkit/recording-server';
import { chainSkills } from '../testkit/skill-files';
import { tempDir } from '../testkit/temp';

const ENV_TOKEN = 'skr_envtokenAAAAAAAA_envsecret';
const CONFIG_TOKEN = 'skr_cfgtokenAAAAAAAA_cfgsecret';

let work: string;
beforeEach(async () => {
  work = await tempDir('token');
});
afterEach(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

async function writeConfig(config: { registry?: string; tokens?: Record<string, string> }): Promise<string> {
  const dir = path.join(work, 'config');
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'config.json'), JSON.stringify({ tokens: {}, ...config }), { mode: 0o600 });
  return dir;
}

describe('resolveRegistry: the URL order and the token rule, every source combination', () => {
  const F = 'http://flag.example:1';
  const R = 'http://env.example:2';
  const W = 'http://workspace.example:3';
  const C = 'http://config.example:4';

  interface Row {
    name: string;
    flag?: string;
    envRegistry?: string;
    envToken?: boolean;
    workspace?: string;
    config?: { registry?: string; tokens?: Record<string, string> };
    url: string;
    source: string;
    token: string | undefined;
    withheld?: boolean;
  }
  const rows: Row[] = [
    { name: 'flag beats everything; $SKILLS_TOKEN belongs to $SKILLS_REGISTRY, not the flag', flag: F, envRegistry: R, envToken: true, workspace: W, config: { registry: C }, url: F, source: 'flag', token: undefined, withheld: true },
    { name: 'flag + $SKILLS_REGISTRY: the flag gets only the token saved for it', flag: F, envRegistry: R, envToken: true, config: { registry: C, tokens: { [F]: CONFIG_TOKEN } }, url: F, source: 'flag', token: CONFIG_TOKEN, withheld: true },
    { name: 'flag without $SKILLS_REGISTRY: $SKILLS_TOKEN is for the flag', flag: F, envToken: true, workspace: W, config: { registry: C }, url: F, source: 'flag', token: ENV_TOKEN },
    { name: '$SKILLS_REGISTRY beats the workspace and config', envRegistry: R, envToken: true, workspace: W, config: { registry: C }, url: R, source: 'env', token: ENV_TOKEN },
    { name: 'the workspace beats the config, and never gets $SKILLS_TOKEN', envToken: true, workspace: W, config: { registry: C }, url: W, source: 'workspace', token: undefined, withheld: true },
    { name: 'the workspace never gets $SKILLS_TOKEN, even with no config at all', envToken: true, workspace: W, url: W, source: 'workspace', token: undefined, withheld: true },
    { name: 'the workspace never gets a token saved for another registry', workspace: W, config: { registry: C, tokens: { [C]: CONFIG_TOKEN } }, url: W, source: 'workspace', token: undefined },
    { name: 'the workspace gets the token saved for exactly its URL', envToken: true, workspace: `${W}/`, config: { registry: C, tokens: { [W]: CONFIG_TOKEN } }, url: W, source: 'workspace', token: CONFIG_TOKEN, withheld: true },
    { name: 'a workspace naming the token\'s own registry gets it', envToken: true, workspace: `${C}/`, config: { registry: C }, url: C, source: 'workspace', token: ENV_TOKEN },
    { name: 'the config registry gets $SKILLS_TOKEN', envToken: true, config: { registry: C }, url: C, source: 'config', token: ENV_TOKEN },
    { name: '$SKILLS_TOKEN wins over the saved token of its own registry', envToken: true, config: { registry: C, tokens: { [C]: CONFIG_TOKEN } }, url: C, source: 'config', token: ENV_TOKEN },
    { name: 'the saved token of the config registry', config: { registry: C, tokens: { [C]: CONFIG_TOKEN } }, url: C, source: 'config', token: CONFIG_TOKEN },
    { name: 'the default gets $SKILLS_TOKEN when nothing else is set', envToken: true, url: DEFAULT_REGISTRY, source: 'default', token: ENV_TOKEN },
    { name: 'an empty $SKILLS_REGISTRY counts as unset', envRegistry: '', envToken: true, config: { registry: C }, url: C, source: 'config', token: ENV_TOKEN },
  ];
  for (const row of rows) {
    it(row.name, async () => {
      const env: NodeJS.ProcessEnv = { SKILLS_CONFIG_DIR: row.config ? await writeConfig(row.config) : path.join(work, 'none') };
      if (row.envRegistry !== undefined) env.SKILLS_REGISTRY = row.envRegistry;
      if (row.envToken) env.SKILLS_TOKEN = ENV_TOKEN;
      const target = await resolveRegistry(env, row.flag, row.workspace);
      expect({ url: target.url, source: target.source, token: target.token }).toEqual({ url: row.url, source: row.source, token: row.token });
      expect(target.withheld !== undefined).toBe(row.withheld === true);
      if (target.withheld) expect(target.withheld).not.toContain(ENV_TOKEN);
    });
  }
});

describe('real processes against real HTTP servers: where the token goes', () => {
  const fakes: Record<'flag' | 'env' | 'workspace' | 'config', RecordingServer> = {} as never;
  beforeAll(async () => {
    for (const key of ['flag', 'env', 'workspace', 'config'] as const) {
      fakes[key] = await recordingServer((req, res, url) => {
        if (url.pathname === '/v1/search') return sendJson(res, 200, { total: 1, results: [{ name: `@${key}/answer`, version: '1.0.0', description: key, keywords: [], servers: [], score: 1, trust: 'verified' }] });
        if (url.pathname === '/-/whoami') return sendJson(res, 401, { error: { code: 'EAUTHREQUIRED', message: 'a token is required' } });
        return sendJson(res, 404, { error: { code: 'ENOTFOUND', message: 'not found' } });
      });
    }
  });
  afterAll(async () => {
    for (const fake of Object.values(fakes)) await fake.close();
  });
  beforeEach(() => {
    for (const fake of Object.values(fakes)) fake.requests.length = 0;
  });
  const auth = (key: keyof typeof fakes) => fakes[key].requests.map((r) => r.authorization ?? null);

  async function workspace(): Promise<string> {
    const dir = path.join(work, 'ws');
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, 'skills.json'), JSON.stringify({ registry: fakes.workspace.url, dependencies: {} }));
    return dir;
  }

  it('skills install never sends $SKILLS_TOKEN to the registry a cloned skills.json names', async () => {
    const cwd = await workspace();
    const configDir = await writeConfig({ registry: fakes.config.url });
    const run = await runCli(['install', '@acme/anything', '--json'], { cwd, env: { SKILLS_CONFIG_DIR: configDir, SKILLS_CACHE_DIR: path.join(work, 'cache'), SKILLS_TOKEN: ENV_TOKEN, SKILLS_REGISTRY: undefined } });
    expect(run.json<{ error: { code: string } }>().error.code).toBe('ENOTFOUND');
    expect(fakes.workspace.requests.length).toBeGreaterThan(0);
    expect(auth('workspace')).toEqual(fakes.workspace.requests.map(() => null));
    expect(run.stdout + run.stderr).not.toContain(ENV_TOKEN);
    // The same workspace, with the user naming that registry in the environment: it is trusted.
    fakes.workspace.requests.length = 0;
    await runCli(['install', '@acme/anything', '--json'], { cwd, env: { SKILLS_CONFIG_DIR: configDir, SKILLS_CACHE_DIR: path.join(work, 'cache'), SKILLS_TOKEN: ENV_TOKEN, SKILLS_REGISTRY: fakes.workspace.url } });
    expect(auth('workspace')).toContain(`Bearer ${ENV_TOKEN}`);
  });

  it('picks the URL in the order flag, $SKILLS_REGISTRY, skills.json, config, default (skills search)', async () => {
    const cwd = await workspace();
    const configDir = await writeConfig({ registry: fakes.config.url });
    const search = async (env: NodeJS.ProcessEnv, args: string[] = []) => {
      const run = await runCli(['search', 'x', '--json', ...args], { cwd, env: { SKILLS_CONFIG_DIR: configDir, SKILLS_REGISTRY: undefined, SKILLS_TOKEN: ENV_TOKEN, ...env } });
      expect(run.code, run.stderr).toBe(0);
      return run.json<{ results: { name: string }[] }>().results.map((r) => r.name);
    };
    expect(await search({ SKILLS_REGISTRY: fakes.env.url }, ['--registry', fakes.flag.url])).toEqual(['@flag/answer']);
    expect(await search({ SKILLS_REGISTRY: fakes.env.url })).toEqual(['@env/answer']);
    expect(await search({})).toEqual(['@workspace/answer']);
    // The token went to the flag? No: it belongs to $SKILLS_REGISTRY. To env: yes. To the workspace: never.
    expect(auth('flag')).toEqual([null]);
    expect(auth('env')).toEqual([`Bearer ${ENV_TOKEN}`]);
    expect(auth('workspace')).toEqual([null]);

    // Without a workspace: the config's registry, which $SKILLS_TOKEN belongs to.
    const bare = path.join(work, 'bare');
    await fs.mkdir(bare);
    const run = await runCli(['search', 'x', '--json'], { cwd: bare, env: { SKILLS_CONFIG_DIR: configDir, SKILLS_REGISTRY: undefined, SKILLS_TOKEN: ENV_TOKEN } });
    expect(run.json<{ results: { name: string }[] }>().results.map((r) => r.name)).toEqual(['@config/answer']);
    expect(auth('config')).toEqual([`Bearer ${ENV_TOKEN}`]);
    // --registry alone: $SKILLS_TOKEN is for that URL.
    await runCli(['search', 'x', '--json', '--registry', fakes.flag.url], { cwd: bare, env: { SKILLS_CONFIG_DIR: configDir, SKILLS_REGISTRY: undefined, SKILLS_TOKEN: ENV_TOKEN } });
    expect(auth('flag')).toEqual([null, `Bearer ${ENV_TOKEN}`]);
    // Nothing configured: the default URL (read without a request: logout names it).
    const none = await runCli(['logout', '--json'], { cwd: bare, env: { SKILLS_CONFIG_DIR: path.join(work, 'empty-config'), SKILLS_REGISTRY: undefined, SKILLS_TOKEN: undefined } });
    expect(none.json<{ registry: string }>().registry).toBe(DEFAULT_REGISTRY);
  });

  it('a workspace registry the user logged in to gets its saved token, and only that one', async () => {
    const cwd = await workspace();
    const configDir = await writeConfig({ registry: fakes.config.url, tokens: { [fakes.workspace.url]: CONFIG_TOKEN, [fakes.config.url]: 'skr_other_token' } });
    const run = await runCli(['search', 'x', '--json'], { cwd, env: { SKILLS_CONFIG_DIR: configDir, SKILLS_REGISTRY: undefined, SKILLS_TOKEN: ENV_TOKEN } });
    expect(run.code).toBe(0);
    expect(auth('workspace')).toEqual([`Bearer ${CONFIG_TOKEN}`]);
  });

  it('says why $SKILLS_TOKEN was withheld when the registry then asks for a token, without printing it', async () => {
    const configDir = await writeConfig({});
    const run = await runCli(['whoami', '--json', '--registry', fakes.flag.url], { cwd: work, env: { SKILLS_CONFIG_DIR: configDir, SKILLS_REGISTRY: fakes.env.url, SKILLS_TOKEN: ENV_TOKEN } });
    expect(run.code).toBe(1);
    const error = run.json<{ error: { code: string; hint: string } }>().error;
    expect(error.code).toBe('EAUTHREQUIRED');
    expect(error.hint).toContain('$SKILLS_TOKEN belongs to');
    expect(error.hint).toContain(fakes.env.url);
    expect(run.stdout + run.stderr).not.toContain(ENV_TOKEN);
    expect(auth('flag')).toEqual([null]);
  });
});

describe('the token goes only to the registry\'s origin', () => {
  let registry: LoggedRegistry;
  let cdn: RecordingServer;
  let redirector: RecordingServer;
  let target = '';
  beforeAll(async () => {
    // A "CDN" on another origin serving the registry's tarballs (it fetches them with its own credentials).
    cdn = await recordingServer(async (_req, res, url) => {
      const upstream = await fetch(`${target}${url.pathname}`, { headers: { Authorization: `Bearer ${registry.admin}` } });
      const bytes = Buffer.from(await upstream.arrayBuffer());
      res.writeHead(upstream.status, { 'Content-Type': 'application/gzip', 'Content-Length': String(bytes.byteLength) });
      res.end(bytes);
    });
    registry = await loggedRegistry([{ name: '@priv', private: true }], { publicUrl: cdn.url });
    target = registry.url;
    const chain = chainSkills('@priv');
    expect((await registry.publish(chain.base)).status).toBe(201);
    // A registry whose tarball URLs are on its own origin but redirect to the CDN.
    redirector = await recordingServer(async (req, res, url) => {
      if (url.pathname.startsWith('/t/')) {
        res.writeHead(302, { Location: `${cdn.url}${url.pathname.slice(2)}` });
        return res.end();
      }
      const upstream = await fetch(`${target}${url.pathname}`, { headers: { Authorization: req.headers.authorization ?? '', Accept: req.headers.accept ?? '' } });
      const text = (await upstream.text()).replaceAll(`${cdn.url}/v1/`, `${redirector.url}/t/v1/`);
      res.writeHead(upstream.status, { 'Content-Type': upstream.headers.get('content-type') ?? 'application/json' });
      res.end(text);
    });
  });
  afterAll(async () => {
    await registry.close();
    await cdn.close();
    await redirector.close();
  });

  it('installs from a private scope: the registry gets $SKILLS_TOKEN, the tarball host on another origin does not', async () => {
    const run = await runCli(['install', '@priv/base', '--json', '--registry', registry.url], {
      cwd: work,
      env: { SKILLS_CONFIG_DIR: path.join(work, 'config'), SKILLS_CACHE_DIR: path.join(work, 'cache'), SKILLS_REGISTRY: undefined, SKILLS_TOKEN: registry.admin },
    });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const tarballs = cdn.hits('/v1/skills/@priv/base/-/');
    expect(tarballs.length).toBe(1);
    expect(tarballs[0]?.authorization).toBeUndefined();
    // The registry itself was asked with the token (a private packument reads as 404 without it).
    const packumentReads = registry.logs.filter((e) => e.path === '/v1/skills/@priv/base');
    expect(packumentReads.length).toBeGreaterThan(0);
    expect(packumentReads.every((e) => typeof e.token === 'string')).toBe(true);
  });

  it('a redirect from the registry\'s origin to another origin does not carry the token', async () => {
    cdn.requests.length = 0;
    const run = await runCli(['install', '@priv/base', '--json', '--registry', redirector.url], {
      cwd: work,
      env: { SKILLS_CONFIG_DIR: path.join(work, 'config'), SKILLS_CACHE_DIR: path.join(work, 'cache2'), SKILLS_REGISTRY: undefined, SKILLS_TOKEN: registry.admin },
    });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(redirector.hits('/t/').map((r) => r.authorization)).toEqual([`Bearer ${registry.admin}`]);
    expect(cdn.hits('/v1/skills/@priv/base/-/').map((r) => r.authorization)).toEqual([undefined]);
  });
});
