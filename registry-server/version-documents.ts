/**
 * The documents the registry answers with, built from rows the store has read: a version
 * document, the packument and its install form. Pure (no queries, no caches), so the shape of an
 * answer is read in one place, apart from how and when the store reads and keeps it.
 */
import semver from 'semver';
import type { AuditSummary } from '../schema/audit-report';
import type { Manifest } from '../schema/manifest';
import type { InstallPackument, PackageKind, Packument, PackumentVersion, Provenance, TrustReason, VerificationSummary } from '../schema/registry';
import { tarballPath } from '../schema/registry';
import type { TrustLevel } from '../schema/trust';

/** A skill as the documents name it (a SkillRow is one). */
interface SkillInfo {
  name: string;
  created_at: string;
  updated_at: string;
}

export interface VersionRow {
  id: number;
  version: string;
  integrity: string;
  digest: string;
  manifest: string;
  skill_md: string;
  description: string;
  file_count: number;
  unpacked_size: number;
  size: number;
  verification: string;
  published_by: string | null;
  published_at: string;
  yanked: number;
  deprecated: string | null;
  kind: PackageKind;
  trust: TrustLevel;
  trust_reasons: string;
  provenance: string | null;
}

/** The columns of a version row that `versionDocument` reads. */
export const VERSION_COLUMNS = `v.id, v.version, v.integrity, v.digest, v.manifest, v.skill_md, v.description, v.file_count, v.unpacked_size, v.size,
                v.verification, u.name AS published_by, v.published_at, v.yanked, v.deprecated, v.kind, v.trust, v.trust_reasons, v.provenance`;

/** The columns of a version the install form reads. */
export interface InstallVersionRow {
  version: string;
  integrity: string;
  digest: string;
  manifest: string;
  file_count: number;
  unpacked_size: number;
  size: number;
  yanked: number;
  deprecated: string | null;
  kind: PackageKind;
  trust: TrustLevel;
}

export function versionDocument(name: string, row: VersionRow, origin: string, audit: AuditSummary | undefined): PackumentVersion {
  return {
    name,
    version: row.version,
    description: row.description,
    manifest: JSON.parse(row.manifest) as Manifest,
    dist: {
      tarball: `${origin}${tarballPath(name, row.version)}`,
      integrity: row.integrity,
      digest: row.digest,
      fileCount: row.file_count,
      unpackedSize: row.unpacked_size,
      size: row.size,
    },
    skillMd: row.skill_md,
    publishedAt: row.published_at,
    publishedBy: row.published_by,
    yanked: row.yanked === 1,
    deprecated: row.deprecated,
    verification: JSON.parse(row.verification) as VerificationSummary,
    kind: row.kind,
    trust: row.trust,
    trustReasons: JSON.parse(row.trust_reasons) as TrustReason[],
    provenance: row.provenance === null ? null : (JSON.parse(row.provenance) as Provenance),
    ...(audit ? { audit } : {}),
  };
}

/** Sorts `rows` by version, in place, as both packument forms list them. */
export function sortByVersion<T extends { version: string }>(rows: T[]): void {
  rows.sort((a, b) => semver.compare(a.version, b.version));
}

/** The packument of a skill from its version rows (sorted by version), their audits, tags and counts. */
export function packumentDocument(
  skill: SkillInfo,
  rows: readonly VersionRow[],
  origin: string,
  isPrivate: boolean,
  audits: ReadonlyMap<number, AuditSummary>,
  distTags: Record<string, string>,
  downloads: Packument['downloads'],
): Packument {
  const versions: Record<string, PackumentVersion> = {};
  const time: Record<string, string> = { created: skill.created_at, modified: skill.updated_at };
  for (const row of rows) {
    versions[row.version] = versionDocument(skill.name, row, origin, audits.get(row.id));
    time[row.version] = row.published_at;
  }
  const latest = distTags.latest ?? rows.at(-1)?.version;
  return {
    name: skill.name,
    description: (latest ? versions[latest]?.description : undefined) ?? '',
    distTags,
    versions,
    time,
    private: isPrivate,
    downloads,
  };
}

/** The install form of a skill's packument from its version rows (sorted by version) and tags. */
export function installPackumentDocument(name: string, rows: readonly InstallVersionRow[], origin: string, distTags: Record<string, string>): InstallPackument {
  const versions: InstallPackument['versions'] = {};
  for (const row of rows) {
    const manifest = JSON.parse(row.manifest) as Manifest;
    versions[row.version] = {
      version: row.version,
      dependencies: manifest.dependencies,
      mcp: manifest.mcp,
      dist: { tarball: `${origin}${tarballPath(name, row.version)}`, integrity: row.integrity, digest: row.digest, fileCount: row.file_count, unpackedSize: row.unpacked_size, size: row.size },
      yanked: row.yanked === 1,
      deprecated: row.deprecated,
      kind: row.kind,
      trust: row.trust,
    };
  }
  return { name, distTags, versions };
}
