/**
 * `npm run demo`: the whole product on this machine, with real processes. Starts a registry on a
 * temporary SQLite database on a free port, publishes the catalog (examples/workspace/skills/, with
 * recorded fixtures) and a freshly scaffolded skill, installs two of them into a fresh workspace (each
 * verified in the sandbox), shows the catalog an agent reads, runs the skills against their
 * fixtures, and shuts the registry down. Exit 0 only if every step worked.
 *
 * `npm run demo -- --serve` keeps the registry running after the demo and prints the web
 * catalog's address (and the admin token to sign in with) until Ctrl+C.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pc from 'picocolors';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin', 'skills.js');
/** The example workspace's skills: the first-party catalog. */
const CATALOG = path.join(ROOT, 'examples', 'workspace', 'skills');
const keep = process.argv.includes('--keep');
const serve = process.argv.includes('--serve');

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

const started = performance.now();
const work = await fs.mkdtemp(path.join(os.tmpdir(), 'skills-demo-'));
const env = { ...process.env, SKILLS_CONFIG_DIR: path.join(work, 'config'), SKILLS_CACHE_DIR: path.join(work, 'cache'), NO_COLOR: process.env.NO_COLOR ?? '' };
let step = 0;

function header(title: string): void {
  step++;
  console.log(`\n${pc.bold(pc.cyan(`${step}. ${title}`))}`);
}

function show(text: string): void {
  const trimmed = text.trimEnd();
  if (trimmed) console.log(trimmed.split('\n').map((l) => `   ${l}`).join('\n'));
}

async function skills(cwd: string, args: string[], options: { quiet?: boolean; extraEnv?: Record<string, string> } = {}): Promise<Ran> {
  const t0 = performance.now();
  console.log(`${pc.dim('  $')} skills ${args.map((a) => (/\s|"/.test(a) ? `'${a}'` : a)).join(' ')}`);
  const result = await new Promise<Ran>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...env, ...options.extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
  if (!options.quiet) show(result.stdout);
  if (result.stderr.trim()) show(pc.yellow(result.stderr));
  console.log(pc.dim(`   (${((performance.now() - t0) / 1000).toFixed(2)} s)`));
  if (result.code !== 0) throw new Error(`skills ${args.join(' ')} exited with ${result.code}`);
  return result;
}

let server: ReturnType<typeof spawn> | undefined;
try {
  console.log(pc.bold('skills demo: a registry, publishing, verified installs and runs, all on this machine'));
  console.log(pc.dim(`working folder ${work}`));

  header('Start a registry on an embedded SQLite database');
  console.log(`${pc.dim('  $')} skills serve --port 0 --db ${path.join(work, 'registry', 'registry.db')}`);
  const t0 = performance.now();
  server = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--db', path.join(work, 'registry', 'registry.db'), '--json', '--quiet'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = await new Promise<{ url: string; adminToken: string }>((resolve, reject) => {
    let out = '';
    server?.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve(JSON.parse(line) as { url: string; adminToken: string });
    });
    server?.once('exit', (code) => reject(new Error(`skills serve exited with ${code}`)));
  });
  show(`listening on ${ready.url}; first admin token created and saved 0600 beside the database`);
  console.log(pc.dim(`   (${((performance.now() - t0) / 1000).toFixed(2)} s)`));

  const author = path.join(work, 'author');
  await fs.mkdir(author, { recursive: true });
  header('Log in, create a team and the scopes it owns');
  await skills(author, ['login', '--registry', ready.url, '--token', ready.adminToken]);
  await skills(author, ['team', 'create', 'examples']);
  await skills(author, ['scope', 'create', '@examples', '--team', 'examples']);
  await skills(author, ['scope', 'create', '@demo', '--team', 'examples']);

  header('Publish the catalog: validate, verify every fixture in the sandbox, pack, upload (the registry verifies again)');
  const catalog = await fs.readdir(CATALOG, { withFileTypes: true });
  await fs.mkdir(path.join(author, 'skills'), { recursive: true });
  const published: string[] = [];
  const pending = new Map<string, string[]>();
  for (const entry of catalog.filter((e) => e.isDirectory()).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const hasFixtures = await fs.readdir(path.join(CATALOG, entry.name, 'fixtures')).then((f) => f.some((x) => x.endsWith('.json')), () => false);
    if (!hasFixtures) {
      console.log(pc.dim(`   skipping skills/${entry.name}: no recorded fixtures yet`));
      continue;
    }
    await fs.cp(path.join(CATALOG, entry.name), path.join(author, 'skills', entry.name), { recursive: true });
    const manifest = JSON.parse(await fs.readFile(path.join(CATALOG, entry.name, 'skill.json'), 'utf8')) as { dependencies?: Record<string, string> };
    pending.set(entry.name, Object.keys(manifest.dependencies ?? {}).map((d) => d.slice(d.indexOf('/') + 1)));
  }
  // Dependencies first: the registry verifies a skill together with its published dependencies.
  while (pending.size > 0) {
    const ready = [...pending].find(([, deps]) => deps.every((d) => published.includes(d)));
    if (!ready) throw new Error(`catalog dependencies cannot be ordered: ${[...pending.keys()].join(', ')}`);
    await skills(author, ['publish', `skills/${ready[0]}`]);
    published.push(ready[0]);
    pending.delete(ready[0]);
  }

  header('Scaffold a new skill with `skills init`, verify it, publish it');
  await skills(author, ['init', '--name', '@demo/hello', '--description', 'Greets someone through the echo tool of the reference MCP server.']);
  await skills(author, ['verify', 'skills/hello']);
  await skills(author, ['publish', 'skills/hello']);

  header('A fresh workspace installs two skills: integrity-checked, unpacked safely, verified in the sandbox');
  const workspace = path.join(work, 'workspace');
  await fs.mkdir(workspace, { recursive: true });
  const serverBin = (pkg: string) => path.join(path.dirname(createRequire(import.meta.url).resolve(`@modelcontextprotocol/${pkg}/package.json`)), 'dist', 'index.js');
  const project = path.join(workspace, 'project');
  await fs.mkdir(path.join(project, 'docs'), { recursive: true });
  await fs.writeFile(path.join(project, 'README.md'), '# A project\n');
  await fs.writeFile(path.join(project, 'docs', 'guide.md'), '# Guide\n');
  await fs.writeFile(path.join(project, 'orders.csv'), 'id,region,total\n1,EU,10\n2,US,20\n');
  await fs.writeFile(
    path.join(workspace, 'skills.json'),
    `${JSON.stringify(
      {
        registry: ready.url,
        dependencies: {},
        servers: {
          everything: { command: process.execPath, args: [serverBin('server-everything'), 'stdio'] },
          filesystem: { command: process.execPath, args: [serverBin('server-filesystem'), project] },
        },
      },
      null,
      2,
    )}\n`,
  );
  const toInstall = ['@examples/folder-report', '@examples/csv-filter-copy'].filter((n) => published.includes(n.slice(n.indexOf('/') + 1)));
  if (toInstall.length < 2) throw new Error('the catalog skills to install were not published');
  await skills(workspace, ['search', 'csv']);
  await skills(workspace, ['install', ...toInstall]);

  header('What an agent sees: skills/INDEX.md, one line per skill, within the 8,000-character listing budget');
  await skills(workspace, ['list']);
  show(await fs.readFile(path.join(workspace, 'skills', 'INDEX.md'), 'utf8'));

  header('Run installed skills in the sandbox: against a recorded fixture, then live against a real MCP server');
  await skills(workspace, ['run', 'skills/csv-filter-copy', '--fixture', 'eu-orders']);
  await skills(workspace, ['verify', 'skills/folder-report']);
  await skills(workspace, ['servers', 'sync']);
  await skills(workspace, ['run', 'skills/folder-report', '--export', 'summarizeFolder', '--args', '{"path":"."}', '--live']);

  header('Reproduce the workspace from its lockfile with `skills ci`');
  const replica = path.join(work, 'replica');
  await fs.mkdir(replica);
  for (const f of ['skills.json', 'skills-lock.json']) await fs.copyFile(path.join(workspace, f), path.join(replica, f));
  await skills(replica, ['ci']);

  if (serve) {
    console.log(`\n${pc.green(pc.bold('demo complete'))} in ${((performance.now() - started) / 1000).toFixed(1)} s; the registry keeps running.`);
    console.log(`\n${pc.bold('web catalog')}: ${pc.cyan(`${ready.url}/`)}  (open it in a browser)`);
    console.log(`   a skill page: ${ready.url}/@examples/csv-filter-copy`);
    console.log(`   sign in at ${ready.url}/sign-in with the admin token: ${ready.adminToken}`);
    console.log(pc.dim('   press Ctrl+C to stop the registry and remove the demo files'));
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'));
      process.once('SIGTERM', () => resolve('SIGTERM'));
      server?.once('exit', () => resolve('SIGTERM'));
    });
    console.log(pc.dim(`\n${signal}: stopping the registry`));
  }

  header('Stop the registry (in-flight requests finish, the WAL is checkpointed)');
  const running = server;
  const stopped = new Promise<number | null>((resolve) => (running.exitCode !== null || running.signalCode !== null ? resolve(running.exitCode) : running.once('exit', resolve)));
  running.kill('SIGTERM');
  const code = await stopped;
  server = undefined;
  if (code !== 0) throw new Error(`skills serve exited with ${code}`);
  show('stopped');

  if (!serve) console.log(`\n${pc.green(pc.bold('demo complete'))} in ${((performance.now() - started) / 1000).toFixed(1)} s: ${published.length + 1} skills published, ${toInstall.length} installed with their dependencies and verified, a fixture replayed and a live run against server-filesystem.`);
  if (keep) console.log(`files kept in ${work}`);
} catch (error) {
  console.error(`\n${pc.red(pc.bold('demo failed'))}: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  server?.kill('SIGTERM');
  if (!keep) await fs.rm(work, { recursive: true, force: true });
}
