/**
 * A scratch area for running the real CLI where a command must fail and change nothing: its own
 * config, cache and HOME (no registry answers at SKILLS_REGISTRY), a fresh workspace per case, and
 * `fails`, which checks the error code, exit 1 and that the workspace is byte for byte as before.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import { runCli } from './cli';
import { tempDir } from './temp';
import { tree } from './tree';

export interface CliScratch {
  dir: string;
  env: NodeJS.ProcessEnv;
  /** A new empty folder to run a command in. */
  workspace(): Promise<string>;
  /** Runs `skills ...args --json` in `ws`: `code`, exit 1, and `ws` unchanged. */
  fails(ws: string, args: readonly string[], code: string, extra?: NodeJS.ProcessEnv): Promise<{ message: string; hint?: string }>;
}

export async function cliScratch(name: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<CliScratch> {
  const dir = await tempDir(name);
  const env: NodeJS.ProcessEnv = { SKILLS_CONFIG_DIR: path.join(dir, 'config'), SKILLS_CACHE_DIR: path.join(dir, 'cache'), SKILLS_REGISTRY: 'http://127.0.0.1:9', HOME: dir, ...extraEnv };
  let counter = 0;
  return {
    dir,
    env,
    async workspace() {
      const ws = path.join(dir, `ws-${counter++}`);
      await fs.mkdir(ws);
      return ws;
    },
    async fails(ws, args, code, extra = {}) {
      const before = await tree(ws);
      const run = await runCli([...args, '--json'], { cwd: ws, env: { ...env, ...extra }, timeoutMs: 120_000 });
      const error = run.json<{ error: { code: string; message: string; hint?: string } }>().error;
      expect(error.code, `${error.message}\n${run.stderr}`).toBe(code);
      expect(run.code).toBe(1);
      expect(await tree(ws)).toEqual(before);
      return error;
    },
  };
}
