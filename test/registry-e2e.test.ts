import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli';
import { serveRegistry, type ServedRegistry } from './helpers/serve';

let registry: ServedRegistry;
let work: string;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  registry = await serveRegistry();
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'skills-e2e-'));
  env = { SKILLS_CONFIG_DIR: path.join(work, 'config'), SKILLS_REGISTRY: '', SKILLS_TOKEN: '' };
  delete env.SKILLS_REGISTRY;
  delete env.SKILLS_TOKEN;
});
afterAll(async () => {
  await registry.stop();
  await fs.rm(work, { recursive: true, force: true });
});

const cli = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) => runCli(args, { cwd: work, env: { ...env, ...extraEnv } });

describe('skills serve + the registry commands (real processes, real port)', () => {
  it('creates an admin token on an empty database, written 0600 beside it', async () => {
    expect(registry.adminToken).toMatch(/^skr_/);
    const file = path.join(registry.dir, 'db', 'admin-token');
    expect((await fs.readFile(file, 'utf8')).trim()).toBe(registry.adminToken);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
  });

  it('sets up a team, a scope and a publish token, publishes, and reads it back over HTTP', async () => {
    const login = await cli(['login', '--registry', registry.url, '--token', registry.adminToken, '--json']);
    expect(login.code, login.stdout).toBe(0);
    const configFile = login.json<{ configFile: string }>().configFile;
    expect((await fs.stat(configFile)).mode & 0o777).toBe(0o600);

    expect((await cli(['team', 'create', 'acme'])).code).toBe(0);
    expect((await cli(['team', 'add', 'acme', 'carol', '--create-user', '--role', 'member'])).code).toBe(0);
    expect((await cli(['scope', 'create', '@acme', '--team', 'acme'])).code).toBe(0);
    const token = await cli(['token', 'create', '--user', 'carol', '--permission', 'publish', '--scope', '@acme', '--json']);
    expect(token.code, token.stdout).toBe(0);
    const carol = token.json<{ token: string; permission: string }>();
    expect(carol.permission).toBe('publish');

    expect((await cli(['init', path.join(work, 'skills', 'hello'), '--name', '@acme/hello'])).code).toBe(0);
    const published = await cli(['publish', path.join(work, 'skills', 'hello'), '--json'], { SKILLS_TOKEN: carol.token });
    expect(published.code, published.stdout + published.stderr).toBe(0);
    const result = published.json<{ name: string; version: string; integrity: string; url: string; verification: { passed: number } }>();
    expect(result).toMatchObject({ name: '@acme/hello', version: '0.1.0', verification: { passed: 1 } });

    const packument = (await (await fetch(`${registry.url}/v1/skills/@acme/hello`)).json()) as { distTags: { latest: string }; versions: Record<string, { dist: { tarball: string; integrity: string }; publishedBy: string }> };
    expect(packument.distTags.latest).toBe('0.1.0');
    expect(packument.versions['0.1.0']).toMatchObject({ publishedBy: 'carol', dist: { integrity: result.integrity } });
    const tarball = await fetch(packument.versions['0.1.0']!.dist.tarball);
    expect(tarball.status).toBe(200);
    expect(Number(tarball.headers.get('content-length'))).toBeGreaterThan(0);
    const search = (await (await fetch(`${registry.url}/v1/search?q=hello`)).json()) as { results: { name: string }[] };
    expect(search.results.map((s) => s.name)).toContain('@acme/hello');

    const whoami = await cli(['whoami', '--json'], { SKILLS_TOKEN: carol.token });
    expect(whoami.json<{ user: string; teams: { name: string }[] }>()).toMatchObject({ user: 'carol', teams: [{ name: 'acme' }] });

    const again = await cli(['publish', path.join(work, 'skills', 'hello'), '--json'], { SKILLS_TOKEN: carol.token });
    expect(again.code).toBe(1);
    expect(again.json<{ error: { code: string } }>().error.code).toBe('EVERSIONEXISTS');

    expect((await cli(['yank', '@acme/hello@0.1.0'])).code).toBe(0);
    expect((await cli(['deprecate', '@acme/hello@0.1.0', 'use 0.2'])).code).toBe(0);
    const tags = await cli(['dist-tag', 'add', '@acme/hello@0.1.0', 'stable', '--json']);
    expect(tags.json<{ distTags: Record<string, string> }>().distTags).toEqual({ latest: '0.1.0', stable: '0.1.0' });
  });

  it('gives agents clear errors for a registry that is not there and for bad tokens', async () => {
    const down = await cli(['whoami', '--registry', 'http://127.0.0.1:9', '--json']);
    expect(down.code).toBe(1);
    expect(down.json<{ error: { code: string } }>().error.code).toBe('ENETWORK');
    const bad = await cli(['whoami', '--json'], { SKILLS_TOKEN: 'skr_AAAAAAAAAAAAAAAA_' + 'a'.repeat(43) });
    expect(bad.json<{ error: { code: string } }>().error.code).toBe('ETOKENINVALID');
    const local = await cli(['publish', path.join(work, 'nowhere'), '--json']);
    expect(local.code).toBe(1);
    const badConfigDir = path.join(work, 'bad-config');
    await fs.mkdir(badConfigDir, { recursive: true });
    await fs.writeFile(path.join(badConfigDir, 'config.json'), '{ "tokens": 42 }');
    const badConfig = await cli(['whoami', '--json'], { SKILLS_CONFIG_DIR: badConfigDir });
    expect(badConfig.code).toBe(1);
    expect(badConfig.json<{ error: { code: string } }>().error.code).toBe('ECONFIG');
  });

  it('shuts down gracefully on SIGTERM and checkpoints the WAL', async () => {
    const other = await serveRegistry();
    const code = await (async () => {
      const walBefore = path.join(other.dir, 'db', 'registry.db-wal');
      await fetch(`${other.url}/-/ping`);
      expect(await fs.stat(walBefore).then(() => true)).toBe(true);
      other.child.kill('SIGTERM');
      const exit = await new Promise<number | null>((resolve) => other.child.once('exit', resolve));
      expect(other.stdout()).toContain('"event":"stopped"');
      const wal = await fs.stat(walBefore).catch(() => undefined);
      expect(wal === undefined || wal.size === 0).toBe(true);
      return exit;
    })();
    await other.stop();
    expect(code).toBe(0);
  });
});
