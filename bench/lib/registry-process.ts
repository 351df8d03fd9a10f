/** Starts bench/processes/registry.ts (bundled next to the running bench) and waits for READY. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface RegistryProcess {
  url: string;
  adminToken: string;
  pid: number;
  stop(): Promise<void>;
}

export interface RegistryProcessOptions {
  /** The SQLite file, or with `database` the folder for the first admin token. */
  db: string;
  /** A `postgres://` URL (it holds a password: passed in the environment, never on the command line). */
  database?: string;
  /** An `s3://bucket/prefix?endpoint=...` URL for the tarballs. */
  blobs?: string;
  /** More environment for the process (the S3 keys). */
  env?: Record<string, string>;
  /** Passed to createApp; every key set here is a non-default setting and must be printed. */
  config?: Record<string, unknown>;
  workers?: number;
  /** Request logs (JSON lines, level info) appended to this file, as `skills serve --log <file>`. */
  logFile?: string;
  /** Extra node flags, e.g. ['--cpu-prof', '--cpu-prof-dir', dir]. */
  nodeArgs?: string[];
}

/** The environment variables bench/processes/registry.ts reads the storage URLs from. */
export const DATABASE_ENV = 'BENCH_REGISTRY_DATABASE';
export const BLOBS_ENV = 'BENCH_REGISTRY_BLOBS';

export async function startRegistryProcess(options: RegistryProcessOptions): Promise<RegistryProcess> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const script = path.join(here, 'processes', 'registry.mjs');
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  delete env[DATABASE_ENV];
  delete env[BLOBS_ENV];
  if (options.database !== undefined) env[DATABASE_ENV] = options.database;
  if (options.blobs !== undefined) env[BLOBS_ENV] = options.blobs;
  const child: ChildProcess = spawn(process.execPath, [...(options.nodeArgs ?? []), script, JSON.stringify({ db: options.db, config: options.config, workers: options.workers, logFile: options.logFile })], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env,
  });
  const ready = await new Promise<{ url: string; adminToken: string }>((resolve, reject) => {
    let out = '';
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('READY '));
      if (line) {
        child.stdout?.off('data', onData);
        resolve(JSON.parse(line.slice(6)) as { url: string; adminToken: string });
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the registry process exited with ${code} before it was ready: ${out.slice(0, 2000)}`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    ...ready,
    pid: child.pid ?? 0,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
