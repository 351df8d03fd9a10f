/**
 * Blobs in the metadata database's `blobs` table (sha256 TEXT/text, bytes BLOB/bytea): the default
 * store, one SQL text for SQLite and PostgreSQL. The database belongs to the caller, who closes it.
 */
import { isSkillsError, SkillsError } from '../../schema/errors';
import type { BlobStore } from './blobs';
import { checkBlobKey, checkPut, checkRead, corruptBlob } from './blob-checks';
import type { SqlExecutor } from './sql';

export class SqlBlobStore implements BlobStore {
  readonly description: string;

  constructor(private readonly db: SqlExecutor) {
    this.description = `the ${db.dialect === 'sqlite' ? 'SQLite' : 'PostgreSQL'} table blobs`;
  }

  async put(sha256: string, bytes: Uint8Array): Promise<void> {
    checkPut(sha256, bytes);
    // A row already there is kept as it is: same digest, same bytes, or damage that get() reports.
    await this.db.run('INSERT INTO blobs (sha256, bytes) VALUES (?, ?) ON CONFLICT (sha256) DO NOTHING', [sha256, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)]);
  }

  async get(sha256: string): Promise<Buffer | undefined> {
    checkBlobKey(sha256);
    const row = await this.db.get<{ bytes: unknown }>('SELECT bytes FROM blobs WHERE sha256 = ?', [sha256]);
    if (row === undefined) return undefined;
    if (!Buffer.isBuffer(row.bytes)) throw corruptBlob(sha256, this.description, 'it is not stored as bytes');
    checkRead(sha256, row.bytes, this.description);
    return row.bytes;
  }

  async delete(sha256: string): Promise<void> {
    checkBlobKey(sha256);
    await this.db.run('DELETE FROM blobs WHERE sha256 = ?', [sha256]);
  }

  /** The table is there (opening the database checked that it can be written). */
  async check(): Promise<void> {
    try {
      await this.db.get('SELECT 1 FROM blobs WHERE sha256 = ?', ['0'.repeat(64)]);
    } catch (error) {
      if (isSkillsError(error)) throw error;
      throw new SkillsError('EBLOBSTORE', `${this.description} cannot be read: ${(error as Error).message}`, { status: 500, cause: error, hint: 'the database lacks the blobs table: is it a registry database of this version?' });
    }
  }

  async close(): Promise<void> {}
}
