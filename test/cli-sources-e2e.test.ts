/**
 * Issue 12's "done when", the parts that need no registry, as a new user types them (real
 * `skills` processes): a repository shaped like the public skills repositories, installing two
 * of its skills at a tag, an unverified skill refused (also with --json) and then allowed, and
 * `skills ci` in a clean copy reproducing ./skills byte for byte, modes included.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../testkit/cli';
import { git } from '../testkit/git-repo';
import { makeSkillsRepo, PNG, SKILLS_REPO_NAMES } from '../testkit/skills-repo';
import { tempDir } from '../testkit/temp';
import { tree } from '../testkit/tree';

const exec = promisify(execFile);
let tmp: string;
let repo: string;
let commitId: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  tmp = await tempDir('e2e-src');
  repo = await makeSkillsRepo(path.join(tmp, 'public-skills'));
  commitId = await git(repo, ['rev-parse', 'HEAD']);
  env = { SKILLS_CACHE_DIR: path.join(tmp, 'cache'), SKILLS_CONFIG_DIR: path.join(tmp, 'config') };
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

/** Every file's mode bits, to compare copies beyond their bytes. */
async function modes(dir: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const rel of Object.keys(await tree(dir))) {
    const stat = await fs.lstat(path.join(dir, rel));
    if (stat.isFile()) out[rel] = stat.mode & 0o777;
  }
  return out;
}

describe('a public-style skills repository, through the CLI', () => {
  it('installs two skills at a tag, refuses an unverified one, allows it when asked, and ci reproduces ./skills byte for byte', async () => {
    const ws = path.join(tmp, 'ws');
    await fs.mkdir(ws);
    const spec = `git+file://${repo}#v1.0.0`;
    const first = await runCli(['install', spec, '--skill', 'writing-style', '--skill', 'slides'], { cwd: ws, env });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('+ @local/slides@2.0.0 instructions from git');
    const lock = JSON.parse(await fs.readFile(path.join(ws, 'skills-lock.json'), 'utf8')) as { skills: Record<string, { trust: string; source: { commit: string; path: string } }> };
    expect(Object.keys(lock.skills)).toEqual(['@local/slides', '@local/writing-style']);
    expect(lock.skills['@local/slides']).toMatchObject({ trust: 'instructions', source: { commit: commitId, path: 'skills/slides' } });
    expect(Buffer.from(await fs.readFile(path.join(ws, 'skills', 'slides', 'assets', 'logo.png'))).equals(Buffer.from(PNG))).toBe(true);

    // An agent gets the same refusal as JSON, never a prompt; nothing changes.
    const before = await tree(ws);
    const refused = await runCli(['install', spec, '--skill', 'pdf-tools', '--skill', 'deploy', '--json'], { cwd: ws, env });
    expect(refused.code).toBe(1);
    const error = refused.json<{ error: { code: string; message: string; details: { unverified: { name: string; because: { path: string }[] }[] } } }>().error;
    expect(error.code).toBe('EUNVERIFIED');
    expect(error.details.unverified.map((u) => [u.name, u.because.map((b) => b.path)])).toEqual([
      ['@local/deploy', ['scripts/deploy.sh']],
      ['@local/pdf-tools', ['scripts/extract.py', 'scripts/fill.py']],
    ]);
    expect(await tree(ws)).toEqual(before);

    const allowed = await runCli(['install', spec, '--skill', 'pdf-tools', '--skill', 'deploy', '--allow-unverified', '--json'], { cwd: ws, env });
    expect(allowed.code, allowed.stdout).toBe(0);
    const manifest = JSON.parse(await fs.readFile(path.join(ws, 'skills.json'), 'utf8')) as { trust: { allowUnverified: string[] } };
    expect(manifest.trust.allowUnverified).toEqual(['@local/deploy', '@local/pdf-tools']);
    expect((await exec(path.join(ws, 'skills', 'deploy', 'scripts', 'deploy.sh'), ['prod'])).stdout).toBe('deploying prod\n');

    const list = await runCli(['list', '--json'], { cwd: ws, env });
    expect(list.json<{ skills: { name: string; trust: string }[] }>().skills.map((s) => [s.name, s.trust])).toEqual([
      ['deploy', 'unverified'],
      ['pdf-tools', 'unverified'],
      ['slides', 'instructions'],
      ['writing-style', 'instructions'],
    ]);

    const clean = path.join(tmp, 'clean-copy');
    await fs.mkdir(clean);
    for (const f of ['skills.json', 'skills-lock.json']) await fs.copyFile(path.join(ws, f), path.join(clean, f));
    const ci = await runCli(['ci'], { cwd: clean, env: { ...env, SKILLS_CACHE_DIR: path.join(tmp, 'cache-of-a-teammate') } });
    expect(ci.code, ci.stderr).toBe(0);
    expect(await tree(path.join(clean, 'skills'))).toEqual(await tree(path.join(ws, 'skills')));
    expect(await modes(path.join(clean, 'skills'))).toEqual(await modes(path.join(ws, 'skills')));
    expect((await modes(path.join(clean, 'skills')))['deploy/scripts/deploy.sh']).toBe(0o755);
  });

  it('--list shows every skill of the repository with its version and trust', async () => {
    const listed = await runCli(['install', `git+file://${repo}#v1.0.0`, '--list', '--json'], { cwd: tmp, env });
    expect(listed.code, listed.stderr).toBe(0);
    const skills = listed.json<{ skills: { path: string; name: string | null; trust: string | null; error: unknown }[] }>().skills;
    expect(skills.map((s) => s.path)).toEqual(SKILLS_REPO_NAMES.map((n) => `skills/${n}`));
    const byPath = new Map(skills.map((s) => [s.path, s]));
    expect(byPath.get('skills/fonts')?.trust).toBe('instructions');
    expect(byPath.get('skills/csv-clean')?.trust).toBe('unverified');
  });

  // Needs issue 12 item 7 (another helper): `version: 1.0` unquoted read as "1.0" with a warning.
  it('installs the skill whose metadata.version is an unquoted 1.0, as 1.0.0', async () => {
    const ws = path.join(tmp, 'ws-legacy');
    await fs.mkdir(ws);
    const result = await runCli(['install', `git+file://${repo}#v1.0.0`, '--skill', 'legacy-version', '--json'], { cwd: ws, env });
    expect(result.code, result.stdout).toBe(0);
    expect(result.json<{ skills: { name: string; version: string }[] }>().skills).toMatchObject([{ name: '@local/legacy-version', version: '1.0.0' }]);
  });
});
