/**
 * The registry's settings (registry-server/settings.ts, config-file.ts) in process: precedence
 * (flags > env > file > defaults) and where each value came from; relative paths; hostile config
 * files (wrong types, negative limits, 10 MB, a symbolic link, unreadable, unknown keys, syntax
 * errors, duplicate and nested keys) and variables, each refused with its code, key, file and line;
 * --print-config's report with secrets masked; the settings reaching the registry; and the table in
 * docs/configuration.md, generated from the settings (`--update` rewrites it).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseToml } from 'smol-toml';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_CONFIG_FILE_BYTES } from '../registry-server/config-file';
import { DEFAULT_REGISTRY_CONFIG } from '../registry-server/context';
import { logOptionsOf, resolveSettings, SETTING_ENTRIES, settingsReport, settingsText, startOptionsOf, type ResolvedSettings, type SettingFlags } from '../registry-server/settings';
import { SkillsError } from '../schema/errors';
import { DEFAULT_UNPACK_LIMITS } from '../tarball/limits';
import { createTestRegistry } from '../testkit/registry';
import { tempDir } from '../testkit/temp';
import { findSettingsBlock, settingsBlock, SETTINGS_DOC } from '../scripts/settings-table';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

let dir: string;
let cwd: string;
beforeAll(async () => {
  dir = await tempDir('settings');
  cwd = path.join(dir, 'cwd');
  await fs.mkdir(cwd);
});

let written = 0;
/** A config file of `text` in a folder of its own; returns its path. */
async function configFile(text: string | Buffer, name = 'registry.toml'): Promise<string> {
  const folder = path.join(dir, `c${++written}`);
  await fs.mkdir(folder);
  const file = path.join(folder, name);
  await fs.writeFile(file, text);
  return file;
}

function resolve(options: { file?: string; env?: NodeJS.ProcessEnv; flags?: SettingFlags } = {}): Promise<ResolvedSettings> {
  return resolveSettings({ cwd, env: options.env ?? {}, configFile: options.file, flags: options.flags ?? {} });
}

/** The SkillsError `promise` rejects with. */
async function refusal(promise: Promise<unknown>): Promise<SkillsError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof SkillsError)) throw new Error(`expected a SkillsError, got ${String(error)}`);
  return error;
}

describe('where each setting comes from', () => {
  it('defaults: the registry as it ran before there were settings', async () => {
    const { settings, origins, configFile } = await resolve();
    expect(configFile).toBeUndefined();
    expect(Object.values(origins).every((o) => o.source === 'default')).toBe(true);
    expect(settings.server).toMatchObject({ host: '127.0.0.1', port: 4873, public_url: undefined });
    expect(settings.storage).toEqual({ db: path.join(cwd, '.skills-registry', 'registry.db'), database: undefined, blobs: undefined, stale_read_ms: 1000 });
    expect(settings.log.requests).toBe('off');
    // Every RegistryConfig value the defaults give is the registry's own default.
    const { config } = startOptionsOf(settings);
    const { unpackLimits, ...rest } = config;
    expect(rest).toEqual(DEFAULT_REGISTRY_CONFIG);
    expect(unpackLimits).toEqual(DEFAULT_UNPACK_LIMITS);
  });

  it('flags > env > file > defaults, each value with its origin (file and line, variable, flag)', async () => {
    const file = await configFile('[server]\nport = 1111\nhost = "0.0.0.0"\n\n[limits]\npublishes_per_minute = 5\nmax_tarball_bytes = 1000\n');
    const env = { SKILLS_REGISTRY_SERVER_PORT: '2222', SKILLS_REGISTRY_LIMITS_PUBLISHES_PER_MINUTE: '6' };
    const { settings, origins } = await resolve({ file, env, flags: { 'server.port': 3333 } });
    expect(settings.server.port).toBe(3333);
    expect(origins['server.port']).toEqual({ source: 'flag', flag: '--port' });
    expect(settings.limits.publishes_per_minute).toBe(6);
    expect(origins['limits.publishes_per_minute']).toEqual({ source: 'env', variable: 'SKILLS_REGISTRY_LIMITS_PUBLISHES_PER_MINUTE' });
    expect(settings.server.host).toBe('0.0.0.0');
    expect(origins['server.host']).toEqual({ source: 'file', file, line: 3 });
    expect(origins['limits.max_tarball_bytes']).toEqual({ source: 'file', file, line: 7 });
    expect(origins['cache.packument_bytes']).toEqual({ source: 'default' });
    // Without the flag the variable wins, without the variable the file.
    expect((await resolve({ file, env })).settings.server.port).toBe(2222);
    expect((await resolve({ file })).settings.server.port).toBe(1111);
  });

  it('SKILLS_DATABASE_URL and SKILLS_BLOBS_URL are storage.database and storage.blobs; an empty variable is unset', async () => {
    const file = await configFile('[storage]\ndatabase = "postgres://file@h/db"\nstale_read_ms = 0\n');
    const env = { SKILLS_DATABASE_URL: 'postgres://env:pw@h/db', SKILLS_BLOBS_URL: 's3://b/p?region=r', SKILLS_REGISTRY_SERVER_HOST: '' };
    const { settings, origins } = await resolve({ file, env });
    expect(settings.storage).toMatchObject({ database: 'postgres://env:pw@h/db', blobs: 's3://b/p?region=r', stale_read_ms: 0 });
    expect(origins['storage.database']).toEqual({ source: 'env', variable: 'SKILLS_DATABASE_URL' });
    expect(origins['server.host']).toEqual({ source: 'default' });
    expect((await resolve({ file, env: { SKILLS_DATABASE_URL: '' } })).settings.storage.database).toBe('postgres://file@h/db');
    const start = startOptionsOf(settings);
    expect([start.database, start.blobs, start.staleReadMs]).toEqual(['postgres://env:pw@h/db', 's3://b/p?region=r', 0]);
    // On SQLite the stale-read setting is not passed at all.
    expect('staleReadMs' in startOptionsOf((await resolve()).settings)).toBe(false);
  });

  it("paths: the file's relative to its folder, the variables' and flags' relative to the working folder; off, stderr and stdout are words", async () => {
    const file = await configFile('[storage]\ndb = "data/r.db"\n[log]\nrequests = "logs/requests.jsonl"\n');
    const fromFile = (await resolve({ file })).settings;
    expect([fromFile.storage.db, fromFile.log.requests]).toEqual([path.join(path.dirname(file), 'data/r.db'), path.join(path.dirname(file), 'logs/requests.jsonl')]);
    const fromEnv = (await resolve({ file, env: { SKILLS_REGISTRY_STORAGE_DB: 'x.db', SKILLS_REGISTRY_LOG_REQUESTS: 'stderr' } })).settings;
    expect([fromEnv.storage.db, fromEnv.log.requests]).toEqual([path.join(cwd, 'x.db'), 'stderr']);
    expect((await resolve({ flags: { 'storage.db': 'y.db', 'log.requests': '/abs/off' } })).settings).toMatchObject({ storage: { db: path.join(cwd, 'y.db') }, log: { requests: '/abs/off' } });
    expect((await resolve({ file: await configFile('[log]\nrequests = "off"\n') })).settings.log.requests).toBe('off');
    expect((await resolve({ file: await configFile('[log]\nrequests = "stdout"\n') })).settings.log.requests).toBe('stdout');
  });

  it('JSON files work the same, with lines', async () => {
    const file = await configFile('{\n  "server": { "port": 8080 },\n  "limits": {\n    "publishes_per_minute": 9\n  }\n}\n', 'registry.json');
    const { settings, origins } = await resolve({ file });
    expect([settings.server.port, settings.limits.publishes_per_minute]).toEqual([8080, 9]);
    expect(origins['limits.publishes_per_minute']).toEqual({ source: 'file', file, line: 4 });
  });
});

describe('hostile config files', () => {
  it('a key of the wrong type: ECONFIGVALUE naming the key, the file and the line', async () => {
    const file = await configFile('[server]\nhost = "::"\nport = "4873"\n');
    const error = await refusal(resolve({ file }));
    expect(error.code).toBe('ECONFIGVALUE');
    expect(error.message).toBe(`${file} line 3: server.port must be a whole number from 0 to 65535, not "4873"`);
    expect(error.details).toEqual({ problems: [{ code: 'ECONFIGVALUE', key: 'server.port', line: 3, text: 'server.port must be a whole number from 0 to 65535, not "4873"' }] });
    const table = await refusal(resolve({ file: await configFile('server = 5\n') }));
    expect([table.code, table.message]).toEqual(['ECONFIGVALUE', expect.stringContaining('line 1: server must be a table of settings, not 5')]);
    const date = await refusal(resolve({ file: await configFile('[sessions]\nlifetime_hours = 1979-05-27\n') }));
    expect(date.message).toContain('line 2: sessions.lifetime_hours must be a whole number from 1 to 8760, not a date');
  });

  it('a negative limit, a port over 65535, a zero rate limit, a fraction, a tarball limit over what clients accept: every one named', async () => {
    const file = await configFile('[server]\nport = 70000\n[limits]\npublishes_per_minute = 0\nmax_json_body_bytes = -1\nmax_verify_cases = 1.5\nmax_tarball_bytes = 20971520\n[cache]\nsearch_bytes = -5\n');
    const error = await refusal(resolve({ file }));
    expect(error.code).toBe('ECONFIGVALUE');
    const problems = (error.details as { problems: { key: string; line: number }[] }).problems;
    expect(problems.map((p) => [p.key, p.line])).toEqual([
      ['server.port', 2],
      ['limits.publishes_per_minute', 4],
      ['limits.max_json_body_bytes', 5],
      ['limits.max_verify_cases', 6],
      ['limits.max_tarball_bytes', 7],
      ['cache.search_bytes', 9],
    ]);
    expect(error.message).toContain(`${file}: line 2: server.port must be a whole number from 0 to 65535, not 70000; `);
    expect(error.message).toContain('limits.publishes_per_minute must be a whole number, 1 or more, not 0');
    expect(error.message).toContain('limits.max_json_body_bytes must be a whole number, 1 or more, not -1');
    expect(error.message).toMatch(/; and 1 more$/);
    // Zero where it means something is fine: no search cache, checking before every cached read.
    const zero = await resolve({ file: await configFile('[cache]\nsearch_bytes = 0\npackument_bytes = 0\n[limits]\ndelete_window_hours = 0\n') });
    expect([zero.settings.cache.search_bytes, zero.settings.limits.delete_window_hours]).toEqual([0, 0]);
  });

  it(`a 10 MB file is refused by its size before it is read (at most ${MAX_CONFIG_FILE_BYTES} bytes)`, async () => {
    const line = '# a comment line of a config file that goes on and on and on and on and on\n';
    const file = await configFile(line.repeat(Math.ceil((10 * 1000 * 1000) / line.length)));
    const error = await refusal(resolve({ file }));
    expect(error.code).toBe('ECONFIGFILE');
    expect(error.message).toBe(`the config file ${file} is ${(await fs.stat(file)).size} bytes; a config file may hold at most 1048576 bytes (1 MiB)`);
    // One byte over the bound is refused, the bound itself is read.
    const over = await configFile(`${'#'.repeat(MAX_CONFIG_FILE_BYTES - 1)}\n[server]\nport = 1\n`.slice(0, MAX_CONFIG_FILE_BYTES + 1));
    expect((await refusal(resolve({ file: over }))).code).toBe('ECONFIGFILE');
    const exact = await configFile(`${'#'.repeat(MAX_CONFIG_FILE_BYTES - 19)}\n[server]\nport = 1\n`);
    expect((await fs.stat(exact)).size).toBe(MAX_CONFIG_FILE_BYTES);
    expect((await resolve({ file: exact })).settings.server.port).toBe(1);
  });

  it('a symbolic link to another file is read through, and neither it nor the file is changed', async () => {
    const target = await configFile('[server]\nport = 4321\n');
    const folder = path.join(dir, 'linked');
    await fs.mkdir(folder);
    const link = path.join(folder, 'registry.toml');
    await fs.symlink(target, link);
    const before = { bytes: await fs.readFile(target), mtime: (await fs.stat(target)).mtimeMs, link: await fs.readlink(link) };
    const { settings, origins, configFile: read } = await resolve({ file: link });
    expect(settings.server.port).toBe(4321);
    expect(read).toBe(link);
    expect(origins['server.port']).toEqual({ source: 'file', file: link, line: 2 });
    expect({ bytes: await fs.readFile(target), mtime: (await fs.stat(target)).mtimeMs, link: await fs.readlink(link) }).toEqual(before);
  });

  it('a file that cannot be read is ECONFIGFILE naming it: missing, a link to nothing, a folder, a FIFO, not UTF-8, another extension', async () => {
    const cases: [string, string][] = [];
    cases.push([path.join(dir, 'missing.toml'), 'does not exist']);
    const dangling = path.join(dir, 'dangling.toml');
    await fs.symlink(path.join(dir, 'nothing-here.toml'), dangling);
    cases.push([dangling, 'does not exist (or is a link to nothing)']);
    const folder = path.join(dir, 'folder.toml');
    await fs.mkdir(folder);
    cases.push([folder, 'is a folder']);
    const fifo = path.join(dir, 'fifo.toml');
    execFileSync('mkfifo', [fifo]);
    cases.push([fifo, 'is not a regular file']);
    cases.push([await configFile(Buffer.from([0x5b, 0x73, 0xff, 0xfe, 0x5d, 0x0a])), 'is not UTF-8 text']);
    cases.push([await configFile('port = 1\n', 'registry.yaml'), 'is neither .toml nor .json']);
    for (const [file, what] of cases) {
      const error = await refusal(resolve({ file }));
      expect([error.code, error.message], file).toEqual(['ECONFIGFILE', expect.stringContaining(`the config file ${file} ${what}`)]);
    }
    // A relative --config is named by its absolute path.
    expect((await refusal(resolve({ file: 'nope.toml' }))).message).toContain(path.join(cwd, 'nope.toml'));
  });

  it('an unknown key gets the key it probably meant, with its line; so does a section, and a key in the wrong section', async () => {
    const file = await configFile('[limits]\npublish_per_minute = 5\n\n[sesions]\nlifetime_hours = 2\n\n[server]\ndb = "x.db"\nflux = 1\n');
    const error = await refusal(resolve({ file }));
    expect(error.code).toBe('ECONFIGKEY');
    expect(error.message).toBe(
      `${file}: line 2: unknown key "limits.publish_per_minute" (did you mean "limits.publishes_per_minute"?); ` +
        'line 4: unknown key "sesions" (did you mean "sessions"?); line 8: unknown key "server.db" (did you mean "storage.db"?); ' +
        'line 9: unknown key "server.flux"',
    );
    expect(error.hint).toContain('docs/configuration.md');
    const single = await refusal(resolve({ file: await configFile('port = 8080\n') }));
    expect(single.message).toMatch(/ line 1: unknown key "port" \(did you mean "server.port"\?\)$/);
  });

  it('a TOML syntax error gives its line and column; a key written twice is one too', async () => {
    const error = await refusal(resolve({ file: await configFile('[server]\nhost = "a"\nport = = 3\n') }));
    expect([error.code, error.details]).toEqual(['ECONFIGFILE', expect.objectContaining({ line: 3 })]);
    expect(error.message).toMatch(/is not valid TOML: line 3, column \d+: /);
    const twice = await refusal(resolve({ file: await configFile('[server]\nport = 1\nport = 2\n') }));
    expect([twice.code, twice.message]).toEqual(['ECONFIGFILE', expect.stringContaining('is not valid TOML: line 3')]);
  });

  it('JSON: a duplicate key, a nested unknown key, comments, deep nesting, a key named __proto__', async () => {
    const duplicate = await refusal(resolve({ file: await configFile('{\n  "limits": {\n    "publishes_per_minute": 5,\n    "publishes_per_minute": 500\n  }\n}\n', 'r.json') }));
    expect([duplicate.code, duplicate.message]).toEqual(['ECONFIGFILE', expect.stringContaining('holds the key "limits.publishes_per_minute" twice (lines 3 and 4)')]);
    const nested = await refusal(resolve({ file: await configFile('{\n  "server": {\n    "port": 1,\n    "tls": { "cert": "x" }\n  },\n  "limits": { "max_tarball_bytes": { "value": 1 } }\n}\n', 'r.json') }));
    expect(nested.code).toBe('ECONFIGKEY');
    expect(nested.message).toContain('line 4: unknown key "server.tls"');
    expect(nested.message).toContain('line 6: limits.max_tarball_bytes must be a whole number from 1 to 10485760, not an object');
    const comment = await refusal(resolve({ file: await configFile('{\n  // port\n  "server": {}\n}\n', 'r.json') }));
    expect([comment.code, comment.message]).toEqual(['ECONFIGFILE', expect.stringContaining('is not valid JSON: line 2, column 3: a comment')]);
    const deep = await refusal(resolve({ file: await configFile(`{"server": ${'['.repeat(200_000)}${']'.repeat(200_000)}}`, 'r.json') }));
    expect([deep.code, deep.message]).toEqual(['ECONFIGFILE', expect.stringContaining('nests objects and arrays deeper than 16')]);
    const proto = await refusal(resolve({ file: await configFile('{"__proto__": {"port": 1}, "server": {"__proto__": 1}}', 'r.json') }));
    expect([proto.code, proto.message]).toEqual(['ECONFIGKEY', expect.stringContaining('unknown key "server.__proto__"')]);
    expect(proto.message).toContain('unknown key "__proto__"');
    const tomlProto = await refusal(resolve({ file: await configFile('[server]\n__proto__ = 1\n') }));
    expect(tomlProto.code).toBe('ECONFIGKEY');
    expect(({} as Record<string, unknown>).port).toBeUndefined();
  });

  it('a file that is not tables of settings', async () => {
    const array = await configFile('[1]', 'r.json');
    expect(await refusal(resolve({ file: array }))).toMatchObject({ code: 'ECONFIGVALUE', message: `${array} must hold an object of settings, not an array` });
    const empty = await configFile(' \n', 'r.json');
    expect(await refusal(resolve({ file: empty }))).toMatchObject({ code: 'ECONFIGFILE', message: `the config file ${empty} is empty (write {} for no settings)` });
    // An empty TOML file sets nothing.
    expect((await resolve({ file: await configFile('') })).settings.server.port).toBe(4873);
  });
});

describe('hostile environment variables and flags', () => {
  it('an unknown SKILLS_REGISTRY_* variable gets the variable it probably meant; SKILLS_REGISTRY itself is the client URL', async () => {
    const error = await refusal(resolve({ env: { SKILLS_REGISTRY_LIMITS_PUBLISH_PER_MINUTE: '5', SKILLS_REGISTRY: 'http://x', SKILLS_TOKEN: 't' } }));
    expect([error.code, error.message]).toEqual(['ECONFIGKEY', 'environment variable SKILLS_REGISTRY_LIMITS_PUBLISH_PER_MINUTE: names no setting (did you mean "SKILLS_REGISTRY_LIMITS_PUBLISHES_PER_MINUTE"?)']);
    const guessed = await refusal(resolve({ env: { SKILLS_REGISTRY_STORAGE_DATABASE: 'postgres://x' } }));
    expect(guessed.message).toBe('environment variable SKILLS_REGISTRY_STORAGE_DATABASE: is not read: storage.database comes from SKILLS_DATABASE_URL');
    expect((await resolve({ env: { SKILLS_REGISTRY: 'http://x' } })).settings.server.port).toBe(4873);
  });

  it('a variable that is not a number, a fraction or out of range: ECONFIGVALUE naming the variable and the key', async () => {
    for (const raw of ['abc', '60.0', '6e1', '-1', '0', '99999999999999999999']) {
      const error = await refusal(resolve({ env: { SKILLS_REGISTRY_LIMITS_PUBLISHES_PER_MINUTE: raw } }));
      expect([error.code, error.message], raw).toEqual(['ECONFIGVALUE', `environment variable SKILLS_REGISTRY_LIMITS_PUBLISHES_PER_MINUTE: ${JSON.stringify(raw)} is not a whole number, 1 or more (limits.publishes_per_minute)`]);
    }
    expect((await resolve({ env: { SKILLS_REGISTRY_LIMITS_PUBLISHES_PER_MINUTE: ' 60 ' } })).settings.limits.publishes_per_minute).toBe(60);
    const url = await refusal(resolve({ env: { SKILLS_REGISTRY_SERVER_PUBLIC_URL: 'ftp://x' } }));
    expect(url.message).toContain('is not an http:// or https:// URL (server.public_url)');
  });

  it('a flag out of range is EUSAGE naming the flag; --stale-read-ms on SQLite is EUSAGE, stale_read_ms from a file ECONFIGVALUE', async () => {
    const port = await refusal(resolve({ flags: { 'server.port': 70000 } }));
    expect([port.code, port.message]).toEqual(['EUSAGE', '--port 70000: server.port must be a whole number from 0 to 65535']);
    const url = await refusal(resolve({ flags: { 'server.public_url': 'not a url' } }));
    expect([url.code, url.message]).toEqual(['EUSAGE', '--public-url "not a url": server.public_url must be an http:// or https:// URL']);
    expect((await refusal(resolve({ flags: { 'storage.stale_read_ms': 5 } }))).code).toBe('EUSAGE');
    const file = await configFile('[storage]\nstale_read_ms = 5\n');
    const fromFile = await refusal(resolve({ file }));
    expect([fromFile.code, fromFile.message]).toEqual(['ECONFIGVALUE', `file ${file} line 2: storage.stale_read_ms applies to a registry on PostgreSQL (storage.database): SQLite checks before every cached read at no cost`]);
    expect((await resolve({ file, env: { SKILLS_DATABASE_URL: 'postgres://h/db' } })).settings.storage.stale_read_ms).toBe(5);
  });
});

describe('--print-config', () => {
  it('reports every key with its value and origin, passwords masked', async () => {
    const file = await configFile('[server]\npublic_url = "https://skills.example.com"\n[storage]\nstale_read_ms = 10\n');
    const resolved = await resolve({ file, env: { SKILLS_DATABASE_URL: 'postgres://registry:hunter2@db:5432/skills?sslmode=require&password=hunter3', SKILLS_REGISTRY_SESSIONS_LIFETIME_HOURS: '2' }, flags: { 'server.port': 0 } });
    const report = settingsReport(resolved);
    expect(Object.keys(report.settings)).toEqual(SETTING_ENTRIES.map((e) => e.key));
    expect(report.configFile).toBe(file);
    expect(report.settings['storage.database']).toEqual({ value: 'postgres://registry:***@db:5432/skills?sslmode=require&password=***', source: 'env', variable: 'SKILLS_DATABASE_URL' });
    expect(report.settings['server.port']).toEqual({ value: 0, source: 'flag', flag: '--port' });
    expect(report.settings['server.public_url']).toEqual({ value: 'https://skills.example.com', source: 'file', file, line: 2 });
    expect(report.settings['sessions.lifetime_hours']).toEqual({ value: 2, source: 'env', variable: 'SKILLS_REGISTRY_SESSIONS_LIFETIME_HOURS' });
    expect(report.settings['storage.blobs']).toEqual({ value: null, source: 'default' });
    const text = settingsText(resolved);
    expect(JSON.stringify(report) + text).not.toContain('hunter');
    expect(text).toContain('port = 0');
    expect(text).toContain(`# file ${file} line 2`);
    expect(text).toContain('# env SKILLS_REGISTRY_SESSIONS_LIFETIME_HOURS');
    expect(text).toContain("# blobs not set");
  });

  it('prints TOML that reads back as the same settings', async () => {
    const resolved = await resolve({ env: { SKILLS_REGISTRY_LIMITS_MAX_JSON_DEPTH: '8', SKILLS_REGISTRY_SERVER_PUBLIC_URL: 'https://a.example' } });
    const text = settingsText(resolved);
    expect(parseToml(text)).toMatchObject({ limits: { max_json_depth: 8 }, server: { public_url: 'https://a.example' } });
    const again = await resolve({ file: await configFile(text) });
    expect(again.settings).toEqual(resolved.settings);
  });
});

describe('the settings reach the registry', () => {
  it('log: where, how and what; "off" still sends warnings and server errors to stderr; log.format and log.level take their words only', async () => {
    const defaults = (await resolve()).settings.log;
    expect(defaults).toEqual({ requests: 'off', format: 'auto', level: 'info' });
    expect(logOptionsOf(defaults)).toEqual({ target: 'stderr', format: 'auto', level: 'warn' });
    expect(logOptionsOf({ requests: 'off', format: 'json', level: 'silent' })).toEqual({ target: 'stderr', format: 'json', level: 'silent' });
    expect(logOptionsOf({ requests: 'stdout', format: 'pretty', level: 'error' })).toEqual({ target: 'stdout', format: 'pretty', level: 'error' });
    const file = await configFile('[log]\nrequests = "logs/registry.log"\nformat = "json"\nlevel = "warn"\n');
    expect(logOptionsOf((await resolve({ file })).settings.log)).toEqual({ target: { file: path.join(path.dirname(file), 'logs/registry.log') }, format: 'json', level: 'warn' });
    // --quiet is log.level "silent", and says so.
    const quiet = await resolve({ file, flags: { 'log.level': 'silent' } });
    expect([quiet.settings.log.level, quiet.origins['log.level']]).toEqual(['silent', { source: 'flag', flag: '--quiet' }]);
    const fancy = await refusal(resolve({ file: await configFile('[log]\nformat = "fancy"\n') }));
    expect([fancy.code, fancy.message]).toEqual(['ECONFIGVALUE', expect.stringContaining('line 2: log.format must be "auto", "json" or "pretty", not "fancy"')]);
    const debug = await refusal(resolve({ env: { SKILLS_REGISTRY_LOG_LEVEL: 'debug' } }));
    expect([debug.code, debug.message]).toEqual(['ECONFIGVALUE', expect.stringContaining('SKILLS_REGISTRY_LOG_LEVEL: "debug" is not "info", "warn", "error" or "silent" (log.level)')]);
  });

  it('limits.max_json_body_bytes and sessions.lifetime_hours from a file', async () => {
    const file = await configFile('[limits]\nmax_json_body_bytes = 2048\n[sessions]\nlifetime_hours = 3\n');
    const r = await createTestRegistry(startOptionsOf((await resolve({ file })).settings).config);
    try {
      const big = await r.request('POST', '/v1/users', { token: r.admin, body: { name: 'x'.repeat(4096) } });
      expect([big.status, ((await big.json()) as { error: { code: string } }).error.code]).toEqual([413, 'EPAYLOADTOOLARGE']);
      const form = await r.request('GET', '/sign-in', { headers: { Accept: 'text/html' } });
      const anon = /skills_csrf=([^;]+)/.exec(form.headers.getSetCookie().join('\n'))?.[1] ?? '';
      const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
      const signIn = await r.request('POST', '/sign-in', {
        headers: { Accept: 'text/html', 'Content-Type': 'application/x-www-form-urlencoded', Cookie: `skills_csrf=${anon}` },
        body: new URLSearchParams({ csrf, next: '/', token: r.bobRead }).toString(),
      });
      expect(signIn.status).toBe(303);
      const row = r.db.prepare('SELECT created_at, expires_at FROM web_sessions').get() as { created_at: string; expires_at: string };
      const hours = (Date.parse(row.expires_at) - Date.parse(row.created_at)) / 3600_000;
      expect(hours).toBeGreaterThan(2.99);
      expect(hours).toBeLessThan(3.01);
    } finally {
      await r.close();
    }
  });
});

describe('docs/configuration.md', () => {
  const file = path.join(ROOT, SETTINGS_DOC);

  it('holds the table generated from the settings', async () => {
    const text = await fs.readFile(file, 'utf8');
    const current = findSettingsBlock(text);
    expect(current, `${SETTINGS_DOC} has no settings markers`).toBeDefined();
    const wanted = settingsBlock();
    if (expect.getState().snapshotState?.snapshotUpdateState === 'all') {
      if (current !== wanted) await fs.writeFile(file, text.replace(current ?? '', wanted));
      return;
    }
    expect(current, `${SETTINGS_DOC} is out of date: run \`npx vitest run test/registry-settings.test.ts --update\``).toBe(wanted);
    for (const entry of SETTING_ENTRIES) expect(current).toContain(`| \`${entry.name}\` | \`${entry.variable}\` |`);
  });

  it('its example config file is valid and means what it says', async () => {
    const text = await fs.readFile(file, 'utf8');
    const example = /```toml\n([\s\S]*?)```/.exec(text)?.[1] ?? '';
    const config = await configFile(example);
    const { settings, origins } = await resolve({ file: config });
    expect(settings).toMatchObject({
      server: { host: '0.0.0.0', port: 4873, public_url: 'https://skills.example.com' },
      storage: { db: path.join(path.dirname(config), 'data/registry.db') },
      limits: { publishes_per_minute: 60, max_tarball_bytes: 5 * 1024 * 1024 },
      sessions: { lifetime_hours: 8 },
      log: { requests: path.join(path.dirname(config), 'logs/requests.jsonl') },
    });
    expect(origins['server.port']).toMatchObject({ source: 'file', line: 4 });
  });
});
