/**
 * The live `workspace` API on a real folder: links planted in ./workspace (to a file, to a
 * folder, dangling, the folder itself, a hard link) are never followed, and the caps hold on disk
 * exactly as in replay, counting what the folder already holds.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InProcessRunner, WorkerPool } from '../sandbox/pool';
import { runSkill } from '../sandbox/run-skill';
import { verifySkill } from '../sandbox/verify';
import { DiskWorkspace, MemoryWorkspace, type WorkspaceStore } from '../sandbox/workspace-store';
import { runCli } from '../testkit/cli';
import { skillFiles } from '../testkit/skill-files';
import { tempDir } from '../testkit/temp';

let tmp: string;
let outside: string;
let root: string;
let skillDir: string;

/** `attempts` maps a label to a workspace call; the skill returns each result or error code. */
function probeSkill(attempts: Record<string, string>): string {
  const lines = Object.entries(attempts).map(([label, call]) => `  try { out[${JSON.stringify(label)}] = (await ${call}) ?? null; } catch (e) { out[${JSON.stringify(label)}] = (e as { code: string }).code; }`);
  return `export async function run() {\n  const out: Record<string, unknown> = {};\n${lines.join('\n')}\n  return out;\n}`;
}

async function writeSkill(code: string): Promise<void> {
  await fs.rm(skillDir, { recursive: true, force: true });
  for (const f of skillFiles({ name: 'probe', code, fixtures: {} })) {
    await fs.mkdir(path.dirname(path.join(skillDir, f.path)), { recursive: true });
    await fs.writeFile(path.join(skillDir, f.path), f.bytes);
  }
}

async function runLive(code: string, workspace: WorkspaceStore): Promise<Record<string, unknown>> {
  await writeSkill(code);
  const result = await runSkill({ target: skillDir, exportName: 'run', args: [], mode: 'live', workspace, limits: { timeoutMs: 60_000 } });
  expect(result.status, JSON.stringify(result.error)).toBe('returned');
  return result.value as Record<string, unknown>;
}

beforeEach(async () => {
  tmp = await tempDir('ws');
  outside = path.join(tmp, 'outside');
  root = path.join(tmp, 'project', 'workspace');
  skillDir = path.join(tmp, 'project', 'skills', 'probe');
  await fs.mkdir(path.join(outside, 'dir'), { recursive: true });
  await fs.writeFile(path.join(outside, 'secret.txt'), 'the secret');
  await fs.writeFile(path.join(outside, 'dir', 'file.txt'), 'outside file');
  await fs.writeFile(path.join(outside, 'hard.txt'), 'hard linked');
  await fs.mkdir(path.join(root, 'real'), { recursive: true });
  await fs.writeFile(path.join(root, 'real', 'normal.txt'), 'normal');
  await fs.symlink(path.join(outside, 'secret.txt'), path.join(root, 'link-file'));
  await fs.symlink(path.join(outside, 'dir'), path.join(root, 'link-dir'));
  await fs.symlink(path.join(outside, 'created.txt'), path.join(root, 'dangling'));
  await fs.link(path.join(outside, 'hard.txt'), path.join(root, 'hard.txt'));
});
afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

async function outsideUnchanged(): Promise<void> {
  expect(await fs.readFile(path.join(outside, 'secret.txt'), 'utf8')).toBe('the secret');
  expect(await fs.readFile(path.join(outside, 'dir', 'file.txt'), 'utf8')).toBe('outside file');
  expect(await fs.readFile(path.join(outside, 'hard.txt'), 'utf8')).toBe('hard linked');
  expect((await fs.readdir(outside)).sort()).toEqual(['dir', 'hard.txt', 'secret.txt']);
  expect(await fs.readdir(path.join(outside, 'dir'))).toEqual(['file.txt']);
}

describe('the live workspace API never follows links', () => {
  it('refuses reads, writes and removes through a link to a file, a folder, or nowhere, and lists only real files', async () => {
    const value = await runLive(
      probeSkill({
        readLinkFile: `workspace.read('link-file')`,
        readThroughLinkDir: `workspace.read('link-dir/file.txt')`,
        writeLinkFile: `workspace.write('link-file', 'pwned')`,
        writeThroughLinkDir: `workspace.write('link-dir/new.txt', 'pwned')`,
        writeThroughDeeper: `workspace.write('link-dir/a/b.txt', 'pwned')`,
        writeDangling: `workspace.write('dangling', 'pwned')`,
        removeThroughLinkDir: `workspace.remove('link-dir/file.txt')`,
        removeLink: `workspace.remove('link-file')`,
        writeHardLink: `workspace.write('hard.txt', 'pwned')`,
        readHardLink: `workspace.read('hard.txt')`,
        readReal: `workspace.read('real/normal.txt')`,
        writeReal: `workspace.write('real/new.txt', 'fine')`,
        list: `workspace.list()`,
        listLinkDir: `workspace.list('link-dir')`,
      }),
      new DiskWorkspace(root),
    );
    expect(value).toEqual({
      readLinkFile: 'EWORKSPACELINK',
      readThroughLinkDir: 'EWORKSPACELINK',
      writeLinkFile: 'EWORKSPACELINK',
      writeThroughLinkDir: 'EWORKSPACELINK',
      writeThroughDeeper: 'EWORKSPACELINK',
      writeDangling: 'EWORKSPACELINK',
      removeThroughLinkDir: 'EWORKSPACELINK',
      removeLink: 'EWORKSPACELINK',
      writeHardLink: 'EWORKSPACELINK',
      readHardLink: 'hard linked',
      readReal: 'normal',
      writeReal: null,
      list: ['hard.txt', 'real/new.txt', 'real/normal.txt'],
      listLinkDir: [],
    });
    await outsideUnchanged();
    expect((await fs.lstat(path.join(root, 'link-file'))).isSymbolicLink()).toBe(true);
    expect(await fs.readFile(path.join(root, 'real', 'new.txt'), 'utf8')).toBe('fine');
  });

  it('refuses everything when ./workspace itself is a link out', async () => {
    await fs.rm(root, { recursive: true, force: true });
    await fs.symlink(path.join(outside, 'dir'), root);
    const value = await runLive(
      probeSkill({ read: `workspace.read('file.txt')`, write: `workspace.write('x.txt', 'pwned')`, remove: `workspace.remove('file.txt')`, list: `workspace.list()` }),
      new DiskWorkspace(root),
    );
    expect(value).toEqual({ read: 'EWORKSPACELINK', write: 'EWORKSPACELINK', remove: 'EWORKSPACELINK', list: [] });
    await outsideUnchanged();
  });

  it('does not follow a folder swapped for a link after an earlier call checked it', async () => {
    const store = new DiskWorkspace(root);
    store.write('swap/a.txt', 'first');
    await fs.rm(path.join(root, 'swap'), { recursive: true });
    await fs.symlink(path.join(outside, 'dir'), path.join(root, 'swap'));
    expect(() => store.write('swap/b.txt', 'pwned')).toThrow(expect.objectContaining({ code: 'EWORKSPACELINK' }));
    expect(() => store.read('swap/file.txt')).toThrow(expect.objectContaining({ code: 'EWORKSPACELINK' }));
    expect(() => store.remove('swap/file.txt')).toThrow(expect.objectContaining({ code: 'EWORKSPACELINK' }));
    await outsideUnchanged();
  });

  it('never writes outside while another process keeps swapping a folder on the way for a link (TOCTOU)', async () => {
    const store = new DiskWorkspace(root);
    store.write('race/keep.txt', 'k');
    const swapper = spawn(
      process.execPath,
      [
        '-e',
        `const fs = require('fs'); const [dir, aside, target] = process.argv.slice(1);
process.stdout.write('ready\\n');
for (;;) { try { fs.renameSync(dir, aside); fs.symlinkSync(target, dir); fs.unlinkSync(dir); fs.renameSync(aside, dir); } catch {} }`,
        path.join(root, 'race'),
        path.join(root, 'race-aside'),
        path.join(outside, 'dir'),
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    try {
      await new Promise((resolve) => swapper.stdout.once('data', resolve));
      const codes = new Set<string>();
      for (let i = 0; i < 3000; i++) {
        for (const op of [() => store.write(`race/w${i % 7}.txt`, 'pwned'), () => store.remove('race/file.txt'), () => store.read('race/file.txt')]) {
          try {
            op();
            codes.add('ok');
          } catch (error) {
            codes.add((error as { code?: string }).code ?? String(error));
          }
        }
      }
      // Only these outcomes: done inside, refused as a link, or the folder missing mid-swap.
      for (const code of codes) expect(['ok', 'EWORKSPACELINK', 'EWORKSPACEPATH', 'ENOENT']).toContain(code);
    } finally {
      swapper.kill('SIGKILL');
      await new Promise((resolve) => swapper.once('exit', resolve));
    }
    await outsideUnchanged();
  }, 60_000);

  it('through the real CLI: skills run --live refuses the links and writes nothing outside', async () => {
    await writeSkill(probeSkill({ read: `workspace.read('link-file')`, write: `workspace.write('link-dir/new.txt', 'pwned')` }));
    const result = await runCli(['run', skillDir, '--export', 'run', '--live', '--json'], { cwd: path.join(tmp, 'project') });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.json<{ value: unknown }>().value).toEqual({ read: 'EWORKSPACELINK', write: 'EWORKSPACELINK' });
    await outsideUnchanged();
  });
});

describe('a fixture workspace seed', () => {
  it('naming a path outside ./workspace fails the case with EWORKSPACEPATH, in-process, on a worker and with skills run', async () => {
    const files = skillFiles({
      code: 'export async function run() { return await workspace.read("ok.txt"); }',
      fixtures: { c: { call: { export: 'run', args: [] }, workspace: { 'ok.txt': 'fine', '../escape.txt': 'x' }, expect: { returns: 'fine' } } },
    });
    const pool = new WorkerPool(1);
    try {
      for (const runner of [new InProcessRunner(), pool]) {
        const report = await verifySkill({ files }, { runner });
        expect(report.cases[0]).toMatchObject({ status: 'failed', code: 'EWORKSPACEPATH' });
      }
    } finally {
      await pool.close();
    }
    await fs.mkdir(skillDir, { recursive: true });
    for (const f of files) {
      await fs.mkdir(path.dirname(path.join(skillDir, f.path)), { recursive: true });
      await fs.writeFile(path.join(skillDir, f.path), f.bytes);
    }
    const run = await runCli(['run', skillDir, '--fixture', 'c', '--json'], { cwd: path.join(tmp, 'project') });
    expect(run.code).toBe(1);
    expect(run.json<{ error: { code: string } }>().error.code).toBe('EWORKSPACEPATH');
  });
});

describe('the same workspace caps live and in replay', () => {
  const writeMany = (n: number) => `export async function run() {
  let written = 0;
  try { for (let i = 0; i < ${n}; i++) { await workspace.write('many/f' + i + '.txt', 'x'); written++; } } catch (e) { return { written, code: (e as { code: string }).code }; }
  return { written, code: null };
}`;

  it('stops at 1,000 files on disk as in memory (it wrote 1,500 before)', async () => {
    await fs.rm(root, { recursive: true, force: true });
    const disk = await runLive(writeMany(1500), new DiskWorkspace(root));
    const memory = await runLive(writeMany(1500), new MemoryWorkspace());
    expect(disk).toEqual({ written: 1000, code: 'EWORKSPACEFULL' });
    expect(memory).toEqual(disk);
    expect(await fs.readdir(path.join(root, 'many'))).toHaveLength(1000);
  }, 60_000);

  it('counts the files already in ./workspace (990 there: 10 more fit)', async () => {
    await fs.rm(root, { recursive: true, force: true });
    const seed: Record<string, string> = {};
    await fs.mkdir(path.join(root, 'old'), { recursive: true });
    for (let i = 0; i < 990; i++) {
      seed[`old/o${i}.txt`] = 'o';
      await fs.writeFile(path.join(root, 'old', `o${i}.txt`), 'o');
    }
    const disk = await runLive(writeMany(50), new DiskWorkspace(root));
    const memory = await runLive(writeMany(50), new MemoryWorkspace(seed));
    expect(disk).toEqual({ written: 10, code: 'EWORKSPACEFULL' });
    expect(memory).toEqual(disk);
  }, 60_000);

  it('applies the same byte, path-length, depth and file-versus-folder rules in both modes', async () => {
    await fs.rm(root, { recursive: true, force: true });
    const code = probeSkill({
      big: `workspace.write('big.txt', 'z'.repeat(1024 * 1024 + 1))`,
      longName: `workspace.write('n'.repeat(256), 'x')`,
      deep: `workspace.write(Array.from({ length: 17 }, (_, i) => 'd' + i).join('/'), 'x')`,
      okDeep: `workspace.write(Array.from({ length: 16 }, (_, i) => 'd' + i).join('/'), 'x')`,
      file: `workspace.write('f', 'x')`,
      fileAsFolder: `workspace.write('f/g', 'x')`,
      folderAsFile: `workspace.write('d0', 'x')`,
      removeFolder: `workspace.remove('d0')`,
      total: `(async () => { for (let i = 0; i < 11; i++) await workspace.write('t' + i, 'y'.repeat(1024 * 1024)); })()`,
    });
    const disk = await runLive(code, new DiskWorkspace(root));
    const memory = await runLive(code, new MemoryWorkspace());
    expect(disk).toEqual({
      big: 'EWORKSPACEFULL',
      longName: 'EWORKSPACEPATH',
      deep: 'EWORKSPACEPATH',
      okDeep: null,
      file: null,
      fileAsFolder: 'EWORKSPACEPATH',
      folderAsFile: 'EWORKSPACEPATH',
      removeFolder: false,
      total: 'EWORKSPACEFULL',
    });
    expect(memory).toEqual(disk);
  }, 60_000);
});
