/**
 * The manifest of a registry backup (`skills registry backup`), `manifest.json` in the backup's
 * folder, written last: a folder without it is an unfinished backup. It names the database file
 * (a SQLite snapshot or a pg_dump archive) with its size and sha256, every blob the backed-up
 * versions name with its size and sha256, the rows of each table, and its own sha256 over the
 * rest of its content (canonical JSON), so a restore can check every byte before it writes any.
 * The digest finds damage and careless edits; it is not a signature (anyone can recompute it).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { canonicalJson } from '../../schema/canonical-json';
import { SkillsError } from '../../schema/errors';
import { sha256Hex } from './blob-checks';
import { BLOB_KEY } from './blobs';

export const BACKUP_FORMAT = 'skills-registry-backup';
export const BACKUP_FORMAT_VERSION = 1;
export const MANIFEST_FILE = 'manifest.json';
/** The SQLite snapshot in a backup of a registry on SQLite. */
export const SQLITE_SNAPSHOT_FILE = 'registry.db';
/** pg_dump's archive (custom format) in a backup of a registry on PostgreSQL. */
export const PG_DUMP_FILE = 'database.pgdump';
/** The folder of blobs (one file per blob, named by its sha256) when they lived outside the database. */
export const BLOBS_FOLDER = 'blobs';
/** A manifest larger than this is not read (about 5 million blobs). */
const MAX_MANIFEST_BYTES = 512 * 1024 * 1024;

const sha256 = z.string().regex(BLOB_KEY);
const count = z.number().int().nonnegative();

export const backupManifestSchema = z
  .object({
    format: z.literal(BACKUP_FORMAT),
    formatVersion: z.number().int().positive(),
    createdAt: z.string().min(1),
    /** The `skills` version that wrote it. */
    createdBy: z.string(),
    /** The registry's schema version (`SCHEMA_VERSION`) at the time of the backup. */
    schemaVersion: z.number().int().positive(),
    /** What was backed up, without secrets: a file path or a URL without its password. */
    source: z.object({ engine: z.enum(['sqlite', 'postgres']), database: z.string(), blobs: z.string() }).strict(),
    database: z
      .object({
        engine: z.enum(['sqlite', 'postgres']),
        /** A file name in the backup's folder. */
        file: z.enum([SQLITE_SNAPSHOT_FILE, PG_DUMP_FILE]),
        size: count,
        sha256,
        /** What wrote the file: `sqlite <version> backup API` or pg_dump's `--version`. */
        tool: z.string(),
      })
      .strict(),
    blobs: z
      .object({
        /** `database`: inside the database file (its `blobs` table); `files`: `blobs/<sha256>` in the backup's folder. */
        location: z.enum(['database', 'files']),
        count,
        size: count,
        list: z.array(z.object({ sha256, size: count }).strict()),
      })
      .strict(),
    /** Rows per table, as the database file holds them. */
    tables: z.record(z.string().regex(/^[a-z_]+$/), count),
    /** sha256 of the canonical JSON of every other member. */
    sha256,
  })
  .strict();

export type BackupManifest = z.infer<typeof backupManifestSchema>;

/** The manifest's own digest: sha256 of the canonical JSON of everything but `sha256`. */
export function manifestDigest(manifest: Omit<BackupManifest, 'sha256'> & { sha256?: string }): string {
  const { sha256: _own, ...rest } = manifest;
  return sha256Hex(Buffer.from(canonicalJson(rest), 'utf8'));
}

/** Writes the manifest (pretty, mode 0600) through a temporary file, fsynced, then renamed: it appears whole or not at all. */
export function writeManifest(dir: string, content: Omit<BackupManifest, 'sha256'>): BackupManifest {
  const manifest: BackupManifest = { ...content, sha256: manifestDigest(content) };
  const file = path.join(dir, MANIFEST_FILE);
  const partial = `${file}.partial`;
  writeFileSynced(partial, `${JSON.stringify(manifest, null, 2)}\n`);
  fs.renameSync(partial, file);
  syncFolder(dir);
  return manifest;
}

/** Reads and checks the manifest of the backup in `dir`: EBACKUPMANIFEST unless it is whole, of a format this code reads, and its digest matches. */
export function readManifest(dir: string): BackupManifest {
  const file = path.join(dir, MANIFEST_FILE);
  const refuse = (why: string, hint?: string) => new SkillsError('EBACKUPMANIFEST', `${file} ${why}; nothing was restored`, hint === undefined ? {} : { hint });
  const stat = fs.lstatSync(file, { throwIfNoEntry: false });
  if (!stat) throw refuse('does not exist', 'name the folder a backup was written to: a folder without manifest.json is an unfinished backup');
  if (!stat.isFile()) throw refuse('is not a file');
  if (stat.size > MAX_MANIFEST_BYTES) throw refuse(`is over ${MAX_MANIFEST_BYTES} bytes`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    throw refuse('is not JSON');
  }
  const head = z.object({ format: z.literal(BACKUP_FORMAT), formatVersion: z.number().int() }).safeParse(parsed);
  if (!head.success) throw refuse(`is not a manifest of a registry backup (no "format": "${BACKUP_FORMAT}" with a "formatVersion")`);
  if (head.data.formatVersion > BACKUP_FORMAT_VERSION) {
    throw refuse(`is of backup format ${head.data.formatVersion}, newer than this version of skills reads (${BACKUP_FORMAT_VERSION})`, 'restore it with the version of skills that wrote it, or a newer one');
  }
  const checked = backupManifestSchema.safeParse(parsed);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw refuse(`does not have the shape of a backup manifest (${issue ? `${issue.path.join('.') || 'the top'}: ${issue.message}` : 'unknown'})`);
  }
  const manifest = checked.data;
  const digest = manifestDigest(manifest);
  if (digest !== manifest.sha256) throw refuse(`was changed after the backup wrote it: its content hashes to ${digest}, not to the sha256 it lists (${manifest.sha256})`);
  const listed = new Set<string>();
  let size = 0;
  for (const blob of manifest.blobs.list) {
    if (listed.has(blob.sha256)) throw refuse(`lists the blob ${blob.sha256} twice`);
    listed.add(blob.sha256);
    size += blob.size;
  }
  if (listed.size !== manifest.blobs.count || size !== manifest.blobs.size) throw refuse(`lists ${listed.size} blobs of ${size} bytes, but counts ${manifest.blobs.count} of ${manifest.blobs.size}`);
  if (manifest.database.engine !== manifest.source.engine || manifest.database.file !== (manifest.database.engine === 'sqlite' ? SQLITE_SNAPSHOT_FILE : PG_DUMP_FILE)) {
    throw refuse(`names a ${manifest.database.engine} database file ${manifest.database.file} for a ${manifest.source.engine} registry`);
  }
  return manifest;
}

/** Writes `data` to a new file (mode 0600) and fsyncs it. */
export function writeFileSynced(file: string, data: string | Uint8Array): void {
  const fd = fs.openSync(file, 'wx', 0o600);
  try {
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** fsync of a file that is already written (e.g. by SQLite or pg_dump). */
export function syncFile(file: string): void {
  const fd = fs.openSync(file, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** fsync of a folder, so the names of the files in it survive a crash (a no-op where folders cannot be opened). */
export function syncFolder(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some platforms cannot fsync a folder; the files themselves are synced.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** The size and sha256 of a file, read in chunks. */
export async function fileDigest(file: string): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of fs.createReadStream(file)) {
    const bytes = chunk as Buffer;
    size += bytes.byteLength;
    hash.update(bytes);
  }
  return { size, sha256: hash.digest('hex') };
}
