/**
 * Plain skills (SKILL.md and files, no skill.json) through validate, pack, verify and publish, as
 * real `skills` processes: the derived name and version, the scope chain (--scope, skills.json,
 * the user config), EVERSIONMISSING, trust levels, and executable bits that survive a round trip.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unpack } from '../tarball/unpack';
import { runCli } from '../testkit/cli';
import { tempDir } from '../testkit/temp';

let tmp: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  tmp = await tempDir('plain');
  env = { SKILLS_CONFIG_DIR: path.join(tmp, 'config'), SKILLS_CACHE_DIR: path.join(tmp, 'cache') };
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

async function plainSkill(parent: string, name: string, extra: Record<string, string | { content: string; mode: number }> = {}, metadata = ''): Promise<string> {
  const dir = path.join(parent, name);
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'SKILL.md'), `---\nname: ${name}\ndescription: A plain skill written by a test.\n${metadata}---\n\n# ${name}\n\nRead references/guide.md.\n`);
  for (const [rel, value] of Object.entries(extra)) {
    const file = path.join(dir, rel);
    await fs.mkdir(path.dirname(file), { recursive: true });
    if (typeof value === 'string') await fs.writeFile(file, value);
    else await fs.writeFile(file, value.content, { mode: value.mode });
  }
  return dir;
}

describe('plain skills: validate, pack, verify', () => {
  it('validates a spec-valid plain skill; publish readiness (scope, version) is reported apart, and fails only --for-publish', async () => {
    const dir = await plainSkill(tmp, 'notes', { 'references/guide.md': '# Guide\n' });
    const noVersion = await runCli(['validate', dir, '--json'], { env });
    expect(noVersion.code).toBe(0);
    const result = noVersion.json<{ ok: boolean; valid: boolean; problems: unknown[]; publish: { ready: boolean; problems: { code: string }[] } }>();
    expect(result).toMatchObject({ ok: true, valid: true, problems: [], publish: { ready: false } });
    expect(result.publish.problems.map((p) => p.code).sort()).toEqual(['ESCOPEMISSING', 'EVERSIONMISSING']);
    const human = await runCli(['validate', dir], { env });
    expect(human.stdout).toContain('not ready to publish');
    expect(human.stdout).toContain('--version 1.0.0');
    const forPublish = await runCli(['validate', dir, '--for-publish', '--json'], { env });
    expect(forPublish.code).toBe(1);
    expect(forPublish.json()).toMatchObject({ ok: false, valid: true, publish: { ready: false } });

    const ok = await runCli(['validate', dir, '--version', '1.0.0', '--scope', '@t', '--json'], { env });
    expect(ok.code).toBe(0);
    expect(ok.json()).toMatchObject({ ok: true, kind: 'plain', name: '@t/notes', version: '1.0.0' });

    const pack = await runCli(['pack', dir, '--scope', '@t'], { env, cwd: tmp });
    expect(pack.code).toBe(1);
    expect(pack.stderr).toContain('EVERSIONMISSING');
    expect(pack.stderr).toContain('--version');
    const noScope = await runCli(['pack', dir, '--version', '1.0.0', '--json'], { env, cwd: tmp });
    expect(noScope.json<{ error: { code: string; hint: string } }>().error).toMatchObject({ code: 'ESCOPEMISSING', hint: expect.stringContaining('--scope') });
  });

  it('takes the scope from --scope, then skills.json "scope", then the user config "scope"', async () => {
    const dir = await plainSkill(tmp, 'scoped', {}, 'metadata:\n  version: "2.1.0"\n');
    const ws = path.join(tmp, 'ws-scope');
    await fs.mkdir(ws);
    const cfgEnv = { ...env, SKILLS_CONFIG_DIR: path.join(tmp, 'config-scope') };
    await fs.mkdir(cfgEnv.SKILLS_CONFIG_DIR, { recursive: true });
    await fs.writeFile(path.join(cfgEnv.SKILLS_CONFIG_DIR, 'config.json'), JSON.stringify({ scope: '@fromconfig' }));
    const name = async (args: string[] = []) => (await runCli(['validate', dir, '--json', ...args], { env: cfgEnv, cwd: ws })).json<{ name: string }>().name;
    expect(await name()).toBe('@fromconfig/scoped');
    await fs.writeFile(path.join(ws, 'skills.json'), JSON.stringify({ scope: '@fromws', dependencies: {} }));
    expect(await name()).toBe('@fromws/scoped');
    expect(await name(['--scope', '@flag'])).toBe('@flag/scoped');
  });

  it('packs every file byte for byte with its executable bit, and reports the trust level', async () => {
    const script = '#!/bin/sh\necho "from the skill: $1"\n';
    const binary = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0xff, 0x00, 0x10]);
    const dir = await plainSkill(tmp, 'runner', { 'scripts/run.sh': { content: script, mode: 0o755 }, 'references/guide.md': '# Guide\n' }, 'metadata:\n  version: "1.2.0"\n');
    await fs.mkdir(path.join(dir, 'assets'));
    await fs.writeFile(path.join(dir, 'assets', 'logo.png'), binary);
    const pack = await runCli(['pack', dir, '--scope', '@t', '--json', '--out', tmp], { env, cwd: tmp });
    expect(pack.code, pack.stdout + pack.stderr).toBe(0);
    const packed = pack.json<{ name: string; version: string; kind: string; trust: string; trustReasons: { path: string; why: string }[]; file: string }>();
    expect(packed).toMatchObject({ name: '@t/runner', version: '1.2.0', kind: 'plain', trust: 'unverified' });
    expect(packed.trustReasons.map((r) => r.path)).toEqual(['scripts/run.sh']);
    const files = await unpack(new Uint8Array(await fs.readFile(packed.file)));
    const byPath = new Map(files.map((f) => [f.path, f]));
    expect(Buffer.from(byPath.get('assets/logo.png')?.bytes ?? []).equals(binary)).toBe(true);
    expect(byPath.get('scripts/run.sh')?.executable).toBe(true);
    expect(byPath.get('references/guide.md')?.executable).toBeUndefined();

    const instructions = await plainSkill(tmp, 'readme-only', { 'references/a.md': 'text\n' }, 'metadata:\n  version: "1.0.0"\n');
    const human = await runCli(['pack', instructions, '--scope', '@t', '--out', tmp], { env, cwd: tmp });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/trust\s+instructions/);
  });

  it('reads an unquoted short metadata.version (1.0) as 1.0.0 with a warning', async () => {
    const dir = await plainSkill(tmp, 'short-version', {}, 'metadata:\n  version: "1.0"\n');
    const result = await runCli(['validate', dir, '--scope', '@t', '--json'], { env });
    expect(result.json()).toMatchObject({ ok: true, version: '1.0.0', problems: [expect.objectContaining({ code: 'WVERSIONSHORT' })] });
  });

  it('skills verify on a plain skill says there is nothing to verify, and its trust', async () => {
    const dir = await plainSkill(tmp, 'nothing-to-run', { 'scripts/x.py': 'print(1)\n' });
    const json = await runCli(['verify', dir, '--json'], { env });
    expect(json.code).toBe(0);
    expect(json.json()).toMatchObject({ ok: true, kind: 'plain', nothingToVerify: true, trust: 'unverified', trustReasons: [{ path: 'scripts/x.py' }] });
    const human = await runCli(['verify', dir], { env });
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('nothing for the sandbox to run');
    expect(human.stdout).toContain('unverified');
  });

  it('refuses --version that contradicts skill.json (EVERSIONMISMATCH)', async () => {
    const dir = path.join(tmp, 'coded');
    expect((await runCli(['init', dir, '--name', '@me/coded'], { env })).code).toBe(0);
    const result = await runCli(['pack', dir, '--version', '9.9.9', '--json', '--out', tmp], { env, cwd: tmp });
    expect(result.json<{ error: { code: string } }>().error.code).toBe('EVERSIONMISMATCH');
    const ok = await runCli(['pack', dir, '--json', '--out', tmp], { env, cwd: tmp });
    expect(ok.json()).toMatchObject({ kind: 'code', trust: 'verified', verification: 'sandbox' });
    const again = await runCli(['pack', dir, '--json', '--out', tmp], { env, cwd: tmp });
    expect(again.json()).toMatchObject({ trust: 'verified', verification: 'cache' });
  });
});
