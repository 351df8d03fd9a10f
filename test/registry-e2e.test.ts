import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../testkit/cli';
import { serveRegistry, type ServedRegistry } from '../testkit/serve';
import { tempDir } from '../testkit/temp';

let registry: ServedRegistry;
let work: string;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  registry = await serveRegistry();
  work = await tempDir('e2e');
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
    const result = published.json<{ name: string; version: string; integrity: string; url: string; page: string; verification: { passed: number } }>();
    expect(result).toMatchObject({ name: '@acme/hello', version: '0.1.0', verification: { passed: 1 }, page: `${registry.url}/@acme/hello` });
    const page = await fetch(result.page, { headers: { Accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('@acme/hello');

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

  it('yank, unyank and deprecate change the packument and what installs resolve; a prerelease gets next', async () => {
    const asAdmin = { SKILLS_REGISTRY: registry.url, SKILLS_TOKEN: registry.adminToken };
    const dir = path.join(work, 'skills', 'life');
    expect((await cli(['init', dir, '--name', '@acme/life'])).code).toBe(0);
    const first = await cli(['publish', dir, '--json'], asAdmin);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.json<{ tag: string }>().tag).toBe('latest');
    const manifest = JSON.parse(await fs.readFile(path.join(dir, 'skill.json'), 'utf8')) as { version: string };
    await fs.writeFile(path.join(dir, 'skill.json'), JSON.stringify({ ...manifest, version: '0.2.0-beta.1' }));
    const pre = await cli(['publish', dir, '--json'], asAdmin);
    expect(pre.code, pre.stdout + pre.stderr).toBe(0);
    expect(pre.json<{ tag: string }>().tag).toBe('next');
    type Doc = { distTags: Record<string, string>; versions: Record<string, { yanked: boolean; deprecated: string | null }> };
    const packument = async () => (await (await fetch(`${registry.url}/v1/skills/@acme/life`)).json()) as Doc;
    expect((await packument()).distTags).toEqual({ latest: '0.1.0', next: '0.2.0-beta.1' });

    let n = 0;
    const install = async () => {
      const consumer = path.join(work, `consumer-${n++}`);
      await fs.mkdir(consumer, { recursive: true });
      return runCli(['install', '@acme/life', '--json'], { cwd: consumer, env: { ...env, SKILLS_REGISTRY: registry.url, SKILLS_CACHE_DIR: path.join(work, 'cache') } });
    };
    const installed = (run: Awaited<ReturnType<typeof install>>) => run.json<{ skills: { name: string; version: string }[] }>().skills.map((s) => `${s.name}@${s.version}`);
    const before = await install();
    expect(before.code, before.stdout + before.stderr).toBe(0);
    expect(installed(before)).toEqual(['@acme/life@0.1.0']);

    expect((await cli(['yank', '@acme/life@0.1.0', '--json'], asAdmin)).json()).toEqual({ name: '@acme/life', version: '0.1.0', yanked: true });
    expect((await packument()).versions['0.1.0']?.yanked).toBe(true);
    const whileYanked = await install();
    expect(whileYanked.code).toBe(1);
    expect(whileYanked.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'ERESOLVE', message: expect.stringContaining('yanked') });
    // Yanked stays downloadable for lockfiles that pin it.
    expect((await fetch(`${registry.url}/v1/skills/@acme/life/-/life-0.1.0.tgz`)).status).toBe(200);

    expect((await cli(['unyank', '@acme/life@0.1.0', '--json'], asAdmin)).json()).toEqual({ name: '@acme/life', version: '0.1.0', yanked: false });
    expect((await packument()).versions['0.1.0']?.yanked).toBe(false);
    const after = await install();
    expect(after.code, after.stdout + after.stderr).toBe(0);
    expect(installed(after)).toEqual(['@acme/life@0.1.0']);

    expect((await cli(['deprecate', '@acme/life@0.1.0', 'use 0.2', '--json'], asAdmin)).code).toBe(0);
    expect((await packument()).versions['0.1.0']?.deprecated).toBe('use 0.2');
    const deprecated = await install();
    expect(deprecated.code).toBe(0);
    expect(JSON.stringify(deprecated.json())).toContain('deprecated: use 0.2');
  });

  it('token list shows a new token, token revoke refuses it from then on', async () => {
    const asAdmin = { SKILLS_REGISTRY: registry.url, SKILLS_TOKEN: registry.adminToken };
    const made = await cli(['token', 'create', '--permission', 'read', '--description', 'e2e', '--json'], asAdmin);
    expect(made.code, made.stdout).toBe(0);
    const token = made.json<{ id: string; token: string }>();
    const listed = async () => (await cli(['token', 'list', '--json'], asAdmin)).json<{ tokens: { id: string; description: string | null; revokedAt: string | null }[] }>().tokens.find((t) => t.id === token.id);
    expect(await listed()).toMatchObject({ description: 'e2e', revokedAt: null });
    const asNew = { SKILLS_REGISTRY: registry.url, SKILLS_TOKEN: token.token };
    expect((await cli(['whoami', '--json'], asNew)).code).toBe(0);
    const revoked = await cli(['token', 'revoke', token.id, '--json'], asAdmin);
    expect(revoked.json()).toEqual({ id: token.id, revoked: true });
    const refused = await cli(['whoami', '--json'], asNew);
    expect(refused.code).toBe(1);
    expect(refused.json<{ error: { code: string } }>().error.code).toBe('ETOKENREVOKED');
    expect((await listed())?.revokedAt).toEqual(expect.any(String));
    const twice = await cli(['token', 'revoke', token.id, '--json'], asAdmin);
    expect(twice.json<{ error: { code: string } }>().error.code).toBe('ETOKENREVOKED');
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
