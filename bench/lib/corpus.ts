/**
 * The public skills corpus of bench/public-skills.ts: bench/corpus/public-skills.json read and
 * checked, each repository found as a bare clone under the corpus folder, and its skill folders
 * (folders holding a SKILL.md) listed at the pinned commit and sampled.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface CorpusRepository {
  /** owner/name on GitHub. */
  repo: string;
  url: string;
  commit: string;
  /** Sorted skill folders; keep index offset, offset + every, ... */
  sample: { every: number; offset: number };
  note?: string;
}

export interface Corpus {
  description: string;
  spotlight: { repo: string; under: string; why: string };
  repositories: CorpusRepository[];
}

export interface CorpusSkill {
  repo: string;
  mirror: string;
  commit: string;
  /** The skill folder in the repository, '' for the root. */
  dir: string;
}

function fail(message: string): never {
  throw new Error(`bench/corpus/public-skills.json: ${message}`);
}

export async function readCorpus(file: string): Promise<Corpus> {
  const corpus = JSON.parse(await fs.readFile(file, 'utf8')) as Corpus;
  if (!Array.isArray(corpus.repositories) || corpus.repositories.length === 0) fail('no repositories');
  for (const r of corpus.repositories) {
    if (!/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/.test(r.repo)) fail(`"${r.repo}" is not owner/name`);
    if (!/^[0-9a-f]{40}$/.test(r.commit)) fail(`${r.repo}: commit "${r.commit}" is not a full commit id`);
    if (!Number.isInteger(r.sample.every) || r.sample.every < 1 || !Number.isInteger(r.sample.offset) || r.sample.offset < 0 || r.sample.offset >= r.sample.every) {
      fail(`${r.repo}: sample must be { every: k >= 1, offset: 0..k-1 }`);
    }
  }
  return corpus;
}

/** Where a repository's bare clone is expected: <corpus dir>/<owner>+<name>/repo. */
export function mirrorPath(corpusDir: string, repo: string): string {
  return path.join(corpusDir, repo.replace('/', '+'), 'repo');
}

/** The commands that make the missing mirrors (a full bare clone holds every pinned commit on the default branch). */
export function cloneCommands(corpusDir: string, repos: readonly CorpusRepository[]): string[] {
  return repos.map((r) => `git clone --bare ${r.url} ${mirrorPath(corpusDir, r.repo)}`);
}

async function git(mirror: string, args: string[], input?: string): Promise<string> {
  const child = exec('git', ['-C', mirror, ...args], { maxBuffer: 256 * 1024 * 1024 });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  return (await child).stdout;
}

async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    () => true,
    () => false,
  );
}

export type MirrorProblem = { repo: string; problem: 'missing' | 'no-commit' | 'incomplete'; detail: string };

/**
 * Why a mirror cannot serve its pinned commit, or undefined: it is absent, lacks the commit, or
 * lacks objects of the commit's tree (a partial snapshot: git then cannot send the commit at all).
 */
export async function checkMirror(mirror: string, r: CorpusRepository): Promise<MirrorProblem | undefined> {
  if (!(await exists(mirror))) return { repo: r.repo, problem: 'missing', detail: `${mirror} does not exist` };
  const type = await git(mirror, ['cat-file', '-t', r.commit]).catch(() => '');
  if (type.trim() !== 'commit') {
    return { repo: r.repo, problem: 'no-commit', detail: `${mirror} lacks the pinned commit ${r.commit}; update it: git -C ${mirror} fetch ${r.url} '+refs/heads/*:refs/heads/*'` };
  }
  const blobs = (await git(mirror, ['ls-tree', '-r', r.commit]))
    .split('\n')
    .map((line) => line.split(/\s+/))
    .filter((parts) => parts[1] === 'blob')
    .map((parts) => parts[2] ?? '');
  const checked = await git(mirror, ['cat-file', '--batch-check'], `${blobs.join('\n')}\n`);
  const missing = checked.split('\n').filter((l) => l.endsWith(' missing'));
  if (missing.length > 0) return { repo: r.repo, problem: 'incomplete', detail: `${mirror} lacks ${missing.length} object(s) of ${r.commit}'s tree, first ${missing[0]}: clone it again` };
  return undefined;
}

/** Byte order, as git sorts paths. */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** Every folder of the commit holding a SKILL.md, sorted, then sampled. */
export async function listSkills(mirror: string, r: CorpusRepository): Promise<CorpusSkill[]> {
  const files = (await git(mirror, ['ls-tree', '-r', '--name-only', '-z', r.commit])).split('\0');
  const dirs = files
    .filter((f) => f === 'SKILL.md' || f.endsWith('/SKILL.md'))
    .map((f) => (f === 'SKILL.md' ? '' : f.slice(0, -'/SKILL.md'.length)))
    .sort(byteOrder);
  return dirs.filter((_, i) => i % r.sample.every === r.sample.offset).map((dir) => ({ repo: r.repo, mirror, commit: r.commit, dir }));
}

/** `git archive <commit> <dir> | tar -x` into `into`; returns the exported skill folder. */
export async function exportSkill(skill: CorpusSkill, into: string): Promise<string> {
  await fs.mkdir(into, { recursive: true });
  const archive = path.join(into, '.archive.tar');
  const args = ['-C', skill.mirror, 'archive', '--format=tar', `--output=${archive}`, skill.commit];
  if (skill.dir !== '') args.push('--', skill.dir);
  await exec('git', args);
  await exec('tar', ['-xf', archive, '-C', into]);
  await fs.rm(archive);
  return skill.dir === '' ? into : path.join(into, skill.dir);
}
