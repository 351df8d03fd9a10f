import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../testkit/cli';
import { skillFiles } from '../testkit/skill-files';
import { HOSTILE_SKILLS, hostileFiles } from './hostile/skills';
import { tempDir } from '../testkit/temp';

let tmp: string;
beforeAll(async () => {
  tmp = await tempDir('cli-sandbox');
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

async function writeSkill(dir: string, files: { path: string; bytes: Uint8Array }[]): Promise<void> {
  for (const f of files) {
    await fs.mkdir(path.dirname(path.join(dir, f.path)), { recursive: true });
    await fs.writeFile(path.join(dir, f.path), f.bytes);
  }
}

describe('skills verify | run (real CLI processes)', () => {
  it('verifies the skill `skills init` scaffolds, and runs it from its fixture', async () => {
    const dir = path.join(tmp, 'skills', 'hello');
    expect((await runCli(['init', dir, '--name', '@me/hello'])).code).toBe(0);
    const verify = await runCli(['verify', dir, '--json']);
    expect(verify.code, verify.stdout).toBe(0);
    const report = verify.json<{ ok: boolean; cases: { case: string; status: string; calls: { made: number } }[] }>();
    expect(report.ok).toBe(true);
    expect(report.cases).toMatchObject([{ case: 'example', status: 'passed', calls: { made: 1 } }]);

    const human = await runCli(['verify', dir]);
    expect(human.stdout).toContain('verified @me/hello@0.1.0: 1 passed, 0 failed');

    const ran = await runCli(['run', dir, '--fixture', 'example', '--json']);
    expect(ran.code).toBe(0);
    expect(ran.json<{ status: string; value: unknown }>()).toMatchObject({ status: 'returned', value: { greeting: 'Echo: Hello, Ada!' } });

    const unrecorded = await runCli(['run', path.join(dir, 'index.ts'), '--export', 'greet', '--args', '{"name":"Bob"}', '--json']);
    expect(unrecorded.code).toBe(1);
    expect(unrecorded.json<{ error: { code: string } }>().error.code).toBe('EUNRECORDEDCALL');

    const badArgs = await runCli(['run', dir, '--export', 'greet', '--args', '{nope', '--json']);
    expect(badArgs.code).toBe(1);
    expect(badArgs.json<{ error: { code: string } }>().error.code).toBe('EARGSJSON');
  });

  it('fails a skill that depends on the replay clock, and says which clock and seed the case saw', async () => {
    const dir = path.join(tmp, 'skills', 'clock');
    await fs.rm(dir, { recursive: true, force: true });
    await writeSkill(dir, skillFiles({ name: 'clock', code: 'export function run() { return Date.now(); }', fixtures: { c: { call: { export: 'run', args: [] }, expect: { returns: 1735689600000 } } } }));
    const json = await runCli(['verify', dir, '--json']);
    expect(json.code).toBe(1);
    const c = json.json<{ cases: { code: string; returned: number; clock: { epochMs: number; seed: number } }[] }>().cases[0]!;
    expect(c.code).toBe('EWRONGRETURN');
    expect(c.returned - c.clock.epochMs).toBeGreaterThanOrEqual(0);
    expect(c.returned - c.clock.epochMs).toBeLessThan(1000);
    const human = await runCli(['verify', dir]);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/replayed at \d{4}-\d\d-\d\dT[\d:.]+Z with Math.random seed \d+/);
  });

  for (const name of ['busy-loop', 'object-bomb', 'wrong-return', 'import-etc-passwd', 'unrecorded-call-swallowed']) {
    it(`fails ${name} with its code and exit 1`, async () => {
      const skill = HOSTILE_SKILLS.find((s) => s.name === name)!;
      const dir = path.join(tmp, 'skills', 'probe');
      await fs.rm(dir, { recursive: true, force: true });
      await writeSkill(dir, hostileFiles(skill));
      const result = await runCli(['verify', dir, '--json', ...(skill.limits?.timeoutMs ? ['--timeout', String(skill.limits.timeoutMs)] : [])]);
      expect(result.code).toBe(1);
      const out = result.json<{ error?: { code: string }; cases?: { code?: string }[] }>();
      expect(out.error?.code ?? out.cases?.[0]?.code).toBe(skill.code);
    });
  }
});
