/**
 * Codes the error catalog documents that no other test reached, each from the function, the
 * `skills` process or the registry that reports it: ELICENSE, EMANIFEST, ETAREMPTY (in process),
 * ENOSERVERS, ENOTDIR, EOUTDIR, EREGISTRYURL, EDBOPEN, ELINKOUTDATED (the CLI, nothing written),
 * ETEAMEXISTS (the registry, nothing changed).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { ERRORS } from '../schema/error-catalog';
import { validatePackage } from '../schema/package';
import { parseSkillMd } from '../schema/skill-md';
import { unpack } from '../tarball/unpack';
import { runCli } from '../testkit/cli';
import { skillMd } from '../testkit/git-repo';
import { createTestRegistry } from '../testkit/registry';
import { skillFiles } from '../testkit/skill-files';
import { cliScratch, type CliScratch } from '../testkit/cli-scratch';

const enc = new TextEncoder();
let scratch: CliScratch;
let tmp: string;
let env: NodeJS.ProcessEnv;
let counter = 0;

beforeAll(async () => {
  scratch = await cliScratch('catalog-codes', { XDG_DATA_HOME: '', XDG_CONFIG_HOME: '' });
  ({ dir: tmp, env } = scratch);
  await fs.mkdir(path.join(tmp, 'plain'));
  await fs.writeFile(path.join(tmp, 'plain', 'SKILL.md'), skillMd('plain', { version: '"1.0.0"' }));
});

const workspace = () => scratch.workspace();

/** Runs `skills ...args --json` in `ws`: `code`, exit 1, a hint (the catalog's unless the command gave its own), and `ws` unchanged. */
async function fails(ws: string, args: string[], code: keyof typeof ERRORS, extra: NodeJS.ProcessEnv = {}): Promise<{ message: string; hint?: string }> {
  const error = await scratch.fails(ws, args, code, extra);
  expect(error.hint?.length).toBeGreaterThan(0);
  return error;
}

describe('package codes, in process', () => {
  it('ELICENSE: a license that is not a string (a warning, WLICENSE, when lenient)', () => {
    const raw = '---\nname: lic\ndescription: A skill.\nlicense: 42\n---\nBody\n';
    expect(parseSkillMd(raw).problems).toEqual([expect.objectContaining({ code: 'ELICENSE', severity: 'error', path: 'SKILL.md#license' })]);
    expect(parseSkillMd(raw, { mode: 'lenient' }).problems).toEqual([expect.objectContaining({ code: 'WLICENSE', severity: 'warning' })]);
  });

  it('EMANIFEST: a skill.json field of the wrong type', () => {
    const files = skillFiles({ name: 'man', scope: '@me', code: 'export function f() { return 1; }', fixtures: {} }).map((f) => (f.path === 'skill.json' ? { ...f, bytes: enc.encode(JSON.stringify({ name: '@me/man', version: '1.0.0', keywords: 5 })) } : f));
    expect(validatePackage(files).problems).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'EMANIFEST', path: 'skill.json#keywords' })]));
  });

  it('ETAREMPTY: a tarball that holds no files', async () => {
    const emptyTar = new Uint8Array(1024); // two zero blocks: the end of an archive with no entries
    await expect(unpack(gzipSync(emptyTar))).rejects.toMatchObject({ code: 'ETAREMPTY', status: 400 });
  });
});

describe('CLI codes', () => {
  it('ENOSERVERS: servers sync in a workspace that configures no MCP servers', async () => {
    const ws = await workspace();
    await fs.writeFile(path.join(ws, 'skills.json'), JSON.stringify({ dependencies: {} }));
    const error = await fails(ws, ['servers', 'sync'], 'ENOSERVERS');
    expect(error.hint).toContain('"servers"');
  });

  it('ENOTDIR: a folder source that is a file', async () => {
    const file = path.join(tmp, `a-file-${counter++}`);
    await fs.writeFile(file, 'x');
    await fails(await workspace(), ['install', file], 'ENOTDIR');
  });

  it('EOUTDIR: pack --out into a folder that does not exist', async () => {
    const ws = await workspace();
    await fails(ws, ['pack', path.join(tmp, 'plain'), '--scope', '@me', '--out', path.join(ws, 'no-such-folder', 'x.tgz')], 'EOUTDIR');
  });

  it('EREGISTRYURL: a registry URL that is not http(s)', async () => {
    const error = await fails(await workspace(), ['whoami'], 'EREGISTRYURL', { SKILLS_REGISTRY: 'ftp://registry.example.com' });
    expect(error.message).toContain('ftp://registry.example.com');
  });

  it('EDBOPEN: serve --db naming a folder', async () => {
    const ws = await workspace();
    await fs.mkdir(path.join(ws, 'db-folder'));
    const error = await fails(ws, ['serve', '--port', '0', '--db', path.join(ws, 'db-folder')], 'EDBOPEN');
    expect(error.hint).toContain('--db');
  });

  it('ELINKOUTDATED: doctor finds a copy where a link belongs', async () => {
    const ws = await workspace();
    await fs.mkdir(path.join(ws, '.claude'));
    const installed = await runCli(['install', path.join(tmp, 'plain'), '--scope', '@me', '--copy', '--json'], { cwd: ws, env });
    expect(installed.code, installed.stdout + installed.stderr).toBe(0);
    const manifest = JSON.parse(await fs.readFile(path.join(ws, 'skills.json'), 'utf8')) as Record<string, unknown>;
    delete manifest.link;
    await fs.writeFile(path.join(ws, 'skills.json'), JSON.stringify(manifest, null, 2));
    const doctor = await runCli(['doctor', '--json'], { cwd: ws, env });
    expect(doctor.code).toBe(1);
    const problems = doctor.json<{ links: { problems: { code: string; path: string; fixable: boolean }[] } }>().links.problems;
    expect(problems).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'ELINKOUTDATED', path: '.claude/skills/plain', fixable: true })]));
  });
});

describe('registry codes', () => {
  it('ETEAMEXISTS: creating a team that exists answers 409 and changes nothing', async () => {
    const r = await createTestRegistry();
    try {
      const first = await r.request('POST', '/v1/teams', { token: r.admin, body: { name: 'twice' } });
      expect(first.status).toBe(201);
      const before = r.counts();
      const again = await r.request('POST', '/v1/teams', { token: r.admin, body: { name: 'twice' } });
      expect(again.status).toBe(409);
      expect(((await again.json()) as { error: { code: string; hint: string } }).error).toEqual({ code: 'ETEAMEXISTS', message: 'the team twice already exists', hint: ERRORS.ETEAMEXISTS.hint, requestId: again.headers.get('X-Request-Id') });
      expect(r.counts()).toEqual(before);
    } finally {
      await r.close();
    }
  });
});
