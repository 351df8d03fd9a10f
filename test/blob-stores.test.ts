/**
 * The blob stores (registry-server/storage/): one contract suite run against the SQL table (a real
 * SQLite registry database) and S3 (a real s3rver in its own process), then what only S3 has: a
 * missing, read-only, stopped or silent server, and the blob store URL.
 */
import { createHash } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openDatabase, type Db } from '../registry-server/db';
import type { BlobStore } from '../registry-server/storage/blobs';
import { openBlobStore, parseBlobsUrl } from '../registry-server/storage/open-blobs';
import { S3BlobStore, type S3BlobStoreOptions } from '../registry-server/storage/s3-blobs';
import { SqliteDatabase } from '../registry-server/storage/sqlite';
import type { SqlDatabase } from '../registry-server/storage/sql';
import { SqlBlobStore } from '../registry-server/storage/sql-blobs';
import { SkillsError } from '../schema/errors';
import { startS3, type S3Server } from '../testkit/s3';
import { tempDir } from '../testkit/temp';
import { refusal } from '../testkit/refusal';

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const blob = (text: string) => Buffer.from(text);

function testSqlite(db: Db): SqlDatabase {
  return new SqliteDatabase(db);
}

interface Subject {
  store: BlobStore;
  /** Writes `bytes` where the store keeps the blob `key`, behind its back. */
  alter(key: string, bytes: Uint8Array): Promise<void>;
}

let s3: S3Server;
let raw: S3Client;
let sqlite: Db;
let sqlDb: SqlDatabase;
const opened: BlobStore[] = [];

/** An S3 store on the shared s3rver (keys given, as the SDK would read them from the environment). */
function s3Store(options: Partial<S3BlobStoreOptions> = {}): S3BlobStore {
  const store = new S3BlobStore({ bucket: s3.bucket, prefix: s3.prefix, region: 'us-east-1', endpoint: s3.endpoint, credentials: s3.credentials, ...options });
  opened.push(store);
  return store;
}

beforeAll(async () => {
  s3 = await startS3();
  raw = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: s3.credentials });
  sqlite = openDatabase(path.join(await tempDir('blob-stores'), 'registry.db'));
  sqlDb = testSqlite(sqlite);
});

afterAll(async () => {
  for (const store of opened) await store.close();
  raw?.destroy();
  sqlite?.close();
  await s3?.stop();
});

const kinds: { name: string; subject: () => Subject }[] = [
  {
    name: 'SqlBlobStore over SQLite',
    subject: () => ({
      store: new SqlBlobStore(sqlDb),
      alter: async (key, bytes) => void sqlite.prepare('UPDATE blobs SET bytes = ? WHERE sha256 = ?').run(Buffer.from(bytes), key),
    }),
  },
  {
    name: 'S3BlobStore over s3rver',
    subject: () => ({
      store: s3Store(),
      alter: async (key, bytes) => void (await raw.send(new PutObjectCommand({ Bucket: s3.bucket, Key: `${s3.prefix}${key}`, Body: bytes }))),
    }),
  },
];

describe.each(kinds)('the blob store contract: $name', ({ name, subject }) => {
  let store: BlobStore;
  let alter: Subject['alter'];
  beforeAll(() => ({ store, alter } = subject()));

  it('checks at start, and gives back what it stored, checked, empty and large blobs included', async () => {
    await store.check();
    expect(store.description.length).toBeGreaterThan(5);
    for (const bytes of [blob(`one ${name}`), Buffer.alloc(0), Buffer.alloc(3 * 1024 * 1024, 7)]) {
      await store.put(sha(bytes), bytes);
      expect((await store.get(sha(bytes)))?.equals(bytes)).toBe(true);
    }
  });

  it('stores a blob once: a second put of the same bytes changes nothing, other bytes under its key are refused', async () => {
    const bytes = blob(`twice ${name}`);
    const key = sha(bytes);
    await store.put(key, bytes);
    await store.put(key, new Uint8Array(bytes));
    const other = await refusal(store.put(key, blob(`other ${name}`)));
    expect(other.code).toBe('EINTERNAL');
    expect(other.message).toContain('do not hash to it');
    expect((await store.get(key))?.equals(bytes)).toBe(true);
  });

  it('takes 20 puts of the same blob while the first is under way (a publish race): all succeed, one blob', async () => {
    const bytes = Buffer.alloc(4 * 1024 * 1024, `race ${name}`);
    const key = sha(bytes);
    // Started one per turn of the event loop: later ones arrive while the first is being written.
    const puts: Promise<void>[] = [];
    for (let i = 0; i < 20; i++) {
      puts.push(store.put(key, bytes));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(puts);
    expect((await store.get(key))?.equals(bytes)).toBe(true);
    // A wrong digest is refused, even while a put of that key is under way.
    const [, refused] = await Promise.all([store.put(sha(blob(`late ${name}`)), blob(`late ${name}`)), refusal(store.put(sha(blob(`late ${name}`)), blob('other')))]);
    expect(refused.code).toBe('EINTERNAL');
  });

  it('answers undefined for a missing blob, and deletes (a missing one too)', async () => {
    const bytes = blob(`gone ${name}`);
    expect(await store.get(sha(bytes))).toBeUndefined();
    await store.delete(sha(bytes));
    await store.put(sha(bytes), bytes);
    await store.delete(sha(bytes));
    expect(await store.get(sha(bytes))).toBeUndefined();
  });

  it('takes only lowercase hex sha256 keys: never a path, a prefix or a pattern', async () => {
    const good = sha(blob('x'));
    for (const key of ['../x', `../${good}`, good.toUpperCase(), good.slice(1), `${good}0`, `tarballs/${good}`, '%', '', `${good.slice(1)}\n`]) {
      for (const call of [() => store.put(key, blob('x')), () => store.get(key), () => store.delete(key)]) {
        const error = await refusal(call());
        expect([key, error.code]).toEqual([key, 'EINTERNAL']);
        expect(error.message).toContain('not a blob key');
      }
    }
  });

  it('refuses a blob changed where it is kept (EBLOBCORRUPT, 500), and a put does not overwrite it', async () => {
    const bytes = blob(`kept ${name}`);
    const key = sha(bytes);
    await store.put(key, bytes);
    await alter(key, blob(`KEPT ${name}`));
    const error = await refusal(store.get(key));
    expect([error.code, error.status]).toEqual(['EBLOBCORRUPT', 500]);
    expect(error.message).toContain(key);
    expect(error.message).not.toContain('KEPT');
    await store.put(key, bytes);
    expect((await refusal(store.get(key))).code).toBe('EBLOBCORRUPT');
  });
});

describe('SqlBlobStore', () => {
  it('leaves the database open when closed: the caller owns it', async () => {
    const store = new SqlBlobStore(sqlDb);
    await store.close();
    await store.put(sha(blob('after close')), blob('after close'));
    expect(sqlite.open).toBe(true);
  });

  it('refuses a row that is not bytes, and is the default of openBlobStore', async () => {
    const store = await openBlobStore(undefined, { db: sqlDb });
    expect(store).toBeInstanceOf(SqlBlobStore);
    const key = sha(blob('text'));
    sqlite.prepare('INSERT INTO blobs (sha256, bytes) VALUES (?, ?)').run(key, 'text');
    expect((await refusal(store.get(key))).code).toBe('EBLOBCORRUPT');
  });

  it('fails its check on a database without the blobs table (EBLOBSTORE)', async () => {
    const bare = testSqlite(openDatabase(':memory:'));
    await bare.run('DROP TABLE blobs');
    const error = await refusal(openBlobStore(undefined, { db: bare }));
    expect([error.code, error.message]).toEqual(['EBLOBSTORE', expect.stringContaining('blobs')]);
    await bare.close();
  });
});

describe('S3BlobStore', () => {
  it('keeps each blob as <prefix><sha256> and never overwrites one of another size (EBLOBCORRUPT at put)', async () => {
    const store = s3Store();
    const bytes = blob('sized');
    const key = sha(bytes);
    await store.put(key, bytes);
    await raw.send(new PutObjectCommand({ Bucket: s3.bucket, Key: `${s3.prefix}${key}`, Body: blob('a longer damaged copy') }));
    const error = await refusal(store.put(key, bytes));
    expect([error.code, error.message]).toEqual(['EBLOBCORRUPT', expect.stringContaining('not overwritten')]);
    expect((await refusal(store.get(key))).code).toBe('EBLOBCORRUPT');
  });

  it('refuses an object larger than any blob without reading it whole', async () => {
    const store = s3Store({ maxBlobBytes: 1024 });
    const key = sha(blob('small'));
    await raw.send(new PutObjectCommand({ Bucket: s3.bucket, Key: `${s3.prefix}${key}`, Body: Buffer.alloc(4096, 1) }));
    const error = await refusal(store.get(key));
    expect([error.code, error.message]).toEqual(['EBLOBCORRUPT', expect.stringContaining('over the 1024')]);
  });

  it('reads its keys from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) through openBlobStore', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', s3.env.AWS_ACCESS_KEY_ID);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', s3.env.AWS_SECRET_ACCESS_KEY);
    try {
      const store = await openBlobStore(s3.url, { db: sqlDb });
      opened.push(store);
      expect(store).toBeInstanceOf(S3BlobStore);
      expect(store.description).toBe(`s3://${s3.bucket}/${s3.prefix} at ${s3.endpoint}`);
      await store.put(sha(blob('env')), blob('env'));
      expect((await store.get(sha(blob('env'))))?.toString()).toBe('env');
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('refuses at start a missing bucket, naming it and never the secret (EBLOBSTORE)', async () => {
    // s3rver takes any secret, so this one reaches the bucket check.
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const missing = await refusal(openBlobStore(s3.url.replace(`s3://${s3.bucket}/`, 's3://no-such-bucket/'), { db: sqlDb, credentials: { accessKeyId: 'S3RVER', secretAccessKey: secret } }));
    expect([missing.code, missing.status]).toEqual(['EBLOBSTORE', 500]);
    expect(missing.message).toContain(`the bucket "no-such-bucket" does not exist at ${s3.endpoint}`);
    expect(missing.hint).toContain('create the bucket "no-such-bucket"');
    expect(JSON.stringify(missing.toJSON())).not.toContain(secret);
  });

  it('reports a bucket gone while serving as a refusal, not a retry (EBLOBSTORE, 500)', async () => {
    const store = s3Store({ bucket: 'gone-bucket' });
    for (const call of [() => store.get(sha(blob('g'))), () => store.put(sha(blob('g')), blob('g')), () => store.delete(sha(blob('g')))]) {
      const error = await refusal(call());
      expect([error.code, error.status, error.message]).toEqual(['EBLOBSTORE', 500, expect.stringContaining('NoSuchBucket (HTTP 404)')]);
      expect(error.hint).toContain('the bucket is gone');
    }
  });

  it('refuses at start a bucket it cannot write (EBLOBSTORE), where reads still work', async () => {
    const readOnly = await startS3({ readOnly: true });
    try {
      const store = new S3BlobStore({ bucket: readOnly.bucket, prefix: readOnly.prefix, region: 'us-east-1', endpoint: readOnly.endpoint, credentials: readOnly.credentials, maxAttempts: 2 });
      opened.push(store);
      expect(await store.get(sha(blob('nothing')))).toBeUndefined();
      const error = await refusal(store.check());
      expect([error.code, error.message]).toEqual(['EBLOBSTORE', expect.stringContaining(`cannot write to the bucket "${readOnly.bucket}"`)]);
      // While serving, the store's server error is one to retry.
      const put = await refusal(store.put(sha(blob('w')), blob('w')));
      expect([put.code, put.status]).toEqual(['EBLOBUNAVAILABLE', 503]);
    } finally {
      await readOnly.stop();
    }
  });

  it('answers EBLOBUNAVAILABLE (503) once s3rver is stopped, and refuses to start on it (EBLOBSTORE)', async () => {
    const gone = await startS3();
    const store = new S3BlobStore({ bucket: gone.bucket, prefix: gone.prefix, region: 'us-east-1', endpoint: gone.endpoint, credentials: gone.credentials, maxAttempts: 2, connectTimeoutMs: 2_000, requestTimeoutMs: 5_000 });
    opened.push(store);
    const bytes = blob('before the stop');
    await store.put(sha(bytes), bytes);
    await gone.stop('SIGKILL');
    for (const call of [() => store.get(sha(bytes)), () => store.put(sha(blob('after')), blob('after')), () => store.delete(sha(bytes))]) {
      const error = await refusal(call());
      expect([error.code, error.status, error.message]).toEqual(['EBLOBUNAVAILABLE', 503, expect.stringContaining('ECONNREFUSED')]);
    }
    const start = await refusal(store.check());
    expect([start.code, start.hint]).toEqual(['EBLOBSTORE', expect.stringContaining('running')]);
  });

  it('gives up on a server that accepts and never answers, within its timeouts (EBLOBUNAVAILABLE)', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as net.AddressInfo;
      const store = new S3BlobStore({ bucket: 'blobs', prefix: '', region: 'us-east-1', endpoint: `http://127.0.0.1:${port}`, credentials: s3.credentials, maxAttempts: 2, requestTimeoutMs: 300, callTimeoutMs: 60_000 });
      opened.push(store);
      const error = await refusal(store.get(sha(blob('never'))));
      expect([error.code, error.status]).toEqual(['EBLOBUNAVAILABLE', 503]);
      // The deadline over a whole call holds even when each attempt's timeout would allow more.
      const slow = new S3BlobStore({ bucket: 'blobs', prefix: '', region: 'us-east-1', endpoint: `http://127.0.0.1:${port}`, credentials: s3.credentials, maxAttempts: 3, requestTimeoutMs: 60_000, callTimeoutMs: 500 });
      opened.push(slow);
      const late = await refusal(slow.get(sha(blob('never'))));
      expect([late.code, late.message]).toEqual(['EBLOBUNAVAILABLE', expect.stringContaining('deadline')]);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe('the blob store URL', () => {
  it('names a bucket, a prefix, an endpoint and a region', () => {
    expect(parseBlobsUrl('s3://skills-blobs')).toEqual({ kind: 's3', bucket: 'skills-blobs', prefix: '', region: 'us-east-1' });
    expect(parseBlobsUrl('s3://skills-blobs/tarballs?endpoint=http://127.0.0.1:9000&region=eu-west-3')).toEqual({ kind: 's3', bucket: 'skills-blobs', prefix: 'tarballs/', region: 'eu-west-3', endpoint: 'http://127.0.0.1:9000' });
    expect(parseBlobsUrl('s3://b.example/a/b_c/?endpoint=https%3A%2F%2Fminio.example%3A443%2F')).toEqual({ kind: 's3', bucket: 'b.example', prefix: 'a/b_c/', region: 'us-east-1', endpoint: 'https://minio.example' });
  });

  const bad: [string, string][] = [
    ['https://bucket/x', 'is not an s3:// URL'],
    ['/var/blobs', 'is not an s3:// URL'],
    ['s3://', 'names no bucket'],
    ['s3://Bucket/x', 'invalid bucket "Bucket"'],
    ['s3://ab', 'invalid bucket'],
    ['s3://192.168.1.1', 'invalid bucket'],
    ['s3://bucket:9000/x', 'has a port'],
    ['s3://bucket/a/../b', 'invalid prefix'],
    ['s3://bucket/a//b', 'invalid prefix'],
    ['s3://bucket/a%2Fb', 'invalid prefix'],
    ['s3://bucket/x#frag', 'fragment'],
    ['s3://bucket/x?endpoint=ftp://host', 'not http(s)'],
    ['s3://bucket/x?endpoint=http://host/path', 'path or query'],
    ['s3://bucket/x?endpoint=nope', 'not a URL'],
    ['s3://bucket/x?region=EU', 'invalid region'],
    ['s3://bucket/x?region=a&region=b', 'region twice'],
    ['s3://bucket/x?acl=public', 'unknown parameter "acl"'],
  ];
  it.each(bad)('refuses %s (EBLOBURL, with the form in the hint)', (url, what) => {
    const error = (() => {
      try {
        parseBlobsUrl(url);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(SkillsError);
    const { code, message, hint, exitCode } = error as SkillsError;
    expect([code, exitCode, message]).toEqual(['EBLOBURL', 1, expect.stringContaining(what)]);
    expect(hint).toContain('s3://');
  });

  it('refuses credentials in the URL, pointing at the environment, and never shows them', async () => {
    const secret = 'wJalrXUtn+FEMI/K7MDENG';
    for (const url of [
      `s3://AKIDEXAMPLE:${secret}@bucket/tarballs?region=us-east-1`,
      `s3://${secret}@bucket`,
      `s3://AKIDEXAMPLE:${secret}/x@bucket`,
      `s3://bucket/x?endpoint=http://AKIDEXAMPLE:${secret}@127.0.0.1:9000`,
      `s3://bucket/x?endpoint=${encodeURIComponent(`http://AKIDEXAMPLE:${secret}@127.0.0.1:9000`)}`,
      `https://AKIDEXAMPLE:${secret}@bucket.s3.amazonaws.com`,
    ]) {
      const error = await refusal(openBlobStore(url, { db: sqlDb }));
      expect([url, error.code]).toEqual([url, 'EBLOBURL']);
      const shown = JSON.stringify(error.toJSON());
      for (const part of secret.split(/[+/]/)) expect(shown, url).not.toContain(part);
      expect(shown).not.toContain('AKIDEXAMPLE');
      if (!url.startsWith('https:')) expect(error.hint).toContain('AWS_SECRET_ACCESS_KEY');
    }
  });
});
