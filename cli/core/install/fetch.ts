/**
 * The install's fetch-and-verify phase: download each new or changed skill of the plan (the cache
 * first), check its integrity and digest, unpack it in memory, validate it, and run the fixtures of
 * code skills in the sandbox with their dependencies. It returns the files and what the checks
 * found, as data for the decisions; a failure here (EINTEGRITY, a package that does not validate,
 * EVERIFY) stops the install before anything is written.
 */
import path from 'node:path';
import { SkillsError } from '../../../schema/errors';
import { parsePackageName } from '../../../schema/names';
import { validatePackage, validationError } from '../../../schema/package';
import type { PackageFile } from '../../../schema/package-files';
import type { VerificationReport } from '../../../sandbox/verify';
import { collectFiles } from '../../../tarball/collect';
import { mapLimit } from '../registry/fetcher';
import { sourceFiles } from '../sources/index';
import { registryFiles } from '../sources/registry';
import { verificationKey, type VerificationOutcome } from '../trust/levels';
import { CONCURRENCY, type Gathered, type Sources } from './gather';
import { folderOf, type InstallPlan, type PlanTarget } from './plan';

export interface SkillKind {
  kind: 'code' | 'plain';
  fixtures: number;
}

/** What fetching and verifying found, by skill name. */
export interface Fetched {
  /** The files of every new or changed skill. */
  files: Map<string, PackageFile[]>;
  kinds: Map<string, SkillKind>;
  /** The MCP servers each new or changed skill's skill.json uses. */
  mcp: Map<string, Record<string, string[]>>;
  outcomes: Map<string, VerificationOutcome>;
  /** The installed files of kept skills whose trust must be judged again from them (recorded unverified, or before trust levels). */
  keptFiles: Map<string, PackageFile[]>;
}

export interface FetchRequest {
  skipVerify?: boolean;
  progress(message: string): void;
  warn(message: string): void;
}

export async function fetchAndVerify(plan: InstallPlan, gathered: Gathered, sources: Sources, request: FetchRequest): Promise<Fetched> {
  const { cache } = sources;
  const targets = plan.targets;
  const byName = new Map(targets.map((t) => [t.name, t]));
  const fetching = new Set(plan.fetch);
  const changed = targets.filter((t) => fetching.has(t.name));
  const kinds = new Map<string, SkillKind>();
  const mcp = new Map<string, Record<string, string[]>>();

  // Each skill's files are a promise, so the sandbox starts on a skill as soon as it and its dependencies have arrived.
  const pending = new Map<string, Promise<PackageFile[]>>();
  const fetchFiles = (t: PlanTarget): Promise<PackageFile[]> => {
    let p = pending.get(t.name);
    if (!p) {
      p = (async () => {
        const files = await filesFor(t, gathered, sources);
        const kind = checkPackage(t, files, gathered.strict);
        kinds.set(t.name, kind.kind);
        mcp.set(t.name, kind.mcp);
        return files;
      })();
      // Handled here so a failure while another branch is still running is not an unhandled rejection.
      p.catch(() => undefined);
      pending.set(t.name, p);
    }
    return p;
  };
  // Unchanged dependencies are read from disk for verification.
  const fromDisk = new Map<string, Promise<PackageFile[]>>();
  const filesOf = (name: string): Promise<PackageFile[]> => {
    const target = byName.get(name);
    if (target && fetching.has(name)) return fetchFiles(target);
    let p = fromDisk.get(name);
    if (!p) {
      p = collectFiles(path.join(gathered.dir, byName.get(name)?.folder ?? folderOf(name)));
      p.catch(() => undefined);
      fromDisk.set(name, p);
    }
    return p;
  };
  if (changed.length > 0) request.progress(`fetching ${changed.length} skill${changed.length === 1 ? '' : 's'}`);
  const downloads = mapLimit(changed, CONCURRENCY, (t) => fetchFiles(t));
  downloads.catch(() => undefined);
  // Each verdict is looked up once, by the head start and the verification alike.
  const verdicts = new Map<string, Promise<boolean>>();
  const wasVerified = (key: string): Promise<boolean> => {
    let known = verdicts.get(key);
    if (!known) {
      known = cache.wasVerified(key);
      verdicts.set(key, known);
    }
    return known;
  };
  if (!request.skipVerify) void warmSandboxIfNeeded(changed, byName, wasVerified);

  // Verify every new or changed code skill with its dependency closure; plain skills have nothing to run.
  const outcomes = new Map<string, VerificationOutcome>();
  if (request.skipVerify) {
    await downloads;
    const code = changed.filter((t) => kinds.get(t.name)?.kind === 'code');
    if (code.length > 0) request.warn(`--skip-verify: ${code.length} skill${code.length === 1 ? ' was' : 's were'} NOT verified in the sandbox; the lockfile records it`);
    for (const t of changed) outcomes.set(t.name, kinds.get(t.name)?.kind === 'code' ? 'skipped' : 'not-code');
  } else if (changed.length > 0) {
    const failures: VerificationReport[] = [];
    let announced = false;
    await mapLimit(changed, CONCURRENCY, async (t) => {
      const files = await fetchFiles(t);
      const kind = kinds.get(t.name);
      if (kind?.kind !== 'code') return void outcomes.set(t.name, 'not-code');
      if (kind.fixtures === 0) return void outcomes.set(t.name, 'no-fixtures');
      if (!announced) {
        announced = true;
        request.progress('verifying in the sandbox');
      }
      const closure = dependencyClosure(t.name, byName);
      const key = verificationKey(t.digest, closure.map((n) => byName.get(n)?.digest));
      if (await wasVerified(key)) return void outcomes.set(t.name, 'cache');
      const dependencies: Record<string, PackageFile[]> = {};
      for (const dep of closure) dependencies[folderOf(dep)] = await filesOf(dep);
      // The sandbox (esbuild, QuickJS) loads only when something is left to verify.
      const [{ verifySkill }, { sharedWorkerPool }] = await Promise.all([import('../../../sandbox/verify'), import('../../../sandbox/pool')]);
      const report = await verifySkill({ files, dependencies }, { runner: sharedWorkerPool() });
      if (!report.ok) failures.push(report);
      else {
        outcomes.set(t.name, 'sandbox');
        await cache.markVerified(key);
      }
    });
    if (failures.length > 0) throw verifyError(failures);
  }
  const files = new Map<string, PackageFile[]>();
  for (const [i, list] of (await downloads).entries()) files.set((changed[i] as PlanTarget).name, list);

  // A kept skill recorded unverified, or installed before trust levels, is judged again from its installed files.
  const keptFiles = new Map<string, PackageFile[]>();
  for (const t of targets) {
    if (t.kept && (t.kept.trust === undefined || t.kept.trust === 'unverified')) keptFiles.set(t.name, await filesOf(t.name));
  }
  return { files, kinds, mcp, outcomes, keptFiles };
}

/** A registry download, a source's files, or the files a source offered this run. */
async function filesFor(t: PlanTarget, gathered: Gathered, sources: Sources): Promise<PackageFile[]> {
  const offer = gathered.offered.get(t.name);
  if (offer && offer.skill.digest === t.digest) return offer.files;
  if (t.source) {
    const entry = gathered.lock.skills[t.name];
    if (!entry?.source) throw new SkillsError('EINTERNAL', `no source for ${t.name}`);
    return sourceFiles({ ...entry, source: entry.source }, t.name, sources.ctx);
  }
  if (t.integrity === undefined) throw new SkillsError('EINTERNAL', `no integrity for ${t.name}`);
  return registryFiles({ name: t.name, version: t.version, resolved: t.resolved, integrity: t.integrity, digest: t.digest }, await sources.registry(), sources.cache);
}

/**
 * Validation runs for every skill, --skip-verify or not: that flag skips the sandbox only. Checked
 * against its SKILL.md name: an alias renames the folder it is installed as, not the skill.
 */
function checkPackage(t: PlanTarget, files: readonly PackageFile[], strict: boolean): { kind: SkillKind; mcp: Record<string, string[]> } {
  const parsed = parsePackageName(t.name);
  const validation = validatePackage(files, { folderName: folderOf(t.name), derive: { scope: parsed?.scope, version: t.version }, mode: strict ? 'strict' : 'lenient' });
  const manifest = validation.manifest;
  if (!manifest || manifest.name !== t.name || manifest.version !== t.version) {
    throw new SkillsError('EINTEGRITY', `${t.name}@${t.version}: the package holds ${manifest ? `${manifest.name}@${manifest.version}` : 'no valid skill'}`);
  }
  if (!validation.ok) throw validationError(`${t.name}@${t.version}`, validation.problems, 'the package does not validate; nothing was installed');
  return { kind: { kind: validation.kind, fixtures: validation.fixtures.size }, mcp: manifest.mcp };
}

function verifyError(failures: readonly VerificationReport[]): SkillsError {
  const first = failures[0];
  const firstCase = first?.cases.find((c) => c.status === 'failed');
  return new SkillsError('EVERIFY', `${failures.map((f) => `${f.name}@${f.version}`).join(', ')} failed sandbox verification${firstCase ? `: ${firstCase.case} ${firstCase.code} ${firstCase.message}` : ''}; nothing was installed`, {
    hint: 'the skill does not behave as its fixtures record; pick another version, or --skip-verify at your own risk',
    details: { reports: failures },
  });
}

/**
 * The sandbox takes a few hundred milliseconds to start (esbuild's service, worker threads with
 * QuickJS): when a registry skill being installed has no verdict on this machine yet, start it
 * while the tarballs download. A warm install (every verdict cached) loads none of it; a plain
 * skill (unknown until its files arrive) may start it for nothing, which costs only idle time.
 */
async function warmSandboxIfNeeded(changed: readonly PlanTarget[], byName: ReadonlyMap<string, PlanTarget>, wasVerified: (key: string) => Promise<boolean>): Promise<void> {
  try {
    for (const t of changed) {
      if (t.source) continue;
      const key = verificationKey(t.digest, dependencyClosure(t.name, byName).map((n) => byName.get(n)?.digest));
      if (await wasVerified(key)) continue;
      const [{ warmBundler }, { sharedWorkerPool }] = await Promise.all([import('../../../sandbox/bundle'), import('../../../sandbox/pool')]);
      sharedWorkerPool().warm();
      await warmBundler();
      return;
    }
  } catch {
    // Only a head start: verification reports whatever is wrong.
  }
}

/** All transitive dependencies of a skill (not itself), sorted. */
function dependencyClosure(name: string, byName: ReadonlyMap<string, PlanTarget>): string[] {
  const seen = new Set<string>();
  const stack = Object.keys(byName.get(name)?.dependencies ?? {});
  while (stack.length > 0) {
    const next = stack.pop() as string;
    if (seen.has(next) || next === name) continue;
    seen.add(next);
    stack.push(...Object.keys(byName.get(next)?.dependencies ?? {}));
  }
  return [...seen].sort();
}
