#!/usr/bin/env node
/**
 * Measures "the walk from `skills install @scope/name` to files on disk": which of the product's
 * files a reader passes through, in order, following the calls from the command to every file the
 * install writes, and how often that walk climbs back to a higher layer.
 *
 *   node scripts/build.mjs        # first: it runs the built CLI
 *   node scripts/install-walk.mjs [--json] [--workspace-only | --all-io] [--save <file> | --from <file>]
 *
 * What it runs: the built CLI (bin/skills.js), for real, in a scratch HOME: `skills serve` on a
 * free port with a new database, login, team, scope, `skills init --name @acme/hello`, `skills
 * publish`, then, in a new empty folder, the measured command `skills install @acme/hello` (a
 * cold cache: the same work on every run).
 *
 * How, deterministically (no sampling, no timing): the measured process runs with
 * `--enable-source-maps` and a preloaded hook that captures the JavaScript stack, with V8's async
 * stack traces (so the chain of awaiting callers reaches back to cli/main.ts), at every write to
 * the file system (node:fs/promises mkdir, writeFile, open for writing, rename, symlink, rm, ...:
 * the module is patched, and the product always calls it through the whole module object). That
 * is every file the install puts on disk: the cache (packument, tarball, sandbox verdict, audit
 * report), the journal key, and the workspace (staging, journal, skills.json, lockfile, links,
 * INDEX.md). `--workspace-only` keeps the workspace's writes; `--all-io` takes instead every
 * asynchronous operation the process starts (async_hooks: reads, sockets, timers, workers), for
 * comparison. Each stack is mapped through the source maps to the TypeScript files and reduced
 * to product files (node_modules and Node's internals dropped; consecutive frames in one file are
 * one step).
 *
 * The stacks are merged into one call tree (keyed by file and the line it was called from) and
 * read like code: depth first, each file's callees in the order of the lines that call them (not
 * the order they ran in, which concurrency may vary). A stack V8 cannot follow back to main (a
 * promise kept and awaited later) is a tree of its own, read after the main one. Reported:
 *   - files: the product files in the order the walk first enters them. schema/ is left out of
 *     the count: its zod schemas and pure helpers are the vocabulary every layer uses, not a step
 *     of the walk (the count with schema/ is printed too);
 *   - climbs: the calls (or callbacks) in the tree from a file to one in a higher layer, layers
 *     being schema < tarball, audit < sandbox < cli/core < cli/commands < cli/main.
 * The same calls make the same tree: the numbers do not depend on the machine's speed.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin/skills.js');
const argv = process.argv.slice(2);
const args = new Set(argv);
const option = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const allIo = args.has('--all-io');
const workspaceOnly = args.has('--workspace-only');

/** The layers, lowest first (the folder a file is in decides its layer). */
const LAYERS = ['schema', 'tarball, audit', 'sandbox', 'cli/core', 'cli/commands', 'cli/main'];
export function layerOf(file) {
  if (file.startsWith('schema/')) return 0;
  if (file.startsWith('tarball/') || file.startsWith('audit/')) return 1;
  if (file.startsWith('sandbox/')) return 2;
  if (file.startsWith('cli/core/')) return 3;
  if (file.startsWith('cli/commands/')) return 4;
  if (file.startsWith('cli/')) return 5;
  return -1;
}

/**
 * The preloaded hook: the stack of every asynchronous operation the process starts (async_hooks),
 * and of every file-system call that writes, with the paths it writes (node:fs/promises is
 * patched: the product imports it whole, so each call goes through the patched object).
 */
const HOOK = `
import { createHook } from 'node:async_hooks';
import { writeFileSync } from 'node:fs';
import fs from 'node:fs/promises';
Error.stackTraceLimit = Infinity;
const events = [];
let inside = false;
const capture = (event) => {
  if (inside) return;
  inside = true;
  try { events.push({ ...event, stack: new Error().stack }); } finally { inside = false; }
};
createHook({ init(id, type) { if (type !== 'PROMISE') capture({ type }); } }).enable();
const writes = { mkdir: 1, mkdtemp: 1, writeFile: 1, appendFile: 1, rename: 2, rm: 1, rmdir: 1, unlink: 1, symlink: 2, link: 2, copyFile: 2, cp: 2, chmod: 1, truncate: 1, utimes: 1 };
for (const [op, paths] of Object.entries({ ...writes, open: 1 })) {
  const original = fs[op];
  fs[op] = function (...a) {
    const flags = op === 'open' ? String(a[1] ?? 'r') : '';
    if (op !== 'open' || /[wa+x]/.test(flags)) capture({ type: 'write', op, paths: a.slice(0, paths).map(String) });
    return original.apply(this, a);
  };
}
process.on('exit', () => writeFileSync(process.env.INSTALL_WALK_OUT, JSON.stringify({ cwd: process.cwd(), events })));
`;

function run(cmd, argv, options) {
  return execFileSync(process.execPath, [cmd, ...argv], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options });
}

async function measure() {
  if (!fs.existsSync(path.join(ROOT, 'dist/cli.js'))) throw new Error('dist/cli.js is missing: run `node scripts/build.mjs` first');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'install-walk-'));
  const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SKILLS_') && !k.startsWith('XDG_'))), HOME: tmp, NO_COLOR: '1' };
  const demo = path.join(tmp, 'demo');
  fs.mkdirSync(demo);
  const serve = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--db', path.join(demo, 'registry/registry.db'), '--json'], { cwd: demo, env, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const ready = await new Promise((resolve, reject) => {
      let out = '';
      serve.stdout.setEncoding('utf8').on('data', (d) => {
        out += d;
        if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]));
      });
      serve.once('exit', (code) => reject(new Error(`skills serve exited with ${code}`)));
    });
    const cli = (argv, cwd = demo, extra = {}) => run(BIN, argv, { cwd, env: { ...env, ...extra } });
    cli(['login', '--registry', ready.url, '--token', ready.adminToken]);
    cli(['team', 'create', 'acme']);
    cli(['scope', 'create', '@acme', '--team', 'acme']);
    cli(['init', '--name', '@acme/hello']);
    cli(['publish', 'skills/hello']);
    const app = path.join(demo, 'app');
    fs.mkdirSync(app);
    const hook = path.join(tmp, 'hook.mjs');
    fs.writeFileSync(hook, HOOK);
    const out = path.join(tmp, 'events.json');
    execFileSync(process.execPath, ['--enable-source-maps', '--import', hook, BIN, 'install', '@acme/hello'], { cwd: app, env: { ...env, INSTALL_WALK_OUT: out }, stdio: ['ignore', 'pipe', 'pipe'] });
    if (!fs.existsSync(path.join(app, 'skills/hello/SKILL.md'))) throw new Error('the install did not write skills/hello');
    return JSON.parse(fs.readFileSync(out, 'utf8'));
  } finally {
    if (serve.exitCode === null && serve.signalCode === null) {
      const exited = new Promise((resolve) => serve.once('exit', resolve));
      serve.kill('SIGINT');
      await exited;
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** The product frames of a stack, outermost first: { file, line, col, fn }. */
export function productFrames(stack) {
  const frames = [];
  for (const raw of stack.split('\n').slice(1)) {
    const m = /^\s*at (?:async )?(?:(.*?) \()?(?:file:\/\/)?(\/[^()]*?):(\d+):(\d+)\)?$/.exec(raw);
    if (!m) continue;
    const [, fn = '', abs, line, col] = m;
    if (!abs.startsWith(`${ROOT}/`) || abs.includes('/node_modules/') || abs.includes('/dist/')) continue;
    frames.push({ file: path.relative(ROOT, abs), line: Number(line), col: Number(col), fn });
  }
  return frames.reverse();
}

/** A write into the workspace the install runs in (its files on disk; not the user's cache or config). */
function isWorkspaceWrite(event, cwd) {
  if (event.type !== 'write') return false;
  const real = (p) => {
    const abs = path.resolve(cwd, p);
    return abs === cwd || abs.startsWith(`${cwd}/`);
  };
  return event.paths.some(real);
}

/**
 * The walk: the stacks merged into a call tree, read depth first with each file's callees in the
 * order of the lines calling them. Returns the files in first-entry order and the climbs.
 */
export function walk(stacks) {
  const root = { file: '(start)', children: new Map() };
  for (const frames of stacks) {
    let node = root;
    let at = { line: 0, col: 0 };
    for (let i = 0; i < frames.length; i++) {
      const frame = frames[i];
      // Consecutive frames in one file are one step; the last of them is where it calls out.
      let j = i;
      while (j + 1 < frames.length && frames[j + 1].file === frame.file) j++;
      const key = `${frame.file}\u0000${at.line}:${at.col}`;
      let child = node.children.get(key);
      if (!child) {
        child = { file: frame.file, from: at, children: new Map() };
        node.children.set(key, child);
      }
      node = child;
      at = { line: frames[j].line, col: frames[j].col };
      i = j;
    }
  }
  const order = [];
  const seen = new Set();
  const climbs = [];
  const visit = (node, parent) => {
    if (parent && parent.file !== '(start)' && layerOf(node.file) > layerOf(parent.file)) climbs.push(`${parent.file} -> ${node.file}`);
    if (!seen.has(node.file)) {
      seen.add(node.file);
      order.push(node.file);
    }
    const kids = [...node.children.values()].sort((a, b) => a.from.line - b.from.line || a.from.col - b.from.col || (a.file < b.file ? -1 : 1));
    for (const kid of kids) visit(kid, node);
  };
  // A stack V8 could not follow back to cli/main.ts (a promise stored and awaited later) is a tree of its own: after the main one, by file.
  const roots = [...root.children.values()].sort((a, b) => (a.file === 'cli/main.ts' ? -1 : b.file === 'cli/main.ts' ? 1 : a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  for (const kid of roots) visit(kid, undefined);
  return { files: order, climbs: [...new Set(climbs)] };
}

// --save <file> keeps the captured stacks; --from <file> reads them instead of running the install again.
const events = option('--from') ? JSON.parse(fs.readFileSync(option('--from'), 'utf8')) : await measure();
if (option('--save')) fs.writeFileSync(option('--save'), JSON.stringify(events));
const kept = events.events.filter((e) => (allIo ? e.type !== 'write' : workspaceOnly ? isWorkspaceWrite(e, events.cwd) : e.type === 'write')).map((e) => productFrames(e.stack)).filter((f) => f.length > 0);
const { files, climbs } = walk(kept);
const shown = files.filter((f) => !f.startsWith('schema/'));
const result = { events: allIo ? 'every asynchronous operation' : workspaceOnly ? 'writes into the workspace' : 'every write', files: shown, fileCount: shown.length, fileCountWithSchema: files.length, climbs, climbCount: climbs.length };
if (args.has('--json')) console.log(JSON.stringify(result, null, 2));
else {
  console.log(`The walk from \`skills install @acme/hello\` to files on disk (${result.events}):`);
  shown.forEach((f, i) => console.log(`${String(i + 1).padStart(3)}. ${f}  [${LAYERS[layerOf(f)]}]`));
  console.log(`\n${result.fileCount} files (${result.fileCountWithSchema} with schema/), ${result.climbCount} climb${result.climbCount === 1 ? '' : 's'} to a higher layer${climbs.length > 0 ? `:\n  ${climbs.join('\n  ')}` : ''}`);
}
