/**
 * The registry as a source: packuments are fetched by the executor's resolution loop (fetcher.ts);
 * here, the files of one resolved version: the cached tarball by its integrity, else a download,
 * checked against the integrity, unpacked in memory, and checked against the content digest.
 */
import { SkillsError } from '../../../schema/errors';
import type { PackageFile } from '../../../schema/package-files';
import { contentDigest, verifyIntegrity } from '../../../tarball/digest';
import { unpack } from '../../../tarball/unpack';
import type { Cache } from '../registry/cache';
import type { Fetcher } from '../registry/fetcher';

export interface RegistryTarball {
  name: string;
  version: string;
  /** The tarball URL. */
  resolved: string;
  integrity: string;
  digest: string;
}

export async function registryFiles(t: RegistryTarball, fetcher: Fetcher, cache: Cache): Promise<PackageFile[]> {
  let bytes = await cache.tarball(t.integrity);
  if (!bytes) {
    bytes = await fetcher.tarball(t.resolved);
    if (!verifyIntegrity(bytes, t.integrity)) {
      throw new SkillsError('EINTEGRITY', `${t.name}@${t.version}: the downloaded tarball does not match its integrity ${t.integrity.slice(0, 27)}...`, {
        hint: 'the tarball was altered after publishing, or the lockfile was edited; nothing was installed',
      });
    }
    await cache.putTarball(t.integrity, bytes);
  }
  const files = await unpack(bytes);
  if (contentDigest(files) !== t.digest) {
    throw new SkillsError('EINTEGRITY', `${t.name}@${t.version}: its files do not match the content digest ${t.digest}`, { hint: 'nothing was installed' });
  }
  return files;
}

/** The files of a locked version from the cache only (no network), or undefined. */
export async function cachedRegistryFiles(integrity: string, cache: Cache): Promise<PackageFile[] | undefined> {
  const bytes = await cache.tarball(integrity);
  return bytes ? unpack(bytes).catch(() => undefined) : undefined;
}
