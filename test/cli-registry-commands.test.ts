/**
 * What the registry commands print and change, checked by content (not exit codes): logout,
 * search filters, info, yank/unyank, deprecate, token list/revoke, a local publish that fails
 * verification uploading nothing, and the admin log. Real `skills` processes against a real registry.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PackageFile } from '../schema/package-files';
import { runCli } from '../testkit/cli';
import { loggedRegistry, recordingServer, sendJson, type LoggedRegistry } from '../testkit/recording-server';
import { skillFiles, textResult } from '../testkit/skill-files';
import { tempDir } from '../testkit/temp';

let registry: LoggedRegistry;
let work: string;

function withDescription(files: PackageFile[], description: string, body: string): PackageFile[] {
  return files.map((f) => {
    if (f.path !== 'SKILL.md') return f;
    const text = new TextDecoder().decode(f.bytes).replace('A skill built by a test.', description).replace('Test skill.', body);
    return { ...f, bytes: new TextEncoder().encode(text) };
  });
}

function echoing(name: string, scope: string, version: string, description: string): PackageFile[] {
  return withDescription(
    skillFiles({
      name,
      scope,
      version,
      mcp: { everything: ['echo'] },
      code: "import { echo } from '../../servers/everything';\nexport async function hi() { return echo({ message: 'hi' }); }",
      fixtures: { hi: { call: { export: 'hi', args: [] }, mcp: [{ server: 'everything', tool: 'echo', arguments: { message: 'hi' }, result: textResult('Echo: hi') }], expect: { returns: 'Echo: hi' } } },
    }),
    description,
    `# ${name}\n\nBody of ${name} ${version}.`,
  );
}

function plain(name: string, scope: string, description: string): PackageFile[] {
  return withDescription(skillFiles({ name, scope, code: 'export function one() { return 1; }', fixtures: { one: { call: { export: 'one', args: [] }, expect: { returns: 1 } } } }), description, `# ${name}`);
}

const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  runCli([...args, '--registry', registry.url], {
    cwd: work,
    env: { SKILLS_CONFIG_DIR: path.join(work, 'config'), SKILLS_CACHE_DIR: path.join(work, 'cache'), SKILLS_REGISTRY: undefined, SKILLS_TOKEN: registry.admin, ...env },
  });

beforeAll(async () => {
  work = await tempDir('commands');
  registry = await loggedRegistry([{ name: '@acme' }, { name: '@other' }]);
  for (const files of [
    echoing('alpha', '@acme', '1.0.0', 'Alpha toolkit that greets through echo'),
    echoing('alpha', '@acme', '1.1.0', 'Alpha toolkit that greets through echo, faster'),
    plain('beta', '@acme', 'Beta toolkit that counts to one'),
    echoing('gamma', '@other', '1.0.0', 'Gamma toolkit from another scope'),
  ]) {
    const res = await registry.publish(files);
    expect(res.status, await res.clone().text()).toBe(201);
  }
});
afterAll(async () => {
  await registry.close();
  await fs.rm(work, { recursive: true, force: true });
});

describe('skills search filters and prints what it found', () => {
  const names = async (args: string[]) => {
    const run = await cli(['search', 'toolkit', '--json', ...args]);
    expect(run.code, run.stderr).toBe(0);
    return run.json<{ total: number; results: { name: string }[] }>().results.map((r) => r.name).sort();
  };

  it('--scope and --server narrow the results', async () => {
    expect(await names([])).toEqual(['@acme/alpha', '@acme/beta', '@other/gamma']);
    expect(await names(['--scope', '@acme'])).toEqual(['@acme/alpha', '@acme/beta']);
    expect(await names(['--server', 'everything'])).toEqual(['@acme/alpha', '@other/gamma']);
    expect(await names(['--scope', '@acme', '--server', 'everything'])).toEqual(['@acme/alpha']);
    expect(await names(['--scope', '@other', '--server', 'memory'])).toEqual([]);
  });

  it('prints name, version, servers and description for people', async () => {
    const run = await cli(['search', 'toolkit', '--scope', '@acme']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('@acme/alpha@1.1.0 [everything]');
    expect(run.stdout).toContain('Alpha toolkit that greets through echo, faster');
    expect(run.stdout).toContain('@acme/beta@1.0.0');
    expect(run.stdout).toContain('Beta toolkit that counts to one');
    expect(run.stdout).not.toContain('gamma');
    expect(run.stdout).toContain('2 found');
    expect((await cli(['search', 'nothing-matches-this'])).stdout).toContain('no skills found');
  });
});

describe('skills info, yank, unyank and deprecate, by content', () => {
  it('shows versions, tags, verification, tools, dependencies and SKILL.md', async () => {
    const run = await cli(['info', '@acme/alpha']);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe('@acme/alpha@1.1.0');
    expect(run.stdout).toContain('Alpha toolkit that greets through echo, faster');
    expect(run.stdout).toContain('tags: latest=1.1.0');
    expect(run.stdout).toContain('versions: 1.0.0, 1.1.0');
    expect(run.stdout).toMatch(/verified: 1 passed, 0 failed/);
    expect(run.stdout).toContain('MCP tools: everything: echo');
    expect(run.stdout).toContain('dependencies: none');
    expect(run.stdout).toContain('Body of alpha 1.1.0.');
    const json = (await cli(['info', '@acme/alpha@1.0.0', '--json'])).json<{ name: string; distTags: Record<string, string>; versions: string[]; version: { version: string; description: string; yanked: boolean } }>();
    expect(json).toMatchObject({ name: '@acme/alpha', distTags: { latest: '1.1.0' }, versions: ['1.0.0', '1.1.0'], version: { version: '1.0.0', description: 'Alpha toolkit that greets through echo', yanked: false } });
  });

  it('yank and unyank change what info reports; deprecate sets and clears the message', async () => {
    const yank = await cli(['yank', '@acme/alpha@1.0.0', '--json']);
    expect(yank.json()).toEqual({ name: '@acme/alpha', version: '1.0.0', yanked: true });
    expect((await cli(['info', '@acme/alpha@1.0.0'])).stdout.split('\n')[0]).toBe('@acme/alpha@1.0.0 (yanked)');
    const unyank = await cli(['unyank', '@acme/alpha@1.0.0', '--json']);
    expect(unyank.json()).toEqual({ name: '@acme/alpha', version: '1.0.0', yanked: false });
    expect((await cli(['info', '@acme/alpha@1.0.0'])).stdout.split('\n')[0]).toBe('@acme/alpha@1.0.0');

    const deprecate = await cli(['deprecate', '@acme/alpha@1.0.0', 'use 1.1.0', '--json']);
    expect(deprecate.json()).toEqual({ name: '@acme/alpha', version: '1.0.0', deprecated: 'use 1.1.0' });
    expect((await cli(['info', '@acme/alpha@1.0.0'])).stdout.split('\n')[0]).toBe('@acme/alpha@1.0.0 deprecated: use 1.1.0');
    const clear = await cli(['deprecate', '@acme/alpha@1.0.0', '', '--json']);
    expect(clear.json()).toEqual({ name: '@acme/alpha', version: '1.0.0', deprecated: null });
    expect((await cli(['info', '@acme/alpha@1.0.0', '--json'])).json<{ version: { deprecated: string | null } }>().version.deprecated).toBeNull();
  });
});

describe('text from a registry cannot drive the terminal', () => {
  it('drops cursor, screen, title and hyperlink escapes from SKILL.md bodies and deprecation messages, keeping the text', async () => {
    const hostile = '\u001b]0;pwned\u0007\u001b[2J\u001b[1A\u001b]8;;https://evil.example\u001b\\click\u001b]8;;\u001b\\\u009b31m\u0007';
    const files = withDescription(skillFiles({ name: 'delta', scope: '@acme', code: 'export function one() { return 1; }', fixtures: { one: { call: { export: 'one', args: [] }, expect: { returns: 1 } } } }), 'Delta toolkit with a hostile body', `# delta\n\nvisible ${hostile} text`);
    expect((await registry.publish(files)).status).toBe(201);
    expect((await cli(['deprecate', '@acme/delta@1.0.0', `old ${hostile} version`, '--json'])).code).toBe(0);
    const info = await cli(['info', '@acme/delta']);
    expect(info.code, info.stderr).toBe(0);
    for (const out of [info.stdout, info.stderr]) expect(out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(info.stdout).toContain('visible click text');
    expect(info.stdout).toContain('deprecated: old click version');
    // --json keeps the registry's text exactly (JSON escapes control characters).
    const json = await cli(['info', '@acme/delta', '--json']);
    expect(json.stdout).not.toContain('\u001b');
    expect(json.json<{ version: { deprecated: string } }>().version.deprecated).toBe(`old ${hostile} version`);
  });
});

describe('skills info refuses a packument of another skill', () => {
  it('gives EPACKUMENTNAME when a registry answers for another name', async () => {
    const liar = await recordingServer(async (_req, res, url) => {
      const upstream = await fetch(`${registry.url}${url.pathname.replace('@acme/beta', '@acme/alpha')}`);
      const doc = (await upstream.json()) as { name: string };
      sendJson(res, upstream.status, doc);
    });
    try {
      const run = await runCli(['info', '@acme/beta', '--json', '--registry', liar.url], { cwd: work, env: { SKILLS_CONFIG_DIR: path.join(work, 'config'), SKILLS_REGISTRY: undefined, SKILLS_TOKEN: undefined } });
      expect(run.json<{ error: { code: string } }>().error.code).toBe('EPACKUMENTNAME');
    } finally {
      await liar.close();
    }
  });
});

describe('skills token list and revoke', () => {
  it('lists a created token as active, revokes it, and the revoked token no longer works', async () => {
    const created = (await cli(['token', 'create', '--permission', 'read', '--description', 'ci reader', '--json'])).json<{ id: string; token: string; permission: string }>();
    expect(created.permission).toBe('read');
    const listed = await cli(['token', 'list']);
    const row = listed.stdout.split('\n').find((l) => l.includes(created.id));
    expect(row).toMatch(/read\s+\*\s+active/);
    expect(listed.stdout).not.toContain(created.token);
    expect((await cli(['whoami', '--json'], { SKILLS_TOKEN: created.token })).json<{ permission: string }>().permission).toBe('read');

    const revoked = await cli(['token', 'revoke', created.id, '--json']);
    expect(revoked.json()).toEqual({ id: created.id, revoked: true });
    const after = (await cli(['token', 'list', '--json'])).json<{ tokens: { id: string; revokedAt: string | null }[] }>();
    expect(after.tokens.find((t) => t.id === created.id)?.revokedAt).toEqual(expect.any(String));
    expect((await cli(['token', 'list'])).stdout.split('\n').find((l) => l.includes(created.id))).toMatch(/revoked/);
    const denied = await cli(['whoami', '--json'], { SKILLS_TOKEN: created.token });
    expect(denied.json<{ error: { code: string } }>().error.code).toBe('ETOKENREVOKED');
  });
});

describe('skills logout', () => {
  it('removes only that registry\'s token, keeps the file 0600, and changes nothing when there is none', async () => {
    const configDir = path.join(work, 'logout-config');
    const env = { SKILLS_CONFIG_DIR: configDir, SKILLS_TOKEN: undefined };
    const login = await cli(['login', '--token', registry.admin, '--json'], env);
    expect(login.code, login.stderr).toBe(0);
    const file = login.json<{ configFile: string }>().configFile;
    // A second registry's token, saved by hand, must survive.
    const config = JSON.parse(await fs.readFile(file, 'utf8')) as { registry: string; tokens: Record<string, string> };
    config.tokens['http://other.example:9'] = 'skr_keep_me';
    await fs.writeFile(file, JSON.stringify(config));
    await fs.chmod(file, 0o644);
    expect((await cli(['whoami', '--json'], env)).json<{ user: string }>().user).toBe('admin');

    const out = await runCli(['logout', '--json'], { cwd: work, env: { SKILLS_CONFIG_DIR: configDir, SKILLS_REGISTRY: undefined, SKILLS_TOKEN: undefined } });
    expect(out.json()).toEqual({ registry: registry.url, removed: true });
    const after = JSON.parse(await fs.readFile(file, 'utf8')) as { registry: string; tokens: Record<string, string> };
    expect(after).toEqual({ registry: registry.url, tokens: { 'http://other.example:9': 'skr_keep_me' } });
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    // The registry now sees no token from this user.
    const whoami = await cli(['whoami', '--json'], env);
    expect(whoami.code).toBe(1);
    expect(registry.logs.at(-1)).toMatchObject({ path: '/-/whoami', token: null });

    const bytes = await fs.readFile(file);
    const again = await cli(['logout', '--json'], env);
    expect(again.json()).toEqual({ registry: registry.url, removed: false });
    expect(await fs.readFile(file)).toEqual(bytes);
  });
});

describe('a local publish that fails verification uploads nothing', () => {
  it('exits EVERIFICATIONFAILED; the registry received no request and has no row for it', async () => {
    const dir = path.join(work, 'broken');
    const files = skillFiles({ name: 'broken', scope: '@acme', code: 'export function two() { return 3; }', fixtures: { two: { call: { export: 'two', args: [] }, expect: { returns: 2 } } } });
    for (const f of files) {
      await fs.mkdir(path.dirname(path.join(dir, f.path)), { recursive: true });
      await fs.writeFile(path.join(dir, f.path), f.bytes);
    }
    const db = new Database(registry.dbFile, { readonly: true });
    const rows = () => db.prepare('SELECT (SELECT COUNT(*) FROM versions) AS versions, (SELECT COUNT(*) FROM skills) AS skills, (SELECT COUNT(*) FROM blobs) AS blobs, (SELECT COUNT(*) FROM used_versions) AS used').get();
    try {
      const before = rows();
      const logged = registry.logs.length;
      const run = await cli(['publish', dir, '--json']);
      expect(run.code).toBe(1);
      expect(run.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'EVERIFICATIONFAILED', message: expect.stringContaining('nothing was uploaded') });
      expect(registry.logs.slice(logged)).toEqual([]);
      expect(rows()).toEqual(before);
      expect(db.prepare("SELECT COUNT(*) AS n FROM skills WHERE name = '@acme/broken'").get()).toEqual({ n: 0 });
      // The same folder fixed publishes: the check above would have seen an upload.
      await fs.writeFile(path.join(dir, 'index.ts'), 'export function two() { return 2; }');
      const fixed = await cli(['publish', dir, '--json']);
      expect(fixed.code, fixed.stdout + fixed.stderr).toBe(0);
      expect(registry.logs.slice(logged).filter((e) => e.method === 'PUT').map((e) => e.path)).toEqual(['/v1/skills/@acme/broken']);
      expect(db.prepare("SELECT COUNT(*) AS n FROM skills WHERE name = '@acme/broken'").get()).toEqual({ n: 1 });
    } finally {
      db.close();
    }
  });
});

describe('skills registry log', () => {
  it('shows an admin the log newest first (a table, or --json), pages with --before, refuses a read token (EFORBIDDEN) and a --since that is no time (EUSAGE)', async () => {
    const run = await cli(['registry', 'log', '--since', '1h', '--limit', '3', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const page = run.json<{ registry: string; since: string; entries: { id: number; at: string; user: string | null; address: string | null; action: string }[]; next: number | null }>();
    expect(page.registry).toBe(registry.url);
    expect(Date.now() - Date.parse(page.since)).toBeGreaterThanOrEqual(3_600_000);
    expect(page.entries).toHaveLength(3);
    expect(page.entries.map((e) => e.at)).toEqual(page.entries.map((e) => e.at).sort().reverse());
    // The publish just above, over a real socket from this machine.
    expect(page.entries[0]).toMatchObject({ action: 'publish', user: 'admin', address: expect.stringMatching(/^(127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)$/) });
    expect(page.next).toBe(page.entries[2]?.id);

    const older = await cli(['registry', 'log', '--before', String(page.next), '--limit', '2']);
    expect(older.code, older.stderr).toBe(0);
    const lines = older.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^id\s+time \(UTC\)\s+user\s+token\s+address\s+action\s+target\s+details$/);
    expect(lines.slice(1, 3).map((l) => Number(l.split(/\s+/)[0]))).toEqual([(page.next ?? 0) - 1, (page.next ?? 0) - 2]);
    expect(lines[3]).toBe(`older entries: skills registry log --before ${(page.next ?? 0) - 2} --limit 2`);
    // Deprecation messages above carried terminal escapes and line breaks: the table holds neither.
    const all = await cli(['registry', 'log', '--limit', '500']);
    expect(all.stdout).toContain('deprecate');
    expect(all.stdout).not.toContain('\x1b');
    expect(all.stdout.trimEnd().split('\n').every((l) => /^(id|\d+)\s/.test(l))).toBe(true);

    const reader = (await cli(['token', 'create', '--permission', 'read', '--json'])).json<{ token: string }>().token;
    const refused = await cli(['registry', 'log'], { SKILLS_TOKEN: reader });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('EFORBIDDEN');
    const bad = await cli(['registry', 'log', '--since', 'yesterday', '--json']);
    expect(bad.code).toBe(2);
    expect(bad.json<{ error: { code: string; hint: string } }>().error).toMatchObject({ code: 'EUSAGE', hint: expect.stringContaining('--since 24h') });
  });
});
