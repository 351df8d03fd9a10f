/**
 * docs/operating.md runs as written (issue 26): its `sh` blocks, in the order of the page, against
 * real `skills serve` processes, as the comment at the top of that page describes. Each block is a
 * `bash -euo pipefail` of its own, after the lines of the block under "Before you start" (the
 * operator's shell), with this clone's CLI first on PATH as `skills`; a block ending in `skills
 * serve ...` runs in the background until the end (then SIGINT, as Ctrl-C). Blocks marked
 * `runbook: file NAME` are written to that file, those marked `runbook: example` are parsed by the
 * CLI's own program (command and options must exist) and not run.
 *
 * Placeholders: /srv/skills is a scratch folder, 4873 and 4874 free ports (others if a registry
 * finds one taken), https://skills.example.com the first registry's address, q8mYJ0s1dFhK3xTb a
 * request id that registry answered. HOME is a scratch folder too; SKILLS_*, XDG_* and npm_*
 * variables of this process are not passed on.
 *
 * Between the page's sections the test does what an operator's users would (with the real CLI,
 * runCli): publishes and installs @acme/hello before "Read the logs", floods the registry with bad
 * tokens from 127.0.0.2 before "Respond to a flood"; and after each section it checks what the
 * section promised: a restored registry serving the same packument (download counts aside: they
 * move by themselves) and tarball bytes, the old admin token refused once rotated, the rotation in
 * the admin log. No assertion is about time.
 */
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { CommanderError } from 'commander';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../cli/command';
import { buildProgram } from '../cli/program';
import { BIN, ROOT, runCli } from '../testkit/cli';
import { tempDir } from '../testkit/temp';
import { freePort, shell, whenPrinted, type Shell } from '../testkit/shell';

const DOC = path.join(ROOT, 'docs', 'operating.md');
const SESSION_SECTION = 'Before you start';
const FOLDER = '/srv/skills';
const PUBLIC_URL = 'https://skills.example.com';
const PORTS = ['4873', '4874'] as const;
const REQUEST_ID = 'q8mYJ0s1dFhK3xTb';
const LISTENING = /^registry listening on (http:\/\/\S+) /m;

interface Block {
  section: string;
  lang: string;
  /** `file NAME`, `example`, or undefined for a block that runs. */
  marker: string | undefined;
  text: string;
  /** Where it starts in the page, for messages. */
  line: number;
}

/** Every fenced block of the page with the `##` section it is in and the marker comment just before it. */
function readBlocks(doc: string): Block[] {
  const lines = doc.split('\n');
  const blocks: Block[] = [];
  let section = '';
  let inComment = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (inComment) {
      if (line.includes('-->')) inComment = false;
      continue;
    }
    if (line.startsWith('<!--') && !line.includes('-->')) {
      inComment = true;
      continue;
    }
    if (line.startsWith('## ')) section = line.slice(3).trim();
    if (!line.startsWith('```')) continue;
    const lang = line.slice(3).trim();
    if (lang === '') throw new Error(`docs/operating.md line ${i + 1}: a block without a language`);
    const marker = /^<!-- runbook: (.+) -->$/.exec(lines[i - 1] ?? '')?.[1];
    const body: string[] = [];
    const start = i + 1;
    for (i++; i < lines.length && !(lines[i] as string).startsWith('```'); i++) body.push(lines[i] as string);
    blocks.push({ section, lang, marker, text: body.join('\n'), line: start });
  }
  return blocks;
}

/**
 * The simple commands of a shell line as words (quotes removed, `$(...)` kept whole, comments
 * dropped), split at `&&`, `||`, `;`, `|` and subshell parentheses: enough to find `skills ...` in
 * the page's examples, not a shell.
 */
function shellCommands(text: string): string[][] {
  const commands: string[][] = [];
  let words: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  let depth = 0;
  const endWord = () => {
    if (word !== undefined) words.push(word);
    word = undefined;
  };
  const endCommand = () => {
    endWord();
    if (words.length > 0) commands.push(words);
    words = [];
  };
  const source = text.replace(/\\\n/g, ' ');
  for (let i = 0; i < source.length; i++) {
    const c = source[i] as string;
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
      else word = (word ?? '') + c;
    } else if (depth > 0) {
      word = (word ?? '') + c;
      if (c === '(') depth++;
      else if (c === ')') depth--;
    } else if (c === '\n') {
      endCommand();
    } else if (c === ' ' || c === '\t') {
      endWord();
    } else if (c === '#' && word === undefined) {
      while (i + 1 < source.length && source[i + 1] !== '\n') i++;
    } else if (c === "'" || c === '"') {
      quote = c;
      word ??= '';
    } else if (c === '$' && source[i + 1] === '(') {
      word = `${word ?? ''}$(`;
      depth = 1;
      i++;
    } else if (c === ';' || c === '|' || c === '(' || c === ')' || (c === '&' && source[i + 1] === '&')) {
      if (c === '&' || (c === '|' && source[i + 1] === '|')) i++;
      endCommand();
    } else {
      word = (word ?? '') + c;
    }
  }
  endCommand();
  return commands;
}

/** The arguments of each `skills` command in a block (leading VAR=value assignments skipped). */
function skillsInvocations(text: string): string[][] {
  return shellCommands(text)
    .map((words) => words.slice(words.findIndex((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w))))
    .filter((words) => words[0] === 'skills')
    .map((words) => words.slice(1));
}

/** Parses `skills <args>` with the CLI's own program, running nothing: throws on an unknown command or option. */
async function parseCli(args: string[]): Promise<void> {
  const errors: string[] = [];
  const nothing: Run = async () => undefined;
  const program = await buildProgram(nothing, { writeErr: (text) => errors.push(text) }, args);
  // `skills --version` prints the version through commander: kept out of the test's output.
  program.configureOutput({ writeOut: () => undefined });
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError && error.code === 'commander.version') return;
    throw new Error(`\`skills ${args.join(' ')}\` does not parse: ${error instanceof Error ? error.message : String(error)} ${errors.join('')}`);
  }
}

/** The registry's listening address once the shell printed it, or undefined when the shell ended first. */
function listening(sh: Shell): Promise<string | undefined> {
  return whenPrinted(sh, (out) => LISTENING.test(out)).then((out) => (out === undefined ? undefined : LISTENING.exec(out)?.[1]));
}

/** Waits (no deadline but the test's) until the file holds a line that `wanted` accepts: log lines are written after the answer. */
async function untilLogged(file: string, wanted: (line: Record<string, unknown>) => boolean): Promise<void> {
  for (;;) {
    const text = await fs.readFile(file, 'utf8').catch(() => '');
    const lines = text.split('\n').filter((l) => l.endsWith('}'));
    if (lines.some((l) => wanted(JSON.parse(l) as Record<string, unknown>))) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A GET from another loopback address, so the registry sees another client. */
function getFrom(localAddress: string, url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { localAddress, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
  });
}

let tmp: string;
let folder: string;
let home: string;
let env: NodeJS.ProcessEnv;
const servers: Shell[] = [];

beforeAll(async () => {
  tmp = await tempDir('runbook');
  folder = path.join(tmp, 'srv-skills');
  home = path.join(tmp, 'home');
  const bin = path.join(tmp, 'bin');
  await Promise.all([fs.mkdir(folder), fs.mkdir(home), fs.mkdir(bin)]);
  // `skills` on PATH as `npm link` puts it there: this clone's bin.
  await fs.writeFile(path.join(bin, 'skills'), `#!/bin/sh\nexec '${process.execPath}' '${BIN}' "$@"\n`, { mode: 0o755 });
  env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(npm_|SKILLS_|XDG_)/i.test(key)));
  Object.assign(env, { HOME: home, NO_COLOR: '1', PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` });
});

afterAll(async () => {
  for (const server of servers) {
    if (server.child.exitCode === null && server.child.signalCode === null && server.child.pid !== undefined) {
      process.kill(-server.child.pid, 'SIGKILL');
      await server.closed;
    }
  }
});

describe('docs/operating.md', () => {
  it('runs as written against a real registry: start, health, metrics, logs, backup, a restored registry, token rotation, the admin log, a flood', { timeout: 300_000 }, async () => {
    for (const tool of ['bash', 'curl', 'jq', 'openssl']) {
      const found = await runShellCode(`command -v ${tool}`);
      expect(found, `the runbook uses ${tool}: it must be on PATH`).toBe(0);
    }
    const blocks = readBlocks(await fs.readFile(DOC, 'utf8'));
    const session = blocks.find((b) => b.section === SESSION_SECTION && b.lang === 'sh');
    expect(session, `a sh block under "## ${SESSION_SECTION}"`).toBeDefined();
    if (!session) return;

    const ports = new Map<string, number>();
    for (const p of PORTS) ports.set(p, await freePort());
    let requestId = REQUEST_ID;
    const registryUrl = () => `http://127.0.0.1:${ports.get('4873')}`;
    // One pass, so nothing put in is replaced again (a free port could be 4874).
    const placeholders = new RegExp([PUBLIC_URL, FOLDER, REQUEST_ID].map((p) => p.replace(/[.]/g, '\\.')).concat(PORTS.map((p) => `\\b${p}\\b`)).join('|'), 'g');
    const substitute = (text: string) =>
      text.replace(placeholders, (found) => (found === PUBLIC_URL ? registryUrl() : found === FOLDER ? folder : found === REQUEST_ID ? requestId : String(ports.get(found))));
    const script = (block: Block) => `${substitute(session.text)}\n${substitute(block.text)}`;
    const files = blocks.filter((b) => b.marker?.startsWith('file '));
    const writeFiles = async (upTo: Block) => {
      for (const b of files) if (b.line <= upTo.line) await fs.writeFile(path.join(folder, (b.marker as string).slice('file '.length)), `${substitute(b.text)}\n`);
    };
    const cli = (args: string[], extra: NodeJS.ProcessEnv = {}, cwd = folder) =>
      runCli(args, { cwd, env: { HOME: home, SKILLS_CONFIG_DIR: path.join(home, '.config', 'skills'), SKILLS_CACHE_DIR: path.join(home, '.cache', 'skills'), SKILLS_REGISTRY: registryUrl(), ...extra } });
    /** The stdout of each section's blocks that ran, in order. */
    const outputs = new Map<string, string[]>();

    // What the test does before a section, as the registry's users would; and what it checks after one.
    let published: { integrity: string } | undefined;
    let oldToken = '';
    let rotation = { oldId: '', newId: '' };
    const before: Record<string, () => Promise<void>> = {
      'Read the logs': async () => {
        const work = path.join(tmp, 'work');
        const app = path.join(tmp, 'app');
        await Promise.all([fs.mkdir(work), fs.mkdir(app)]);
        for (const args of [['team', 'create', 'acme'], ['scope', 'create', '@acme', '--team', 'acme'], ['init', '--name', '@acme/hello']]) {
          const r = await cli([...args, '--json'], {}, work);
          expect(r.code, `skills ${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0);
        }
        const publish = await cli(['publish', 'skills/hello', '--json'], {}, work);
        expect(publish.code, publish.stdout + publish.stderr).toBe(0);
        published = publish.json<{ integrity: string }>();
        const install = await cli(['install', '@acme/hello', '--json'], {}, app);
        expect(install.code, install.stdout + install.stderr).toBe(0);
        expect(await fs.readFile(path.join(app, 'skills', 'hello', 'SKILL.md'), 'utf8')).toBe(await fs.readFile(path.join(work, 'skills', 'hello', 'SKILL.md'), 'utf8'));
        // The id a user would quote: the answer's X-Request-Id.
        const res = await fetch(`${registryUrl()}/v1/skills/@acme/hello`);
        expect(res.status).toBe(200);
        requestId = res.headers.get('X-Request-Id') ?? '';
        expect(requestId).toMatch(/^[A-Za-z0-9_-]{16}$/);
        await untilLogged(path.join(folder, 'logs', 'requests.jsonl'), (l) => l.reqId === requestId);
      },
      'Rotate the admin token': async () => {
        oldToken = (await fs.readFile(path.join(folder, 'data', 'admin-token'), 'utf8')).trim();
      },
      'Respond to a flood': async () => {
        // Bad tokens from 127.0.0.2 until the registry refuses that address.
        const statuses: number[] = [];
        while (!statuses.includes(429) && statuses.length < 200) statuses.push(await getFrom('127.0.0.2', `${registryUrl()}/-/whoami`, { Authorization: 'Bearer skr_AAAAAAAAAAAAAAAA_notavalidsecret' }));
        expect(statuses.at(-1)).toBe(429);
        expect(new Set(statuses.slice(0, -1))).toEqual(new Set([401]));
        await untilLogged(path.join(folder, 'logs', 'requests.jsonl'), (l) => l.status === 429 && l.ip === '127.0.0.2');
      },
    };
    const output = (section: string) => (outputs.get(section) ?? []).join('');
    const after: Record<string, () => Promise<void>> = {
      Start: async () => {
        expect(output('Start')).toContain('admin on ');
        const ready = await fetch(`${registryUrl()}/-/health/ready`);
        expect(ready.status).toBe(200);
      },
      'Check health': async () => {
        // Live, and no failed check printed.
        expect(output('Check health')).toBe('{"live":true}');
      },
      'Read the metrics': async () => {
        expect(output('Read the metrics')).toMatch(/^skills_registry_http_requests_total\{method="GET",route="\/-\/health\/ready",status="200"\} \d+$/m);
      },
      'Read the logs': async () => {
        const found = output('Read the logs').split('\n').filter(Boolean);
        expect(found.length, output('Read the logs')).toBe(1);
        expect(JSON.parse(found[0] as string)).toMatchObject({ reqId: requestId, route: '/v1/skills/:scope{@[^/]+}/:name', status: 200 });
      },
      'Back up': async () => {
        const made = await fs.readdir(path.join(folder, 'backups'));
        expect(made).toHaveLength(1);
        const manifest = JSON.parse(await fs.readFile(path.join(folder, 'backups', made[0] as string, 'manifest.json'), 'utf8')) as { format: string; tables: Record<string, number> };
        expect(manifest.format).toBe('skills-registry-backup');
        expect(manifest.tables.versions).toBe(1);
      },
      Restore: async () => {
        // The restored registry serves what the live one does, byte for byte but the download counts.
        const drill = `http://127.0.0.1:${ports.get('4874')}`;
        const packument = async (base: string) => {
          const res = await fetch(`${base}/v1/skills/@acme/hello`);
          expect(res.status).toBe(200);
          const body = (await res.json()) as Record<string, unknown>;
          delete body.downloads;
          return JSON.stringify(body);
        };
        const [live, restored] = [await packument(registryUrl()), await packument(drill)];
        expect(restored).toBe(live);
        expect(live).toContain(published?.integrity ?? 'no publish');
        const tarball = async (base: string) => {
          const res = await fetch(`${base}/v1/skills/@acme/hello/-/hello-0.1.0.tgz`);
          expect(res.status).toBe(200);
          return Buffer.from(await res.arrayBuffer());
        };
        const [liveBytes, restoredBytes] = [await tarball(registryUrl()), await tarball(drill)];
        expect(restoredBytes.length).toBeGreaterThan(0);
        expect(restoredBytes.equals(liveBytes)).toBe(true);
      },
      'Rotate the admin token': async () => {
        const oldId = oldToken.split('_')[1];
        const refused = await cli(['whoami', '--json'], { SKILLS_TOKEN: oldToken });
        expect(refused.code, `the old admin token is refused once rotated: ${refused.stdout}`).toBe(1);
        expect(refused.json<{ error: { code: string } }>().error.code).toBe('ETOKENREVOKED');
        const me = await cli(['whoami', '--json']);
        expect(me.code, me.stderr).toBe(0);
        const current = me.json<{ tokenId: string; permission: string; user: string }>();
        expect([current.user, current.permission]).toEqual(['admin', 'admin']);
        expect(current.tokenId).not.toBe(oldId);
        await expect(fs.access(path.join(folder, 'data', 'admin-token'))).rejects.toThrow();
        rotation = { oldId: oldId ?? '', newId: current.tokenId };
      },
      'Read the admin log': async () => {
        const lines = output('Read the admin log').split('\n');
        expect(lines.some((l) => new RegExp(`\\s${rotation.oldId}\\s+127\\.0\\.0\\.1\\s+token-create\\s+${rotation.newId}\\b`).test(l)), output('Read the admin log')).toBe(true);
        expect(lines.some((l) => new RegExp(`\\s${rotation.newId}\\s+127\\.0\\.0\\.1\\s+token-revoke\\s+${rotation.oldId}\\b`).test(l)), output('Read the admin log')).toBe(true);
      },
      'Respond to a flood': async () => {
        const out = output('Respond to a flood');
        expect(out).toMatch(/^skills_registry_rate_limited_total\{limit="auth_failures"\} [1-9]\d*$/m);
        expect(out).toMatch(/^\s+\d+ 127\.0\.0\.2$/m);
      },
    };
    const sections = [...new Set(blocks.map((b) => b.section))];
    for (const name of [...Object.keys(before), ...Object.keys(after)]) expect(sections, `the test acts around "## ${name}"`).toContain(name);

    let section: string | undefined;
    const leave = async () => {
      if (section !== undefined) await after[section]?.();
    };
    for (const block of blocks) {
      if (block === session) continue;
      if (block.section !== section) {
        await leave();
        section = block.section;
        await before[section]?.();
      }
      const where = `docs/operating.md line ${block.line} (${block.section})`;
      if (block.marker === 'example') {
        expect(block.lang, `${where}: only sh blocks are marked as examples`).toBe('sh');
        const invocations = skillsInvocations(block.text);
        expect(invocations.length, `${where}: an example without a skills command`).toBeGreaterThan(0);
        for (const args of invocations) await parseCli(args);
      } else if (block.marker?.startsWith('file ')) {
        await writeFiles(block);
      } else if (block.marker !== undefined) {
        throw new Error(`${where}: unknown marker "runbook: ${block.marker}"`);
      } else if (block.lang === 'yaml') {
        expect(() => YAML.parse(block.text), where).not.toThrow();
      } else if (block.lang === 'sh') {
        const lastCommand = block.text.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#')).at(-1) ?? '';
        if (/(^|\s)skills serve\b/.test(lastCommand) && !lastCommand.includes('--print-config')) await startServer(block, script, ports, writeFiles, where);
        else {
          outputs.set(block.section, [...(outputs.get(block.section) ?? []), await runBlock(script(block), where)]);
        }
      }
    }
    await leave();

    // Ctrl-C: each registry stops gracefully.
    for (const server of servers) {
      process.kill(-(server.child.pid as number), 'SIGINT');
      const stopped = await server.closed;
      expect(stopped.code, server.out() + server.err()).toBe(0);
      expect(server.out()).toContain('stopped (SIGINT)');
    }
  });
});

async function runShellCode(script: string): Promise<number | null> {
  return (await shell(`set -euo pipefail\n${script}`, tmp, env).closed).code;
}

/** Runs a block to its end; its stdout. */
async function runBlock(text: string, where: string): Promise<string> {
  const sh = shell(`set -euo pipefail\n${text}`, folder, env);
  const { code, signal } = await sh.closed;
  expect(code, `${where} exited ${code ?? signal}:\n${text}\n--- stdout\n${sh.out()}--- stderr\n${sh.err()}`).toBe(0);
  return sh.out();
}

/** Runs a block that ends in `skills serve` in the background until it listens; with other ports if one was taken. */
async function startServer(block: Block, script: (b: Block) => string, ports: Map<string, number>, writeFiles: (upTo: Block) => Promise<void>, where: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const text = script(block);
    const server = shell(`set -euo pipefail\n${text}`, folder, env);
    servers.push(server);
    const url = await listening(server);
    if (url !== undefined) return;
    const closed = await server.closed;
    const taken = server.err().includes('EADDRINUSE');
    if (!taken || attempt === 5) throw new Error(`${where}: skills serve ended (${closed.code ?? closed.signal}) before listening:\n${text}\n${server.out()}${server.err()}`);
    // The ports no running registry holds yet get new free ones, and the files are written again.
    const held = new Set(servers.filter((s) => s.child.exitCode === null).flatMap((s) => [LISTENING.exec(s.out())?.[1] ?? '']));
    for (const [placeholder, port] of ports) if (![...held].some((u) => u.endsWith(`:${port}`))) ports.set(placeholder, await freePort());
    await writeFiles(block);
  }
}
