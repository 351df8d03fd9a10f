/**
 * Blobs in S3-compatible object storage (AWS S3, MinIO, R2, s3rver...), one object per blob under
 * `${prefix}${sha256}`, so several registry processes share them. Objects are never overwritten,
 * and every read is hashed again: an object changed in the bucket is refused, never served.
 * Every call is bounded (connection, answer and idle timeouts, a deadline over its retries, a cap
 * on the bytes read); an unreachable or failing store is EBLOBUNAVAILABLE (503, try again), a
 * refusal (no bucket, no access) EBLOBSTORE. Messages name the bucket and endpoint, never a key.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { isSkillsError, SkillsError } from '../../schema/errors';
import type { BlobStore } from './blobs';
import { checkBlobKey, checkPut, checkRead, corruptBlob } from './blob-checks';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface S3BlobStoreOptions {
  bucket: string;
  /** '' or a folder-like prefix ending in '/', e.g. 'tarballs/'. */
  prefix: string;
  region: string;
  /** An S3-compatible server (path-style requests); AWS S3 when absent. */
  endpoint?: string;
  /** Otherwise the SDK's default chain: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, profiles, roles. */
  credentials?: S3Credentials;
  /** The largest object `get` reads (default 100 MiB); a bigger one is refused as damaged. */
  maxBlobBytes?: number;
  /** To open a connection (default 5 s). */
  connectTimeoutMs?: number;
  /** From sending a request to its answer's headers, and of silence while a body streams (default 30 s). */
  requestTimeoutMs?: number;
  /** Over one call with all its attempts and the whole body (default 2 min). */
  callTimeoutMs?: number;
  /** Attempts per call, the first included (default 3). */
  maxAttempts?: number;
}

export const DEFAULT_MAX_BLOB_BYTES = 100 * 1024 * 1024;

interface SdkError {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

export class S3BlobStore implements BlobStore {
  readonly description: string;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly where: string;
  private readonly maxBlobBytes: number;
  private readonly callTimeoutMs: number;
  /** Puts under way, by digest: a second put of the same blob waits for the first. */
  private readonly putting = new Map<string, Promise<void>>();

  constructor(options: S3BlobStoreOptions) {
    this.bucket = options.bucket;
    this.prefix = options.prefix;
    this.where = options.endpoint ?? `AWS S3 (${options.region})`;
    this.description = `s3://${options.bucket}/${options.prefix} at ${this.where}`;
    this.maxBlobBytes = options.maxBlobBytes ?? DEFAULT_MAX_BLOB_BYTES;
    this.callTimeoutMs = options.callTimeoutMs ?? 120_000;
    const requestTimeout = options.requestTimeoutMs ?? 30_000;
    this.client = new S3Client({
      region: options.region,
      ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
      forcePathStyle: true,
      ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
      maxAttempts: options.maxAttempts ?? 3,
      // Checksums only where S3 requires them: S3-compatible servers differ in the optional ones.
      // put() sends the sha256 itself, which AWS checks on arrival.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: { connectionTimeout: options.connectTimeoutMs ?? 5_000, requestTimeout, throwOnRequestTimeout: true, socketTimeout: requestTimeout },
    });
  }

  private key(sha256: string): string {
    return `${this.prefix}${sha256}`;
  }

  private deadline(): AbortSignal {
    return AbortSignal.timeout(this.callTimeoutMs);
  }

  /**
   * Concurrent puts of one blob in this process (a publish race) store it once. Some S3-compatible
   * servers (s3rver) show an object while it is being written: a second put's HEAD would see it
   * short and call it damaged.
   */
  async put(sha256: string, bytes: Uint8Array): Promise<void> {
    checkPut(sha256, bytes);
    const under = this.putting.get(sha256);
    if (under !== undefined) return under;
    const put = this.putOnce(sha256, bytes).finally(() => this.putting.delete(sha256));
    this.putting.set(sha256, put);
    return put;
  }

  private async putOnce(sha256: string, bytes: Uint8Array): Promise<void> {
    if (bytes.byteLength > this.maxBlobBytes) throw new SkillsError('EINTERNAL', `a blob of ${bytes.byteLength} bytes is over the ${this.maxBlobBytes} bytes ${this.description} reads back; nothing was stored`);
    const Key = this.key(sha256);
    let stored: number | undefined | 'missing';
    try {
      stored = (await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key }), { abortSignal: this.deadline() })).ContentLength;
    } catch (error) {
      if (!isNotFound(error)) throw this.failure(error, 'checking a blob');
      stored = 'missing';
    }
    if (stored === bytes.byteLength) return;
    if (stored !== 'missing') throw corruptBlob(sha256, this.description, `the object holds ${stored ?? 'an unknown number of'} bytes, not ${bytes.byteLength}; it was not overwritten`);
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key,
          Body: bytes,
          ContentLength: bytes.byteLength,
          ContentType: 'application/octet-stream',
          ChecksumSHA256: Buffer.from(sha256, 'hex').toString('base64'),
          // Where the server supports it, a write racing another one of the same blob keeps the first.
          IfNoneMatch: '*',
        }),
        { abortSignal: this.deadline() },
      );
    } catch (error) {
      if (statusOf(error) === 412) return;
      throw this.failure(error, 'storing a blob');
    }
  }

  async get(sha256: string): Promise<Buffer | undefined> {
    checkBlobKey(sha256);
    const signal = this.deadline();
    let body: unknown;
    let length: number | undefined;
    try {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(sha256) }), { abortSignal: signal });
      body = answer.Body;
      length = answer.ContentLength;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw this.failure(error, 'reading a blob');
    }
    if (!(body instanceof Readable)) throw new SkillsError('EINTERNAL', `${this.description} answered a read without a body stream`);
    if (length !== undefined && length > this.maxBlobBytes) {
      body.destroy();
      throw corruptBlob(sha256, this.description, `the object holds ${length} bytes, over the ${this.maxBlobBytes} of any blob`);
    }
    let bytes: Buffer | undefined;
    try {
      bytes = await readCapped(body, this.maxBlobBytes, signal);
    } catch (error) {
      throw this.failure(error, 'reading a blob');
    }
    if (bytes === undefined) throw corruptBlob(sha256, this.description, `the object holds over the ${this.maxBlobBytes} bytes of any blob`);
    checkRead(sha256, bytes, this.description);
    return bytes;
  }

  async delete(sha256: string): Promise<void> {
    checkBlobKey(sha256);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(sha256) }), { abortSignal: this.deadline() });
    } catch (error) {
      if (!isNotFound(error)) throw this.failure(error, 'deleting a blob');
    }
  }

  /** The bucket exists and answers, and these credentials may write and delete under the prefix. */
  async check(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }), { abortSignal: this.deadline() });
    } catch (error) {
      if (statusOf(error) === 404) {
        throw new SkillsError('EBLOBSTORE', `the bucket "${this.bucket}" does not exist at ${this.where}`, { status: 500, cause: error, hint: `create the bucket "${this.bucket}", or name an existing one in the blob store URL` });
      }
      throw this.startFailure(error, `cannot use the bucket "${this.bucket}" at ${this.where}`);
    }
    const probe = `${this.prefix}.write-probe-${randomBytes(8).toString('hex')}`;
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: probe, Body: Buffer.from('probe\n'), ContentType: 'text/plain' }), { abortSignal: this.deadline() });
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: probe }), { abortSignal: this.deadline() });
    } catch (error) {
      throw this.startFailure(error, `cannot write to the bucket "${this.bucket}" at ${this.where} (a probe object under "${this.prefix}")`, `the registry must write and delete objects under "${this.prefix}" in "${this.bucket}": check that the bucket is writable and that these credentials may put and delete objects there`);
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  /** A failure while serving: retryable when the store is unreachable, slow or failing, else a refusal. */
  private failure(error: unknown, doing: string): SkillsError {
    if (isSkillsError(error)) return error;
    const reason = reasonOf(error);
    if (isUnavailable(error)) {
      return new SkillsError('EBLOBUNAVAILABLE', `${doing} in ${this.description} failed: ${reason}`, { status: 503, cause: error });
    }
    return new SkillsError('EBLOBSTORE', `${doing} in ${this.description} was refused: ${reason}`, { status: 500, cause: error, hint: hintFor(error) });
  }

  /** A failure of the start-up check: always EBLOBSTORE, so the registry does not start on it. */
  private startFailure(error: unknown, what: string, hint?: string): SkillsError {
    const reachable = !isUnavailable(error);
    return new SkillsError('EBLOBSTORE', `${what}: ${reasonOf(error)}`, {
      status: 500,
      cause: error,
      hint: reachable ? (hint ?? hintFor(error)) : `is the object storage at ${this.where} running? Check the endpoint in the blob store URL`,
    });
  }
}

function sdkError(error: unknown): SdkError {
  return typeof error === 'object' && error !== null ? (error as SdkError) : {};
}

function statusOf(error: unknown): number | undefined {
  return sdkError(error).$metadata?.httpStatusCode;
}

function isNotFound(error: unknown): boolean {
  const { name } = sdkError(error);
  return name === 'NoSuchKey' || name === 'NotFound' || (statusOf(error) === 404 && name !== 'NoSuchBucket');
}

function isUnavailable(error: unknown): boolean {
  const { name } = sdkError(error);
  if (name === 'CredentialsProviderError') return false;
  const status = statusOf(error);
  return status === undefined || status >= 500 || status === 429 || name === 'RequestTimeout' || name === 'TimeoutError' || name === 'AbortError';
}

/** What went wrong in words that carry no secret: the S3 error's name and status, or the socket's code. */
function reasonOf(error: unknown): string {
  const { name, code } = sdkError(error);
  const status = statusOf(error);
  if (name === 'CredentialsProviderError') return 'no credentials found';
  if (status !== undefined) return `${name ?? 'error'} (HTTP ${status})`;
  if (name === 'AbortError') return 'no answer within the deadline';
  if (name === 'TimeoutError') return 'timed out';
  return code ?? name ?? 'unknown error';
}

function hintFor(error: unknown): string {
  const { name } = sdkError(error);
  if (name === 'CredentialsProviderError' || name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch') {
    return 'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment of the registry to keys of this object storage';
  }
  if (statusOf(error) === 403) return 'these credentials may not use this bucket: check its policy and the keys in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY';
  if (name === 'NoSuchBucket') return 'the bucket is gone: create it again or point the registry at another one';
  return 'check the object storage, the bucket and the credentials';
}

/** The whole body, or undefined as soon as it passes `max` bytes; the deadline ends the read. */
async function readCapped(body: Readable, max: number, signal: AbortSignal): Promise<Buffer | undefined> {
  const onAbort = () => body.destroy(Object.assign(new Error('no answer within the deadline'), { name: 'AbortError' }));
  if (signal.aborted) onAbort();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of body) {
      const part = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      total += part.byteLength;
      if (total > max) {
        body.destroy();
        return undefined;
      }
      chunks.push(part);
    }
    return Buffer.concat(chunks, total);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
