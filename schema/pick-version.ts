/** Choosing one version of a skill for what a person asked for: a dist-tag, an exact version or a semver range. */
import semver from 'semver';

/**
 * The version `wanted` names among `versions`: a dist-tag first (tags are lower-case words, so
 * `latest` or `next`), else an exact version as it is (the caller checks it exists), else the
 * highest version inside the range; null when nothing matches.
 */
export function pickVersion(wanted: string, versions: readonly string[], distTags: Readonly<Record<string, string>>): string | null {
  // Own keys only: "constructor" or "__proto__" are not tags.
  if (Object.hasOwn(distTags, wanted)) return distTags[wanted] ?? null;
  if (semver.valid(wanted)) return wanted;
  return semver.maxSatisfying([...versions], wanted);
}
