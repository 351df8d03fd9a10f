/** Never clobber an edit: what changed in an installed skill's folder since it was installed. */
import path from 'node:path';
import { SkillsError } from '../../../schema/errors';
import type { PackageFile } from '../../../schema/package-files';
import type { LockEntry, Lockfile } from '../../../schema/workspace';
import { collectFiles } from '../../../tarball/collect';
import { sha256Hex } from '../../../tarball/digest';
import type { Cache } from '../registry/cache';
import type { Fetcher } from '../registry/fetcher';
import type { InstallPlan } from './plan';
import { cachedRegistryFiles, registryFiles } from '../sources/registry';

/** ELOCALCHANGES, naming the files that differ from what was installed where they can still be known. */
export async function localChangesError(plan: InstallPlan, lock: Lockfile, dir: string, cache: Cache, fetcher: Fetcher | undefined): Promise<SkillsError> {
  const described: { name: string; folder: string; files: string[] | null }[] = [];
  for (const { name, folder } of plan.localChanges) {
    const entry = lock.skills[name];
    const original = entry ? await originalFiles(entry, cache, fetcher) : undefined;
    const now = await collectFiles(path.join(dir, folder)).catch(() => undefined);
    described.push({ name, folder, files: original && now ? diffFiles(original, now) : null });
  }
  const list = described.map((d) => `skills/${d.folder}${d.files ? ` (${d.files.slice(0, 10).join(', ')}${d.files.length > 10 ? `, and ${d.files.length - 10} more` : ''})` : ''}`).join(', ');
  return new SkillsError('ELOCALCHANGES', `files of installed skills were changed here since they were installed: ${list}; this would replace them, so nothing was changed`, {
    hint: 'copy your changes elsewhere (or make the skill your own local skill under another name), or run it again with --force to discard them',
    details: { changed: described },
  });
}

async function originalFiles(entry: LockEntry, cache: Cache, fetcher: Fetcher | undefined): Promise<PackageFile[] | undefined> {
  if (entry.source) return cache.content(entry.digest);
  if (entry.integrity === undefined) return undefined;
  const cached = await cachedRegistryFiles(entry.integrity, cache);
  if (cached || !fetcher) return cached;
  return registryFiles({ name: '', version: entry.version, resolved: entry.resolved, integrity: entry.integrity, digest: entry.digest }, fetcher, cache).catch(() => undefined);
}

/** Paths added, removed or changed between two file sets, sorted. */
export function diffFiles(before: readonly PackageFile[], after: readonly PackageFile[]): string[] {
  const hashes = (files: readonly PackageFile[]) => new Map(files.map((f) => [f.path, sha256Hex(f.bytes)]));
  const a = hashes(before);
  const b = hashes(after);
  const out: string[] = [];
  for (const [p, h] of b) if (a.get(p) !== h) out.push(a.has(p) ? p : `${p} (added)`);
  for (const p of a.keys()) if (!b.has(p)) out.push(`${p} (removed)`);
  return out.sort();
}
