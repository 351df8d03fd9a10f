/**
 * The bundler reads skills from ./skills without following links: a sibling skill folder that is
 * a link to elsewhere, or a linked file inside one, never ends up in a bundle (real folders, real
 * links, real `skills verify` and `skills run` processes).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runSkill } from '../sandbox/run-skill';
import { verifySkill } from '../sandbox/verify';
import { runCli } from '../testkit/cli';
import { skillFiles } from '../testkit/skill-files';
import { tempDir } from '../testkit/temp';

let tmp: string;
let skills: string;
let outside: string;

async function writeFolder(dir: string, files: { path: string; bytes: Uint8Array }[]): Promise<void> {
  for (const f of files) {
    await fs.mkdir(path.dirname(path.join(dir, f.path)), { recursive: true });
    await fs.writeFile(path.join(dir, f.path), f.bytes);
  }
}

/** A skill `main` importing `spec` and returning what it exports as `secret`. */
async function writeMain(spec: string): Promise<string> {
  const dir = path.join(skills, 'main');
  await writeFolder(
    dir,
    skillFiles({
      name: 'main',
      code: `import { secret } from ${JSON.stringify(spec)};\nexport function run() { return secret; }`,
      fixtures: { c: { call: { export: 'run', args: [] }, expect: { returns: 'from outside' } } },
    }),
  );
  return dir;
}

beforeEach(async () => {
  tmp = await tempDir('links');
  skills = path.join(tmp, 'project', 'skills');
  outside = path.join(tmp, 'outside');
  await fs.mkdir(skills, { recursive: true });
  await writeFolder(path.join(outside, 'sib'), skillFiles({ name: 'sib', code: "export const secret = 'from outside';", fixtures: {} }));
  await fs.writeFile(path.join(outside, 'helper.ts'), "export const secret = 'from outside';");
});
afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('bundling never follows links', () => {
  it('refuses a sibling skill folder that is a link to elsewhere (EBUNDLELINK)', async () => {
    await fs.symlink(path.join(outside, 'sib'), path.join(skills, 'sib'));
    const main = await writeMain('../sib');
    await expect(verifySkill({ dir: main })).rejects.toMatchObject({ code: 'EBUNDLELINK', message: expect.stringContaining('sib') });
    await expect(runSkill({ target: main, exportName: 'run' })).rejects.toMatchObject({ code: 'EBUNDLELINK' });
  });

  it('refuses a linked file inside a sibling skill folder (EBUNDLELINK)', async () => {
    await writeFolder(path.join(skills, 'sib2'), skillFiles({ name: 'sib2', code: 'export const x = 1;', fixtures: {} }));
    await fs.symlink(path.join(outside, 'helper.ts'), path.join(skills, 'sib2', 'helper.ts'));
    const main = await writeMain('../sib2/helper');
    await expect(verifySkill({ dir: main })).rejects.toMatchObject({ code: 'EBUNDLELINK', message: expect.stringContaining('helper.ts') });
  });

  it('refuses a linked sibling through the real CLI: skills verify and skills run exit 1 with EBUNDLELINK', async () => {
    await fs.symlink(path.join(outside, 'sib'), path.join(skills, 'sib'));
    const main = await writeMain('../sib');
    for (const args of [['verify', main, '--json'], ['run', main, '--export', 'run', '--json']]) {
      const result = await runCli(args, { cwd: path.join(tmp, 'project') });
      expect(result.code, result.stdout + result.stderr).toBe(1);
      expect(result.json<{ error: { code: string } }>().error.code).toBe('EBUNDLELINK');
    }
  });

  it('still bundles a real sibling folder', async () => {
    await fs.cp(path.join(outside, 'sib'), path.join(skills, 'sib'), { recursive: true });
    const main = await writeMain('../sib');
    const report = await verifySkill({ dir: main });
    expect(report.ok, JSON.stringify(report.cases)).toBe(true);
  });
});
