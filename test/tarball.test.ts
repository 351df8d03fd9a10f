import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectFiles } from '../tarball/collect';
import { contentDigest, integrityOf, verifyIntegrity } from '../tarball/digest';
import { parseIgnoreFile } from '../tarball/ignore';
import { pack, packFolder } from '../tarball/pack';
import { unpack } from '../tarball/unpack';
import { writeFiles } from '../tarball/write';
import { tempDir } from '../testkit/temp';

let tmp: string;
beforeAll(async () => {
  tmp = await tempDir('tarball');
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

async function makeFolder(name: string, files: Record<string, string | Uint8Array>, mode?: number): Promise<string> {
  const dir = path.join(tmp, name);
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(dir, rel);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, content, mode === undefined ? {} : { mode });
  }
  return dir;
}

const SAMPLE = {
  'SKILL.md': '---\nname: sample\ndescription: Sample.\n---\nBody\n',
  'skill.json': '{"name":"@me/sample","version":"1.0.0"}',
  'lib/util.ts': 'export const x = 1;\n',
  [`deep/${'long-folder-name/'.repeat(8)}file.ts`]: 'export {};\n',
  'data/café.txt': 'unicode name\n',
};

describe('pack', () => {
  it('is byte-identical across folders with different mtimes and umasks', async () => {
    const a = await makeFolder('a/sample', SAMPLE, 0o600);
    const b = await makeFolder('b/sample', SAMPLE, 0o664);
    const later = new Date('2030-01-01T00:00:00Z');
    for (const rel of Object.keys(SAMPLE)) await fs.utimes(path.join(b, rel), later, later);
    const [pa, pb] = await Promise.all([packFolder(a), packFolder(b)]);
    expect(Buffer.from(pa.bytes).equals(Buffer.from(pb.bytes))).toBe(true);
    expect(pa.integrity).toBe(pb.integrity);
    expect(pa.digest).toBe(pb.digest);
    // gzip header: mtime 0 and the fixed OS byte.
    expect([...pa.bytes.subarray(4, 8)]).toEqual([0, 0, 0, 0]);
    expect(pa.bytes[9]).toBe(255);
  });

  it('round-trips through unpack with paths, bytes and the executable bit', async () => {
    const dir = await makeFolder('round/sample', SAMPLE);
    await fs.writeFile(path.join(dir, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
    await fs.writeFile(path.join(dir, 'garbage.bin'), Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919) & 0xff));
    const packed = await packFolder(dir);
    const files = await unpack(packed.bytes);
    const original = await collectFiles(dir);
    expect(files.map((f) => f.path)).toEqual(original.map((f) => f.path));
    for (const [i, f] of files.entries()) expect(Buffer.from(f.bytes).equals(Buffer.from(original[i]!.bytes))).toBe(true);
    expect(files.find((f) => f.path === 'run.sh')?.executable).toBe(true);
    expect(files.find((f) => f.path === 'lib/util.ts')?.executable).toBeUndefined();
    expect(contentDigest(files)).toBe(packed.digest);
    expect(packed.fileCount).toBe(files.length);
  });

  it('round-trips paths only a PAX header can hold (long names, long folders, non-ASCII past 100 bytes)', async () => {
    const paths = [`a/${'b'.repeat(160)}`, `assets/${'c'.repeat(200)}`, 'd'.repeat(123), `${'x/'.repeat(60)}y.md`, `refs/${'é'.repeat(90)}.md`];
    const input = [{ path: 'SKILL.md', bytes: new TextEncoder().encode('x') }, ...paths.map((p, i) => ({ path: p, bytes: new TextEncoder().encode(String(i)) }))];
    const files = await unpack((await pack(input)).bytes);
    expect(files.map((f) => f.path).sort()).toEqual(['SKILL.md', ...paths].sort());
    for (const [i, p] of paths.entries()) expect(new TextDecoder().decode(files.find((f) => f.path === p)?.bytes)).toBe(String(i));
  });

  it('writes ustar with no owner, mtime 0 and normalised modes', async () => {
    const packed = await pack([{ path: 'b.txt', bytes: new TextEncoder().encode('b') }, { path: 'a.txt', bytes: new Uint8Array(0), executable: true }]);
    const tar = gunzipSync(packed.bytes);
    expect(tar.toString('utf8', 0, 5)).toBe('a.txt');
    expect(parseInt(tar.toString('ascii', 100, 108), 8)).toBe(0o755);
    expect(parseInt(tar.toString('ascii', 136, 148), 8)).toBe(0);
    expect(tar.toString('utf8', 265, 297).replace(/\0/g, '')).toBe('');
    expect(tar.toString('utf8', 512, 517)).toBe('b.txt');
    expect(parseInt(tar.toString('ascii', 612, 620), 8)).toBe(0o644);
  });

  it('content digest ignores order and tar details; integrity verifies', async () => {
    const files = [{ path: 'x', bytes: new Uint8Array([1]) }, { path: 'y', bytes: new Uint8Array([2]) }];
    expect(contentDigest(files)).toBe(contentDigest([...files].reverse()));
    const bytes = new Uint8Array([1, 2, 3]);
    expect(verifyIntegrity(bytes, integrityOf(bytes))).toBe(true);
    expect(verifyIntegrity(new Uint8Array([1, 2, 4]), integrityOf(bytes))).toBe(false);
    expect(verifyIntegrity(bytes, 'sha1-abc')).toBe(false);
  });
});

describe('collect', () => {
  it('leaves out node_modules, .git, .DS_Store and .skillsignore matches', async () => {
    const dir = await makeFolder('ignore/sample', {
      ...SAMPLE,
      'node_modules/x/index.js': 'x',
      '.git/HEAD': 'ref',
      '.DS_Store': 'x',
      'lib/.DS_Store': 'x',
      '.skillsignore': '# build output\ndist/\n*.log\n!keep.log\n/secret.txt\ndocs/**/draft-?.md\n',
      'dist/out.js': 'x',
      'lib/dist/also.js': 'x',
      'debug.log': 'x',
      'keep.log': 'kept',
      'secret.txt': 'x',
      'lib/secret.txt': 'kept',
      'docs/a/b/draft-1.md': 'x',
      'docs/final.md': 'kept',
    });
    const paths = (await collectFiles(dir)).map((f) => f.path);
    expect(paths).toEqual(['.skillsignore', 'SKILL.md', 'data/café.txt', `deep/${'long-folder-name/'.repeat(8)}file.ts`, 'docs/final.md', 'keep.log', 'lib/secret.txt', 'lib/util.ts', 'skill.json']);
  });

  it('matches gitignore rules', () => {
    const ignored = parseIgnoreFile('*.tmp\n/build\nassets/*.png\n**/cache/\n');
    expect(ignored('a/b/c.tmp', false)).toBe(true);
    expect(ignored('build', true)).toBe(true);
    expect(ignored('src/build', true)).toBe(false);
    expect(ignored('assets/a.png', false)).toBe(true);
    expect(ignored('assets/x/a.png', false)).toBe(false);
    expect(ignored('x/y/cache', true)).toBe(true);
    expect(ignored('x/y/cache', false)).toBe(false);
  });

  it('refuses symlinks, too many files and too many bytes with their own codes', async () => {
    const linked = await makeFolder('links/sample', SAMPLE);
    await fs.symlink('/etc/passwd', path.join(linked, 'passwd'));
    await expect(collectFiles(linked)).rejects.toMatchObject({ code: 'EPACKSYMLINK' });
    const many = await makeFolder('many/sample', Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`f${i}.txt`, 'x'])));
    await expect(collectFiles(many, { maxEntries: 10 })).rejects.toMatchObject({ code: 'EPACKTOOMANY' });
    const heavy = await makeFolder('heavy/sample', { 'a.txt': 'x'.repeat(600), 'b.txt': 'x'.repeat(600) });
    await expect(collectFiles(heavy, { maxUnpackedBytes: 1000 })).rejects.toMatchObject({ code: 'EPACKTOOBIG' });
  });

  it('never reads .skillsignore through a link or from a FIFO', async () => {
    const linked = await makeFolder('ignore-link/sample', SAMPLE);
    await fs.symlink('/etc/passwd', path.join(linked, '.skillsignore'));
    await expect(collectFiles(linked)).rejects.toMatchObject({ code: 'EPACKSYMLINK' });
    const piped = await makeFolder('ignore-fifo/sample', SAMPLE);
    execFileSync('mkfifo', [path.join(piped, '.skillsignore')]);
    // A FIFO nobody writes to: reading it would block forever.
    await expect(collectFiles(piped)).rejects.toMatchObject({ code: 'EPACKFILETYPE' });
  });

  it('rejects a 200 MiB sparse file by stat, fast', async () => {
    const dir = await makeFolder('huge/sample', SAMPLE);
    const handle = await fs.open(path.join(dir, 'huge.bin'), 'w');
    await handle.truncate(200 * 1024 * 1024);
    await handle.close();
    const before = process.memoryUsage().rss;
    const started = performance.now();
    await expect(collectFiles(dir)).rejects.toMatchObject({ code: 'EPACKFILETOOBIG' });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(process.memoryUsage().rss - before).toBeLessThan(50 * 1024 * 1024);
  });
});

describe('writeFiles', () => {
  it('writes into an empty folder with modes, and refuses a non-empty one', async () => {
    const out = path.join(tmp, 'written');
    await fs.mkdir(out);
    await writeFiles(out, [{ path: 'a/b.txt', bytes: new TextEncoder().encode('b') }, { path: 'run', bytes: new Uint8Array(0), executable: true }]);
    expect(await fs.readFile(path.join(out, 'a/b.txt'), 'utf8')).toBe('b');
    expect((await fs.stat(path.join(out, 'run'))).mode & 0o777).toBe(0o755);
    await expect(writeFiles(out, [{ path: 'c', bytes: new Uint8Array(0) }])).rejects.toMatchObject({ code: 'EWRITE' });
  });
});
