/**
 * A real S3-compatible server for tests: s3rver (the npm package) in a child process on 127.0.0.1,
 * port 0, with its data in a temporary folder (testkit/temp.ts) and one bucket. It accepts the
 * keys S3RVER/S3RVER (given in `env` and `credentials`). A test may stop it, or kill its process
 * to see the registry cope with a store that went away.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './temp';

const MAIN = fileURLToPath(new URL('./s3rver-main.mjs', import.meta.url));

export interface StartS3Options {
  /** Default `blobs`. */
  bucket?: string;
  /** The prefix in `url`, default `tarballs/`. */
  prefix?: string;
  /**
   * A bucket that exists but cannot be written: its folder belongs to root and s3rver runs as the
   * user `nobody` (root ignores file permissions, so a read-only folder alone would not do), or,
   * when the tests do not run as root, the folders are made read-only for this user. Every write
   * then fails inside s3rver (it answers 500), while reads and HeadBucket work.
   */
  readOnly?: boolean;
}

export interface S3Server {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  bucket: string;
  prefix: string;
  /** The blob store URL: s3://<bucket>/<prefix>?endpoint=<endpoint>&region=us-east-1 */
  url: string;
  /** The keys s3rver accepts, for a registry process's environment. */
  env: { AWS_ACCESS_KEY_ID: string; AWS_SECRET_ACCESS_KEY: string };
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** s3rver's data folder (one folder per bucket). */
  directory: string;
  child: ChildProcess;
  /** Stops s3rver (SIGTERM, or `signal`) and waits for its process to end; the data stays until the test file ends. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export async function startS3(options: StartS3Options = {}): Promise<S3Server> {
  const bucket = options.bucket ?? 'blobs';
  const prefix = options.prefix ?? 'tarballs/';
  const directory = await tempDir('s3rver');
  let spawnAs: { uid: number; gid: number } | undefined;
  if (options.readOnly) {
    await fs.mkdir(path.join(directory, bucket));
    if (process.getuid?.() === 0) {
      // Readable and searchable by nobody, writable only by root.
      await fs.chmod(directory, 0o755);
      await fs.chmod(path.join(directory, bucket), 0o755);
      spawnAs = { uid: idOf('-u'), gid: idOf('-g') };
    } else {
      await fs.chmod(path.join(directory, bucket), 0o555);
      await fs.chmod(directory, 0o555);
    }
  }
  const child = spawn(process.execPath, [MAIN, directory, ...(options.readOnly ? [] : [bucket])], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '' },
    ...spawnAs,
  });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`s3rver did not start: ${out} ${err}`)), 30_000);
    child.stdout?.on('data', () => {
      const line = out.split('\n')[0];
      if (line === undefined || !out.includes('\n')) return;
      clearTimeout(timer);
      resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`s3rver exited with ${code}: ${out} ${err}`));
    });
  });
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    prefix,
    url: `s3://${bucket}/${prefix}?endpoint=${endpoint}&region=us-east-1`,
    env: { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' },
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    directory,
    child,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** The uid (`-u`) or gid (`-g`) of the user nobody. */
function idOf(flag: '-u' | '-g'): number {
  return Number(execFileSync('id', [flag, 'nobody'], { encoding: 'utf8' }).trim());
}
