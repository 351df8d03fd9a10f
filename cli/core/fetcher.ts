/** Registry reads for installs: packuments with ETag revalidation, tarballs, retries with backoff. */
import { SkillsError } from '../../schema/errors';
import { INSTALL_PACKUMENT_TYPE, installPackumentSchema, type InstallPackument } from '../../schema/registry';
import type { Cache } from './cache';
import { RegistryClient } from './registry-client';

const RETRIES = 3;

async function withRetries<T>(what: string, attempt: () => Promise<T>): Promise<T> {
  let delay = 200;
  for (let i = 0; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      const retriable = error instanceof SkillsError && (error.code === 'ENETWORK' || error.code === 'ETIMEDOUT' || error.status >= 500);
      if (!retriable || i >= RETRIES - 1) {
        if (retriable && error instanceof SkillsError) {
          throw new SkillsError(error.code === 'ETIMEDOUT' ? 'ETIMEDOUT' : 'ENETWORK', `${what} failed after ${RETRIES} attempts: ${error.message}`, error.hint ? { hint: error.hint } : {});
        }
        throw error;
      }
      await new Promise((r) => setTimeout(r, delay));
      delay *= 3;
    }
  }
}

export class Fetcher {
  constructor(
    readonly client: RegistryClient,
    readonly cache: Cache,
    readonly timeoutMs = 15_000,
  ) {}

  /** The install form of a skill's packument (versions, dependencies, dist, yanked, deprecated). */
  async packument(name: string): Promise<InstallPackument> {
    const cached = await this.cache.packument(this.client.url, name);
    const res = await withRetries(`fetching ${name}`, () =>
      this.client.request('GET', `/v1/skills/${name}`, { timeoutMs: this.timeoutMs, accept: [304], headers: { Accept: INSTALL_PACKUMENT_TYPE, ...(cached ? { 'If-None-Match': cached.etag } : {}) } }),
    );
    let body: string;
    if (res.status === 304 && cached) body = cached.body;
    else {
      body = await res.text();
      const etag = res.headers.get('etag');
      if (etag) await this.cache.putPackument(this.client.url, name, etag, body);
    }
    const parsed = installPackumentSchema.safeParse(JSON.parse(body));
    if (!parsed.success) throw new SkillsError('EREGISTRY', `the registry sent an invalid packument for ${name}`);
    return parsed.data;
  }

  async tarball(url: string): Promise<Uint8Array> {
    const res = await withRetries(`downloading ${url}`, () => this.client.request('GET', url, { timeoutMs: this.timeoutMs * 4 }));
    return new Uint8Array(await res.arrayBuffer());
  }
}

/** Runs tasks with at most `limit` in flight; results keep their order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T);
    }
  });
  await Promise.all(workers);
  return results;
}
