import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PackageFile } from '../schema/package-files';
import { runCli } from '../testkit/cli';
import { serveRegistry, type ServedRegistry } from '../testkit/serve';
import { chainSkills } from '../testkit/skill-files';
import { tempDir } from '../testkit/temp';
import { snapshot } from '../testkit/workspace';

let registry: ServedRegistry;
let work: string;
let env: NodeJS.ProcessEnv;

async function writeSkill(dir: string, files: readonly PackageFile[]): Promise<void> {
  for (const f of files) {
    await fs.mkdir(path.dirname(path.join(dir, f.path)), { recursive: true });
    await fs.writeFile(path.join(dir, f.path), f.bytes);
  }
}

beforeAll(async () => {
  registry = await serveRegistry();
  work = await tempDir('ws-e2e');
  env = { SKILLS_CONFIG_DIR: path.join(work, 'config'), SKILLS_CACHE_DIR: path.join(work, 'cache'), SKILLS_REGISTRY: registry.url, SKILLS_TOKEN: registry.adminToken };
  const admin = (args: string[]) => runCli(args, { cwd: work, env: { ...process.env, ...env } });
  expect((await admin(['team', 'create', 'acme'])).code).toBe(0);
  expect((await admin(['scope', 'create', '@acme', '--team', 'acme'])).code).toBe(0);
});
afterAll(async () => {
  await registry.stop();
  await fs.rm(work, { recursive: true, force: true });
});

const cli = (cwd: string, args: string[]) => runCli(args, { cwd, env: { ...process.env, ...env } });

describe('the whole loop with real processes', () => {
  it('publishes three interdependent skills, installs, runs, updates, and reproduces with ci byte for byte', async () => {
    const author = path.join(work, 'author');
    const chain = chainSkills();
    for (const [name, files] of Object.entries(chain)) await writeSkill(path.join(author, 'skills', name), files);
    for (const name of ['base', 'mid', 'top']) {
      const published = await cli(author, ['publish', `skills/${name}`, '--json']);
      expect(published.code, published.stdout + published.stderr).toBe(0);
    }

    const consumer = path.join(work, 'consumer');
    await fs.mkdir(consumer);
    const installed = await cli(consumer, ['install', '@acme/top', '--json']);
    expect(installed.code, installed.stdout + installed.stderr).toBe(0);
    expect(installed.json<{ skills: { name: string; version: string }[] }>().skills.map((s) => `${s.name}@${s.version}`)).toEqual(['@acme/base@1.0.0', '@acme/mid@1.0.0', '@acme/top@1.0.0']);
    const index = await fs.readFile(path.join(consumer, 'skills', 'INDEX.md'), 'utf8');
    for (const name of ['base', 'mid', 'top']) expect(index).toContain(`skills/${name}/SKILL.md`);

    const ran = await cli(consumer, ['run', 'skills/top', '--fixture', 'two', '--json']);
    expect(ran.code, ran.stdout).toBe(0);
    expect(ran.json<{ value: unknown }>().value).toBe('Echo: 8');

    const list = await cli(consumer, ['list', '--json']);
    expect(list.json<{ skills: { name: string; source: string }[] }>().skills.map((s) => [s.name, s.source])).toEqual([
      ['base', 'installed'],
      ['mid', 'installed'],
      ['top', 'installed'],
    ]);

    const newer = chainSkills('@acme', '1.1.0').base;
    await fs.rm(path.join(author, 'skills', 'base'), { recursive: true });
    await writeSkill(path.join(author, 'skills', 'base'), newer);
    expect((await cli(author, ['publish', 'skills/base'])).code).toBe(0);
    const outdated = await cli(consumer, ['outdated', '--json']);
    expect(outdated.code).toBe(0);
    const updated = await cli(consumer, ['update', '--json']);
    expect(updated.code, updated.stdout + updated.stderr).toBe(0);
    expect(updated.json<{ changes: unknown[] }>().changes).toEqual([{ name: '@acme/base', from: '1.0.0', to: '1.1.0' }]);

    const replica = path.join(work, 'replica');
    await fs.mkdir(replica);
    for (const f of ['skills.json', 'skills-lock.json']) await fs.copyFile(path.join(consumer, f), path.join(replica, f));
    const ci = await cli(replica, ['ci', '--json']);
    expect(ci.code, ci.stdout + ci.stderr).toBe(0);
    expect(await snapshot(path.join(replica, 'skills'))).toEqual(await snapshot(path.join(consumer, 'skills')));
    expect(await fs.readFile(path.join(replica, 'skills-lock.json'), 'utf8')).toBe(await fs.readFile(path.join(consumer, 'skills-lock.json'), 'utf8'));

    const info = await cli(consumer, ['info', '@acme/base', '--json']);
    expect(info.json<{ versions: string[] }>().versions).toEqual(['1.0.0', '1.1.0']);
    const search = await cli(consumer, ['search', 'quad', '--json']);
    expect(search.code).toBe(0);
  }, 180_000); // ~19 real processes and sandbox runs: bounded for a hang, not a speed claim
});
