/**
 * One exit code for usage errors everywhere (docs/cli.md: `2`): commander's own (unknown command,
 * unknown option, missing argument or option, a bad number) and the EUSAGE a command finds itself
 * (options that exclude each other, a value out of range), for each kind of command: workspace,
 * registry, sandbox, tool search, publish. Real `skills` processes; nothing needs a network.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../testkit/cli';
import { tempDir } from '../testkit/temp';

let dir: string;
const NOWHERE = 'http://127.0.0.1:9';

beforeAll(async () => {
  dir = await tempDir('usage');
  await fs.writeFile(path.join(dir, 'skills.json'), JSON.stringify({ dependencies: {} }));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const CASES: { kind: string; args: string[] }[] = [
  { kind: 'commander: unknown command', args: ['frobnicate'] },
  { kind: 'commander: unknown option (workspace)', args: ['install', '--frobnicate'] },
  { kind: 'commander: missing required option', args: ['init', 'x'] },
  { kind: 'commander: a bad number', args: ['verify', '--timeout', 'abc'] },
  { kind: 'workspace: --skill without a source', args: ['install', '--skill', 'x', '@acme/hello', '--registry', NOWHERE] },
  { kind: 'workspace: --list with two sources', args: ['install', './a', './b', '--list'] },
  { kind: 'registry: search --trust with an unknown level', args: ['search', 'x', '--trust', 'bogus', '--registry', NOWHERE] },
  { kind: 'registry: token create --permission unknown', args: ['token', 'create', '--permission', 'root', '--registry', NOWHERE] },
  { kind: 'sandbox: run --record without --live', args: ['run', '.', '--record', 'x'] },
  { kind: 'sandbox: run --live with --fixture', args: ['run', '.', '--live', '--fixture', 'x'] },
  { kind: 'tools: search-tools --limit 0', args: ['search-tools', 'x', '--limit', '0'] },
  { kind: 'publish: two --skill from a source', args: ['publish', 'github:o/r', '--skill', 'a', '--skill', 'b', '--registry', NOWHERE] },
];

describe('usage errors exit 2', () => {
  for (const { kind, args } of CASES) {
    it(`${kind}: exit 2, EUSAGE in --json, a message on stderr otherwise, nothing written`, async () => {
      const before = await fs.readdir(dir);
      const json = await runCli([...args, '--json'], { cwd: dir });
      expect(json.code, `${args.join(' ')}: ${json.stdout}${json.stderr}`).toBe(2);
      expect(json.json<{ error: { code: string } }>().error.code).toBe('EUSAGE');
      const human = await runCli(args, { cwd: dir });
      expect(human.code, human.stderr).toBe(2);
      expect(human.stderr).toMatch(/error/);
      expect(await fs.readdir(dir)).toEqual(before);
    });
  }

  it('a command that fails for another reason still exits 1', async () => {
    const run = await runCli(['install', '@acme/hello', '--registry', NOWHERE, '--json'], { cwd: dir });
    expect(run.code, run.stdout).toBe(1);
    expect(run.json<{ error: { code: string } }>().error.code).not.toBe('EUSAGE');
  });
});
