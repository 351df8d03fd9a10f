/**
 * `skills servers sync` never leaves a half-written tree (issue 23): a server named like a file the
 * generator writes itself (runtime.ts, globals.d.ts, index.ts, README.md, .index.json, in any case)
 * is refused before anything is written; the new tree is staged beside ./servers and renamed into
 * place, so a sync that fails after it started writing leaves ./servers byte for byte as it was; a
 * sync killed between its two renames is put right by the next one. Real `skills` processes and a
 * real MCP server over stdio.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GENERATED_NAMES } from '../cli/core/servers/tree';
import { ROOT, runCli } from '../testkit/cli';
import { tempDir } from '../testkit/temp';
import { tree } from '../testkit/tree';

const SYNTHETIC = path.join(ROOT, 'test', 'servers', 'synthetic-server.mjs');
const cloud = (tools: number, change = false) => ({ command: process.execPath, args: [SYNTHETIC], env: { SYNTHETIC_TOOLS: String(tools), ...(change ? { SYNTHETIC_CHANGE: '1' } : {}) } });

let ws: string;
beforeAll(async () => {
  ws = await tempDir('sync-safety');
  await configure({ cloud: cloud(30) });
  const first = await runCli(['servers', 'sync', '--json'], { cwd: ws });
  expect(first.code, first.stdout + first.stderr).toBe(0);
});
afterAll(async () => {
  await fs.rm(ws, { recursive: true, force: true });
});

async function configure(servers: Record<string, unknown>): Promise<void> {
  await fs.writeFile(path.join(ws, 'skills.json'), JSON.stringify({ dependencies: {}, servers }));
}

/** Everything in the workspace but skills.json (which each case rewrites). */
const workspaceTree = () => tree(ws, { ignore: (rel) => rel === 'skills.json' });

describe('server names the generator writes itself', () => {
  it('the reserved names are exactly the files sync writes at the top of servers/', async () => {
    const top = (await fs.readdir(path.join(ws, 'servers'), { withFileTypes: true })).filter((e) => !e.isDirectory()).map((e) => e.name).sort();
    // index.ts is reserved too (a servers/index.ts would be what `import '../servers'` loads).
    expect([...GENERATED_NAMES].sort()).toEqual([...top, 'index.ts'].sort());
  });

  for (const name of ['runtime.ts', 'globals.d.ts', 'index.ts', 'readme.md', 'README.md', 'Runtime.TS', '.index.json']) {
    it(`a server named ${name}: refused before anything is written, no stack trace`, async () => {
      await configure({ cloud: cloud(30, true), [name]: cloud(5) });
      const before = await workspaceTree();
      const run = await runCli(['servers', 'sync', '--json'], { cwd: ws });
      expect(run.code, run.stdout + run.stderr).toBe(1);
      const error = run.json<{ error: { code: string; message: string; hint?: string } }>().error;
      // A name the skills.json schema already refuses (upper case, a leading dot) is EWORKSPACE; the rest ESERVERNAME.
      expect(['ESERVERNAME', 'EWORKSPACE'], `${error.code}: ${error.message}`).toContain(error.code);
      if (/^[a-z0-9]+([-_.][a-z0-9]+)*$/.test(name)) expect(error.code).toBe('ESERVERNAME');
      expect(error.code).not.toBe('EINTERNAL');
      expect(error.hint ?? '').not.toBe('');
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(await workspaceTree()).toEqual(before);
      // Naming only that server on the command line is refused the same way.
      const named = await runCli(['servers', 'sync', name, '--json'], { cwd: ws });
      expect(named.code).toBe(1);
      expect(await workspaceTree()).toEqual(before);
    }, 60_000);
  }
});

describe('a sync that fails after it started writing', () => {
  it('leaves servers/ byte for byte as it was (something it cannot carry over, after the new folders were staged)', async () => {
    await configure({ cloud: cloud(30) });
    execFileSync('mkfifo', [path.join(ws, 'servers', 'a-pipe')]);
    try {
      await configure({ cloud: cloud(30, true) });
      const before = await workspaceTree();
      const run = await runCli(['servers', 'sync', '--json'], { cwd: ws });
      expect(run.code, run.stdout + run.stderr).toBe(1);
      const error = run.json<{ error: { code: string; message: string } }>().error;
      expect(error.code).toBe('EWRITE');
      expect(error.message).toContain('a-pipe');
      expect(await workspaceTree()).toEqual(before);
      expect((await fs.readdir(ws)).filter((n) => n.startsWith('.servers.'))).toEqual([]);
    } finally {
      await fs.rm(path.join(ws, 'servers', 'a-pipe'));
    }
  }, 60_000);

  it('a server that fails to start: the tree and the index as they were', async () => {
    await configure({ cloud: cloud(30, true), broken: { command: '/nonexistent/mcp-server' } });
    const before = await workspaceTree();
    const run = await runCli(['servers', 'sync', '--json'], { cwd: ws });
    expect(run.code).toBe(1);
    expect(run.json<{ error: { code: string } }>().error.code).toBe('EMCPCONNECT');
    expect(await workspaceTree()).toEqual(before);
  }, 60_000);

  it('a sync killed between its two renames (no servers/, the old tree beside it): the next sync puts the old tree back first', async () => {
    await configure({ cloud: cloud(30) });
    await fs.mkdir(path.join(ws, 'servers', 'notes'));
    await fs.writeFile(path.join(ws, 'servers', 'notes', 'mine.md'), 'kept\n');
    const old = path.join(ws, '.servers.old-0123456789ab');
    await fs.rename(path.join(ws, 'servers'), old);
    await fs.mkdir(path.join(ws, '.servers.new-0123456789ab', 'cloud'), { recursive: true });
    const run = await runCli(['servers', 'sync', '--json'], { cwd: ws });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(await fs.readFile(path.join(ws, 'servers', 'notes', 'mine.md'), 'utf8')).toBe('kept\n');
    expect(await fs.readFile(path.join(ws, 'servers', 'README.md'), 'utf8')).toContain('notes');
    expect((await fs.readdir(ws)).filter((n) => n.startsWith('.servers.'))).toEqual([]);
  }, 60_000);
});
