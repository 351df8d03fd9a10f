/** Blobs in the metadata database's own `blobs` table (the embedded default). */
import { createHash } from 'node:crypto';
import { SkillsError } from '../../schema/errors';
import { BLOB_KEY, type BlobStore } from './blobs';
import type { SqlDatabase } from './sql';

function checkedKey(sha256: string): string {
  if (!BLOB_KEY.test(sha256)) throw new Error(`not a blob key: ${sha256.slice(0, 80)}`);
  return sha256;
}

export class SqlBlobStore implements BlobStore {
  readonly description = 'the registry database';

  constructor(private readonly db: SqlDatabase) {}

  async put(sha256: string, bytes: Uint8Array): Promise<void> {
    await this.db.run('INSERT INTO blobs (sha256, bytes) VALUES (?, ?) ON CONFLICT (sha256) DO NOTHING', [checkedKey(sha256), bytes]);
  }

  async get(sha256: string): Promise<Buffer | undefined> {
    const row = await this.db.get<{ bytes: Buffer }>('SELECT bytes FROM blobs WHERE sha256 = ?', [checkedKey(sha256)]);
    if (!row) return undefined;
    if (createHash('sha256').update(row.bytes).digest('hex') !== sha256) {
      throw new SkillsError('EBLOBCORRUPT', `the stored blob ${sha256} does not match its digest; it was not served`, { status: 500 });
    }
    return row.bytes;
  }

  async delete(sha256: string): Promise<void> {
    await this.db.run('DELETE FROM blobs WHERE sha256 = ?', [checkedKey(sha256)]);
  }

  async check(): Promise<void> {}

  async close(): Promise<void> {}
}
