/**
 * `skills serve --config` with the real CLI process: a config file behind a symbolic link, owned by
 * another user, is read and never written while flags and variables override it; `--print-config`
 * prints where every setting came from with secrets masked and starts nothing; a bad file, variable
 * or flag stops serve with its code before any file is touched; a file this user cannot read is
 * ECONFIGFILE naming it. (The loader's every case is in test/registry-settings.test.ts, in process.)
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../testkit/cli';
import { serveRegistry } from '../testkit/serve';
import { tempDir } from '../testkit/temp';
import { snapshot } from '../testkit/workspace';

/** An unprivileged user (nobody) to own or be refused a file; undefined when the runner is not root. */
const NOBODY = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined;

interface Refusal {
  code: string;
  message: string;
  hint: string;
}

let dir: string;
beforeAll(async () => {
  dir = await tempDir('serve-config');
});

describe('skills serve --config', () => {
  it("reads a linked file of another user's, never writes it; flags and variables win over it; its settings take effect", async () => {
    const owner = path.join(dir, 'owner');
    const site = path.join(dir, 'site');
    await fs.mkdir(owner);
    await fs.mkdir(site);
    const target = path.join(owner, 'shared.toml');
    await fs.writeFile(target, '[server]\nport = 4873\n\n[limits]\nmax_json_body_bytes = 2048\n\n[log]\nrequests = "requests.jsonl"\n', { mode: 0o644 });
    if (NOBODY) await fs.chown(target, NOBODY.uid, NOBODY.gid);
    const link = path.join(site, 'registry.toml');
    await fs.symlink(target, link);
    const before = { owner: await snapshot(owner), stat: await fs.stat(target), link: await fs.readlink(link) };

    const served = await serveRegistry(['--config', link], { env: { SKILLS_REGISTRY_SERVER_PUBLIC_URL: 'https://skills.example.com' } });
    try {
      // The flag --port 0 (serveRegistry's) beat the file's 4873; the variable set the public URL.
      expect(served.ready.url).not.toMatch(/:4873$/);
      expect(served.ready.catalogUrl).toBe('https://skills.example.com/');
      // A relative log file is the link's folder's.
      expect(served.ready.requestLog).toBe(path.join(site, 'requests.jsonl'));
      const big = await fetch(`${served.url}/v1/users`, { method: 'POST', headers: { Authorization: `Bearer ${served.adminToken}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'x'.repeat(4096) }) });
      expect(big.status).toBe(413);
      await big.arrayBuffer();
    } finally {
      expect(await served.stop()).toBe(0);
    }
    const logged = (await fs.readFile(path.join(site, 'requests.jsonl'), 'utf8')).split('\n').filter(Boolean);
    expect(logged.map((line) => (JSON.parse(line) as { status: number }).status)).toEqual([413]);
    const after = await fs.stat(target);
    expect({ owner: await snapshot(owner), link: await fs.readlink(link) }).toEqual({ owner: before.owner, link: before.link });
    expect([after.mtimeMs, after.ctimeMs, after.size, after.uid, after.mode]).toEqual([before.stat.mtimeMs, before.stat.ctimeMs, before.stat.size, before.stat.uid, before.stat.mode]);
  });

  it('--print-config [--json] prints every setting and its origin, the password masked, and starts nothing', async () => {
    const folder = await tempDir('print', { in: dir });
    await fs.writeFile(path.join(folder, 'registry.json'), '{\n  "server": { "port": 8080 },\n  "storage": { "stale_read_ms": 50 }\n}\n');
    const before = await snapshot(folder);
    const env = { SKILLS_DATABASE_URL: 'postgres://registry:hunter2@db.invalid:5432/skills', SKILLS_REGISTRY_LIMITS_PUBLISHES_PER_MINUTE: '7' };
    const json = await runCli(['serve', '--config', 'registry.json', '--print-config', '--host', '0.0.0.0', '--json'], { cwd: folder, env });
    expect(json.code, json.stderr).toBe(0);
    const report = json.json<{ configFile: string; settings: Record<string, Record<string, unknown>> }>();
    const file = path.join(folder, 'registry.json');
    expect(report.configFile).toBe(file);
    expect(report.settings['server.port']).toEqual({ value: 8080, source: 'file', file, line: 2 });
    expect(report.settings['server.host']).toEqual({ value: '0.0.0.0', source: 'flag', flag: '--host' });
    expect(report.settings['limits.publishes_per_minute']).toEqual({ value: 7, source: 'env', variable: 'SKILLS_REGISTRY_LIMITS_PUBLISHES_PER_MINUTE' });
    expect(report.settings['storage.database']).toEqual({ value: 'postgres://registry:***@db.invalid:5432/skills', source: 'env', variable: 'SKILLS_DATABASE_URL' });
    expect(report.settings['storage.db']).toEqual({ value: path.join(folder, '.skills-registry', 'registry.db'), source: 'default' });
    const human = await runCli(['serve', '--config', 'registry.json', '--print-config'], { cwd: folder, env });
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/^port = 8080 +# file .*registry\.json line 2$/m);
    expect(human.stdout).toMatch(/^publishes_per_minute = 7 +# env SKILLS_REGISTRY_LIMITS_PUBLISHES_PER_MINUTE$/m);
    expect(json.stdout + json.stderr + human.stdout + human.stderr).not.toContain('hunter2');
    // No database, admin token or folder: nothing but the config file, as it was.
    expect(await snapshot(folder)).toEqual(before);
  });

  it('a bad file, variable or flag stops it with its code and a hint, no stack, nothing written', async () => {
    const folder = await tempDir('refused', { in: dir });
    await fs.writeFile(path.join(folder, 'registry.toml'), '[server]\nport = 0\n\n[limits]\npublish_per_minute = 5\n');
    const before = await snapshot(folder);
    const args = ['serve', '--config', 'registry.toml', '--db', path.join(folder, 'db', 'registry.db')];
    const human = await runCli(args, { cwd: folder });
    expect(human.code).toBe(1);
    expect(human.stderr).toContain(`error ECONFIGKEY ${path.join(folder, 'registry.toml')} line 5: unknown key "limits.publish_per_minute" (did you mean "limits.publishes_per_minute"?)`);
    expect(human.stderr).toContain('hint: ');
    expect(human.stderr, 'no stack trace for an operator mistake').not.toMatch(/\n\s+at /);
    const json = await runCli([...args, '--json'], { cwd: folder });
    expect(json.code).toBe(1);
    expect(json.json<{ error: Refusal }>().error.code).toBe('ECONFIGKEY');
    expect(await snapshot(folder), 'a failed serve changes no file').toEqual(before);

    await fs.writeFile(path.join(folder, 'ok.toml'), '[server]\nport = 0\n');
    const okBefore = await snapshot(folder);
    const variable = await runCli(['serve', '--config', 'ok.toml', '--db', path.join(folder, 'db', 'registry.db'), '--json'], { cwd: folder, env: { SKILLS_REGISTRY_LIMITS_MAX_JSON_BODY_BYTES: '-1' } });
    expect(variable.code).toBe(1);
    expect(variable.json<{ error: Refusal }>().error).toMatchObject({ code: 'ECONFIGVALUE', message: 'environment variable SKILLS_REGISTRY_LIMITS_MAX_JSON_BODY_BYTES: "-1" is not a whole number, 1 or more (limits.max_json_body_bytes)' });
    const flag = await runCli(['serve', '--config', 'ok.toml', '--port', '70000', '--db', path.join(folder, 'db', 'registry.db'), '--json'], { cwd: folder });
    expect(flag.code).toBe(2);
    expect(flag.json<{ error: Refusal }>().error).toMatchObject({ code: 'EUSAGE', message: '--port 70000: server.port must be a whole number from 0 to 65535' });
    expect(await snapshot(folder), 'a failed serve changes no file').toEqual(okBefore);
  });

  it('a config file this user may not read is ECONFIGFILE naming it (as root, checked as the unprivileged user nobody)', async () => {
    const folder = await tempDir('unreadable', { in: dir });
    const file = path.join(folder, 'registry.toml');
    await fs.writeFile(file, '[server]\nport = 0\n', { mode: 0o600 });
    if (NOBODY) {
      // tempDir makes 0700 folders: let the other user in (read and search only), but not into the file.
      await fs.chmod(dir, 0o755);
      await fs.chmod(folder, 0o755);
    } else {
      await fs.chmod(file, 0o000);
    }
    const before = await snapshot(folder).catch(() => undefined);
    const env = NOBODY ? { HOME: folder, SKILLS_CONFIG_DIR: path.join(folder, 'config'), SKILLS_CACHE_DIR: path.join(folder, 'cache') } : {};
    const run = await runCli(['serve', '--config', file, '--db', path.join(folder, 'db', 'registry.db'), '--json'], { cwd: folder, env, ...(NOBODY ? { as: NOBODY } : {}) });
    expect(run.code, run.stderr).toBe(1);
    expect(run.json<{ error: Refusal }>().error).toMatchObject({ code: 'ECONFIGFILE', message: `the config file ${file} cannot be read: this user may not read it` });
    await fs.chmod(file, 0o600);
    if (before) expect(await snapshot(folder)).toEqual(before);
    expect(await fs.readFile(file, 'utf8')).toBe('[server]\nport = 0\n');
  });
});
