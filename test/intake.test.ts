/**
 * Issue 21: every skill an agent would load enters. Real git repositories and folders made here:
 * unknown and agent front-matter keys, `allowed-tools` as a list, names that break the spec,
 * duplicated skills in one repository, links inside a skill folder, GitHub's `owner/repo` habit,
 * and `outdated` agreeing with `update` for git skills.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { install, type InstallRequest } from '../cli/core/install/install';
import { parseSourceSpec } from '../cli/core/sources/spec';
import { collectFiles } from '../tarball/collect';
import { runCli } from '../testkit/cli';
import { commit, makeRepo, skillMd, writeRepoFiles } from '../testkit/git-repo';
import { tempDir } from '../testkit/temp';
import { expectNothingWritten, tree } from '../testkit/tree';

let tmp: string;
let cache: string;
let counter = 0;

beforeAll(async () => {
  tmp = await tempDir('intake');
  cache = path.join(tmp, 'cache');
  await fs.writeFile(path.join(tmp, 'outside.md'), 'a file next to the skill folders\n');
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ PATH: process.env.PATH ?? '', SKILLS_CACHE_DIR: cache, SKILLS_CONFIG_DIR: path.join(tmp, 'config'), ...extra });

async function workspace(): Promise<string> {
  const ws = path.join(tmp, `ws-${++counter}`);
  await fs.mkdir(ws);
  return ws;
}

function req(ws: string, extra: Partial<InstallRequest> = {}): InstallRequest {
  return { root: ws, env: env(), registry: 'http://127.0.0.1:9', progress: () => {}, warn: () => {}, ...extra };
}

const md = (frontmatter: string, body = '# Body\n\nUse it.\n') => `---\n${frontmatter}\n---\n\n${body}`;

describe('front matter an agent reads installs', () => {
  it('unknown keys, agent keys, allowed-tools as a list and a 1,068-character description install with one warning each kind', async () => {
    const repo = await makeRepo(path.join(tmp, 'lenient-repo'), {
      'skills/review/SKILL.md': md(`name: review\ndescription: Reviews code.\nversion: 1.2.0\nauthor: someone\nrequires: [git]\ndisable-model-invocation: true\nargument-hint: "[path]"\nallowed-tools:\n  - Read\n  - Bash(git diff:*)`),
      'skills/claude-api/SKILL.md': md(`name: claude-api\ndescription: ${'d'.repeat(1068)}`),
      'skills/Upper_Case/SKILL.md': md('name: Upper_Case\ndescription: A name outside the spec.'),
    });
    const ws = await workspace();
    const warnings: string[] = [];
    const result = await install(req(ws, { add: [`git+file://${repo}`], all: true, warn: (m) => warnings.push(m) }));
    expect(result.skills.map((s) => [s.name, s.folder]).sort()).toEqual([
      ['@local/claude-api', 'skills/claude-api'],
      ['@local/review', 'skills/review'],
      ['@local/upper-case', 'skills/upper-case'],
    ]);
    expect(warnings.filter((w) => w.includes('WFRONTMATTERKEY'))).toEqual([expect.stringContaining('"version", "author", "requires"')]);
    expect(warnings.some((w) => w.includes('disable-model-invocation') || w.includes('argument-hint'))).toBe(false);
    expect(warnings).toContainEqual(expect.stringMatching(/WDESCRIPTIONLENGTH SKILL\.md#description \(line 3\): description is 1068 characters/));
    expect(warnings).toContainEqual(expect.stringMatching(/WNAMECASE .*line 2/));
    // Files are kept byte for byte: the front matter is never rewritten.
    expect(await fs.readFile(path.join(ws, 'skills', 'review', 'SKILL.md'), 'utf8')).toContain('requires: [git]');
    expect(await fs.readFile(path.join(ws, 'skills', 'INDEX.md'), 'utf8')).toContain('Upper_Case');

    // The same repository under --strict, and under "strict" in skills.json: refused, nothing written.
    const strict = await workspace();
    await expectNothingWritten(strict, () => install(req(strict, { add: [`git+file://${repo}`], skills: ['claude-api'], strict: true })), 'EVALIDATION');
    await fs.writeFile(path.join(strict, 'skills.json'), '{ "strict": true, "dependencies": {} }\n');
    const error = await expectNothingWritten(strict, () => install(req(strict, { add: [`git+file://${repo}`], skills: ['Upper_Case'] })), 'EVALIDATION');
    expect(error.message).toContain('ENAMECASE');
  });
});

describe('a repository holding one skill twice', () => {
  it('byte-identical copies are one skill; copies that differ in one byte name both paths and the spec that picks one', async () => {
    const pdf = md('name: pdf\ndescription: Reads PDF files.');
    const repo = await makeRepo(path.join(tmp, 'dupes'), {
      'skills/pdf/SKILL.md': pdf,
      '.claude/skills/pdf/SKILL.md': pdf,
      'skills/other/SKILL.md': md('name: other\ndescription: Another.'),
    });
    const ws = await workspace();
    const one = await install(req(ws, { add: [`git+file://${repo}`], skills: ['pdf'] }));
    expect(one.skills.map((s) => s.name)).toEqual(['@local/pdf']);
    const all = await workspace();
    expect((await install(req(all, { add: [`git+file://${repo}`], all: true }))).skills.map((s) => s.name).sort()).toEqual(['@local/other', '@local/pdf']);

    await writeRepoFiles(repo, { '.claude/skills/pdf/SKILL.md': pdf.replace('Reads', 'reads') });
    await commit(repo, 'one byte differs');
    const differ = await workspace();
    const error = await expectNothingWritten(differ, () => install(req(differ, { add: [`git+file://${repo}`], skills: ['pdf'] })), 'ESOURCECONFLICT');
    expect(error.message).toContain('.claude/skills/pdf');
    expect(error.message).toContain('skills/pdf');
    expect(error.hint).toContain(`git+file://${repo}#path:.claude/skills/pdf`);
    // The path form picks one.
    const picked = await install(req(differ, { add: [`git+file://${repo}#path:skills/pdf`] }));
    expect(picked.skills.map((s) => s.name)).toEqual(['@local/pdf']);
  });
});

describe('finding a skill by its SKILL.md name', () => {
  it('reads the other skills to find it, within the command\'s source budget (ESOURCETOOLARGE past it, nothing written)', async () => {
    const repo = await makeRepo(path.join(tmp, 'named-repo'), {
      'skills/one/SKILL.md': md('name: two\ndescription: Lives in the folder one.'),
      'skills/three/SKILL.md': md('name: three\ndescription: Another.'),
    });
    const ws = await workspace();
    expect((await install(req(ws, { add: [`git+file://${repo}`], skills: ['two'] }))).skills.map((s) => s.name)).toEqual(['@local/two']);
    const small = await workspace();
    await expectNothingWritten(small, () => install(req(small, { env: env({ SKILLS_SOURCE_MAX_BYTES: '40' }), add: [`git+file://${repo}`], skills: ['two'] })), 'ESOURCETOOLARGE');
  });
});

describe('links inside a skill folder', () => {
  async function folderWith(name: string, links: Record<string, string>): Promise<string> {
    const dir = path.join(tmp, 'linked', name);
    await fs.mkdir(path.join(dir, 'docs'), { recursive: true });
    await fs.writeFile(path.join(dir, 'SKILL.md'), md(`name: ${name}\ndescription: Has links.\nmetadata:\n  version: "1.0.0"`));
    await fs.writeFile(path.join(dir, 'AGENTS.md'), '# Agents\n');
    await fs.writeFile(path.join(dir, 'docs', 'run.sh'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
    for (const [at, target] of Object.entries(links)) await fs.symlink(target, path.join(dir, at));
    return dir;
  }

  it('a link to a file inside, and a link to that link, are carried as copies of the file (executable bit kept)', async () => {
    const dir = await folderWith('linked-ok', { 'CLAUDE.md': 'AGENTS.md', 'GEMINI.md': 'CLAUDE.md', 'run': 'docs/run.sh' });
    const files = await collectFiles(dir);
    const text = (p: string) => new TextDecoder().decode(files.find((f) => f.path === p)?.bytes);
    expect(text('CLAUDE.md')).toBe('# Agents\n');
    expect(text('GEMINI.md')).toBe('# Agents\n');
    expect(files.find((f) => f.path === 'run')?.executable).toBe(true);
    // validate, pack and audit read the same files.
    const validate = await runCli(['validate', dir, '--scope', '@t', '--json'], { env: env() });
    expect(validate.json()).toMatchObject({ ok: true, valid: true });
    const audit = await runCli(['audit', dir, '--json'], { env: env() });
    expect(audit.code).toBe(0);
    const packDir = await workspace();
    const pack = await runCli(['pack', dir, '--scope', '@t', '--json'], { env: env(), cwd: packDir });
    expect(pack.code).toBe(0);
    // And a folder install carries them as files.
    const ws = await workspace();
    await install(req(ws, { add: [dir], allowUnverified: true }));
    const installed = await fs.lstat(path.join(ws, 'skills', 'linked-ok', 'CLAUDE.md'));
    expect(installed.isFile()).toBe(true);
  });

  it.each([
    ['at itself', { 'self.md': 'self.md' }, 'loop'],
    ['round a loop of two', { 'a.md': 'b.md', 'b.md': 'a.md' }, 'loop'],
    ['out of the folder through ..', { 'secret.md': '../../outside.md' }, 'outside the skill folder'],
    ['to an absolute path outside', { 'passwd': '/etc/passwd' }, 'outside the skill folder'],
    ['to a folder inside', { 'more': 'docs' }, 'to a folder'],
    ['to nothing', { 'gone.md': 'missing.md' }, 'does not exist'],
  ])('a link %s is refused by validate, pack, audit and a folder install (EPACKSYMLINK)', async (label, links, why) => {
    const dir = await folderWith(`linked-${label.replace(/[^a-z]+/g, '-').replace(/-$/, '')}`, links);
    await expect(collectFiles(dir)).rejects.toMatchObject({ code: 'EPACKSYMLINK', message: expect.stringContaining(why) });
    for (const args of [['validate', dir, '--json'], ['audit', dir, '--json'], ['pack', dir, '--scope', '@t', '--json']]) {
      const run = await runCli(args, { env: env(), cwd: tmp });
      expect(run.code).toBe(1);
      expect(run.json<{ error: { code: string } }>().error.code).toBe('EPACKSYMLINK');
    }
    const ws = await workspace();
    await expectNothingWritten(ws, () => install(req(ws, { add: [dir] })), 'EPACKSYMLINK');
  });
});

describe('GitHub habits', () => {
  it('owner/repo, owner/repo/path, owner/repo@skill and #ref mean GitHub; ./owner/repo is a folder', () => {
    expect(parseSourceSpec('anthropics/skills')).toMatchObject({ type: 'git', url: 'https://github.com/anthropics/skills', path: undefined, github: { owner: 'anthropics', repo: 'skills' } });
    expect(parseSourceSpec('anthropics/skills/skills/pdf')).toMatchObject({ type: 'git', path: 'skills/pdf' });
    expect(parseSourceSpec('anthropics/skills@pdf')).toMatchObject({ type: 'git', skill: 'pdf', path: undefined });
    expect(parseSourceSpec('anthropics/skills#v1.0.0')).toMatchObject({ type: 'git', ref: 'v1.0.0' });
    expect(parseSourceSpec('./anthropics/skills')).toMatchObject({ type: 'folder' });
    for (const bad of ['-x/repo', 'owner/repo@', 'owner/repo@a/b', 'owner/../x', 'owner']) {
      expect(() => parseSourceSpec(bad)).toThrow(expect.objectContaining({ code: 'ESPECINVALID', hint: expect.stringContaining('owner/repo') }));
    }
  });

  it('owner/repo@skill installs that skill (through $SKILLS_GITHUB_BASE), recorded as github:owner/repo/path', async () => {
    const base = path.join(tmp, 'github');
    await makeRepo(path.join(base, 'acme', 'tools'), {
      'skills/pdf/SKILL.md': skillMd('pdf', { version: '"1.0.0"' }),
      'skills/xlsx/SKILL.md': skillMd('xlsx', { version: '"1.0.0"' }),
    });
    const ws = await workspace();
    const result = await install(req(ws, { env: env({ SKILLS_GITHUB_BASE: `file://${base}` }), add: ['acme/tools@xlsx'] }));
    expect(result.skills.map((s) => s.name)).toEqual(['@acme/xlsx']);
    const json = JSON.parse(await fs.readFile(path.join(ws, 'skills.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(json.dependencies).toEqual({ '@acme/xlsx': 'github:acme/tools/skills/xlsx' });
  });
});

describe('outdated and update agree for git skills', () => {
  it('a new commit on the followed branch is outdated until update takes it; a pinned commit never is', async () => {
    const repo = await makeRepo(path.join(tmp, 'moving'), { 'skills/notes/SKILL.md': skillMd('notes', { version: '"1.0.0"' }) });
    const ws = await workspace();
    await install(req(ws, { add: [`git+file://${repo}`] }));
    const outdated = async () => (await runCli(['outdated', '--json'], { env: env(), cwd: ws })).json<{ outdated: { name: string; current: string; latest: string; source: { current: string; latest: string } | null }[] }>().outdated;
    expect(await outdated()).toEqual([]);
    await writeRepoFiles(repo, { 'skills/notes/SKILL.md': skillMd('notes', { version: '"1.1.0"' }) });
    const next = await commit(repo, 'notes 1.1.0');
    const rows = await outdated();
    expect(rows).toEqual([expect.objectContaining({ name: '@local/notes', current: '1.0.0', latest: '1.1.0', source: expect.objectContaining({ latest: next }) })]);
    const human = await runCli(['outdated'], { env: env(), cwd: ws });
    expect(human.code).toBe(1);
    expect(human.stdout).toContain('@local/notes');
    const update = await runCli(['update', '--json'], { env: env(), cwd: ws });
    expect(update.code).toBe(0);
    expect(await outdated()).toEqual([]);
    const before = await tree(ws);
    // A lockfile pinned by commit with a spec that names the commit: nothing to move to.
    const pinned = await workspace();
    await install(req(pinned, { add: [`git+file://${repo}#${next}`] }));
    await writeRepoFiles(repo, { 'skills/notes/SKILL.md': skillMd('notes', { version: '"1.2.0"' }) });
    await commit(repo, 'notes 1.2.0');
    expect((await runCli(['outdated', '--json'], { env: env(), cwd: pinned })).json<{ outdated: unknown[] }>().outdated).toEqual([]);
    expect(await tree(ws)).toEqual(before);
  });
});
