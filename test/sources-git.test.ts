/**
 * Installing from git repositories made in the test (git+file://, and github: through
 * $SKILLS_GITHUB_BASE): choosing skills, the lockfile's commit, trust and the install policy,
 * ci without git, update by ref and by semver range, the cache, and every hostile repository the
 * issue lists (a missing repository, one needing credentials, a missing ref, names that disagree,
 * links out, submodules, huge files, hooks, two sources with one name, a local edit).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { install, type InstallRequest } from '../cli/core/install/install';
import { runCli } from '../testkit/cli';
import { commit, git, makeRepo, skillMd, writeRepoFiles } from '../testkit/git-repo';
import { tempDir } from '../testkit/temp';
import { expectNothingWritten, tree } from '../testkit/tree';

const exec = promisify(execFile);
let tmp: string;
let ws: string;
let cache: string;
let repo: string;
let v1: string;
let gitLog: string;
let wrapperDir: string;
const realGit = (await exec('sh', ['-c', 'command -v git'])).stdout.trim();

beforeAll(async () => {
  tmp = await tempDir('git');
  repo = await makeRepo(
    path.join(tmp, 'repo'),
    {
      'README.md': '# Some skills\n',
      'skills/notes/SKILL.md': skillMd('notes', { version: '"1.0.0"' }),
      'skills/notes/references/guide.md': '# Guide\n',
      'skills/runner/SKILL.md': skillMd('runner', { version: '"2.0.0"' }),
      'skills/runner/scripts/run.sh': { content: '#!/bin/sh\necho "ran with $1"\n', executable: true },
      'skills/shared-link/SKILL.md': skillMd('shared-link'),
      'skills/shared-link/references/readme.md': { link: '../../../README.md' },
    },
    { tag: 'v1.0.0' },
  );
  v1 = await git(repo, ['rev-parse', 'HEAD']);
  // A git that logs every call, to count clones.
  wrapperDir = path.join(tmp, 'bin');
  gitLog = path.join(tmp, 'git.log');
  await fs.mkdir(wrapperDir);
  await fs.writeFile(path.join(wrapperDir, 'git'), `#!/bin/sh\necho "$*" >> ${gitLog}\nexec ${realGit} "$@"\n`, { mode: 0o755 });
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});
beforeEach(async () => {
  ws = await tempDir('ws', { in: tmp });
  cache = await tempDir('cache', { in: tmp });
  await fs.rm(gitLog, { force: true });
});
afterEach(async () => {
  await fs.rm(ws, { recursive: true, force: true });
  await fs.rm(cache, { recursive: true, force: true });
});

function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: `${wrapperDir}:${process.env.PATH ?? ''}`, SKILLS_CACHE_DIR: cache, SKILLS_CONFIG_DIR: path.join(cache, 'config'), ...extra };
}

function req(extra: Partial<InstallRequest> = {}): InstallRequest {
  return { root: ws, env: env(), registry: 'http://127.0.0.1:9', progress: () => {}, warn: () => {}, ...extra };
}

async function gitCalls(): Promise<string[]> {
  return (await fs.readFile(gitLog, 'utf8').catch(() => '')).split('\n').filter((l) => l !== '');
}

const lockOf = async (root = ws) => JSON.parse(await fs.readFile(path.join(root, 'skills-lock.json'), 'utf8')) as { skills: Record<string, Record<string, unknown> & { source?: Record<string, unknown> }> };
const workspaceOf = async (root = ws) => JSON.parse(await fs.readFile(path.join(root, 'skills.json'), 'utf8')) as { dependencies: Record<string, string>; trust?: { allowUnverified: string[] } };

describe('installing from a git repository', () => {
  it('installs chosen skills at a tag, records the commit, and keeps a script runnable', async () => {
    const spec = `git+file://${repo}#v1.0.0`;
    await expectNothingWritten(ws, () => install(req({ add: [spec], skills: ['notes', 'runner'] })), 'EUNVERIFIED');
    const result = await install(req({ add: [spec], skills: ['notes', 'runner'], allowUnverified: true }));
    expect(result.skills.map((s) => [s.name, s.version, s.trust, s.source])).toEqual([
      ['@local/notes', '1.0.0', 'instructions', 'git'],
      ['@local/runner', '2.0.0', 'unverified', 'git'],
    ]);
    const lock = await lockOf();
    expect(lock.skills['@local/notes']?.source).toEqual({ type: 'git', spec: `${spec}&path:skills/notes`, url: `file://${repo}`, commit: v1, path: 'skills/notes', ref: 'v1.0.0' });
    expect(lock.skills['@local/runner']?.trust).toBe('unverified');
    expect(await workspaceOf()).toEqual({ dependencies: { '@local/notes': `${spec}&path:skills/notes`, '@local/runner': `${spec}&path:skills/runner` }, trust: { allowUnverified: ['@local/runner'] } });
    const ran = await exec(path.join(ws, 'skills', 'runner', 'scripts', 'run.sh'), ['ok']);
    expect(ran.stdout).toBe('ran with ok\n');
    const index = await fs.readFile(path.join(ws, 'skills', 'INDEX.md'), 'utf8');
    expect(index).toContain('- runner (2.0.0, unverified): ');
  });

  it('carries a link to a file elsewhere in the repository as a copy of that file', async () => {
    await install(req({ add: [`git+file://${repo}#v1.0.0&path:skills/shared-link`] }));
    const copied = path.join(ws, 'skills', 'shared-link', 'references', 'readme.md');
    expect((await fs.lstat(copied)).isFile()).toBe(true);
    expect(await fs.readFile(copied, 'utf8')).toBe('# Some skills\n');
  });

  it('lists what a repository holds, and asks to choose when it holds several', async () => {
    const listed = await runCli(['install', `git+file://${repo}`, '--list', '--json'], { cwd: ws, env: env() });
    expect(listed.code, listed.stderr).toBe(0);
    const skills = listed.json<{ skills: { name: string; trust: string; path: string }[] }>().skills;
    expect(skills.map((s) => [s.name, s.trust, s.path])).toEqual([
      ['@local/notes', 'instructions', 'skills/notes'],
      ['@local/runner', 'unverified', 'skills/runner'],
      ['@local/shared-link', 'instructions', 'skills/shared-link'],
    ]);
    expect(await tree(ws)).toEqual({});
    await expectNothingWritten(ws, () => install(req({ add: [`git+file://${repo}`] })), 'ESKILLCHOICE');
    await expectNothingWritten(ws, () => install(req({ add: [`git+file://${repo}`], skills: ['nope'] })), 'ESKILLNOTFOUND');
  });

  it('skills ci in a clean copy reproduces ./skills byte for byte without running git', async () => {
    await install(req({ add: [`git+file://${repo}#v1.0.0`], all: true, allowUnverified: true }));
    const clean = await tempDir('clean', { in: tmp });
    try {
      for (const f of ['skills.json', 'skills-lock.json']) await fs.copyFile(path.join(ws, f), path.join(clean, f));
      await fs.rm(gitLog, { force: true });
      const ci = await runCli(['ci', '--json'], { cwd: clean, env: env() });
      expect(ci.code, ci.stdout + ci.stderr).toBe(0);
      expect(await gitCalls()).toEqual([]);
      expect(await tree(path.join(clean, 'skills'))).toEqual(await tree(path.join(ws, 'skills')));
      // With an empty cache, ci fetches the locked commit (once) and gets the same bytes.
      await fs.rm(path.join(clean, 'skills'), { recursive: true });
      const emptyCache = env({ SKILLS_CACHE_DIR: path.join(clean, '.cache') });
      const again = await runCli(['ci'], { cwd: clean, env: emptyCache });
      expect(again.code, again.stderr).toBe(0);
      expect((await gitCalls()).filter((c) => c.includes(' fetch '))).toHaveLength(1);
      expect(await tree(path.join(clean, 'skills'))).toEqual(await tree(path.join(ws, 'skills')));
    } finally {
      await fs.rm(clean, { recursive: true, force: true });
    }
  });

  it('github:owner/repo[/path][#ref] through $SKILLS_GITHUB_BASE', async () => {
    const hosts = path.join(tmp, 'hosts');
    await fs.mkdir(path.join(hosts, 'acme'), { recursive: true });
    await exec(realGit, ['clone', '--quiet', '--bare', repo, path.join(hosts, 'acme', 'skills')]);
    const base = env({ SKILLS_GITHUB_BASE: `file://${hosts}` });
    const result = await install(req({ env: base, add: ['github:acme/skills/skills/notes#v1.0.0'] }));
    expect(result.skills.map((s) => s.name)).toEqual(['@acme/notes']);
    expect((await workspaceOf()).dependencies).toEqual({ '@acme/notes': 'github:acme/skills/skills/notes#v1.0.0' });
    expect((await lockOf()).skills['@acme/notes']?.source).toMatchObject({ url: `file://${hosts}/acme/skills`, commit: v1, path: 'skills/notes' });
  });
});

describe('update moves git skills', () => {
  it('to the newest commit of a branch, and to the newest tag inside a semver range', async () => {
    const moving = await makeRepo(path.join(tmp, 'moving'), { 'SKILL.md': skillMd('moving', { version: '"1.0.0"' }) }, { tag: 'v1.0.0' });
    await install(req({ add: [`git+file://${moving}#main`] }));
    const ranged = path.join(ws, 'ranged');
    await fs.mkdir(ranged);
    await install(req({ root: ranged, add: [`git+file://${moving}#semver:^1.0.0`] }));
    await writeRepoFiles(moving, { 'SKILL.md': skillMd('moving', { version: '"1.1.0"' }) });
    const second = await commit(moving, 'second', 'v1.1.0');
    await writeRepoFiles(moving, { 'SKILL.md': skillMd('moving', { version: '"2.0.0"' }) });
    const third = await commit(moving, 'third', 'v2.0.0');

    // install alone keeps the locked commit; update moves it.
    expect((await install(req())).changes).toEqual([]);
    const updated = await install(req({ update: { names: 'all', latest: false } }));
    expect(updated.changes).toEqual([{ name: '@local/moving', from: '1.0.0', to: '2.0.0' }]);
    expect((await lockOf()).skills['@local/moving']?.source?.commit).toBe(third);

    const inRange = await install(req({ root: ranged, update: { names: ['@local/moving'], latest: false } }));
    expect(inRange.changes).toEqual([{ name: '@local/moving', from: '1.0.0', to: '1.1.0' }]);
    expect((await lockOf(ranged)).skills['@local/moving']?.source).toMatchObject({ commit: second, ref: 'semver:^1.0.0' });
  });
});

describe('the cache: one clone per repository and commit', () => {
  it('installs 15 skills of one repository with one fetch; a second install of the commit runs no git', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 15; i++) files[`skills/s${i}/SKILL.md`] = skillMd(`s${i}`, { version: '"1.0.0"' });
    const many = await makeRepo(path.join(tmp, 'many'), files);
    const commitId = await git(many, ['rev-parse', 'HEAD']);
    await install(req({ add: [`git+file://${many}#main`], all: true }));
    const calls = await gitCalls();
    expect(calls.filter((c) => c.includes(' fetch '))).toHaveLength(1);
    expect(calls.filter((c) => c.includes(' ls-remote '))).toHaveLength(1);

    // Another workspace asks for the same commit by id: answered from the cache, git never runs.
    const other = path.join(ws, 'other');
    await fs.mkdir(other);
    await fs.rm(gitLog, { force: true });
    const warm = await install(req({ root: other, add: [`git+file://${many}#${commitId}`], all: true }));
    expect(warm.skills).toHaveLength(15);
    expect(await gitCalls()).toEqual([]);
  });
});

describe('hostile repositories and specs (nothing is written)', () => {
  it('a repository that does not exist: EGITFETCH with a hint', async () => {
    const error = await expectNothingWritten(ws, () => install(req({ add: [`git+file://${tmp}/no-such-repo`] })), 'EGITFETCH');
    expect(error.hint).toContain('URL');
  });

  it('a repository that needs credentials: EGITFETCH naming them, and no prompt', async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"', 'Content-Length': '0' });
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const error = await expectNothingWritten(ws, () => install(req({ add: [`git+http://127.0.0.1:${port}/private/repo`] })), 'EGITFETCH');
      expect(error.hint).toContain('credential');
      // Through the CLI, with a terminal-less stdin: it fails instead of waiting for a password.
      const cli = await runCli(['install', `git+http://127.0.0.1:${port}/private/repo`, '--json'], { cwd: ws, env: env(), timeoutMs: 30_000 });
      expect(cli.json<{ error: { code: string } }>().error.code).toBe('EGITFETCH');
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('credentials in the URL, plain http to another host, and option-looking URLs are refused before git runs', async () => {
    await expectNothingWritten(ws, () => install(req({ add: ['git+https://user:secret@example.com/r.git'] })), 'EGITURL');
    await expectNothingWritten(ws, () => install(req({ add: ['git+http://example.com/r.git'] })), 'EINSECURESOURCE');
    await expectNothingWritten(ws, () => install(req({ add: ['git+ssh://-oProxyCommand=touch/x'] })), 'ESPECINVALID');
    await expectNothingWritten(ws, () => install(req({ add: [`git+file://${repo}#--upload-pack=touch`] })), 'ESPECINVALID');
    expect(await gitCalls()).toEqual([]);
  });

  it('the MCP install tool takes registry names only: a git source is refused before git runs', async () => {
    await expectNothingWritten(ws, () => install(req({ add: [`git+file://${repo}#v1.0.0`], all: true, registryOnly: true })), 'ESPECINVALID');
    expect(await gitCalls()).toEqual([]);
  });

  it('a ref that does not exist: EGITREF naming the refs there are', async () => {
    const error = await expectNothingWritten(ws, () => install(req({ add: [`git+file://${repo}#v9.9.9`], all: true })), 'EGITREF');
    expect(error.hint).toContain('v1.0.0');
    await expectNothingWritten(ws, () => install(req({ add: [`git+file://${repo}#semver:^5.0.0`], all: true })), 'EGITREF');
  });

  it('a SKILL.md whose name disagrees with its folder: refused under --strict; by default installed under its name, with a warning', async () => {
    const bad = await makeRepo(path.join(tmp, 'misnamed'), { 'skills/one/SKILL.md': skillMd('two', { version: '"1.0.0"' }) });
    const error = await expectNothingWritten(ws, () => install(req({ add: [`git+file://${bad}`], strict: true })), 'EVALIDATION');
    expect(error.message).toContain('ENAMEFOLDER');
    const warnings: string[] = [];
    const result = await install(req({ add: [`git+file://${bad}`], warn: (m) => warnings.push(m) }));
    expect(result.skills.map((s) => [s.name, s.folder])).toEqual([['@local/two', 'skills/two']]);
    expect(warnings.filter((w) => w.includes('WNAMEFOLDER'))).toEqual([expect.stringContaining('SKILL.md#name (line 2)')]);
    expect(await fs.readFile(path.join(ws, 'skills', 'two', 'SKILL.md'), 'utf8')).toContain('name: two');
    // --skill finds it by the folder and by the SKILL.md name alike.
    await install(req({ remove: ['@local/two'] }));
    expect((await install(req({ add: [`git+file://${bad}`], skills: ['two'] }))).skills.map((s) => s.folder)).toEqual(['skills/two']);
  });

  it('a link pointing outside the repository, or at a folder', async () => {
    const linked = await makeRepo(path.join(tmp, 'links'), {
      'skills/out/SKILL.md': skillMd('out', { version: '"1.0.0"' }),
      'skills/out/secret': { link: '/etc/passwd' },
      'skills/up/SKILL.md': skillMd('up', { version: '"1.0.0"' }),
      'skills/up/secret': { link: '../../../../outside' },
      'skills/dir/SKILL.md': skillMd('dir', { version: '"1.0.0"' }),
      'skills/dir/all': { link: '../up' },
    });
    for (const name of ['out', 'up', 'dir']) {
      const error = await expectNothingWritten(ws, () => install(req({ add: [`git+file://${linked}`], skills: [name] })), 'EGITSYMLINK');
      expect(error.message).toContain(`skills/${name}/`);
    }
  });

  it('a submodule in a skill is refused, never fetched', async () => {
    const sub = await makeRepo(path.join(tmp, 'submodule'), { 'skills/sub/SKILL.md': skillMd('sub', { version: '"1.0.0"' }) });
    await git(sub, ['update-index', '--add', '--cacheinfo', `160000,${v1},skills/sub/vendor`]);
    await git(sub, ['commit', '--quiet', '-m', 'a submodule']);
    await expectNothingWritten(ws, () => install(req({ add: [`git+file://${sub}`] })), 'EGITSUBMODULE');
  });

  it('a 200 MB file is refused from the tree listing, before it is read', async () => {
    const big = await makeRepo(path.join(tmp, 'big'), { 'skills/big/SKILL.md': skillMd('big', { version: '"1.0.0"' }), 'skills/small/SKILL.md': skillMd('small', { version: '"1.0.0"' }) });
    // Fast compression keeps making and serving 200 MB of zeros quick; the size is what matters.
    await git(big, ['config', 'core.compression', '1']);
    await git(big, ['config', 'pack.compression', '1']);
    await exec('sh', ['-c', `head -c 209715200 /dev/zero > "${path.join(big, 'skills/big/data.bin')}"`]);
    await commit(big, 'a large file');
    await expectNothingWritten(ws, () => install(req({ add: [`git+file://${big}`], skills: ['big'] })), 'EPACKFILETOOBIG');
    // The other skill of the repository is unaffected.
    expect((await install(req({ add: [`git+file://${big}`], skills: ['small'] }))).skills.map((s) => s.name)).toEqual(['@local/small']);
  }, 60_000);

  it('a clone over the size limit is stopped (EGITTOOLARGE)', async () => {
    const random = await makeRepo(path.join(tmp, 'random'), { 'SKILL.md': skillMd('random', { version: '"1.0.0"' }) });
    await exec('sh', ['-c', `head -c 3000000 /dev/urandom > "${path.join(random, 'noise.bin')}"`]);
    await commit(random, 'noise');
    await expectNothingWritten(ws, () => install(req({ env: env({ SKILLS_GIT_MAX_BYTES: '1000000' }), add: [`git+file://${random}`] })), 'EGITTOOLARGE');
  });

  it('runs no hook, even with a hooks folder and template configured for the user', async () => {
    const home = path.join(tmp, 'home');
    const hooks = path.join(home, 'hooks');
    const marker = path.join(tmp, 'hook-ran');
    await fs.mkdir(path.join(home, 'template', 'hooks'), { recursive: true });
    await fs.mkdir(hooks, { recursive: true });
    for (const hook of ['reference-transaction', 'post-checkout', 'post-merge', 'pre-auto-gc']) {
      const script = `#!/bin/sh\ntouch ${marker}\n`;
      await fs.writeFile(path.join(hooks, hook), script, { mode: 0o755 });
      await fs.writeFile(path.join(home, 'template', 'hooks', hook), script, { mode: 0o755 });
    }
    await fs.writeFile(path.join(home, '.gitconfig'), `[core]\n\thooksPath = ${hooks}\n[init]\n\ttemplateDir = ${path.join(home, 'template')}\n`);
    await install(req({ env: env({ HOME: home }), add: [`git+file://${repo}#v1.0.0&path:skills/notes`] }));
    await expect(fs.access(marker)).rejects.toThrow();
  });

  it('two sources giving the same skill name: ESOURCECONFLICT; the same folder under two names: ENAMECONFLICT', async () => {
    const other = await makeRepo(path.join(tmp, 'other-notes'), { 'skills/notes/SKILL.md': skillMd('notes', { version: '"3.0.0"' }) });
    await expectNothingWritten(ws, () => install(req({ add: [`git+file://${repo}#v1.0.0&path:skills/notes`, `git+file://${other}`] })), 'ESOURCECONFLICT');
    await install(req({ add: [`git+file://${repo}#v1.0.0&path:skills/notes`], scope: '@a' }));
    await expectNothingWritten(ws, () => install(req({ add: [`git+file://${other}`], scope: '@b' })), 'ENAMECONFLICT');
  });

  it('a local edit then update: ELOCALCHANGES naming the file; --force replaces it', async () => {
    const moving = await makeRepo(path.join(tmp, 'edited'), { 'SKILL.md': skillMd('edited', { version: '"1.0.0"' }), 'references/a.md': 'a\n' });
    await install(req({ add: [`git+file://${moving}#main`] }));
    await fs.appendFile(path.join(ws, 'skills', 'edited', 'references', 'a.md'), 'my note\n');
    await writeRepoFiles(moving, { 'SKILL.md': skillMd('edited', { version: '"1.1.0"' }) });
    await commit(moving, 'next');
    const error = await expectNothingWritten(ws, () => install(req({ update: { names: 'all', latest: false } })), 'ELOCALCHANGES');
    expect(error.message).toContain('references/a.md');
    expect(error.hint).toContain('--force');
    const forced = await install(req({ update: { names: 'all', latest: false }, force: true }));
    expect(forced.changes).toEqual([{ name: '@local/edited', from: '1.0.0', to: '1.1.0' }]);
    expect(await fs.readFile(path.join(ws, 'skills', 'edited', 'references', 'a.md'), 'utf8')).toBe('a\n');
  });
});
