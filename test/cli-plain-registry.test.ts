/**
 * Issue 12's "done when", the parts that need the registry side of the contract (PROTOCOL-12):
 * a plain skill published from a folder (`--scope`, `?version=`) and from git (with
 * Skills-Provenance), installed back with its trust; info, search --trust and the lockfile showing
 * trust; and the registry's own discovery index, checked against v0.2.0 and installed from.
 * Real `skills` processes against a real registry.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DISCOVERY_SCHEMA_V0_2_0, discoveryIndexSchema } from '../schema/registry';
import { runCli } from '../testkit/cli';
import { git, skillMd, writeRepoFiles } from '../testkit/git-repo';
import { loggedRegistry, type LoggedRegistry } from '../testkit/recording-server';
import { makeSkillsRepo } from '../testkit/skills-repo';
import { tempDir } from '../testkit/temp';

let registry: LoggedRegistry;
let tmp: string;
let repo: string;
let commitId: string;

beforeAll(async () => {
  tmp = await tempDir('plain-reg');
  registry = await loggedRegistry([{ name: '@t' }]);
  repo = await makeSkillsRepo(path.join(tmp, 'repo'));
  commitId = await git(repo, ['rev-parse', 'HEAD']);
});
afterAll(async () => {
  await registry.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

const cli = (args: string[], cwd: string) =>
  runCli([...args, '--registry', registry.url], {
    cwd,
    env: { SKILLS_CONFIG_DIR: path.join(tmp, 'config'), SKILLS_CACHE_DIR: path.join(tmp, 'cache'), SKILLS_REGISTRY: undefined, SKILLS_TOKEN: registry.admin },
  });

async function workspace(name: string): Promise<string> {
  const dir = path.join(tmp, name);
  await fs.mkdir(dir, { recursive: true });
  return dir;
}

describe('plain skills in a team registry', () => {
  it('publishes a plain folder with --scope and installs it back with trust instructions', async () => {
    const src = path.join(tmp, 'src', 'handbook');
    await writeRepoFiles(src, { 'SKILL.md': skillMd('handbook', { version: '"1.0.0"' }), 'references/policies.md': '# Policies\n', 'assets/logo.png': new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 1, 2]) });
    const published = await cli(['publish', src, '--scope', '@t', '--json'], tmp);
    expect(published.code, published.stdout).toBe(0);
    expect(published.json()).toMatchObject({ name: '@t/handbook', version: '1.0.0', kind: 'plain', trust: 'instructions' });

    const ws = await workspace('ws-handbook');
    const installed = await cli(['install', '@t/handbook', '--json'], ws);
    expect(installed.code, installed.stdout).toBe(0);
    expect(installed.json<{ skills: { name: string; trust: string }[] }>().skills).toMatchObject([{ name: '@t/handbook', trust: 'instructions' }]);
    const lock = JSON.parse(await fs.readFile(path.join(ws, 'skills-lock.json'), 'utf8')) as { skills: Record<string, { trust: string }> };
    expect(lock.skills['@t/handbook']?.trust).toBe('instructions');
    expect(await fs.readFile(path.join(ws, 'skills', 'INDEX.md'), 'utf8')).toContain('- handbook (1.0.0, instructions): ');

    const info = await cli(['info', '@t/handbook', '--json'], ws);
    expect(info.json()).toMatchObject({ trust: 'instructions', version: { kind: 'plain', trust: 'instructions' } });
  });

  it('a registry takes unknown front-matter keys and agent keys (info shows the agent settings), and keeps the spec\'s rules', async () => {
    const src = path.join(tmp, 'src', 'commit-helper');
    await writeRepoFiles(src, {
      'SKILL.md': '---\nname: commit-helper\ndescription: Writes commit messages.\nversion: 2.0.0\nauthor: someone\ndisable-model-invocation: true\nargument-hint: "[message]"\nallowed-tools:\n  - Bash(git commit:*)\n---\n\n# Commit helper\n',
    });
    const published = await cli(['publish', src, '--scope', '@t', '--version', '1.0.0', '--json'], tmp);
    expect(published.code, published.stdout).toBe(0);
    const info = await cli(['info', '@t/commit-helper', '--json'], tmp);
    expect(info.json()).toMatchObject({ agentKeys: { 'disable-model-invocation': true, 'argument-hint': '[message]' }, unknownKeys: ['version', 'author'] });
    const human = await cli(['info', '@t/commit-helper'], tmp);
    expect(human.stdout).toContain('agent settings: disable-model-invocation=true (Claude Code), argument-hint="[message]" (Claude Code)');
    // The registry's rules for a shared catalog: a description over 1,024 characters is refused, saying so.
    const long = path.join(tmp, 'src', 'long-description');
    await writeRepoFiles(long, { 'SKILL.md': `---\nname: long-description\ndescription: ${'d'.repeat(1068)}\n---\n\n# Long\n` });
    const refused = await cli(['publish', long, '--scope', '@t', '--version', '1.0.0', '--json'], tmp);
    expect(refused.code).toBe(1);
    expect(refused.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'EVALIDATION', message: expect.stringContaining('EDESCRIPTIONLENGTH SKILL.md#description: description is 1068 characters; the limit is 1024') });
  });

  it('publishes a plain skill from git with its provenance, and its scripts keep it unverified until allowed', async () => {
    const published = await cli(['publish', `git+file://${repo}#v1.0.0`, '--skill', 'pdf-tools', '--scope', '@t', '--json'], tmp);
    expect(published.code, published.stdout).toBe(0);
    expect(published.json()).toMatchObject({ name: '@t/pdf-tools', version: '1.2.0', trust: 'unverified', provenance: { type: 'git', url: `file://${repo}`, commit: commitId, path: 'skills/pdf-tools', ref: 'v1.0.0' } });
    const info = await cli(['info', '@t/pdf-tools', '--json'], tmp);
    expect(info.json()).toMatchObject({ version: { trust: 'unverified', provenance: { type: 'git', commit: commitId, path: 'skills/pdf-tools' } } });
    const human = await cli(['info', '@t/pdf-tools'], tmp);
    expect(human.stdout).toContain(`provenance (as its publisher declared it): file://${repo} at ${commitId} in skills/pdf-tools`);

    const ws = await workspace('ws-pdf');
    const refused = await cli(['install', '@t/pdf-tools', '--json'], ws);
    expect(refused.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'EUNVERIFIED', message: expect.stringContaining('scripts/extract.py') });
    expect(await fs.readdir(ws)).toEqual([]);
    const allowed = await cli(['install', '@t/pdf-tools', '--allow-unverified'], ws);
    expect(allowed.code, allowed.stderr).toBe(0);
  });

  it('search --trust filters by level and shows it', async () => {
    const all = await cli(['search', '--json'], tmp);
    const results = all.json<{ results: { name: string; trust: string }[] }>().results;
    expect(results.every((r) => r.trust !== undefined)).toBe(true);
    const instructions = await cli(['search', '--trust', 'instructions', '--json'], tmp);
    const names = instructions.json<{ results: { name: string; trust: string }[] }>().results.map((r) => [r.name, r.trust]);
    expect(names).toContainEqual(['@t/handbook', 'instructions']);
    expect(names.every(([, t]) => t === 'instructions')).toBe(true);
  });

  it("serves a v0.2.0 discovery index whose digests match the served bytes, and installs from it", async () => {
    const res = await fetch(`${registry.url}/.well-known/agent-skills/index.json`);
    expect(res.status).toBe(200);
    const index = discoveryIndexSchema.parse(await res.json());
    expect(index.$schema).toBe(DISCOVERY_SCHEMA_V0_2_0);
    expect(index.skills.map((s) => s.name)).toContain('handbook');
    for (const entry of index.skills) {
      expect(['skill-md', 'archive']).toContain(entry.type);
      const artifact = new Uint8Array(await (await fetch(new URL(entry.url, `${registry.url}/.well-known/agent-skills/index.json`))).arrayBuffer());
      expect(`sha256:${createHash('sha256').update(artifact).digest('hex')}`).toBe(entry.digest);
    }
    const ws = await workspace('ws-well-known');
    const installed = await runCli(['install', `${registry.url}#handbook`, '--scope', '@t', '--json'], { cwd: ws, env: { SKILLS_CONFIG_DIR: path.join(tmp, 'config'), SKILLS_CACHE_DIR: path.join(tmp, 'cache-wk') } });
    expect(installed.code, installed.stdout).toBe(0);
    expect(installed.json<{ skills: { name: string; trust: string; source: string }[] }>().skills).toMatchObject([{ name: '@t/handbook', trust: 'instructions', source: 'well-known' }]);
  });
});
