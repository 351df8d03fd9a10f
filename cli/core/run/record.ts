/** Turning a live run into a fixture (DESIGN.md "A fixture") that `skills verify` passes on. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { SkillsError } from '../../../schema/errors';
import { fixtureSchema, type Fixture, type RecordedCall } from '../../../schema/fixture';
import type { RunSkillResult } from '../../../sandbox/run-skill';
import { writeFileAtomic } from '../workspace/write-atomic';

export function buildFixture(result: RunSkillResult, recorded: readonly RecordedCall[], workspace: Record<string, string> = {}, description?: string): Fixture {
  let expect: Fixture['expect'];
  if (result.status === 'returned') expect = { returns: result.value ?? null };
  else if (result.status === 'threw' && result.error && 'name' in result.error) expect = { throws: result.error.message };
  else {
    throw new SkillsError('ERECORD', `nothing was recorded: the run failed (${result.error && 'code' in result.error ? `${result.error.code} ` : ''}${result.error?.message ?? 'unknown'})`, {
      hint: 'fix the run first; a fixture records a call that returned or threw',
    });
  }
  const parsed = fixtureSchema.safeParse({
    description: description ?? `recorded live with skills run: ${result.export}`,
    call: { export: result.export, args: result.args },
    mcp: recorded,
    ...(Object.keys(workspace).length > 0 ? { workspace } : {}),
    expect,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SkillsError('ERECORD', `nothing was recorded: the run cannot be written as a valid fixture (${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'})`, {
      hint: 'a fixture holds JSON values nested at most 64 deep; make the skill return (and pass) plainer data',
    });
  }
  return parsed.data;
}

/** `--record name` writes fixtures/name.json in the skill folder; a path ending in .json is used as is. */
export function fixturePath(skillDir: string, record: string, cwd: string): string {
  if (record.endsWith('.json') || record.includes('/') || record.includes(path.sep)) return path.resolve(cwd, record);
  if (!/^[a-z0-9][a-z0-9-_]*$/i.test(record)) throw new SkillsError('EUSAGE', `--record ${record}: a fixture name is letters, digits, - and _`);
  return path.join(skillDir, 'fixtures', `${record}.json`);
}

export async function writeFixture(file: string, fixture: Fixture): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, `${JSON.stringify(fixture, null, 2)}\n`);
}
