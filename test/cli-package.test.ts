import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../testkit/cli';
import { tempDir } from '../testkit/temp';

let tmp: string;
beforeAll(async () => {
  tmp = await tempDir('cli');
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('skills init | validate | pack (real CLI processes)', () => {
  it('scaffolds a skill that validates and packs, as a new user would type it', async () => {
    const dir = path.join(tmp, 'x');
    const init = await runCli(['init', dir, '--name', '@me/x']);
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    expect(init.stdout).toContain('created @me/x');
    expect((await fs.readdir(dir)).sort()).toEqual(['SKILL.md', 'fixtures', 'index.ts', 'skill.json']);

    const validate = await runCli(['validate', dir]);
    expect(validate.code).toBe(0);
    expect(validate.stdout).toContain('valid @me/x@0.1.0');

    const pack = await runCli(['pack', dir, '--json'], { cwd: tmp });
    expect(pack.code).toBe(0);
    const packed = pack.json<{ file: string; integrity: string; digest: string; fileCount: number; size: number; tokens: { body: number } }>();
    expect(packed.file).toBe(path.join(tmp, 'me-x-0.1.0.tgz'));
    expect(packed.integrity).toMatch(/^sha512-[A-Za-z0-9+/]+=*$/);
    expect(packed.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(packed.fileCount).toBe(4);
    expect((await fs.stat(packed.file)).size).toBe(packed.size);
    expect(packed.tokens.body).toBeGreaterThan(0);
  });

  it('packs the same folder to byte-identical tarballs', async () => {
    const dir = path.join(tmp, 'twice');
    expect((await runCli(['init', dir, '--name', '@me/twice'])).code).toBe(0);
    const first = await runCli(['pack', dir, '--out', path.join(tmp, 'first.tgz'), '--json']);
    // Touch every file so mtimes differ: the bytes must not change.
    const later = new Date(Date.now() + 60_000);
    for (const f of ['SKILL.md', 'index.ts', 'skill.json', 'fixtures/example.json']) await fs.utimes(path.join(dir, f), later, later);
    const second = await runCli(['pack', dir, '--out', path.join(tmp, 'second.tgz'), '--json']);
    expect(first.code).toBe(0);
    expect(second.code).toBe(0);
    const [a, b] = await Promise.all([fs.readFile(path.join(tmp, 'first.tgz')), fs.readFile(path.join(tmp, 'second.tgz'))]);
    expect(a.equals(b)).toBe(true);
    expect(first.json<{ integrity: string }>().integrity).toBe(second.json<{ integrity: string }>().integrity);
  });

  it('refuses to overwrite existing files and writes nothing', async () => {
    const dir = path.join(tmp, 'taken');
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, 'index.ts'), 'mine');
    const init = await runCli(['init', dir, '--name', '@me/taken', '--json']);
    expect(init.code).toBe(1);
    expect(init.json<{ error: { code: string } }>().error.code).toBe('EEXIST');
    expect(await fs.readdir(dir)).toEqual(['index.ts']);
    expect(await fs.readFile(path.join(dir, 'index.ts'), 'utf8')).toBe('mine');
  });

  it('refuses a folder whose name differs from the skill name', async () => {
    const init = await runCli(['init', path.join(tmp, 'other'), '--name', '@me/x', '--json']);
    expect(init.code).toBe(1);
    expect(init.json<{ error: { code: string } }>().error.code).toBe('ENAMEFOLDER');
    await expect(fs.stat(path.join(tmp, 'other'))).rejects.toThrow();
  });

  it('reports every problem with --json and exits 1, and pack refuses an invalid folder', async () => {
    const dir = path.join(tmp, 'broken');
    expect((await runCli(['init', dir, '--name', '@me/broken'])).code).toBe(0);
    await fs.writeFile(path.join(dir, 'SKILL.md'), '---\nname: Broken\ndescription: "<b>"\nversion: 1\n---\n');
    await fs.writeFile(path.join(dir, 'skill.json'), JSON.stringify({ name: 'broken', version: '1' }));
    const validate = await runCli(['validate', dir, '--json']);
    expect(validate.code).toBe(1);
    const result = validate.json<{ ok: boolean; problems: { code: string; path: string }[] }>();
    expect(result.ok).toBe(false);
    expect(result.problems.map((p) => p.code).sort()).toEqual(
      ['ENAMECASE', 'ENAMEFOLDER', 'ENAMEUNSCOPED', 'EVERSIONINVALID', 'WDESCRIPTIONANGLE', 'WFRONTMATTERKEY'].sort(),
    );
    const human = await runCli(['validate', dir]);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain('EVERSIONINVALID skill.json#version');

    const before = await fs.readdir(tmp);
    const pack = await runCli(['pack', dir, '--json'], { cwd: tmp });
    expect(pack.code).toBe(1);
    expect(pack.json<{ error: { code: string } }>().error.code).toBe('EVALIDATION');
    expect(await fs.readdir(tmp)).toEqual(before);
  });

  it('rejects a 200 MiB file in the folder quickly, without reading it', async () => {
    const dir = path.join(tmp, 'huge');
    expect((await runCli(['init', dir, '--name', '@me/huge'])).code).toBe(0);
    const big = await fs.open(path.join(dir, 'assets.bin'), 'w');
    await big.truncate(200 * 1024 * 1024);
    await big.close();
    const started = Date.now();
    const validate = await runCli(['validate', dir, '--json']);
    expect(validate.code).toBe(1);
    expect(validate.json<{ error: { code: string } }>().error.code).toBe('EPACKFILETOOBIG');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('gives usage errors exit code 2 and a JSON error for agents', async () => {
    const missing = await runCli(['init', path.join(tmp, 'y'), '--json']);
    expect(missing.code).toBe(2);
    expect(missing.json<{ error: { code: string } }>().error.code).toBe('EUSAGE');
    const unknown = await runCli(['frobnicate']);
    expect(unknown.code).toBe(2);
    const badNumber = await runCli(['verify', '--timeout', 'abc', '--json']);
    expect(badNumber.code).toBe(2);
    expect(badNumber.json<{ error: { code: string } }>().error.code).toBe('EUSAGE');
  });
});
