/**
 * The blobs a registry's rows name (every version's tarball), read the same way by every command
 * that moves or checks a registry's blobs: `skills registry migrate`, `backup` and `restore`.
 */
import type { SqlExecutor } from './sql';

/** A blob a version names, with the id of one version naming it (for messages). */
export interface NamedBlob {
  sha256: string;
  id: number;
}

/** How many distinct blobs the versions name. */
export async function namedBlobCount(db: SqlExecutor): Promise<number> {
  return (await db.get<{ n: number }>('SELECT COUNT(DISTINCT tarball_sha256) AS n FROM versions'))?.n ?? 0;
}

/**
 * Every distinct blob the versions name, in digest order, `batch` at a time. The first batch comes
 * even when it is empty, and a batch shorter than `batch` is the last (so a full last batch is
 * followed by an empty one): callers count batches as their progress steps.
 */
export async function* namedBlobs(db: SqlExecutor, batch: number): AsyncGenerator<NamedBlob[]> {
  let after: string | undefined;
  for (;;) {
    const rows =
      after === undefined
        ? await db.all<NamedBlob>('SELECT tarball_sha256 AS sha256, MIN(id) AS id FROM versions GROUP BY tarball_sha256 ORDER BY tarball_sha256 LIMIT ?', [batch])
        : await db.all<NamedBlob>('SELECT tarball_sha256 AS sha256, MIN(id) AS id FROM versions WHERE tarball_sha256 > ? GROUP BY tarball_sha256 ORDER BY tarball_sha256 LIMIT ?', [after, batch]);
    yield rows;
    if (rows.length < batch) return;
    after = rows[rows.length - 1]?.sha256 ?? after;
  }
}

/** `@scope/name@version` of the version with this id, for messages ("version id N" once it is gone). */
export async function versionNamed(db: SqlExecutor, id: number): Promise<string> {
  const row = await db.get<{ name: string; version: string }>('SELECT s.name, v.version FROM versions v JOIN skills s ON s.id = v.skill_id WHERE v.id = ?', [id]);
  return row ? `${row.name}@${row.version}` : `version id ${id}`;
}
