/**
 * ESANDBOXMISSING: a build of the CLI without its sandbox worker (dist/sandbox-worker.js) refuses
 * to verify with a code and a hint to build, instead of crashing in the worker pool. The same skill
 * verifies with the complete build, so the missing worker is the cause.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_WORKSPACE, ROOT, runCli } from '../testkit/cli';
import { tempDir } from '../testkit/temp';
import { tree } from '../testkit/tree';

const SKILL = path.join(EXAMPLE_WORKSPACE, 'skills', 'csv-parse');
let partial: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  const dir = await tempDir('sandbox-missing');
  partial = path.join(dir, 'dist');
  // The CLI's entry and its chunks, nothing else: the workers are separate entries of the build.
  await fs.mkdir(partial);
  await fs.copyFile(path.join(ROOT, 'dist', 'cli.js'), path.join(partial, 'cli.js'));
  await fs.cp(path.join(ROOT, 'dist', 'chunks'), path.join(partial, 'chunks'), { recursive: true });
  await fs.symlink(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  await fs.writeFile(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  env = { SKILLS_CACHE_DIR: path.join(dir, 'cache'), SKILLS_CONFIG_DIR: path.join(dir, 'config'), NO_COLOR: '1' };
});

/** `verify --json` of the example skill with the CLI entry `cli` (runCli runs the complete build only). */
function verifyWith(cli: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [cli, 'verify', SKILL, '--json'], { cwd: EXAMPLE_WORKSPACE, env: { ...process.env, ...env }, timeout: 120_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(error);
      else resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
  });
}

describe('a build without the sandbox worker', () => {
  it('verify fails with ESANDBOXMISSING, exit 1, a hint to build, and the skill unchanged', async () => {
    await expect(fs.access(path.join(partial, 'sandbox-worker.js'))).rejects.toThrow();
    const before = await tree(SKILL);
    const run = await verifyWith(path.join(partial, 'cli.js'));
    const error = (JSON.parse(run.stdout) as { error: { code: string; message: string; hint: string } }).error;
    expect(error.code, run.stderr).toBe('ESANDBOXMISSING');
    expect(error.message).toContain('dist/sandbox-worker.js');
    expect(error.hint).toBe('run `npm run build`');
    expect(run.code).toBe(1);
    expect(await tree(SKILL)).toEqual(before);
  });

  it('the complete build verifies the same skill', async () => {
    const run = await runCli(['verify', SKILL, '--json'], { cwd: EXAMPLE_WORKSPACE, env, timeoutMs: 120_000 });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.json<{ failed: number }>().failed).toBe(0);
  });
});
