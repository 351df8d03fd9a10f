/**
 * Operator mistakes with `skills serve` (real processes): each expected failure exits 1 with its
 * own code and a hint, never a stack trace, and leaves every file as it was. Then where request
 * logs go: nowhere by default, stderr with `--log`, a file with `--log <file>`.
 */
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPLICATION_ID, openDatabase } from '../registry-server/db';
import { runCli } from '../testkit/cli';
import { serveRegistry } from '../testkit/serve';
import { tempDir } from '../testkit/temp';
import { snapshot } from '../testkit/workspace';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('serve-errors');
});
afterAll(async () => {
  await fs.chmod(path.join(dir, 'locked'), 0o755).catch(() => undefined);
  await fs.rm(dir, { recursive: true, force: true });
});

interface Refusal {
  code: string;
  message: string;
  hint?: string;
}

/** An unprivileged user (nobody), for checks a root runner would pass through: undefined when not root (the runner is unprivileged itself). */
const UNPRIVILEGED = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined;

/** Runs `skills serve` twice (human and --json) and returns the JSON error, checking the human form too. */
async function serveFails(args: string[], code: string, as?: { uid: number; gid: number }): Promise<Refusal> {
  const folder = await tempDir('case', { in: dir });
  if (as) {
    // tempDir makes 0700 folders: let the other user in (read and search only).
    await fs.chmod(dir, 0o755);
    await fs.chmod(folder, 0o755);
  }
  const before = await snapshot(dir);
  const human = await runCli(['serve', ...args], { cwd: folder, timeoutMs: 30_000, as, env: as ? { HOME: folder, SKILLS_CONFIG_DIR: path.join(folder, 'config'), SKILLS_CACHE_DIR: path.join(folder, 'cache') } : {} });
  expect(human.code, human.stderr).toBe(1);
  expect(human.stderr).toContain(`error ${code} `);
  expect(human.stderr).toContain('hint: ');
  expect(human.stderr, 'no stack trace for an operator mistake').not.toMatch(/\n\s+at /);
  expect(human.stderr).not.toContain('EINTERNAL');
  const json = await runCli(['serve', '--json', ...args], { cwd: folder, timeoutMs: 30_000, as, env: as ? { HOME: folder, SKILLS_CONFIG_DIR: path.join(folder, 'config'), SKILLS_CACHE_DIR: path.join(folder, 'cache') } : {} });
  expect(json.code).toBe(1);
  const error = json.json<{ error: Refusal }>().error;
  expect(error.code).toBe(code);
  expect(error.hint).toBeTruthy();
  expect(await snapshot(dir), 'a failed serve changes no file').toEqual(before);
  return error;
}

describe('skills serve: operator mistakes get a code and a hint', () => {
  it('EADDRINUSE on a port that is taken, before any database file is created', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      const error = await serveFails(['--port', String(port), '--db', path.join(dir, 'never', 'registry.db')], 'EADDRINUSE');
      expect(error.message).toContain(String(port));
      expect(error.hint).toContain('--port 0');
      expect(await fs.stat(path.join(dir, 'never')).catch(() => undefined)).toBeUndefined();
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('EADDRNOTAVAIL for a host that is not this machine', async () => {
    await serveFails(['--port', '0', '--host', '203.0.113.7', '--db', path.join(dir, 'never2', 'registry.db')], 'EADDRNOTAVAIL');
  });

  it('EDBNOTSQLITE for a file that is not a SQLite database, left unchanged', async () => {
    const file = path.join(dir, 'notes.txt');
    await fs.writeFile(file, 'these are my notes, not a database\n'.repeat(200));
    const error = await serveFails(['--port', '0', '--db', file], 'EDBNOTSQLITE');
    expect(error.hint).toContain('backup');
  });

  it("EDBFOREIGN for another program's SQLite database, left unchanged", async () => {
    const file = path.join(dir, 'other-app.db');
    const other = new Database(file);
    other.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes (text) VALUES ('mine');");
    other.close();
    await serveFails(['--port', '0', '--db', file], 'EDBFOREIGN');
    const marked = path.join(dir, 'marked.db');
    const app = new Database(marked);
    app.pragma('application_id = 42');
    app.pragma('user_version = 1');
    app.exec('CREATE TABLE users (id INTEGER PRIMARY KEY)');
    app.close();
    expect((await serveFails(['--port', '0', '--db', marked], 'EDBFOREIGN')).message).toContain('0x2a');
  });

  it('EDBCORRUPT for a damaged registry database, with how to restore it', async () => {
    const file = path.join(dir, 'damaged.db');
    openDatabase(file).close();
    const bytes = await fs.readFile(file);
    // Page 1 after the 100-byte header holds the schema table: wreck it.
    bytes.fill(0xa5, 100, Math.min(bytes.length, 4096));
    await fs.writeFile(file, bytes);
    await fs.rm(`${file}-wal`, { force: true });
    await fs.rm(`${file}-shm`, { force: true });
    const error = await serveFails(['--port', '0', '--db', file], 'EDBCORRUPT');
    expect(error.hint).toContain('backup');
  });

  it('EDBNEWER for a registry database written by newer code, left unchanged', async () => {
    const file = path.join(dir, 'newer.db');
    openDatabase(file).close();
    const raw = new Database(file);
    raw.pragma('user_version = 999');
    raw.pragma('journal_mode = DELETE');
    raw.close();
    expect(new Database(file, { readonly: true }).pragma('application_id', { simple: true })).toBe(APPLICATION_ID);
    await serveFails(['--port', '0', '--db', file], 'EDBNEWER');
  });

  it('EDBDIR when the database folder cannot be created', async () => {
    await fs.writeFile(path.join(dir, 'a-file'), 'x');
    await serveFails(['--port', '0', '--db', path.join(dir, 'a-file', 'db', 'registry.db')], 'EDBDIR');
  });

  it('ELOGFILE when the --log file cannot be written, before the database is touched', async () => {
    const missing = await serveFails(['--port', '0', '--db', path.join(dir, 'never3', 'registry.db'), '--log', path.join(dir, 'no-such-folder', 'requests.log')], 'ELOGFILE');
    expect(missing.message).toContain('does not exist');
    await fs.mkdir(path.join(dir, 'a-folder'), { recursive: true });
    expect((await serveFails(['--port', '0', '--db', path.join(dir, 'never3', 'registry.db'), '--log', path.join(dir, 'a-folder')], 'ELOGFILE')).message).toContain('is a folder');
    expect(await fs.stat(path.join(dir, 'never3')).catch(() => undefined)).toBeUndefined();
  });

  it('EUSAGE (exit 2) for --quiet with --log', async () => {
    const run = await runCli(['serve', '--port', '0', '--db', path.join(dir, 'never4', 'registry.db'), '--quiet', '--log', '--json'], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.json<{ error: Refusal }>().error.code).toBe('EUSAGE');
  });

  it('EDBREADONLY when the database folder is not writable (as root, checked as the unprivileged user nobody)', async () => {
    const locked = path.join(dir, 'locked');
    await fs.mkdir(locked, { recursive: true });
    await fs.chmod(locked, 0o555);
    const error = await serveFails(['--port', '0', '--db', path.join(locked, 'registry.db')], 'EDBREADONLY', UNPRIVILEGED);
    expect(error.message).toContain(locked);
    // The user really could not write there (so the code is not a coincidence of something else).
    expect(await fs.readdir(locked)).toEqual([]);
  });
});

/** One request the registry logs, then a graceful stop, so everything it wrote has been flushed. */
async function oneRequest(extraArgs: string[]) {
  const served = await serveRegistry(extraArgs);
  const ping = await fetch(`${served.url}/-/ping`);
  expect(ping.status).toBe(200);
  await ping.arrayBuffer();
  expect(await served.stop()).toBe(0);
  return served;
}

const pingLines = (text: string) =>
  text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as { method?: string; path?: string; status?: number })
    .filter((entry) => entry.path === '/-/ping');

describe('skills serve: request logs', () => {
  it('are off by default: nothing on stderr; the ready event gives the catalog and a login line', async () => {
    const served = await oneRequest([]);
    expect(served.stderr()).toBe('');
    expect(served.ready).toMatchObject({ catalogUrl: `${served.url}/`, requestLog: null, login: `skills login --registry ${served.url} --token ${served.adminToken}` });
  });

  it('--log writes one JSON line per request to stderr', async () => {
    const served = await oneRequest(['--log']);
    expect(served.ready.requestLog).toBe('stderr');
    expect(pingLines(served.stderr())).toEqual([expect.objectContaining({ method: 'GET', path: '/-/ping', status: 200 })]);
  });

  it('--log <file> appends to the file (mode 0600 when it creates it), nothing on stderr', async () => {
    const file = path.join(dir, 'logs', 'requests.jsonl');
    await fs.mkdir(path.dirname(file), { recursive: true });
    const first = await oneRequest(['--log', file]);
    expect(first.ready.requestLog).toBe(file);
    expect(first.stderr()).toBe('');
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    await oneRequest(['--log', file]);
    expect(pingLines(await fs.readFile(file, 'utf8'))).toHaveLength(2);
  });
});
