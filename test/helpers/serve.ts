/** Starts the real `skills serve` process on port 0 with a temporary database. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BIN } from './cli';

export interface ServedRegistry {
  url: string;
  adminToken: string;
  dir: string;
  child: ChildProcess;
  stdout(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function serveRegistry(extraArgs: string[] = []): Promise<ServedRegistry> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'skills-serve-'));
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--db', path.join(dir, 'db', 'registry.db'), '--json', '--quiet', ...extraArgs], {
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  const ready = await new Promise<{ url: string; adminToken: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`skills serve did not start: ${out} ${err}`)), 20_000);
    const check = () => {
      const line = out.split('\n')[0];
      if (line && out.includes('\n')) {
        clearTimeout(timer);
        resolve(JSON.parse(line) as { url: string; adminToken: string });
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`skills serve exited with ${code}: ${out} ${err}`));
    });
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    url: ready.url,
    adminToken: ready.adminToken,
    dir,
    child,
    stdout: () => out,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      const code = await exited;
      await fs.rm(dir, { recursive: true, force: true });
      return code;
    },
  };
}
