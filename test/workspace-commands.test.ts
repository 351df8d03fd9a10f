/**
 * `outdated`, `update`, `update --latest` and `uninstall` with real processes, checked by what
 * they print and what they leave on disk (not by exit codes alone).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../testkit/cli';
import { chainSkills, skillFiles } from '../testkit/skill-files';
import { tempDir } from '../testkit/temp';
import { tree } from '../testkit/tree';
import { liveRegistry, type LiveRegistry } from '../testkit/workspace';

let live: LiveRegistry;
let ws: string;
let env: NodeJS.ProcessEnv;

const solo = (version: string) => skillFiles({ name: 'solo', scope: '@acme', version, code: `export function v() { return '${version}'; }`, fixtures: { c: { call: { export: 'v', args: [] }, expect: { returns: version } } } });

beforeAll(async () => {
  live = await liveRegistry(['@acme']);
  const chain = chainSkills();
  for (const files of [chain.base, chain.mid, chain.top, solo('1.0.0')]) expect((await live.publish(files)).status).toBe(201);
  ws = await tempDir('commands');
  await fs.mkdir(path.join(ws, 'ws'));
  env = { ...process.env, SKILLS_CONFIG_DIR: path.join(ws, 'config'), SKILLS_CACHE_DIR: path.join(ws, 'cache'), SKILLS_REGISTRY: live.registry.url };
  ws = path.join(ws, 'ws');
}, 60_000);
afterAll(async () => {
  await live.close();
  await fs.rm(path.dirname(ws), { recursive: true, force: true });
});

const cli = async (args: string[]) => {
  const run = await runCli([...args, '--json'], { cwd: ws, env });
  return { code: run.code, json: <T>() => run.json<T>(), text: run.stdout + run.stderr };
};
const readJson = async <T>(file: string) => JSON.parse(await fs.readFile(path.join(ws, file), 'utf8')) as T;
interface Lock {
  skills: Record<string, { version: string }>;
}
interface Row {
  name: string;
  range: string;
  current: string | null;
  wanted: string | null;
  latest: string | null;
  trust: string | null;
}

describe('outdated, update, update --latest, uninstall', () => {
  it('report and change exactly what they say', async () => {
    const installed = await cli(['install', '@acme/solo', '@acme/top']);
    expect(installed.code, installed.text).toBe(0);
    const upToDate = await cli(['outdated']);
    expect(upToDate.code, upToDate.text).toBe(0);
    expect(upToDate.json<{ outdated: Row[] }>().outdated).toEqual([]);

    for (const v of ['1.1.0', '2.0.0']) expect((await live.publish(solo(v))).status).toBe(201);
    const outdated = await cli(['outdated']);
    expect(outdated.code).toBe(1);
    expect(outdated.json<{ outdated: Row[] }>().outdated).toEqual([{ name: '@acme/solo', range: '^1.0.0', current: '1.0.0', wanted: '1.1.0', latest: '2.0.0', trust: 'verified', source: null }]);

    // update: the newest version the range allows; the range stays.
    const updated = await cli(['update']);
    expect(updated.code, updated.text).toBe(0);
    expect(updated.json<{ changes: unknown[] }>().changes).toEqual([{ name: '@acme/solo', from: '1.0.0', to: '1.1.0' }]);
    expect((await readJson<{ dependencies: Record<string, string> }>('skills.json')).dependencies).toEqual({ '@acme/solo': '^1.0.0', '@acme/top': '^1.0.0' });
    expect((await readJson<Lock>('skills-lock.json')).skills['@acme/solo']?.version).toBe('1.1.0');
    expect(await fs.readFile(path.join(ws, 'skills', 'solo', 'index.ts'), 'utf8')).toContain("return '1.1.0'");
    const stillOutdated = await cli(['outdated']);
    expect(stillOutdated.code).toBe(1);
    expect(stillOutdated.json<{ outdated: Row[] }>().outdated).toEqual([{ name: '@acme/solo', range: '^1.0.0', current: '1.1.0', wanted: '1.1.0', latest: '2.0.0', trust: 'verified', source: null }]);

    // update --latest: to the latest dist-tag, rewriting the range.
    const latest = await cli(['update', '@acme/solo', '--latest']);
    expect(latest.code, latest.text).toBe(0);
    expect(latest.json<{ changes: unknown[] }>().changes).toEqual([{ name: '@acme/solo', from: '1.1.0', to: '2.0.0' }]);
    expect((await readJson<{ dependencies: Record<string, string> }>('skills.json')).dependencies).toEqual({ '@acme/solo': '^2.0.0', '@acme/top': '^1.0.0' });
    expect((await readJson<Lock>('skills-lock.json')).skills['@acme/solo']?.version).toBe('2.0.0');
    expect(JSON.parse(await fs.readFile(path.join(ws, 'skills', 'solo', 'skill.json'), 'utf8'))).toMatchObject({ version: '2.0.0' });
    expect(await fs.readFile(path.join(ws, 'skills', 'solo', 'index.ts'), 'utf8')).toContain("return '2.0.0'");
    const none = await cli(['outdated']);
    expect(none.code).toBe(0);
    expect(none.json<{ outdated: Row[] }>().outdated).toEqual([]);

    // uninstall: the skill and the dependencies nothing else needs; everything else untouched.
    const soloBefore = await tree(path.join(ws, 'skills', 'solo'));
    const removed = await cli(['uninstall', '@acme/top']);
    expect(removed.code, removed.text).toBe(0);
    expect(removed.json<{ changes: unknown[] }>().changes).toEqual([
      { name: '@acme/base', from: '1.0.0', to: null },
      { name: '@acme/mid', from: '1.0.0', to: null },
      { name: '@acme/top', from: '1.0.0', to: null },
    ]);
    expect((await readJson<{ dependencies: Record<string, string> }>('skills.json')).dependencies).toEqual({ '@acme/solo': '^2.0.0' });
    expect(Object.keys((await readJson<Lock>('skills-lock.json')).skills)).toEqual(['@acme/solo']);
    expect((await fs.readdir(path.join(ws, 'skills'))).sort()).toEqual(['INDEX.md', 'solo']);
    const index = await fs.readFile(path.join(ws, 'skills', 'INDEX.md'), 'utf8');
    expect(index).toContain('skills/solo/SKILL.md');
    expect(index).not.toContain('skills/top/');
    expect(await tree(path.join(ws, 'skills', 'solo'))).toEqual(soloBefore);

    // Uninstalling what is not there changes nothing.
    const before = await tree(ws);
    const missing = await cli(['uninstall', '@acme/top']);
    expect(missing.code).toBe(1);
    expect(missing.json<{ error: { code: string } }>().error.code).toBe('ENOTINSTALLED');
    expect(await tree(ws)).toEqual(before);
  }, 120_000);
});
