/**
 * `verifySkill`: validate a package, bundle its entry once, and replay every fixture in the
 * sandbox. Both the CLI (a folder on disk) and the registry (files from a tarball, never written
 * out) call it; dependencies are other skill folders the bundle may import.
 */
import path from 'node:path';
import { SkillsError } from '../schema/errors';
import type { Fixture } from '../schema/fixture';
import { validatePackage, validationError } from '../schema/package';
import type { PackageFile } from '../schema/package-files';
import { collectFiles } from '../tarball/collect';
import { bundleSkill } from './bundle';
import { DEFAULT_SANDBOX_LIMITS, type SandboxLimits } from './limits';
import { InProcessRunner, sharedWorkerPool, type CaseRunner } from './pool';
import { DiskSourceTree, MemorySourceTree, type SourceTree } from './source-tree';
import type { CaseReport } from './verify-case';

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
  const validation = validatePackage(files, { folderName: 'dir' in input ? folder : undefined });
  if (!validation.ok || !validation.manifest || !validation.skill) {
    throw validationError(label, validation.problems, `run \`skills validate\` to see every problem`);
  }
  const manifest = validation.manifest;
  if (!('dir' in input)) {
    folder = validation.skill.frontmatter.name;
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
  const cases = await Promise.all(
    fixtures.map(([name, fixture]: [string, Fixture]) => runner.run({ name, code: bundle.code, fixture, declared: bundle.declared, limits })),
  );
  const failed = cases.filter((c) => c.status === 'failed').length;
  return {
    ok: failed === 0,
    name: manifest.name,
    version: manifest.version,
    bundle: { bytes: Buffer.byteLength(bundle.code), durationMs: Math.round(bundle.durationMs * 100) / 100, folders: bundle.folders },
    cases,
    passed: cases.length - failed,
    failed,
    durationMs: Math.round((performance.now() - started) * 100) / 100,
  };
}
