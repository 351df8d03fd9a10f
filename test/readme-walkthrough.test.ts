/**
 * The README's "Your own registry and workspace, step by step" runs as printed, outside the
 * repository. The commands come from the section's three fenced blocks, so README and test cannot
 * drift:
 *   1. the install step (`npm link`), run in the clone;
 *   2. the registry, "in a terminal of its own": a background shell whose output is awaited;
 *   3. everything else, "in a second terminal": one shell, every line a step whose exit code is checked.
 *
 * What the test changes, and nothing else:
 *   - HOME is a temporary folder, so `~/skills-demo` is a scratch folder outside the repository,
 *     and the user config, the skills cache and npm's cache land there too. The SKILLS_* and
 *     XDG_* variables and the npm_* ones npm puts into this process are removed; NO_COLOR=1.
 *   - `npm link` runs with npm_config_prefix=<tmp>/prefix (npm's global folder; <tmp>/prefix/bin
 *     is put first on PATH, as a global bin folder is for a user), npm_config_ignore_scripts=true
 *     (`prepare` would rebuild dist/, which test/global-setup.ts has built, under the test files
 *     running beside this one), npm_config_offline=true and no update check.
 *   - Every `4873` becomes a port that was free a moment before (another one if serve finds it taken).
 *   - The second terminal starts once serve has printed its login line, as a person would wait;
 *     Ctrl-C at the end is a SIGINT to the registry's process group.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../testkit/cli';
import { tempDir } from '../testkit/temp';
import { freePort, shell, whenPrinted, type Shell } from '../testkit/shell';

const SECTION = 'Your own registry and workspace, step by step';
const README_PORT = '4873';

interface Walkthrough {
  install: string[];
  serve: string[];
  steps: string[];
}

/** The commands of each `sh` block under the section's heading (comment-only and blank lines dropped). */
function readWalkthrough(readme: string): Walkthrough {
  const lines = readme.split('\n');
  const start = lines.findIndex((line) => /^#+ /.test(line) && line.replace(/^#+ /, '') === SECTION);
  if (start === -1) throw new Error(`README.md has no heading "${SECTION}"`);
  const blocks: string[][] = [];
  let block: string[] | undefined;
  for (const line of lines.slice(start + 1)) {
    if (block) {
      if (line.startsWith('```')) {
        blocks.push(commandsOf(block));
        block = undefined;
      } else block.push(line);
    } else if (line.startsWith('```')) {
      if (line !== '```sh') throw new Error(`the walkthrough has a \`${line}\` block; its blocks are \`\`\`sh`);
      block = [];
    } else if (/^#{1,3} /.test(line)) break;
  }
  if (blocks.length !== 3) throw new Error(`the walkthrough has ${blocks.length} sh blocks; this test expects 3: install, serve, the rest`);
  const [install, serve, steps] = blocks as [string[], string[], string[]];
  return { install, serve, steps };
}

function commandsOf(block: string[]): string[] {
  return block
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('#'));
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

// Up to its newline: output arrives in chunks, and a chunk may end inside the token.
const LOGIN_LINE = /^[ \t]*(skills login --registry (\S+) --token (skr_\S+))[ \t]*\n/m;

/** Runs the serve block with a free port for 4873 until it prints its login line; another port if that one was taken meanwhile. */
async function serveOnFreePort(block: string[]): Promise<{ server: Shell; port: number; ready: string }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const server = shell(block.join('\n').replaceAll(README_PORT, String(port)), home, env);
    registry = server;
    const ready = await whenPrinted(server, (out) => LOGIN_LINE.test(out));
    if (ready !== undefined) return { server, port, ready };
    const closed = await server.closed;
    const taken = server.err().includes('EADDRINUSE');
    if (!taken || attempt === 5) throw new Error(`serve ended (${closed.code ?? closed.signal}) before printing a login line:\n${server.out()}${server.err()}`);
  }
}

let tmp: string;
let home: string;
let env: NodeJS.ProcessEnv;
let registry: Shell | undefined;
const git = async (args: string[]) => (await promisify(execFile)('git', args, { cwd: ROOT })).stdout;

beforeAll(async () => {
  tmp = await tempDir('readme');
  home = path.join(tmp, 'home');
  await fs.mkdir(home);
  env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(npm_|SKILLS_|XDG_)/i.test(key)));
  Object.assign(env, { HOME: home, NO_COLOR: '1', PATH: `${path.join(tmp, 'prefix', 'bin')}${path.delimiter}${process.env.PATH ?? ''}` });
});

afterAll(async () => {
  if (registry && registry.child.exitCode === null && registry.child.signalCode === null && registry.child.pid !== undefined) {
    process.kill(-registry.child.pid, 'SIGKILL');
    await registry.closed;
  }
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('README: your own registry and workspace, step by step', () => {
  it('runs as printed in a scratch folder outside the repository, and installs the published skill', { timeout: 300_000 }, async () => {
    const walkthrough = readWalkthrough(await fs.readFile(path.join(ROOT, 'README.md'), 'utf8'));
    expect(walkthrough.serve.join('\n')).toContain(README_PORT);
    const repoBefore = await git(['status', '--porcelain', '--ignored']);

    // 1. The install step, in the clone.
    const npmEnv = { ...env, npm_config_prefix: path.join(tmp, 'prefix'), npm_config_ignore_scripts: 'true', npm_config_offline: 'true', npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
    const install = shell(walkthrough.install.join('\n'), ROOT, npmEnv);
    const installed = await install.closed;
    expect(installed.code, `${walkthrough.install.join('\n')}\n${install.out()}${install.err()}`).toBe(0);
    expect(await fs.realpath(path.join(tmp, 'prefix', 'bin', 'skills')), 'the linked `skills` is this clone\'s bin').toBe(await fs.realpath(path.join(ROOT, 'bin', 'skills.js')));

    // 2. The registry, on a free port in place of 4873.
    const { server, port, ready } = await serveOnFreePort(walkthrough.serve);
    const url = `http://127.0.0.1:${port}`;
    const login = LOGIN_LINE.exec(ready)!;
    expect(login[2]).toBe(url);
    expect(ready).toContain(`web catalog ${url}/`);
    const demo = path.join(home, 'skills-demo');
    expect((await fs.readFile(path.join(demo, 'registry', 'admin-token'), 'utf8')).trim()).toBe(login[3]);

    // 3. Everything else, step by step in one shell; each step's exit code is written down.
    const steps = walkthrough.steps.map((step) => step.replaceAll(README_PORT, String(port)));
    const logs = path.join(tmp, 'steps');
    await fs.mkdir(logs);
    const codes = path.join(logs, 'exit-codes');
    const script = steps
      .map((step, i) => [`{ ${step}`, `} >${quote(path.join(logs, `${i}.out`))} 2>${quote(path.join(logs, `${i}.err`))} </dev/null`, `s=$?; echo "$s" >>${quote(codes)}; [ "$s" -eq 0 ] || exit "$s"`].join('\n'))
      .join('\n');
    const rest = shell(script, home, env);
    const ran = await rest.closed;
    const exitCodes = (await fs.readFile(codes, 'utf8').catch(() => '')).split('\n').filter(Boolean).map(Number);
    const output = async (i: number) => `${await fs.readFile(path.join(logs, `${i}.out`), 'utf8').catch(() => '')}${await fs.readFile(path.join(logs, `${i}.err`), 'utf8').catch(() => '')}`;
    for (const [i, step] of steps.entries()) {
      expect(exitCodes[i], `step ${i + 1} \`${step}\`${exitCodes[i] === undefined ? ' did not run' : ` exited ${exitCodes[i]}`}:\n${await output(i)}\n(the shell: ${ran.code ?? ran.signal} ${rest.err()})`).toBe(0);
    }

    // publish printed the skill's page, and it is a page of the web catalog.
    const publish = steps.findIndex((step) => step.startsWith('skills publish '));
    expect(publish).toBeGreaterThan(-1);
    expect(await output(publish)).toContain(`${url}/@acme/hello`);
    const page = await fetch(`${url}/@acme/hello`, { headers: { Accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('@acme/hello');

    // Ctrl-C: the registry stops gracefully, and no request log reached its terminal.
    process.kill(-server.child.pid!, 'SIGINT');
    const stopped = await server.closed;
    expect(stopped.code, server.out() + server.err()).toBe(0);
    expect(server.out()).toContain('stopped (SIGINT)');
    expect(server.out() + server.err()).not.toContain('"method"');

    // The install: the published skill's files in the app folder, and the workspace files.
    const app = path.join(demo, 'app');
    for (const file of ['SKILL.md', 'skill.json', 'index.ts', 'fixtures/example.json']) {
      expect(await fs.readFile(path.join(app, 'skills', 'hello', file), 'utf8'), file).toBe(await fs.readFile(path.join(demo, 'skills', 'hello', file), 'utf8'));
    }
    const manifest = JSON.parse(await fs.readFile(path.join(app, 'skills.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(manifest.dependencies).toEqual({ '@acme/hello': '^0.1.0' });
    expect(await fs.readFile(path.join(app, 'skills-lock.json'), 'utf8')).toContain('"@acme/hello"');
    expect(await fs.readFile(path.join(app, 'skills', 'INDEX.md'), 'utf8')).toContain('hello');

    expect(await git(['status', '--porcelain', '--ignored']), 'the walkthrough wrote nothing into the repository').toBe(repoBefore);
  });
});
