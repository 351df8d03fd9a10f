/**
 * `skills serve` while it starts: on a disk too full for its database it refuses with EDBFULL and
 * leaves the disk as it was; and a request that arrives after the port is bound but before the
 * registry is ready gets 503 ESTARTING with `Retry-After`, then the same port serves normally.
 * Both with the real CLI process; neither depends on how fast the machine is.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli } from '../testkit/cli';
import { tempDir } from '../testkit/temp';

let tmp: string;

beforeAll(async () => {
  tmp = await tempDir('serve-start');
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

/**
 * Runs `script` (sh, with "$@" = args) in a mount namespace of its own, inside a user namespace
 * where this user is root, so it may mount a size-limited tmpfs without being root on the machine.
 * The mount ends with the namespace: nothing is left mounted, whatever happens to the test.
 */
function inOwnMountNamespace(script: string, args: readonly string[]): ChildProcess {
  return spawn('unshare', ['--user', '--map-root-user', '--mount', 'sh', '-c', script, 'sh', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
}

function collect(child: ChildProcess): { out: () => string; err: () => string; exit: Promise<number | null> } {
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exit = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { out: () => out, err: () => err, exit };
}

/** A 1 MiB tmpfs holding 900 KiB of other data: room for SQLite's 32 KiB shared-memory file, not for a new registry database. */
const FULL_DISK = `
mount -t tmpfs -o size=1m tmpfs "$1" || exit 90
head -c 921600 /dev/zero > "$1/other-data" || exit 91
"$2" "$3" serve --port 0 --db "$1/db/registry.db" --json
code=$?
(cd "$1" && find . | sort) > "$4"
exit $code
`;

/** The same data on a 16 MiB tmpfs: the registry starts (the namespace and mount are not what fails above). */
const ROOMY_DISK = `
mount -t tmpfs -o size=16m tmpfs "$1" || exit 90
head -c 921600 /dev/zero > "$1/other-data" || exit 91
exec "$2" "$3" serve --port 0 --db "$1/db/registry.db" --json
`;

/** An 8 KiB tmpfs: too small even for SQLite's 32 KiB shared-memory file, which SQLite reports as an I/O error. */
const TINY_DISK = `
mount -t tmpfs -o size=8k tmpfs "$1" || exit 90
"$2" "$3" serve --port 0 --db "$1/registry.db" --json
code=$?
(cd "$1" && find . | sort) > "$4"
exit $code
`;

describe('serve on a full disk', () => {
  it('EDBFULL: the database cannot be created; the disk holds exactly what it held before', async () => {
    const mountPoint = path.join(tmp, 'full');
    const listing = path.join(tmp, 'full-listing.txt');
    await fs.mkdir(mountPoint);
    const run = collect(inOwnMountNamespace(FULL_DISK, [mountPoint, process.execPath, BIN, listing]));
    const code = await run.exit;
    expect(code, run.out() + run.err()).toBe(1);
    const error = (JSON.parse(run.out()) as { error: { code: string; message: string; hint: string } }).error;
    expect(error).toEqual({ code: 'EDBFULL', message: `the disk holding ${path.join(mountPoint, 'db', 'registry.db')} is full`, hint: 'free space on that disk' });
    // No database, -wal, -shm or db/ folder left behind: only what was there.
    expect((await fs.readFile(listing, 'utf8')).split('\n').filter(Boolean)).toEqual(['.', './other-data']);
  });

  it('EDBIO: a disk too small for the shared-memory file is an I/O error with a code, not EINTERNAL; nothing is left behind', async () => {
    const mountPoint = path.join(tmp, 'tiny');
    const listing = path.join(tmp, 'tiny-listing.txt');
    await fs.mkdir(mountPoint);
    const run = collect(inOwnMountNamespace(TINY_DISK, [mountPoint, process.execPath, BIN, listing]));
    const code = await run.exit;
    expect(code, run.out() + run.err()).toBe(1);
    const error = (JSON.parse(run.out()) as { error: { code: string; message: string; hint: string } }).error;
    expect(error.code, error.message).toBe('EDBIO');
    expect(error.message).toMatch(new RegExp(`^reading or writing ${path.join(mountPoint, 'registry.db').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} failed on its disk \\(SQLITE_IOERR[A-Z_]*\\)$`));
    expect(error.hint).toContain('free space');
    expect((await fs.readFile(listing, 'utf8')).split('\n').filter(Boolean)).toEqual(['.']);
  });

  it('the same layout with room to spare starts', async () => {
    const mountPoint = path.join(tmp, 'roomy');
    await fs.mkdir(mountPoint);
    const child = inOwnMountNamespace(ROOMY_DISK, [mountPoint, process.execPath, BIN]);
    const run = collect(child);
    try {
      const ready = await new Promise<{ event: string; db: string }>((resolve, reject) => {
        child.stdout?.on('data', () => {
          const line = run.out().split('\n')[0];
          if (line && run.out().includes('\n')) resolve(JSON.parse(line) as { event: string; db: string });
        });
        void run.exit.then((c) => reject(new Error(`serve exited ${c}: ${run.out()} ${run.err()}`)));
      });
      expect(ready).toMatchObject({ event: 'ready', db: path.join(mountPoint, 'db', 'registry.db') });
    } finally {
      child.kill('SIGTERM');
    }
    expect(await run.exit).toBe(0);
  });
});

/** The port a process listens on, from its socket descriptors and the kernel's TCP tables (Linux). */
async function listeningPort(pid: number): Promise<number | undefined> {
  const sockets = new Set<string>();
  for (const fd of await fs.readdir(`/proc/${pid}/fd`).catch(() => [] as string[])) {
    const socket = /^socket:\[(\d+)\]$/.exec(await fs.readlink(`/proc/${pid}/fd/${fd}`).catch(() => ''));
    if (socket?.[1]) sockets.add(socket[1]);
  }
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of (await fs.readFile(table, 'utf8').catch(() => '')).split('\n').slice(1)) {
      const [, local, , state, , , , , , inode] = line.trim().split(/\s+/);
      // State 0A is LISTEN; the local address ends in the port, in hex.
      if (state === '0A' && inode !== undefined && sockets.has(inode) && local) return Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16);
    }
  }
  return undefined;
}

describe('a request during start-up', () => {
  it('ESTARTING: 503 with Retry-After while the registry starts, then the same port serves', async () => {
    // The port is bound first; the registry is ready once it has opened its database and, on a
    // new database, written the first admin token beside it. Opening and migrating SQLite is
    // synchronous (no request is even read meanwhile), so the token file is the step a request can
    // arrive during. Here it is a named pipe: the write waits, as on a slow disk, until this test
    // reads it, so the window stays open exactly as long as the test needs.
    const dir = path.join(tmp, 'starting');
    await fs.mkdir(dir);
    const fifo = path.join(dir, 'admin-token');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--db', path.join(dir, 'registry.db'), '--json'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    const run = collect(child);
    try {
      let port: number | undefined;
      while (port === undefined) {
        if (child.exitCode !== null) throw new Error(`serve exited ${child.exitCode}: ${run.out()} ${run.err()}`);
        port = await listeningPort(child.pid as number);
        if (port === undefined) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const base = `http://127.0.0.1:${port}`;
      for (const url of ['/-/ping', '/v1/skills/@acme/x', '/']) {
        const res = await fetch(`${base}${url}`);
        expect(res.status, url).toBe(503);
        expect(res.headers.get('retry-after')).toBe('1');
        expect(res.headers.get('content-type')).toBe('application/json');
        expect(await res.json()).toEqual({ error: { code: 'ESTARTING', message: 'the registry is starting; try again in a moment', hint: 'try again in a moment' } });
      }
      const publish = await fetch(`${base}/v1/skills/@acme/x`, { method: 'PUT', body: 'not a tarball' });
      expect(publish.status).toBe(503);
      expect(run.out()).toBe('');

      // Reading the pipe lets the start finish: the token that went through it is the one announced.
      const token = (await fs.readFile(fifo, 'utf8')).trim();
      const ready = await new Promise<{ event: string; port: number; adminToken: string }>((resolve, reject) => {
        const check = () => {
          const line = run.out().split('\n')[0];
          if (line && run.out().includes('\n')) resolve(JSON.parse(line) as { event: string; port: number; adminToken: string });
        };
        child.stdout?.on('data', check);
        check();
        void run.exit.then((c) => reject(new Error(`serve exited ${c}: ${run.out()} ${run.err()}`)));
      });
      expect(ready).toMatchObject({ event: 'ready', port, adminToken: token });
      const ping = await fetch(`${base}/-/ping`);
      expect(ping.status).toBe(200);
      expect(await ping.json()).toEqual({ ok: true });
      const whoami = await runCli(['whoami', '--json', '--registry', base], { env: { SKILLS_REGISTRY: base, SKILLS_TOKEN: token, SKILLS_CONFIG_DIR: path.join(dir, 'config') } });
      expect(whoami.json()).toMatchObject({ user: 'admin', permission: 'admin' });
    } finally {
      child.kill('SIGKILL');
      await run.exit;
    }
  });
});
