/**
 * Public skills (issue 21, "every public skill enters"): how many real public Agent Skills the
 * CLI built in this checkout takes in. The corpus is bench/corpus/public-skills.json: public
 * repositories at pinned commits, read from bare clones at $SKILLS_CORPUS_DIR/<owner>+<name>/repo
 * (the bench prints the `git clone --bare` commands for any that are missing, and refuses a clone
 * that cannot serve its pinned commit). For each skill folder (a folder holding a SKILL.md):
 *
 * - install: `skills install git+file://<mirror>#<commit>&path:<dir> --json` in a fresh
 *   workspace, default options; then, only when that is refused, again with --allow-unverified
 *   (a skill the default install takes is counted as taken with --allow-unverified too);
 * - validate: the folder exported with `git archive <commit> <dir> | tar -x`, then
 *   `skills validate <folder> --json`;
 * - publish: `skills publish <folder> --scope @corpus --version 1.0.<n> --json` to one real
 *   registry (`skills serve --port 0` on a temporary database; <n> is the skill's index in the
 *   run, so two skills of the same name do not collide on a version).
 *
 * All processes share one empty cache and config folder made for the run. At most
 * CORPUS_CONCURRENCY (1 or 2, default 2) skills run at a time; a command still running after
 * CORPUS_TIMEOUT_MS (default 120000) is killed with its process group and counted as refused with
 * BENCH_TIMEOUT. Every result (codes, messages, high audit findings) is written as JSON to
 * CORPUS_RESULTS (default dist/bench/public-skills-results.json).
 *
 *   node scripts/build.mjs && SKILLS_CORPUS_DIR=/work/.mirror npm run bench -- public-skills
 *
 * For a quicker look: CORPUS_REPOS=anthropics/skills,openai/skills (only these) and CORPUS_LIMIT=n
 * (the first n sampled skills of each repository); CORPUS_SAMPLE=all ignores the sample rules and
 * takes every skill folder of every repository.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkMirror, cloneCommands, exportSkill, listSkills, mirrorPath, readCorpus, type Corpus, type CorpusSkill } from './lib/corpus';
import { runCli, type CliAnswer, type CliError } from './lib/cli-run';
import { machine, printSettings, saveResults } from './stats';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = path.join(ROOT, 'bin', 'skills.js');
const CORPUS_FILE = path.join(ROOT, 'bench', 'corpus', 'public-skills.json');
const CORPUS_DIR = process.env.SKILLS_CORPUS_DIR;
const CONCURRENCY = Math.min(2, Math.max(1, Number(process.env.CORPUS_CONCURRENCY ?? 2) || 2));
const TIMEOUT_MS = Number(process.env.CORPUS_TIMEOUT_MS ?? 120_000) || 120_000;
const ONLY = process.env.CORPUS_REPOS ? new Set(process.env.CORPUS_REPOS.split(',').map((s) => s.trim())) : undefined;
const LIMIT = process.env.CORPUS_LIMIT ? Number(process.env.CORPUS_LIMIT) : undefined;
const ALL = process.env.CORPUS_SAMPLE === 'all';
const RESULTS = path.resolve(process.env.CORPUS_RESULTS ?? path.join(ROOT, 'dist', 'bench', 'public-skills-results.json'));
const SCOPE = '@corpus';
const RATE_LIMIT_RETRIES = 4;

// ---------------------------------------------------------------------------------------------
// Results

interface HighFinding {
  rule: string;
  file: string;
  message: string;
}

interface Problem {
  code: string;
  path: string;
  message: string;
}

interface Outcome {
  ok: boolean;
  /** The error code when refused. */
  code?: string;
  /** What under the code: EVALIDATION's first problem code, EAUDIT's first high rule, EUNVERIFIED's first kind of executable. */
  reason?: string;
  message?: string;
  hint?: string;
  ms: number;
  /** Install: not run, taken as ok because the default install took the skill. */
  implied?: boolean;
  /** Install, publish: the skill's trust when taken. */
  trust?: string;
  /** High audit findings the refusal carried. */
  high?: HighFinding[];
  /** Validate: the problems of severity error. */
  problems?: Problem[];
}

type Column = 'install' | 'installUnverified' | 'validate' | 'publish';
const COLUMNS: { key: Column; label: string }[] = [
  { key: 'install', label: 'install' },
  { key: 'installUnverified', label: 'install --allow-unverified' },
  { key: 'validate', label: 'validate' },
  { key: 'publish', label: 'publish' },
];

interface SkillResult extends Record<Column, Outcome> {
  repo: string;
  dir: string;
  spec: string;
}

// ---------------------------------------------------------------------------------------------
// Reading the CLI's answers

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every finding of severity high anywhere in an error's details (install: details.report.findings, publish: details.findings). */
function highFindings(details: unknown, into: HighFinding[] = []): HighFinding[] {
  if (Array.isArray(details)) {
    for (const item of details) highFindings(item, into);
  } else if (isRecord(details)) {
    if (details.severity === 'high' && typeof details.rule === 'string') {
      into.push({ rule: details.rule, file: String(details.file ?? ''), message: String(details.message ?? '') });
    } else {
      for (const value of Object.values(details)) highFindings(value, into);
    }
  }
  return into;
}

/** The first `because` of `details.unverified` (EUNVERIFIED), its kind: "Python script", "script with a #! line", ... */
function unverifiedKind(details: unknown): string | undefined {
  const first = isRecord(details) && Array.isArray(details.unverified) ? (details.unverified[0] as unknown) : undefined;
  const because = isRecord(first) && Array.isArray(first.because) ? (first.because[0] as unknown) : undefined;
  return isRecord(because) && typeof because.why === 'string' ? because.why.split(':')[0] : undefined;
}

function reasonOf(error: CliError, high: readonly HighFinding[]): string | undefined {
  if (error.code === 'EVALIDATION') return /first: ([A-Z][A-Z0-9_]+)/.exec(error.message)?.[1];
  if (error.code === 'EAUDIT') return high[0]?.rule ?? /first: ([a-z0-9-]+) in /.exec(error.message)?.[1];
  if (error.code === 'EUNVERIFIED') return unverifiedKind(error.details);
  return undefined;
}

function refused(error: CliError, ms: number): Outcome {
  const high = highFindings(error.details);
  const reason = reasonOf(error, high);
  return { ok: false, code: error.code, ...(reason ? { reason } : {}), message: error.message, ...(error.hint ? { hint: error.hint } : {}), ms: Math.round(ms), ...(high.length > 0 ? { high } : {}) };
}

/** install --json: `{ skills: [{ trust }] }` when taken. */
function installOutcome(answer: CliAnswer): Outcome {
  if (answer.error || !answer.exitOk) return refused(answer.error ?? { code: 'BENCH_EXIT', message: 'exit status not 0' }, answer.ms);
  const skills = isRecord(answer.json) && Array.isArray(answer.json.skills) ? answer.json.skills : [];
  if (skills.length === 0) return { ok: false, code: 'BENCH_NOTHING', message: 'the install succeeded but installed no skill', ms: Math.round(answer.ms) };
  const first: unknown = skills[0];
  return { ok: true, ms: Math.round(answer.ms), ...(isRecord(first) && typeof first.trust === 'string' ? { trust: first.trust } : {}) };
}

/** validate --json: `{ ok, problems: [{ severity, code, path, message }] }`. */
function validateOutcome(answer: CliAnswer): Outcome {
  const json = answer.json;
  if (!isRecord(json) || typeof json.ok !== 'boolean') return refused(answer.error ?? { code: 'BENCH_NOJSON', message: 'no validate result' }, answer.ms);
  const problems: Problem[] = (Array.isArray(json.problems) ? json.problems : [])
    .filter((p): p is Record<string, unknown> => isRecord(p) && p.severity === 'error')
    .map((p) => ({ code: String(p.code ?? ''), path: String(p.path ?? ''), message: String(p.message ?? '') }));
  if (json.ok && answer.exitOk) return { ok: true, ms: Math.round(answer.ms), ...(typeof json.trust === 'string' ? { trust: json.trust } : {}) };
  const first = problems[0];
  return { ok: false, code: first?.code ?? 'BENCH_EXIT', message: first?.message ?? 'validate failed without an error problem', ms: Math.round(answer.ms), problems };
}

/** publish --json: `{ name, version, trust }` when published. */
function publishOutcome(answer: CliAnswer): Outcome {
  if (answer.error || !answer.exitOk) return refused(answer.error ?? { code: 'BENCH_EXIT', message: 'exit status not 0' }, answer.ms);
  const json = answer.json;
  return { ok: true, ms: Math.round(answer.ms), ...(isRecord(json) && typeof json.trust === 'string' ? { trust: json.trust } : {}) };
}

// ---------------------------------------------------------------------------------------------
// The registry

interface Registry {
  url: string;
  adminToken: string;
  stop(): Promise<void>;
}

/** `skills serve --port 0 --json` on a temporary database; its first line is the ready event. */
async function startRegistry(db: string, env: NodeJS.ProcessEnv): Promise<Registry> {
  const child: ChildProcess = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--db', db, '--json', '--quiet'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = await new Promise<{ url: string; adminToken: string }>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.includes('"event":"ready"'));
      if (line) {
        const event = JSON.parse(line) as { url: string; adminToken: string | null };
        if (!event.adminToken) reject(new Error(`skills serve printed no admin token: ${line}`));
        else resolve({ url: event.url, adminToken: event.adminToken });
      }
    });
    child.once('exit', (code) => reject(new Error(`skills serve exited with ${code} before it was ready: ${(out + err).slice(0, 2000)}`)));
  });
  return {
    ...ready,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

async function cli(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<CliAnswer> {
  return runCli({ bin: BIN, args, cwd, env, timeoutMs: TIMEOUT_MS });
}

/** A team and the @corpus scope, made with the admin token. */
async function createScope(env: NodeJS.ProcessEnv, cwd: string): Promise<void> {
  for (const args of [['team', 'create', 'corpus', '--json'], ['scope', 'create', SCOPE, '--team', 'corpus', '--json']]) {
    const answer = await cli(args, cwd, env);
    if (!answer.exitOk) throw new Error(`skills ${args.join(' ')}: ${answer.error?.code} ${answer.error?.message}`);
  }
}

// ---------------------------------------------------------------------------------------------
// One skill

interface Run {
  tmp: string;
  env: NodeJS.ProcessEnv;
  publishEnv: NodeJS.ProcessEnv;
}

function gitSpec(skill: CorpusSkill): string {
  return `git+file://${skill.mirror}#${skill.commit}${skill.dir === '' ? '' : `&path:${skill.dir}`}`;
}

async function install(run: Run, spec: string, label: string, extra: string[]): Promise<Outcome> {
  const ws = await fs.mkdtemp(path.join(run.tmp, `ws-${label}-`));
  try {
    return installOutcome(await cli(['install', spec, '--json', ...extra], ws, run.env));
  } finally {
    await fs.rm(ws, { recursive: true, force: true });
  }
}

async function publish(run: Run, folder: string, version: string): Promise<Outcome> {
  const args = ['publish', folder, '--scope', SCOPE, '--version', version, '--json'];
  for (let attempt = 0; ; attempt++) {
    const outcome = publishOutcome(await cli(args, run.tmp, run.publishEnv));
    if (outcome.code !== 'ERATELIMITED' || attempt >= RATE_LIMIT_RETRIES) return outcome;
    await new Promise((resolve) => setTimeout(resolve, 20_000));
  }
}

async function measureSkill(run: Run, skill: CorpusSkill, index: number): Promise<SkillResult> {
  const spec = gitSpec(skill);
  const installed = await install(run, spec, String(index), []);
  const unverified = installed.ok ? { ok: true, implied: true, ms: 0 } : await install(run, spec, `${index}u`, ['--allow-unverified']);
  const exportDir = path.join(run.tmp, `export-${index}`);
  try {
    let folder: string;
    try {
      folder = await exportSkill(skill, exportDir);
    } catch (e) {
      const failed: Outcome = { ok: false, code: 'BENCH_EXPORT', message: (e as Error).message.slice(0, 500), ms: 0 };
      return { repo: skill.repo, dir: skill.dir, spec, install: installed, installUnverified: unverified, validate: failed, publish: failed };
    }
    const validated = validateOutcome(await cli(['validate', folder, '--json'], run.tmp, run.env));
    const published = await publish(run, folder, `1.0.${index}`);
    return { repo: skill.repo, dir: skill.dir, spec, install: installed, installUnverified: unverified, validate: validated, publish: published };
  } finally {
    await fs.rm(exportDir, { recursive: true, force: true });
  }
}

/** Runs `work` over `items`, at most `limit` at a time, keeping the order of the results. */
async function pool<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

// ---------------------------------------------------------------------------------------------
// Report

function pct(n: number, of: number): string {
  return of === 0 ? '-' : `${n} (${((100 * n) / of).toFixed(1)}%)`;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function countRow(label: string, results: readonly SkillResult[]): string[] {
  return [label, String(results.length), ...COLUMNS.map((c) => pct(results.filter((r) => r[c.key].ok).length, results.length))];
}

function printTotals(corpus: Corpus, results: readonly SkillResult[]): void {
  const rows = corpus.repositories
    .map((r) => ({ repo: r.repo, of: results.filter((s) => s.repo === r.repo) }))
    .filter((r) => r.of.length > 0)
    .map((r) => countRow(r.repo, r.of));
  rows.push(countRow('total', results));
  console.log(`\nSkills taken in, per repository (ok count and share):\n`);
  console.log(table(['repository', 'skills', ...COLUMNS.map((c) => c.label)], rows));
}

interface CodeCount {
  column: string;
  code: string;
  count: number;
  example: SkillResult;
  message: string;
}

function refusalCodes(results: readonly SkillResult[]): CodeCount[] {
  const counts = new Map<string, CodeCount>();
  for (const c of COLUMNS) {
    for (const r of results) {
      const o = r[c.key];
      if (o.ok) continue;
      const code = `${o.code ?? '?'}${o.reason ? ` (${o.reason})` : ''}`;
      const key = `${c.label}\0${code}`;
      const found = counts.get(key);
      if (found) found.count++;
      else counts.set(key, { column: c.label, code, count: 1, example: r, message: o.message ?? '' });
    }
  }
  return [...counts.values()].sort((a, b) => COLUMNS.findIndex((c) => c.label === a.column) - COLUMNS.findIndex((c) => c.label === b.column) || b.count - a.count);
}

function shorten(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
}

function printRefusals(results: readonly SkillResult[]): CodeCount[] {
  const codes = refusalCodes(results);
  console.log(`\nRefusal codes (every refusal of each column, by code and what under it; one example each, its message shortened):\n`);
  console.log(table(['column', 'code', 'count', 'example', 'message'], codes.map((c) => [c.column, c.code, String(c.count), `${c.example.repo}:${c.example.dir}`, shorten(c.message, 140)])));
  const rules = new Map<string, number>();
  for (const r of results) for (const c of COLUMNS) for (const f of r[c.key].high ?? []) rules.set(`${c.label}\0${f.rule}`, (rules.get(`${c.label}\0${f.rule}`) ?? 0) + 1);
  if (rules.size > 0) {
    console.log(`\nHigh audit findings carried by refusals (findings, not skills):\n`);
    console.log(table(['column', 'rule', 'findings'], [...rules.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => [...k.split('\0'), String(n)])));
  }
  return codes;
}

function printSpotlight(corpus: Corpus, results: readonly SkillResult[]): void {
  const { repo, under, why } = corpus.spotlight;
  const chosen = results.filter((r) => r.repo === repo && r.dir.startsWith(under));
  if (chosen.length === 0) return;
  const cell = (o: Outcome) => (o.ok ? `ok${o.implied ? '' : o.trust ? ` (${o.trust})` : ''}` : (o.code ?? 'refused'));
  console.log(`\n${repo} ${under}* (${why}): install ${chosen.filter((r) => r.install.ok).length}/${chosen.length}, with --allow-unverified ${chosen.filter((r) => r.installUnverified.ok).length}/${chosen.length}, publish ${chosen.filter((r) => r.publish.ok).length}/${chosen.length}\n`);
  console.log(table(['skill', ...COLUMNS.map((c) => c.label)], chosen.map((r) => [r.dir, ...COLUMNS.map((c) => cell(r[c.key]))])));
}

// ---------------------------------------------------------------------------------------------
// Main

async function resolveSkills(corpus: Corpus, corpusDir: string): Promise<CorpusSkill[]> {
  const repos = corpus.repositories.filter((r) => ONLY === undefined || ONLY.has(r.repo));
  const problems = (await Promise.all(repos.map((r) => checkMirror(mirrorPath(corpusDir, r.repo), r)))).filter((p) => p !== undefined);
  if (problems.length > 0) {
    for (const p of problems) console.error(`${p.repo}: ${p.detail}`);
    const missing = repos.filter((r) => problems.some((p) => p.repo === r.repo && p.problem !== 'no-commit'));
    if (missing.length > 0) console.error(`\nmake them with:\n  ${cloneCommands(corpusDir, missing).join('\n  ')}`);
    process.exit(2);
  }
  const skills: CorpusSkill[] = [];
  for (const r of repos) {
    const listed = await listSkills(mirrorPath(corpusDir, r.repo), ALL ? { ...r, sample: { every: 1, offset: 0 } } : r);
    skills.push(...(LIMIT === undefined ? listed : listed.slice(0, LIMIT)));
  }
  return skills;
}

function worktreeCommit(): string {
  try {
    return execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const corpus = await readCorpus(CORPUS_FILE);
  if (!CORPUS_DIR) {
    console.log('skipped: SKILLS_CORPUS_DIR is unset. It is the folder holding a bare clone of each corpus repository; make one with:');
    console.log(`  ${cloneCommands('$SKILLS_CORPUS_DIR', corpus.repositories).join('\n  ')}`);
    return;
  }
  await fs.access(path.join(ROOT, 'dist', 'cli.js')).catch(() => {
    throw new Error('dist/cli.js is missing: run node scripts/build.mjs first (the bench measures the built CLI)');
  });
  const skills = await resolveSkills(corpus, path.resolve(CORPUS_DIR));
  console.log(`machine: ${machine()}`);
  const settings = printSettings({
    CLI: { value: `${BIN} (checkout ${worktreeCommit()}, dist/ as built)` },
    corpus: { value: `${skills.length} skill folders from ${new Set(skills.map((s) => s.repo)).size} repositories (${CORPUS_FILE})${ONLY || LIMIT ? ' (CORPUS_REPOS/CORPUS_LIMIT: a subset)' : ''}` },
    'sample rules': { value: ALL ? 'ignored (every folder)' : 'as in the corpus file', default: 'as in the corpus file', why: 'CORPUS_SAMPLE=all' },
    concurrency: { value: CONCURRENCY, default: 2, why: 'CORPUS_CONCURRENCY' },
    'timeout per command': { value: `${TIMEOUT_MS} ms`, default: '120000 ms', why: 'CORPUS_TIMEOUT_MS' },
    'skills CLI options': { value: 'defaults (install: --json; publish: --scope @corpus --version 1.0.<n> --json)' },
  });

  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'skills-bench-corpus-'));
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', SKILLS_CACHE_DIR: path.join(tmp, 'cache'), SKILLS_CONFIG_DIR: path.join(tmp, 'config'), SKILLS_REGISTRY: '', SKILLS_TOKEN: '' };
  let registry: Registry | undefined;
  const cleanup = async () => {
    await registry?.stop();
    await fs.rm(tmp, { recursive: true, force: true });
  };
  const onSignal = () => void cleanup().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    registry = await startRegistry(path.join(tmp, 'registry.db'), env);
    const publishEnv = { ...env, SKILLS_REGISTRY: registry.url, SKILLS_TOKEN: registry.adminToken };
    await createScope(publishEnv, tmp);
    const run: Run = { tmp, env, publishEnv };
    const started = performance.now();
    let done = 0;
    const results = await pool(skills, CONCURRENCY, async (skill, i) => {
      const result = await measureSkill(run, skill, i);
      done++;
      if (done % 25 === 0 || done === skills.length) console.log(`  ${done}/${skills.length} skills, ${((performance.now() - started) / 1000).toFixed(0)} s`);
      return result;
    });
    const seconds = (performance.now() - started) / 1000;
    console.log(`\n${skills.length} skills in ${seconds.toFixed(0)} s`);
    printTotals(corpus, results);
    const codes = printRefusals(results);
    printSpotlight(corpus, results);
    await fs.mkdir(path.dirname(RESULTS), { recursive: true });
    await fs.writeFile(RESULTS, `${JSON.stringify({ at: new Date().toISOString(), machine: machine(), settings, corpus: CORPUS_FILE, seconds: Math.round(seconds), results }, null, 2)}\n`);
    console.log(`\nevery skill's results: ${RESULTS}`);
    const totals = Object.fromEntries(COLUMNS.map((c) => [c.label, results.filter((r) => r[c.key].ok).length]));
    await saveResults('public-skills', { settings, skills: results.length, seconds: Math.round(seconds), ok: totals, refusals: codes.map((c) => ({ column: c.column, code: c.code, count: c.count, example: `${c.example.repo}:${c.example.dir}` })) });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await cleanup();
  }
}

await main();
