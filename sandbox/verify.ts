/**
 * `verifySkill`: validate a package, bundle its entry once, and replay every fixture in the
 * sandbox. Both the CLI (a folder on disk) and the registry (files from a tarball, never written
 * out) call it; dependencies are other skill folders the bundle may import. The registry also
 * gives it a budget: stop at the first failed case, and a total wall time for all cases.
 */
import path from 'node:path';
import { SkillsError } from '../schema/errors';
import type { Fixture } from '../schema/fixture';
import { validatePackage, validationError } from '../schema/package';
import type { PackageFile } from '../schema/package-files';
import { collectFiles } from '../tarball/collect';
import { bundleSkill } from './bundle';
import { DEFAULT_SANDBOX_LIMITS, type SandboxLimits } from './limits';
import { InProcessRunner, sharedWorkerPool, WorkerPool, type CaseRunner } from './pool';
import { DiskSourceTree, MemorySourceTree, type SourceTree } from './source-tree';
import type { CaseJob, CaseReport } from './verify-case';

export type VerifyInput =
  | { dir: string }
  | {
      files: readonly PackageFile[];
      /** Other skills the package may import, by folder name (their SKILL.md name). */
      dependencies?: Record<string, readonly PackageFile[]>;
    };

export interface VerifyOptions {
  limits?: Partial<SandboxLimits>;
  /** Where cases run; by default one case runs in-process, several on the shared worker pool. */
  runner?: CaseRunner;
  /** Only these fixture cases (by name). */
  cases?: readonly string[];
  /** Start no case after one has failed (the verdict is already "refused"). */
  failFast?: boolean;
  /**
   * Wall time for running all cases, from the start of verification. A case never gets more than
   * what is left; when it runs out, the report is `stopped: 'budget'` and not ok.
   */
  budgetMs?: number;
  /** Cases run at once; by default the pool's size (one at a time in-process). */
  concurrency?: number;
}

export interface VerificationReport {
  ok: boolean;
  name: string;
  version: string;
  bundle: { bytes: number; durationMs: number; folders: string[] };
  cases: CaseReport[];
  passed: number;
  failed: number;
  durationMs: number;
  /** Cases that were never run (or not finished) because verification stopped early. */
  notRun: number;
  /** Why verification stopped before running every case: a failed case, or the time budget. */
  stopped?: 'failed' | 'budget';
}

export async function verifySkill(input: VerifyInput, options: VerifyOptions = {}): Promise<VerificationReport> {
  const started = performance.now();
  let files: readonly PackageFile[];
  let tree: SourceTree;
  let folder: string;
  let label: string;
  if ('dir' in input) {
    const dir = path.resolve(input.dir);
    folder = path.basename(dir);
    label = dir;
    files = await collectFiles(dir);
    const parent = path.dirname(dir);
    // Sibling skills are importable only inside a workspace's skills/ folder.
    tree = path.basename(parent) === 'skills' ? new DiskSourceTree(parent) : new DiskSourceTree(parent, folder);
  } else {
    files = input.files;
    folder = '';
    label = 'the package';
    tree = new MemorySourceTree({});
  }
  // Files given here were taken in already (an install, leniently); a folder is an author's, judged by the spec.
  const validation = validatePackage(files, 'dir' in input ? { folderName: folder } : { mode: 'lenient' });
  if (!validation.ok || !validation.manifest || !validation.skill) {
    throw validationError(label, validation.problems, `run \`skills validate\` to see every problem`);
  }
  const manifest = validation.manifest;
  if (!('dir' in input)) {
    folder = validation.skill.id;
    tree = new MemorySourceTree({ ...(input.dependencies ?? {}), [folder]: files });
  }
  const fixtures = [...validation.fixtures.entries()]
    .filter(([name]) => options.cases === undefined || options.cases.includes(name))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (options.cases !== undefined) {
    const missing = options.cases.filter((c) => !validation.fixtures.has(c));
    if (missing.length > 0) throw new SkillsError('EFIXTURENOTFOUND', `no fixture named ${missing.map((m) => `"${m}"`).join(', ')} in ${label}`, { hint: 'fixtures are fixtures/<case>.json; pass the <case> part' });
  }
  if (fixtures.length === 0) {
    throw new SkillsError('ENOFIXTURES', `${manifest.name} has no fixtures/*.json to verify`, {
      hint: 'record one with `skills run <dir> --export <fn> --args <json> --live --record <case>`',
    });
  }

  const bundle = await bundleSkill({ tree, folder, entry: manifest.entry });
  const limits = { ...DEFAULT_SANDBOX_LIMITS, ...options.limits };
  const runner = options.runner ?? (fixtures.length === 1 ? new InProcessRunner() : sharedWorkerPool());
  const run = await runCases(runner, fixtures, (name, fixture, timeoutMs) => ({ name, code: bundle.code, fixture, declared: bundle.declared, limits: { ...limits, timeoutMs } }), {
    timeoutMs: limits.timeoutMs,
    failFast: options.failFast === true,
    deadline: options.budgetMs === undefined ? undefined : started + options.budgetMs,
    concurrency: Math.max(1, options.concurrency ?? (runner instanceof WorkerPool ? runner.size : 1)),
  });
  const cases = run.cases;
  const failed = cases.filter((c) => c.status === 'failed').length;
  const notRun = fixtures.length - cases.length;
  return {
    ok: failed === 0 && notRun === 0,
    name: manifest.name,
    version: manifest.version,
    bundle: { bytes: Buffer.byteLength(bundle.code), durationMs: Math.round(bundle.durationMs * 100) / 100, folders: bundle.folders },
    cases,
    passed: cases.length - failed,
    failed,
    durationMs: Math.round((performance.now() - started) * 100) / 100,
    notRun,
    ...(run.stopped ? { stopped: run.stopped } : {}),
  };
}

interface Schedule {
  timeoutMs: number;
  failFast: boolean;
  /** performance.now() time by which every case must be done. */
  deadline: number | undefined;
  concurrency: number;
}

/**
 * Runs cases in name order, `concurrency` at a time. With `failFast`, no case starts after one
 * failed; with a deadline, each case gets at most the time left, none starts after it, and a case
 * still running at the deadline is abandoned (its worker stops it at its own, shorter, limit).
 */
async function runCases(
  runner: CaseRunner,
  fixtures: readonly [string, Fixture][],
  job: (name: string, fixture: Fixture, timeoutMs: number) => CaseJob,
  schedule: Schedule,
): Promise<{ cases: CaseReport[]; stopped?: 'failed' | 'budget' }> {
  const results = new Map<number, CaseReport>();
  let nextIndex = 0;
  let stopped: 'failed' | 'budget' | undefined;
  let budgetHit = false;
  const remaining = () => (schedule.deadline === undefined ? Infinity : schedule.deadline - performance.now());

  const worker = async (): Promise<void> => {
    while (stopped === undefined && nextIndex < fixtures.length) {
      const left = remaining();
      if (left <= 0) {
        stopped = 'budget';
        return;
      }
      const index = nextIndex++;
      const [name, fixture] = fixtures[index] as [string, Fixture];
      const timeoutMs = Math.max(1, Math.min(schedule.timeoutMs, Math.floor(left)));
      const report = await runner.run(job(name, fixture, timeoutMs));
      results.set(index, report);
      // A case cut short because the budget gave it less than its own limit ran out of budget.
      if (report.status === 'failed' && timeoutMs < schedule.timeoutMs && (report.code === 'ETIMEOUT' || remaining() <= 0)) budgetHit = true;
      if (report.status === 'failed' && schedule.failFast) stopped ??= budgetHit ? 'budget' : 'failed';
    }
  };

  const workers = Promise.all(Array.from({ length: Math.min(schedule.concurrency, fixtures.length) }, () => worker()));
  if (schedule.deadline === undefined) await workers;
  else {
    let timer: ReturnType<typeof setTimeout> | undefined;
    // Grace for a case to report the timeout it was given before it is abandoned.
    const overdue = new Promise<'overdue'>((resolve) => (timer = setTimeout(() => resolve('overdue'), Math.max(0, remaining()) + 1000)));
    const outcome = await Promise.race([workers, overdue]);
    clearTimeout(timer);
    if (outcome === 'overdue') {
      stopped = 'budget';
      workers.catch(() => undefined);
    }
  }
  if (budgetHit) stopped = 'budget';
  const cases = [...results.entries()].sort(([a], [b]) => a - b).map(([, report]) => report);
  return stopped === undefined ? { cases } : { cases, stopped };
}
