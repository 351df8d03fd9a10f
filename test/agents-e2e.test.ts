/**
 * Installing where every agent looks, end to end with real `skills` processes and a real registry:
 * a workspace with `.claude/` and `.cursor/` gets working links in `.agents/skills`,
 * `.claude/skills` and `.cursor/skills`; a user's own `.claude/skills/mine/` survives install,
 * update and uninstall; `skills ci` in a fresh clone recreates the links; and `-g` does the same
 * for the user against a temporary HOME (never the real one).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PackageFile } from '../schema/package-files';
import { runCli } from '../testkit/cli';
import { skillFiles } from '../testkit/skill-files';
import { tempDir } from '../testkit/temp';
import { tree } from '../testkit/tree';
import { liveRegistry, type LiveRegistry } from '../testkit/workspace';

let live: LiveRegistry;
let base: string;
let env: NodeJS.ProcessEnv;
const published = new Map<string, PackageFile[]>();

function skill(name: string, version: string): PackageFile[] {
  return skillFiles({
    name,
    scope: '@acme',
    version,
    code: `export function which(): string { return '${name}@${version}'; }`,
    fixtures: { which: { call: { export: 'which', args: [] }, expect: { returns: `${name}@${version}` } } },
  });
}

async function publish(name: string, version: string): Promise<void> {
  const files = skill(name, version);
  expect((await live.publish(files)).status).toBe(201);
  published.set(`${name}@${version}`, files);
}

const text = (files: PackageFile[] | undefined, file: string) => new TextDecoder().decode(files?.find((f) => f.path === file)?.bytes);

async function cli(args: string[], cwd: string, extra: NodeJS.ProcessEnv = {}) {
  const run = await runCli([...args, '--json'], { cwd, env: { ...env, ...extra } });
  return run;
}

async function mkdirs(root: string, ...dirs: string[]): Promise<void> {
  for (const d of dirs) await fs.mkdir(path.join(root, d), { recursive: true });
}

beforeAll(async () => {
  live = await liveRegistry(['@acme']);
  await publish('pdf', '1.0.0');
  await publish('csv', '1.0.0');
  base = await tempDir('agents-e2e');
  // A temporary HOME and XDG folders: the real home is never touched.
  env = {
    HOME: path.join(base, 'home'),
    XDG_DATA_HOME: '',
    XDG_CONFIG_HOME: '',
    SKILLS_CONFIG_DIR: path.join(base, 'config'),
    SKILLS_CACHE_DIR: path.join(base, 'cache'),
    SKILLS_REGISTRY: live.registry.url,
  };
  await fs.mkdir(path.join(base, 'home'));
}, 120_000);

afterAll(async () => {
  await live.close();
  await fs.rm(base, { recursive: true, force: true });
});

describe('a project with .claude/ and .cursor/', () => {
  let ws: string;
  let mine: Record<string, string>;

  it('install links every skill into .agents/skills, .claude/skills and .cursor/skills, and leaves the user\'s own skill alone', async () => {
    ws = path.join(base, 'ws');
    await mkdirs(ws, '.claude/skills/mine', '.cursor');
    await fs.writeFile(path.join(ws, '.claude/settings.json'), '{}\n');
    await fs.writeFile(path.join(ws, '.claude/skills/mine/SKILL.md'), '---\nname: mine\ndescription: My own.\n---\nMine.\n');
    mine = await tree(path.join(ws, '.claude/skills/mine'));

    const run = await cli(['install', '@acme/pdf', '@acme/csv'], ws);
    expect(run.code, run.stderr).toBe(0);
    const result = run.json<{ links: { scope: string; mode: string; targets: { folder: string; agents: string[]; added: string[] }[] } }>();
    expect(result.links.scope).toBe('project');
    expect(result.links.targets.map((t) => [t.folder, t.added])).toEqual([
      ['.agents/skills', ['csv', 'pdf']],
      ['.claude/skills', ['csv', 'pdf']],
      ['.cursor/skills', ['csv', 'pdf']],
    ]);
    for (const folder of ['.agents/skills', '.claude/skills', '.cursor/skills']) {
      for (const name of ['pdf', 'csv']) {
        // A relative link (the workspace can move), and it works.
        expect(await fs.readlink(path.join(ws, folder, name))).toBe(`../../skills/${name}`);
        expect(await fs.readFile(path.join(ws, folder, name, 'SKILL.md'), 'utf8')).toBe(text(published.get(`${name}@1.0.0`), 'SKILL.md'));
      }
    }
    expect(await tree(path.join(ws, '.claude/skills/mine'))).toEqual(mine);
    expect(JSON.parse(await fs.readFile(path.join(ws, 'skills.json'), 'utf8'))).not.toHaveProperty('agents');
  });

  it('skills agents reports what is detected and linked', async () => {
    const run = await cli(['agents'], ws);
    expect(run.code, run.stderr).toBe(0);
    const report = run.json<{ agents: { id: string; detected: boolean; target: boolean; linked: string[] }[]; targets: { folder: string; linked: string[] }[] }>();
    const byId = new Map(report.agents.map((a) => [a.id, a]));
    for (const id of ['claude-code', 'codex', 'gemini-cli', 'github-copilot', 'opencode', 'amp', 'cursor', 'cline', 'continue', 'goose', 'junie', 'kiro-cli', 'openhands', 'qwen-code', 'windsurf', 'roo', 'augment']) expect(byId.has(id), id).toBe(true);
    expect(byId.get('claude-code')).toMatchObject({ detected: true, target: true, linked: ['csv', 'pdf'] });
    expect(byId.get('cursor')).toMatchObject({ detected: true, target: true, linked: ['csv', 'pdf'] });
    expect(byId.get('codex')).toMatchObject({ detected: false, target: true, linked: ['csv', 'pdf'] });
    expect(byId.get('windsurf')).toMatchObject({ detected: false, target: false, linked: [] });
    expect(report.targets.map((t) => t.folder)).toEqual(['.agents/skills', '.claude/skills', '.cursor/skills']);
  });

  it('update keeps the links working on the new version; the user\'s skill is untouched', async () => {
    await publish('pdf', '1.1.0');
    const run = await cli(['update'], ws);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json<{ changes: unknown[] }>().changes).toEqual([{ name: '@acme/pdf', from: '1.0.0', to: '1.1.0' }]);
    for (const folder of ['.agents/skills', '.claude/skills', '.cursor/skills']) {
      expect(await fs.readFile(path.join(ws, folder, 'pdf', 'skill.json'), 'utf8')).toBe(text(published.get('pdf@1.1.0'), 'skill.json'));
    }
    expect(await tree(path.join(ws, '.claude/skills/mine'))).toEqual(mine);
  });

  it('uninstall removes only its own links', async () => {
    const run = await cli(['uninstall', '@acme/csv'], ws);
    expect(run.code, run.stderr).toBe(0);
    for (const folder of ['.agents/skills', '.claude/skills', '.cursor/skills']) {
      expect((await fs.readdir(path.join(ws, folder))).sort()).toEqual(folder === '.claude/skills' ? ['mine', 'pdf'] : ['pdf']);
    }
    expect(await tree(path.join(ws, '.claude/skills/mine'))).toEqual(mine);
    const doctor = await cli(['doctor'], ws);
    expect(doctor.code, doctor.stdout).toBe(0);
    expect(doctor.json<{ links: { problems: unknown[] } }>().links.problems).toEqual([]);
  });

  it('skills ci in a fresh clone recreates the links', async () => {
    const clone = path.join(base, 'clone');
    await mkdirs(clone, '.claude', '.cursor');
    for (const f of ['skills.json', 'skills-lock.json']) await fs.copyFile(path.join(ws, f), path.join(clone, f));
    const run = await cli(['ci'], clone);
    expect(run.code, run.stderr).toBe(0);
    for (const folder of ['.agents/skills', '.claude/skills', '.cursor/skills']) {
      expect(await fs.readlink(path.join(clone, folder, 'pdf'))).toBe('../../skills/pdf');
      expect(await fs.readFile(path.join(clone, folder, 'pdf', 'SKILL.md'), 'utf8')).toBe(text(published.get('pdf@1.1.0'), 'SKILL.md'));
    }
    // The workspace can move: relative links keep working.
    const moved = path.join(base, 'moved');
    await fs.rename(clone, moved);
    expect(await fs.readFile(path.join(moved, '.claude/skills/pdf/SKILL.md'), 'utf8')).toBe(text(published.get('pdf@1.1.0'), 'SKILL.md'));
  });
});

describe('-g: the user\'s global skills, against a temporary HOME', () => {
  let home: string;
  let cwd: string;
  let mine: Record<string, string>;
  const store = () => path.join(home, '.local/share/skills');

  it('install -g puts skills in the global store and links them into each agent\'s home folder', async () => {
    home = env.HOME as string;
    cwd = path.join(base, 'elsewhere');
    await mkdirs(home, '.claude/skills/mine', '.cursor');
    await fs.mkdir(cwd, { recursive: true });
    await fs.writeFile(path.join(home, '.claude/skills/mine/SKILL.md'), '---\nname: mine\ndescription: My own.\n---\nMine.\n');
    mine = await tree(path.join(home, '.claude/skills/mine'));
    const run = await cli(['install', '-g', '@acme/pdf@1.0.0', '@acme/csv'], cwd);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json<{ root: string; links: { scope: string } }>()).toMatchObject({ root: await fs.realpath(store()), links: { scope: 'global' } });
    for (const folder of ['.agents/skills', '.claude/skills', '.cursor/skills']) {
      for (const name of ['pdf', 'csv']) {
        expect(await fs.readlink(path.join(home, folder, name))).toBe(`../../.local/share/skills/skills/${name}`);
        expect(await fs.readFile(path.join(home, folder, name, 'SKILL.md'), 'utf8')).toBe(text(published.get(`${name}@1.0.0`), 'SKILL.md'));
      }
    }
    expect(JSON.parse(await fs.readFile(path.join(store(), 'skills.json'), 'utf8')).dependencies).toEqual({ '@acme/csv': '^1.0.0', '@acme/pdf': '1.0.0' });
    expect(await fs.readdir(cwd)).toEqual([]);
    expect(await tree(path.join(home, '.claude/skills/mine'))).toEqual(mine);

    const list = await cli(['list', '-g'], cwd);
    expect(list.json<{ skills: { packageName: string; version: string }[] }>().skills.map((s) => `${s.packageName}@${s.version}`)).toEqual(['@acme/csv@1.0.0', '@acme/pdf@1.0.0']);
    const agents = await cli(['agents', '-g'], cwd);
    expect(agents.json<{ scope: string; targets: { folder: string; linked: string[] }[] }>()).toMatchObject({
      scope: 'global',
      targets: [
        { folder: '~/.agents/skills', linked: ['csv', 'pdf'] },
        { folder: '~/.claude/skills', linked: ['csv', 'pdf'] },
        { folder: '~/.cursor/skills', linked: ['csv', 'pdf'] },
      ],
    });
  });

  it('update -g, uninstall -g and ci -g keep the home folders in line', async () => {
    await fs.writeFile(path.join(store(), 'skills.json'), (await fs.readFile(path.join(store(), 'skills.json'), 'utf8')).replace('"@acme/pdf": "1.0.0"', '"@acme/pdf": "^1.0.0"'));
    const update = await cli(['update', '-g'], cwd);
    expect(update.code, update.stderr).toBe(0);
    expect(update.json<{ changes: unknown[] }>().changes).toEqual([{ name: '@acme/pdf', from: '1.0.0', to: '1.1.0' }]);
    expect(await fs.readFile(path.join(home, '.claude/skills/pdf/skill.json'), 'utf8')).toBe(text(published.get('pdf@1.1.0'), 'skill.json'));

    const uninstall = await cli(['uninstall', '-g', '@acme/csv'], cwd);
    expect(uninstall.code, uninstall.stderr).toBe(0);
    expect((await fs.readdir(path.join(home, '.claude/skills'))).sort()).toEqual(['mine', 'pdf']);
    expect(await fs.readdir(path.join(home, '.cursor/skills'))).toEqual(['pdf']);

    // Lose the store's skill folders and every link: ci -g brings them back from the lockfile.
    await fs.rm(path.join(store(), 'skills'), { recursive: true });
    for (const folder of ['.agents/skills', '.claude/skills', '.cursor/skills']) await fs.rm(path.join(home, folder, 'pdf'));
    const ci = await cli(['ci', '-g'], cwd);
    expect(ci.code, ci.stderr).toBe(0);
    for (const folder of ['.agents/skills', '.claude/skills', '.cursor/skills']) {
      expect(await fs.readFile(path.join(home, folder, 'pdf', 'skill.json'), 'utf8')).toBe(text(published.get('pdf@1.1.0'), 'skill.json'));
    }
    expect(await tree(path.join(home, '.claude/skills/mine'))).toEqual(mine);
    expect(await fs.readdir(cwd)).toEqual([]);
    const doctor = await cli(['doctor', '-g'], cwd);
    expect(doctor.code, doctor.stdout).toBe(0);
  });
});
