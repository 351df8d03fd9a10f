/**
 * Choosing the blob store at start: the metadata database's `blobs` table by default, or the
 * S3-compatible bucket a URL names (`s3://bucket/prefix?endpoint=http://127.0.0.1:9000&region=us-east-1`).
 * Keys never come in the URL, which ends up in shell history, process lists and logs: the SDK reads
 * them from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or its other sources).
 */
import { SkillsError } from '../../schema/errors';
import type { BlobStore } from './blobs';
import type { S3BlobStoreOptions } from './s3-blobs';
import { SqlBlobStore } from './sql-blobs';
import type { SqlExecutor } from './sql';

export interface S3BlobsUrl {
  kind: 's3';
  bucket: string;
  /** '' or a prefix ending in '/'. */
  prefix: string;
  region: string;
  /** The server's origin (scheme, host, port); absent for AWS S3. */
  endpoint?: string;
}

export const DEFAULT_S3_REGION = 'us-east-1';

const EXAMPLE = 's3://skills-blobs/tarballs?endpoint=http://127.0.0.1:9000&region=us-east-1';
const FORM_HINT = `use s3://<bucket>[/<prefix>][?endpoint=<http(s) URL of the server>&region=<region>], e.g. ${EXAMPLE}`;
const KEYS_HINT = 'put the keys in the environment instead: AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... (a URL lands in shell history and logs)';
// S3's rules for bucket names (3 to 63 lowercase letters, digits, dots and hyphens) and a prefix of plain path segments.
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const SEGMENT = /^[A-Za-z0-9._-]+$/;
const REGION = /^[a-z0-9-]{1,64}$/;
const MAX_PREFIX = 512;

/** The parts of an s3:// blob store URL, or EBLOBURL saying what is wrong (the URL shown without credentials). */
export function parseBlobsUrl(url: string): S3BlobsUrl {
  const bad = (what: string, hint = FORM_HINT) => new SkillsError('EBLOBURL', `the blob store URL ${shownUrl(url)} ${what}`, { hint });
  if (!/^s3:\/\//i.test(url)) throw bad('is not an s3:// URL');
  if (beforeQuery(url).includes('@')) throw bad('carries credentials; they are never read from the URL', KEYS_HINT);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw bad('is not a valid URL');
  }
  if (parsed.port !== '') throw bad('has a port: a bucket has none; give the server as ?endpoint=http://host:port');
  if (parsed.hash !== '') throw bad('has a #fragment');
  const bucket = parsed.hostname;
  if (bucket === '') throw bad('names no bucket');
  if (!BUCKET.test(bucket) || bucket.includes('..') || /^\d+\.\d+\.\d+\.\d+$/.test(bucket)) throw bad(`names an invalid bucket ${JSON.stringify(bucket.slice(0, 80))} (3 to 63 lowercase letters, digits, dots and hyphens)`);
  // The path as written: the URL parser would resolve `a/../b` to `b`.
  const prefix = prefixOf(beforeQuery(url).replace(/^s3:\/\/[^/]*/i, ''));
  if (prefix === undefined) throw bad('has an invalid prefix: use path segments of letters, digits, ".", "_" and "-" (no "." or ".." segment, no "//")');
  let endpoint: string | undefined;
  let region = DEFAULT_S3_REGION;
  const seen = new Set<string>();
  for (const [name, value] of parsed.searchParams) {
    if (seen.has(name)) throw bad(`gives ?${name.slice(0, 64)} twice`);
    seen.add(name);
    if (name === 'endpoint') endpoint = endpointOf(value, bad);
    else if (name === 'region') {
      if (!REGION.test(value)) throw bad(`has an invalid region ${JSON.stringify(value.slice(0, 64))}`);
      region = value;
    } else throw bad(`has an unknown parameter ${JSON.stringify(name.slice(0, 64))} (only endpoint and region)`);
  }
  return { kind: 's3', bucket, prefix, region, ...(endpoint === undefined ? {} : { endpoint }) };
}

export interface OpenBlobStoreOptions extends Omit<S3BlobStoreOptions, 'bucket' | 'prefix' | 'region' | 'endpoint'> {
  /** The metadata database: the default store keeps blobs in its `blobs` table. */
  db: SqlExecutor;
}

/**
 * The blob store `url` names (the database's table when undefined), checked (reachable, writable)
 * before it is returned; closed again when the check fails.
 */
export async function openBlobStore(url: string | undefined, options: OpenBlobStoreOptions): Promise<BlobStore> {
  const { db, ...tuning } = options;
  let store: BlobStore;
  if (url === undefined) store = new SqlBlobStore(db);
  else {
    const { bucket, prefix, region, endpoint } = parseBlobsUrl(url);
    // The SDK loads only for a registry that uses S3. Its notice that later SDK versions will need
    // Node 22 is for whoever upgrades the lockfile, not for an operator reading the registry's
    // stderr (JSON lines); an explicit setting of the variable wins.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const { S3BlobStore } = await import('./s3-blobs');
    store = new S3BlobStore({ ...tuning, bucket, prefix, region, ...(endpoint === undefined ? {} : { endpoint }) });
  }
  try {
    await store.check();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

function prefixOf(pathname: string): string | undefined {
  const path = pathname.replace(/^\//, '');
  if (path === '') return '';
  if (path.length > MAX_PREFIX) return undefined;
  const segments = path.replace(/\/$/, '').split('/');
  if (!segments.every((s) => SEGMENT.test(s) && s !== '.' && s !== '..')) return undefined;
  return `${segments.join('/')}/`;
}

function endpointOf(value: string, bad: (what: string, hint?: string) => SkillsError): string {
  if (beforeQuery(value).includes('@')) throw bad('has an endpoint that carries credentials; they are never read from the URL', KEYS_HINT);
  let endpoint: URL;
  try {
    endpoint = new URL(value);
  } catch {
    throw bad('has an endpoint that is not a URL');
  }
  if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:') throw bad('has an endpoint that is not http(s)');
  if ((endpoint.pathname !== '/' && endpoint.pathname !== '') || endpoint.search !== '' || endpoint.hash !== '') throw bad('has an endpoint with a path or query: give only http(s)://host[:port]');
  return endpoint.origin;
}

/** The URL up to its query or fragment: an `@` there can only be credentials (a prefix holds none). */
function beforeQuery(url: string): string {
  const cut = url.search(/[?#]/);
  return cut === -1 ? url : url.slice(0, cut);
}

/**
 * `url` as messages may show it: without anything before an `@` in its authority (secret keys may
 * hold `/`, so that is everything up to the last `@` before the query), without a query that holds
 * an `@`, cut to 200 characters.
 */
export function shownUrl(url: string): string {
  let main = beforeQuery(url);
  let query = url.slice(main.length);
  const at = main.lastIndexOf('@');
  if (at !== -1) main = (/^[a-z][a-z0-9+.-]*:\/\//i.exec(main)?.[0] ?? '') + main.slice(at + 1);
  if (/@|%40/i.test(query)) query = `${query[0]}(removed: it holds credentials)`;
  const text = main + query;
  return JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}...` : text);
}
