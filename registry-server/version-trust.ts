/**
 * What the registry records about a version's files besides the files themselves: its trust level
 * (from `assessTrust`, never from the client), the SHA-256 digests the discovery index serves, and
 * the same computed again for versions stored before these columns existed.
 */
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import semver from 'semver';
import type { PackageFile } from '../schema/package-files';
import type { PackageKind, TrustReason } from '../schema/registry';
import { assessTrust, type TrustLevel } from '../schema/trust';
import { readTar } from '../tarball/unpack';
import type { Db } from './db-handle';
import type { SqlExecutor } from './storage/sql';

export interface VersionTrust {
  trust: TrustLevel;
  trustReasons: TrustReason[];
}

/** A code skill's trust rests on its sandbox run; a plain skill has nothing to run. */
export function versionTrust(files: readonly PackageFile[], kind: PackageKind, verified: boolean): VersionTrust {
  const assessment = assessTrust({ files, kind, verification: kind === 'plain' ? 'not-run' : verified ? 'passed' : 'failed' });
  return { trust: assessment.level, trustReasons: assessment.because };
}

export function sha256Of(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Generous bounds for re-reading tarballs this registry already accepted under its own limits. */
const BACKFILL_LIMITS = { maxEntries: 100_000, maxUnpackedBytes: 1024 * 1024 * 1024, maxFileBytes: 1024 * 1024 * 1024 };

/**
 * Migration step: every stored version was a code skill that passed sandbox verification, so it
 * is `verified` unless its files say otherwise (a Python script, a binary...), computed from its
 * stored tarball. Then the per-skill row search filters on.
 */
export function backfillTrust(db: Db): void {
  const ids = (db.prepare('SELECT id FROM versions ORDER BY id').all() as { id: number }[]).map((r) => r.id);
  const read = db.prepare('SELECT v.verification, v.skill_md, t.bytes FROM versions v LEFT JOIN tarballs t ON t.version_id = v.id WHERE v.id = ?');
  const update = db.prepare('UPDATE versions SET trust = ?, trust_reasons = ?, tarball_sha256 = ?, skill_md_sha256 = ? WHERE id = ?');
  for (const id of ids) {
    const row = read.get(id) as { verification: string; skill_md: string; bytes: Buffer | null };
    const verified = (JSON.parse(row.verification) as { ok?: unknown }).ok === true;
    let result: VersionTrust = { trust: verified ? 'verified' : 'unverified', trustReasons: verified ? [] : [{ path: 'skill.json', why: 'its fixtures did not pass in the sandbox' }] };
    if (row.bytes) {
      try {
        const files = readTar(gunzipSync(row.bytes, { maxOutputLength: BACKFILL_LIMITS.maxUnpackedBytes * 2 }), BACKFILL_LIMITS);
        result = versionTrust(files, 'code', verified);
      } catch {
        result = { trust: 'unverified', trustReasons: [{ path: '(tarball)', why: 'the stored tarball could not be read again to assess its files' }] };
      }
    }
    update.run(result.trust, JSON.stringify(result.trustReasons), row.bytes ? sha256Of(row.bytes) : '', sha256Of(row.skill_md), id);
  }
  const skills = (db.prepare('SELECT id FROM skills').all() as { id: number }[]).map((r) => r.id);
  for (const id of skills) refreshLatest(db, id);
}

/**
 * The version search and `/mcp` show for a skill (the one `latest` names, else the highest), as
 * the search index has always chosen it; kept in `skill_latest` with its trust for the filter.
 */
export function shownVersion(versions: readonly string[], latest: string | undefined): string | undefined {
  return latest !== undefined && versions.includes(latest) ? latest : semver.rsort([...versions])[0];
}

export async function writeLatest(q: SqlExecutor, skillId: number, version: string | undefined): Promise<void> {
  await q.run('DELETE FROM skill_latest WHERE skill_id = ?', [skillId]);
  if (version === undefined) return;
  await q.run('INSERT INTO skill_latest (skill_id, version, trust) SELECT skill_id, version, trust FROM versions WHERE skill_id = ? AND version = ?', [skillId, version]);
}

/** writeLatest for a migration step, which runs synchronously on the SQLite file. */
function writeLatestNow(db: Db, skillId: number, version: string | undefined): void {
  db.prepare('DELETE FROM skill_latest WHERE skill_id = ?').run(skillId);
  if (version === undefined) return;
  db.prepare('INSERT INTO skill_latest (skill_id, version, trust) SELECT skill_id, version, trust FROM versions WHERE skill_id = ? AND version = ?').run(skillId, version);
}

function refreshLatest(db: Db, skillId: number): void {
  const versions = (db.prepare('SELECT version FROM versions WHERE skill_id = ?').all(skillId) as { version: string }[]).map((r) => r.version);
  const latest = (db.prepare("SELECT version FROM dist_tags WHERE skill_id = ? AND tag = 'latest'").get(skillId) as { version: string } | undefined)?.version;
  writeLatestNow(db, skillId, shownVersion(versions, latest));
}
