/**
 * Starts the real `skills serve` process on port 0 with a temporary database. Request logs are
 * off unless `extraArgs` asks for them (`--log`, `--log <file>`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { BIN } from './cli';
import { tempDir } from './temp';

export interface ServedRegistry {
  url: string;
  adminToken: string;
  dir: string;
  child: ChildProcess;
  /** Everything the ready event announced (`--json`). */
  ready: ServeReady;
  stdout(): string;
  /** Complete once `stop` resolved. */
  stderr(): string;
  /** Sends a stop signal now (once); stop() then only waits for the exit. */
  signal(signal: NodeJS.Signals): void;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface ServeReady {
  url: string;
  /** Null when the database already had users (another process on it created the first token). */
  adminToken: string;
  database?: string | null;
  blobs?: string | null;
  catalogUrl: string;
  login: string | null;
  requestLog: string | null;
  /** The metrics port's URL, when metrics.port is set. */
  metricsUrl: string | null;
}

export interface ServeOptions {
  /** Added to the process's environment (e.g. the S3 keys). */
  env?: Record<string, string>;
}

export async function serveRegistry(extraArgs: string[] = [], options: ServeOptions = {}): Promise<ServedRegistry> {
  const dir = await tempDir('serve');
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--db', path.join(dir, 'db', 'registry.db'), '--json', ...extraArgs], {
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  const ready = await new Promise<ServeReady>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`skills serve did not start: ${out} ${err}`)), 20_000);
    const check = () => {
      const line = out.split('\n')[0];
      if (line && out.includes('\n')) {
        clearTimeout(timer);
        resolve(JSON.parse(line) as ServeReady);
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`skills serve exited with ${code}: ${out} ${err}`));
    });
  });
  // 'close' comes after the exit and the last byte of stdout and stderr.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  let signalled = false;
  const signal = (sig: NodeJS.Signals) => {
    if (signalled || child.exitCode !== null) return;
    signalled = true;
    child.kill(sig);
  };
  return {
    url: ready.url,
    adminToken: ready.adminToken,
    ready,
    dir,
    child,
    stdout: () => out,
    stderr: () => err,
    signal,
    async stop(sig: NodeJS.Signals = 'SIGTERM') {
      signal(sig);
      const code = await exited;
      await fs.rm(dir, { recursive: true, force: true });
      return code;
    },
  };
}
