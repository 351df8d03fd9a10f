/**
 * One interface for every place a skill can come from besides the registry (git, a folder, a
 * discovery index): list what a spec offers (resolving its ref, which may use the network), and
 * give back the exact files a lockfile entry names (from the cache when it has them), checked
 * against the entry's content digest. The registry has the same two halves in registry.ts, with
 * resolution by packuments in between.
 */
import { SkillsError } from '../../../schema/errors';
import type { PackageFile } from '../../../schema/package-files';
import type { LockEntry, LockSource } from '../../../schema/workspace';
import { contentDigest } from '../../../tarball/digest';
import type { Cache } from '../registry/cache';
import type { FolderSpec, GitSpec, WellKnownSpec } from './spec';

export type NonRegistrySpec = GitSpec | FolderSpec | WellKnownSpec;

export interface SourceContext {
  env: NodeJS.ProcessEnv;
  /** The workspace root (folder sources are relative to it). */
  root: string;
  cache: Cache;
  progress(message: string): void;
  warn(message: string): void;
  /** Work shared by the skills of one run (one fetch per repository and commit), by key. */
  memo: Map<string, Promise<unknown>>;
  /** Bytes of skills this run has read from sources so far, and the most it may (a source can offer endless skills). */
  budget: { bytes: number; max: number };
}

/** The most one command reads from sources other than the registry: the registry's own per-command cap. */
export const MAX_SOURCE_BYTES = 1024 * 1024 * 1024;

export function newSourceContext(base: Omit<SourceContext, 'memo' | 'budget'>): SourceContext {
  const max = Number(base.env.SKILLS_SOURCE_MAX_BYTES);
  return { ...base, memo: new Map(), budget: { bytes: 0, max: Number.isFinite(max) && max > 0 ? max : MAX_SOURCE_BYTES } };
}

/** Counts bytes read from sources; refuses once the command passes its budget. */
export function spend(ctx: SourceContext, bytes: number, what: string): void {
  ctx.budget.bytes += bytes;
  if (ctx.budget.bytes > ctx.budget.max) {
    throw new SkillsError('ESOURCETOOLARGE', `this command read more than ${ctx.budget.max} bytes of skills from sources (stopped at ${what}); nothing was written`, {
      hint: 'take fewer skills at once (--skill <name>), or raise SKILLS_SOURCE_MAX_BYTES',
    });
  }
}

/** Runs `work` once per key within one run; later callers get the same promise. */
export function once<T>(ctx: SourceContext, key: string, work: () => Promise<T>): Promise<T> {
  let pending = ctx.memo.get(key) as Promise<T> | undefined;
  if (!pending) {
    pending = work();
    ctx.memo.set(key, pending);
    // A failure is reported to whoever awaits it; the run stops at the first.
    pending.catch(() => undefined);
  }
  return pending;
}

/** One skill folder a source holds, valid or not. */
export interface Candidate {
  /** Its folder inside the source ('' for the root). */
  path: string;
  /** The name it goes by before its SKILL.md is read: the folder's base name (the index's name). */
  label: string;
  /** Why it cannot be installed, found while listing (a link out of the repository, a file too large...). */
  error?: SkillsError;
  /** Its files; `load` downloads what listing did not (a discovery index's artifacts). */
  load(): Promise<PackageFile[]>;
  /** The SKILL.md name must equal this folder name (null: not checked, e.g. a repository's root). */
  folderName: string | null;
  /** A version to use when SKILL.md gives none (a semver tag, or one made from the commit). */
  fallbackVersion: string;
  /** Where it came from, for the lockfile, once its digest is known. */
  lockSource(spec: string, digest: string): LockSource;
  /** The lockfile's `resolved`: the spec pinned to what was fetched. */
  resolved: string;
}

export interface SourceListing {
  spec: NonRegistrySpec;
  /** What it resolved to, for people: a commit, a folder, an index URL. */
  describe: string;
  candidates: Candidate[];
  /** For publishing a git skill: its provenance. */
  provenance?(candidate: Candidate): { type: 'git'; url: string; commit: string; path: string; ref?: string };
  /** Loads several candidates at once (one git process for all their files) before each is loaded. */
  prefetch?(candidates: readonly Candidate[]): Promise<void>;
}

export interface SkillSource<S extends NonRegistrySpec> {
  list(spec: S, ctx: SourceContext): Promise<SourceListing>;
  /** The files a lock entry of this source names: the cache first, the source itself otherwise. */
  files(entry: LockEntry & { source: LockSource }, name: string, ctx: SourceContext): Promise<PackageFile[]>;
}

/** Files are what the lockfile says only when they hash to its digest. */
export function checkDigest(files: readonly PackageFile[], digest: string, what: string, hint: string): PackageFile[] {
  const actual = contentDigest(files);
  if (actual !== digest) throw new SkillsError('EINTEGRITY', `${what}: its files hash to ${actual}, not the lockfile's ${digest}; nothing was installed`, { hint });
  return [...files];
}
