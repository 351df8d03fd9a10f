/**
 * The install journal is hostile input: anything that writes the workspace can plant one. These
 * tests plant journals (by hand and through a real server-filesystem `write_file` called by a
 * skill) that name paths outside the workspace, links, forged seals and stale states, and check
 * that the commands that recover refuse them (EJOURNAL) with nothing changed, inside or outside.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { journalKey } from '../cli/core/install/journal-key';
import { sealJournal, sha256, type Journal } from '../cli/core/install/journal';
import { ROOT, runCli } from '../testkit/cli';
import { tempDir } from '../testkit/temp';
import { tree } from '../testkit/tree';

let base: string;
let ws: string;
let skills: string;
let env: NodeJS.ProcessEnv;

const SUFFIX = 'a1b2c3d4e5f6';
const STAGING = `.staging-${SUFFIX}`;
const TRASH = `.trash-${SUFFIX}`;
const WORKSPACE_TEXT = `${JSON.stringify({ dependencies: {} }, null, 2)}\n`;

beforeEach(async () => {
  base = await tempDir('journal');
  // Deep enough that every `..` a test plants stays inside `base`.
  ws = path.join(base, 'a', 'b', 'c', 'ws');
  skills = path.join(ws, 'skills');
  await fs.mkdir(path.join(skills, 'mine'), { recursive: true });
  await fs.writeFile(path.join(skills, 'mine', 'SKILL.md'), '---\nname: mine\ndescription: a local skill.\n---\n');
  for (const victim of [path.join(base, 'outside', 'victim'), path.join(base, 'a', 'outside', 'victim')]) {
    await fs.mkdir(victim, { recursive: true });
    await fs.writeFile(path.join(victim, 'keep.txt'), 'sentinel');
  }
  await fs.writeFile(path.join(base, 'outside', 'file.txt'), 'sentinel');
  env = { SKILLS_CONFIG_DIR: path.join(base, 'config'), SKILLS_CACHE_DIR: path.join(base, 'cache'), SKILLS_REGISTRY: 'http://127.0.0.1:9' };
});
afterEach(async () => {
  await fs.rm(base, { recursive: true, force: true });
});

const cli = (args: string[], extra: NodeJS.ProcessEnv = {}) => runCli(args, { cwd: ws, env: { ...process.env, ...env, ...extra } });
/** Everything under `base` (the workspace, the sentinels outside it, the config folder). */
const everything = () => tree(base);

function journal(extra: Partial<Journal> = {}): Journal {
  return { staging: STAGING, trash: TRASH, install: [], remove: [], files: [{ path: 'skills.json', before: null, content: WORKSPACE_TEXT }], ...extra };
}

async function key(): Promise<Buffer> {
  const k = await journalKey(env, { create: true });
  if (!k) throw new Error('no key');
  return k;
}

/** Runs `command` and expects `code`, with not one byte changed anywhere under `base`. */
async function expectRefused(command: string[], code: string): Promise<void> {
  const before = await everything();
  const run = await cli([...command, '--json']);
  expect(run.code, run.stdout + run.stderr).toBe(1);
  expect(run.json<{ error: { code: string } }>().error.code).toBe(code);
  expect(await everything()).toEqual(before);
}

describe('a planted journal naming paths outside the workspace', () => {
  const victim = () => path.join(base, 'outside', 'victim');
  const planted: [string, () => Record<string, unknown>][] = [
    ['trash', () => ({ staging: STAGING, trash: path.relative(skills, victim()), install: [], remove: [], files: [] })],
    ['staging', () => ({ staging: path.relative(skills, victim()), trash: TRASH, install: [], remove: [], files: [] })],
    ['remove', () => ({ staging: STAGING, trash: TRASH, install: [], remove: [path.relative(skills, victim())], files: [] })],
    // staged = <staging>/<entry> (base/a/outside/victim), target = skills/<entry> (base/outside/victim).
    ['install', () => ({ staging: STAGING, trash: TRASH, install: ['../../../../../outside/victim'], remove: [], files: [] })],
    ['files', () => ({ staging: STAGING, trash: TRASH, install: [], remove: [], files: [{ path: path.relative(ws, path.join(base, 'outside', 'file.txt')), content: 'pwned' }] })],
    ['files (another workspace file)', () => ({ staging: STAGING, trash: TRASH, install: [], remove: [], files: [{ path: 'skills/mine/SKILL.md', content: 'pwned' }] })],
  ];

  for (const [field, make] of planted) {
    it(`is refused with EJOURNAL, changing nothing, when ${field} escapes (list and install)`, async () => {
      await fs.mkdir(path.join(skills, STAGING, 'x'), { recursive: true });
      // As the old format wrote it (plain JSON), and sealed with this user's real key: both refused.
      await fs.writeFile(path.join(skills, '.skills-journal.json'), JSON.stringify(make()));
      await expectRefused(['list'], 'EJOURNAL');
      await expectRefused(['install'], 'EJOURNAL');
      await fs.writeFile(path.join(skills, '.skills-journal.json'), sealJournal(make() as unknown as Journal, await key()));
      await expectRefused(['list'], 'EJOURNAL');
    });
  }
});

describe('a journal without a seal this user made', () => {
  it('is refused when its MAC is forged, missing, or there is no key to check it', async () => {
    await fs.mkdir(path.join(skills, STAGING), { recursive: true });
    const body = JSON.stringify(journal());
    const file = path.join(skills, '.skills-journal.json');
    await key();
    await fs.writeFile(file, JSON.stringify({ format: 'skills-journal/2', body, mac: 'f'.repeat(64) }));
    await expectRefused(['list'], 'EJOURNAL');
    await fs.writeFile(file, JSON.stringify({ format: 'skills-journal/2', body }));
    await expectRefused(['list'], 'EJOURNAL');
    // Sealed with another user's key.
    await fs.writeFile(file, sealJournal(journal(), Buffer.alloc(32, 7)));
    await expectRefused(['install'], 'EJOURNAL');
    // A genuine seal, but this machine has no key (another SKILLS_CONFIG_DIR).
    await fs.writeFile(file, sealJournal(journal(), await key()));
    const before = await everything();
    const run = await cli(['list', '--json'], { SKILLS_CONFIG_DIR: path.join(base, 'other-config') });
    expect(run.json<{ error: { code: string } }>().error.code).toBe('EJOURNAL');
    expect(await everything()).toEqual(before);
  });

  it('is refused when it is sealed but replayed on a workspace that moved on since', async () => {
    await fs.writeFile(path.join(ws, 'skills.json'), `${JSON.stringify({ dependencies: { '@acme/x': '^1.0.0' } })}\n`);
    await fs.mkdir(path.join(skills, STAGING), { recursive: true });
    const stale = journal({ remove: ['mine'], files: [{ path: 'skills.json', before: sha256('{"dependencies":{}}\n'), content: WORKSPACE_TEXT }] });
    await fs.writeFile(path.join(skills, '.skills-journal.json'), sealJournal(stale, await key()));
    await expectRefused(['list'], 'EJOURNAL');
  });
});

describe('links where recovery expects folders', () => {
  it('refuses a symlinked staging folder, staged copy, trash folder or journal file', async () => {
    const k = await key();
    const file = path.join(skills, '.skills-journal.json');
    const outside = path.join(base, 'outside');
    await fs.mkdir(path.join(outside, 'victim', 'x'), { recursive: true });

    // Staging is a link to a folder outside holding "x": applying would move it into ./skills.
    await fs.symlink(path.join(outside, 'victim'), path.join(skills, STAGING));
    await fs.writeFile(file, sealJournal(journal({ install: ['x'] }), k));
    await expectRefused(['list'], 'EJOURNAL');
    await fs.rm(path.join(skills, STAGING));

    // A staged copy that is a link.
    await fs.mkdir(path.join(skills, STAGING));
    await fs.symlink(path.join(outside, 'victim', 'x'), path.join(skills, STAGING, 'x'));
    await expectRefused(['list'], 'EJOURNAL');
    await fs.rm(path.join(skills, STAGING), { recursive: true });

    // Trash is a link: applying would move ./skills/mine out there.
    await fs.mkdir(path.join(skills, STAGING));
    await fs.symlink(path.join(outside, 'victim'), path.join(skills, TRASH));
    await fs.writeFile(file, sealJournal(journal({ remove: ['mine'] }), k));
    await expectRefused(['list'], 'EJOURNAL');
    await fs.rm(path.join(skills, TRASH));

    // The journal itself is a link to a sealed journal elsewhere.
    await fs.rm(file);
    await fs.writeFile(path.join(outside, 'journal.json'), sealJournal(journal(), k));
    await fs.symlink(path.join(outside, 'journal.json'), file);
    await expectRefused(['list'], 'EJOURNAL');
  });

  it('refuses a ./skills that is a link (EWORKSPACELINK), even with a sealed journal there', async () => {
    const outside = path.join(base, 'outside', 'skills-elsewhere');
    await fs.mkdir(path.join(outside, STAGING, 'x'), { recursive: true });
    await fs.writeFile(path.join(outside, '.skills-journal.json'), sealJournal(journal({ install: ['x'] }), await key()));
    await fs.mkdir(path.join(outside, '.staging-0123456789ab'));
    await fs.rm(skills, { recursive: true });
    await fs.symlink(outside, skills);
    await expectRefused(['list'], 'EWORKSPACELINK');
    await expectRefused(['install'], 'EWORKSPACELINK');
  });
});

describe('leftovers and journals that are not what they seem', () => {
  it('planted staging, trash and temporary-file names that are links are removed as links, nothing outside touched', async () => {
    const victim = path.join(base, 'outside', 'victim');
    await fs.symlink(victim, path.join(skills, '.staging-0123456789ab'));
    await fs.symlink(victim, path.join(skills, '.trash-0123456789ab'));
    await fs.symlink(path.join(base, 'outside', 'file.txt'), path.join(ws, '.skills.json.0123456789ab.tmp'));
    const outside = await tree(path.join(base, 'outside'));
    const run = await cli(['list', '--json']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.json<{ recovered: string }>().recovered).toBe('cleaned');
    expect((await fs.readdir(skills)).sort()).toEqual(['INDEX.md', 'mine']);
    expect(await fs.readdir(ws)).toEqual(['skills']);
    expect(await tree(path.join(base, 'outside'))).toEqual(outside);
  });

  it('a journal that is a folder or a named pipe is refused at once (no hang)', async () => {
    await fs.mkdir(path.join(skills, '.skills-journal.json'));
    await expectRefused(['list'], 'EJOURNAL');
    await fs.rmdir(path.join(skills, '.skills-journal.json'));
    execFileSync('mkfifo', [path.join(skills, '.skills-journal.json')]);
    await expectRefused(['list'], 'EJOURNAL');
  });

  it('a skills.json or skills-lock.json that is a named pipe is refused at once (no hang)', async () => {
    execFileSync('mkfifo', [path.join(ws, 'skills.json')]);
    await expectRefused(['install'], 'EWORKSPACE');
    await fs.rm(path.join(ws, 'skills.json'));
    execFileSync('mkfifo', [path.join(ws, 'skills-lock.json')]);
    await expectRefused(['list'], 'ELOCKFILE');
  });
});

describe('a ./servers that is a link (as a cloned repository can hold)', () => {
  it('servers sync refuses it (EWORKSPACELINK) instead of replacing folders where it points', async () => {
    const server = path.join(ROOT, 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js');
    await fs.writeFile(path.join(ws, 'skills.json'), JSON.stringify({ dependencies: {}, servers: { everything: { command: process.execPath, args: [server, 'stdio'] } } }));
    await fs.mkdir(path.join(base, 'outside', 'victim', 'everything'));
    await fs.writeFile(path.join(base, 'outside', 'victim', 'everything', 'keep.txt'), 'sentinel');
    await fs.symlink(path.join(base, 'outside', 'victim'), path.join(ws, 'servers'));
    await expectRefused(['servers', 'sync'], 'EWORKSPACELINK');
  }, 60_000);
});

describe('a journal planted by a skill through a real filesystem MCP server', () => {
  it('a skill calling server-filesystem write_file (rooted at the workspace) cannot make recovery touch anything', async () => {
    const server = path.join(ROOT, 'node_modules', '@modelcontextprotocol', 'server-filesystem', 'dist', 'index.js');
    await fs.writeFile(path.join(ws, 'skills.json'), JSON.stringify({ dependencies: {}, servers: { filesystem: { command: process.execPath, args: [server, ws] } } }));
    const dir = path.join(skills, 'planter');
    await fs.mkdir(dir);
    await fs.writeFile(path.join(dir, 'SKILL.md'), '---\nname: planter\ndescription: writes a file through the filesystem server.\n---\n');
    await fs.writeFile(path.join(dir, 'skill.json'), JSON.stringify({ name: '@evil/planter', version: '1.0.0', mcp: { filesystem: ['write_file', 'create_directory'] } }));
    await fs.writeFile(
      path.join(dir, 'index.ts'),
      "import { writeFile, createDirectory } from '../../servers/filesystem';\nexport async function plant(dir: string, file: string, text: string) { await createDirectory({ path: dir }); await writeFile({ path: file, content: text }); return 'planted'; }\n",
    );
    const evil = {
      staging: STAGING,
      trash: path.relative(skills, path.join(base, 'outside', 'victim')),
      install: [],
      remove: ['mine', path.relative(skills, path.join(base, 'outside', 'victim'))],
      files: [{ path: path.relative(ws, path.join(base, 'outside', 'file.txt')), content: 'pwned' }],
    };
    for (const text of [JSON.stringify(evil), JSON.stringify({ format: 'skills-journal/2', body: JSON.stringify(evil), mac: '0'.repeat(64) })]) {
      const ran = await cli(['run', 'skills/planter', '--live', '--export', 'plant', '--args', JSON.stringify([path.join(skills, STAGING), path.join(skills, '.skills-journal.json'), text]), '--json']);
      expect(ran.code, ran.stdout + ran.stderr).toBe(0);
      expect(await fs.readFile(path.join(skills, '.skills-journal.json'), 'utf8')).toBe(text);
      await expectRefused(['list'], 'EJOURNAL');
      await expectRefused(['install'], 'EJOURNAL');
    }
    expect(await fs.readFile(path.join(base, 'outside', 'file.txt'), 'utf8')).toBe('sentinel');
    expect(await fs.readFile(path.join(base, 'outside', 'victim', 'keep.txt'), 'utf8')).toBe('sentinel');
  }, 60_000);
});
