/**
 * Installing from a local folder (one skill, or a folder of skills), code skills from sources
 * verified in the sandbox like registry ones, and the install policy as `skills ci` applies it.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { install, type InstallRequest } from '../cli/core/install/install';
import { makeRepo, skillMd, writeRepoFiles } from '../testkit/git-repo';
import { skillFiles } from '../testkit/skill-files';
import { tempDir } from '../testkit/temp';
import { expectNothingWritten } from '../testkit/tree';

let tmp: string;
let ws: string;
let cache: string;

beforeAll(async () => {
  tmp = await tempDir('folder');
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});
beforeEach(async () => {
  ws = await tempDir('ws', { in: tmp });
  cache = await tempDir('cache', { in: tmp });
});
afterEach(async () => {
  await fs.rm(ws, { recursive: true, force: true });
  await fs.rm(cache, { recursive: true, force: true });
});

function req(extra: Partial<InstallRequest> = {}): InstallRequest {
  return { root: ws, env: { SKILLS_CACHE_DIR: cache, SKILLS_CONFIG_DIR: path.join(cache, 'config') }, registry: 'http://127.0.0.1:9', progress: () => {}, warn: () => {}, ...extra };
}

describe('installing from a folder', () => {
  it('installs a plain skill folder, takes its edits on the next install, and ci refuses a folder that changed', async () => {
    const src = path.join(ws, 'src', 'mine');
    await writeRepoFiles(src, { 'SKILL.md': skillMd('mine'), 'references/a.md': 'a\n' });
    const first = await install(req({ add: ['./src/mine'], scope: '@me' }));
    expect(first.skills.map((s) => [s.name, s.version, s.trust, s.source])).toEqual([['@me/mine', '0.0.0-local', 'instructions', 'folder']]);
    const lock = JSON.parse(await fs.readFile(path.join(ws, 'skills-lock.json'), 'utf8')) as { skills: Record<string, { source: unknown }> };
    expect(lock.skills['@me/mine']?.source).toEqual({ type: 'folder', spec: './src/mine', path: './src/mine' });

    await fs.writeFile(path.join(src, 'references', 'a.md'), 'a, edited at the source\n');
    // ci keeps what is installed; reinstalling from the changed folder is refused.
    expect((await install(req({ frozen: true }))).changes).toEqual([]);
    await fs.rm(path.join(ws, 'skills', 'mine'), { recursive: true });
    await expectNothingWritten(ws, () => install(req({ frozen: true })), 'EINTEGRITY');
    const again = await install(req());
    expect(again.changes).toEqual([{ name: '@me/mine', from: null, to: '0.0.0-local' }]);
    expect(await fs.readFile(path.join(ws, 'skills', 'mine', 'references', 'a.md'), 'utf8')).toBe('a, edited at the source\n');
  });

  it('chooses skills in a folder of skills, and refuses links in them (EPACKSYMLINK)', async () => {
    const many = path.join(tmp, 'many');
    await writeRepoFiles(many, { 'a/SKILL.md': skillMd('a', { version: '"1.0.0"' }), 'b/SKILL.md': skillMd('b', { version: '"1.0.0"' }), 'c/SKILL.md': skillMd('c', { version: '"1.0.0"' }), 'c/link': { link: '/etc/hostname' } });
    await expectNothingWritten(ws, () => install(req({ add: [many] })), 'ESKILLCHOICE');
    await expectNothingWritten(ws, () => install(req({ add: [many], skills: ['c'] })), 'EPACKSYMLINK');
    const result = await install(req({ add: [many], skills: ['a', 'b'] }));
    expect(result.skills.map((s) => s.name)).toEqual(['@local/a', '@local/b']);
    expect(JSON.parse(await fs.readFile(path.join(ws, 'skills.json'), 'utf8'))).toMatchObject({ dependencies: { '@local/a': `${many}/a`, '@local/b': `${many}/b` } });
  });
});

describe('code skills from sources are verified in the sandbox', () => {
  it('installs a code skill from git as verified, and refuses one whose fixtures fail (EVERIFY)', async () => {
    const good = skillFiles({ name: 'adder', scope: '@g', code: 'export function add(a: number, b: number) { return a + b; }', fixtures: { two: { call: { export: 'add', args: [1, 1] }, expect: { returns: 2 } } } });
    const bad = skillFiles({ name: 'liar', scope: '@g', code: 'export function add(a: number, b: number) { return a - b; }', fixtures: { two: { call: { export: 'add', args: [1, 1] }, expect: { returns: 2 } } } });
    const files = Object.fromEntries([...good.map((f) => [`skills/adder/${f.path}`, new TextDecoder().decode(f.bytes)]), ...bad.map((f) => [`skills/liar/${f.path}`, new TextDecoder().decode(f.bytes)])]);
    const repo = await makeRepo(path.join(tmp, 'code-repo'), files);
    const result = await install(req({ add: [`git+file://${repo}`], skills: ['adder'] }));
    expect(result.skills.map((s) => [s.name, s.trust, s.verified])).toEqual([['@g/adder', 'verified', 'sandbox']]);
    await expectNothingWritten(ws, () => install(req({ add: [`git+file://${repo}`], skills: ['liar'] })), 'EVERIFY');
  });
});

describe('the policy is the workspace\'s, so ci gives teammates the same answer', () => {
  it('ci installs an allowed unverified skill, and refuses it once skills.json no longer allows it', async () => {
    const src = path.join(tmp, 'scripted');
    await writeRepoFiles(src, { 'SKILL.md': skillMd('scripted', { version: '"1.0.0"' }), 'scripts/go.py': 'print("go")\n' });
    const repo = await makeRepo(path.join(tmp, 'scripted-repo'), { 'SKILL.md': skillMd('scripted', { version: '"1.0.0"' }), 'scripts/go.py': 'print("go")\n' });
    await install(req({ add: [`git+file://${repo}`], allowUnverified: true }));
    await fs.rm(path.join(ws, 'skills'), { recursive: true });
    const ci = await install(req({ frozen: true }));
    expect(ci.skills.map((s) => [s.name, s.trust])).toEqual([['@local/scripted', 'unverified']]);
    const manifest = JSON.parse(await fs.readFile(path.join(ws, 'skills.json'), 'utf8')) as { trust?: unknown };
    delete manifest.trust;
    await fs.writeFile(path.join(ws, 'skills.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    await fs.rm(path.join(ws, 'skills'), { recursive: true });
    const error = await expectNothingWritten(ws, () => install(req({ frozen: true })), 'EUNVERIFIED');
    expect(error.message).toContain('scripts/go.py');
  });
});
