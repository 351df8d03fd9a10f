/**
 * A new version as publishing hands it to the store, the `versions` row it is written as and the
 * dist-tag it gets. The row's twenty columns are spelled out once here, apart from the store's
 * locking and cache dropping around the insert.
 */
import semver from 'semver';
import type { Manifest } from '../schema/manifest';
import type { PackageKind, Provenance, TrustReason, VerificationSummary } from '../schema/registry';
import type { TrustLevel } from '../schema/trust';
import type { SqlExecutor } from './storage/sql';

export interface NewVersion {
  name: string;
  scopeId: number;
  version: string;
  manifest: Manifest;
  skillMd: string;
  body: string;
  description: string;
  integrity: string;
  digest: string;
  files: { path: string; size: number; sha256: string }[];
  unpackedSize: number;
  tarball: Uint8Array;
  verification: VerificationSummary;
  publishedBy: number;
  tag: string | undefined;
  kind: PackageKind;
  trust: TrustLevel;
  trustReasons: TrustReason[];
  provenance: Provenance | undefined;
  /** sha256 hex of the tarball bytes, and of SKILL.md exactly as `/skill.md` serves it. */
  tarballSha256: string;
  skillMdSha256: string;
}

/** Inserts the `versions` row of `v` for the skill `skillId`, published `at`. */
export async function insertVersionRow(tx: SqlExecutor, skillId: number, v: NewVersion, at: string): Promise<void> {
  await tx.run(
    `INSERT INTO versions (skill_id, version, integrity, digest, manifest, skill_md, description, files, file_count, unpacked_size, size,
                             verification, published_by, published_at, kind, trust, trust_reasons, provenance, tarball_sha256, skill_md_sha256)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      skillId,
      v.version,
      v.integrity,
      v.digest,
      JSON.stringify(v.manifest),
      v.skillMd,
      v.description,
      JSON.stringify(v.files),
      v.files.length,
      v.unpackedSize,
      v.tarball.byteLength,
      JSON.stringify(v.verification),
      v.publishedBy,
      at,
      v.kind,
      v.trust,
      JSON.stringify(v.trustReasons),
      v.provenance === undefined ? null : JSON.stringify(v.provenance),
      v.tarballSha256,
      v.skillMdSha256,
    ],
  );
}

/** The tag `v` gets: the one asked for, else `next` for a prerelease, `latest` above the current one, else none. */
export function tagFor(v: NewVersion, latest: string | undefined): string | undefined {
  if (v.tag !== undefined) return v.tag;
  if (semver.prerelease(v.version)) return 'next';
  if (latest === undefined || semver.gt(v.version, latest)) return 'latest';
  return undefined;
}
