/**
 * Registry reads for installs: packuments with ETag revalidation, tarballs, retries with backoff,
 * and the bounds of one command's resolution (a hostile registry can invent endless names).
 */
import { SkillsError } from '../../../schema/errors';
import { INSTALL_PACKUMENT_TYPE, installPackumentViewSchema, MAX_JSON_VALUES, MAX_PACKUMENT_BYTES, MAX_TARBALL_BYTES, type InstallPackumentView } from '../../../schema/registry';
import type { Cache } from './cache';
import { packumentLimits, parseResponse, printable, RegistryClient } from './client';

export const RETRIES = 3;

async function withRetries<T>(what: string, attempt: () => Promise<T>, backoffMs: number): Promise<T> {
  let delay = backoffMs;
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

/** What one command may ask of registries. Defaults are far above any real workspace. */
export interface FetchLimits {
  /** Distinct packuments (skills) one resolution may fetch. */
  maxPackuments: number;
  /** Links in the longest dependency chain from a requested skill. */
  maxDepth: number;
  /** HTTP requests in all (packuments, tarballs and every retry). */
  maxRequests: number;
  /** Body bytes read in all (what reaches memory and the cache in one command). */
  maxTotalBytes: number;
  maxPackumentBytes: number;
  /** JSON values in one packument (see MAX_JSON_VALUES). */
  maxValues: number;
  /** Versions one packument may list (resolution time grows with the square of it). */
  maxVersions: number;
  maxTarballBytes: number;
  /** First retry delay; each next one is 3 times longer. */
  backoffMs: number;
}

export const DEFAULT_FETCH_LIMITS: FetchLimits = {
  maxPackuments: 1000,
  maxDepth: 64,
  maxRequests: 5000,
  maxTotalBytes: 1024 * 1024 * 1024,
  maxPackumentBytes: MAX_PACKUMENT_BYTES,
  maxValues: MAX_JSON_VALUES,
  maxVersions: 10_000,
  maxTarballBytes: MAX_TARBALL_BYTES,
  backoffMs: 200,
};

/**
 * Counts one command's requests and packuments and tracks how deep each name sits in the
 * dependency graph seen so far (the shortest chain from a name asked for without a parent).
 */
export class FetchBudget {
  #requests = 0;
  #bytes = 0;
  #lookups = 0;
  readonly #fetched = new Set<string>();
  readonly #depth = new Map<string, number>();
  readonly #children = new Map<string, Set<string>>();

  constructor(readonly limits: FetchLimits) {}

  get requests(): number {
    return this.#requests;
  }

  request(method: string, url: string): void {
    if (++this.#requests > this.limits.maxRequests) {
      throw new SkillsError('EREQUESTLIMIT', `this command sent more than ${this.limits.maxRequests} requests to registries (stopped before ${method} ${printable(url, 120)}); nothing was changed`, {
        hint: 'a registry keeps sending more work than any real workspace needs; check the registry URL',
      });
    }
  }

  /** Counts a body that was read; refuses once the command has read more than its total. */
  received(bytes: number, what: string): void {
    this.#bytes += bytes;
    if (this.#bytes > this.limits.maxTotalBytes) {
      throw new SkillsError('EDOWNLOADLIMIT', `this command downloaded more than ${this.limits.maxTotalBytes} bytes (stopped at ${printable(what, 200)}); nothing was changed`, {
        hint: 'a registry keeps sending more than any real workspace needs; check the registry URL',
      });
    }
  }

  /** Called before fetching a packument: refuses what would pass the count or depth bounds. */
  lookup(name: string): void {
    // A name is looked up once per command; repeats mean a loop, bounded like new names.
    if (++this.#lookups > this.limits.maxPackuments * 2 || (!this.#fetched.has(name) && this.#fetched.size >= this.limits.maxPackuments)) {
      throw new SkillsError('ERESOLVELIMIT', `resolving needs more than ${this.limits.maxPackuments} skills (stopped at ${name}); nothing was changed`, {
        hint: 'a registry keeps naming new dependencies; check the registry URL and the skills you asked for',
      });
    }
    const depth = this.#depth.get(name) ?? 0;
    if (!this.#depth.has(name)) this.#depth.set(name, 0);
    if (depth > this.limits.maxDepth) {
      throw new SkillsError('ERESOLVEDEPTH', `the dependency chain to ${name} is longer than ${this.limits.maxDepth} links; nothing was changed`, {
        hint: 'a registry serves an endless or circular-looking chain of new names; check the registry URL',
      });
    }
    this.#fetched.add(name);
  }

  /** Records the dependency names a fetched packument lists (over all its versions). */
  fetched(name: string, children: Iterable<string>): void {
    const set = this.#children.get(name) ?? new Set<string>();
    for (const child of children) set.add(child);
    this.#children.set(name, set);
    this.#relax(name);
  }

  /** Lowers the depth of everything below `from` after its own depth became known or lower. */
  #relax(from: string): void {
    const stack = [from];
    while (stack.length > 0) {
      const parent = stack.pop() as string;
      const next = (this.#depth.get(parent) ?? 0) + 1;
      for (const child of this.#children.get(parent) ?? []) {
        const known = this.#depth.get(child);
        if (known !== undefined && known <= next) continue;
        this.#depth.set(child, next);
        stack.push(child);
      }
    }
  }
}

export class Fetcher {
  readonly budget: FetchBudget;
  readonly limits: FetchLimits;
  readonly client: RegistryClient;

  constructor(
    client: RegistryClient,
    readonly cache: Cache,
    readonly timeoutMs = 15_000,
    limits: Partial<FetchLimits> = {},
  ) {
    this.limits = { ...DEFAULT_FETCH_LIMITS, ...limits };
    this.budget = new FetchBudget(this.limits);
    const before = client.beforeRequest;
    // Every request of this command counts, whoever sends it through this client.
    this.client = new RegistryClient(client.target, (method, url) => {
      before(method, url);
      this.budget.request(method, url);
    });
  }

  /** The install form of a skill's packument (versions, dependencies, dist, yanked, deprecated). */
  async packument(name: string): Promise<InstallPackumentView> {
    this.budget.lookup(name);
    const cached = await this.cache.packument(this.client.url, name);
    const read = packumentLimits(name, this.limits.maxPackumentBytes, this.limits.maxValues);
    const { what } = read;
    const body = await withRetries(
      `fetching ${name}`,
      async () => {
        const res = await this.client.request('GET', `/v1/skills/${name}`, { timeoutMs: this.timeoutMs, accept: [304], headers: { Accept: INSTALL_PACKUMENT_TYPE, ...(cached ? { 'If-None-Match': cached.etag } : {}) } });
        if (res.status === 304) {
          await res.body?.cancel().catch(() => undefined);
          if (cached) return { bytes: new TextEncoder().encode(cached.body), fresh: false, etag: null };
          throw new SkillsError('EBADRESPONSE', `the registry answered 304 Not Modified for ${name}, which was not asked conditionally`);
        }
        const bytes = await this.client.bytes(res, read);
        this.budget.received(bytes.byteLength, what);
        return { bytes, fresh: true, etag: res.headers.get('etag') };
      },
      this.limits.backoffMs,
    );
    const doc = parseResponse(installPackumentViewSchema, body.bytes, read);
    if (doc.name !== name) {
      throw new SkillsError('EPACKUMENTNAME', `asked for ${name}, the registry answered with the packument of ${printable(doc.name, 220)}; nothing was changed`, {
        hint: 'the registry is broken or hostile; check the registry URL',
      });
    }
    const count = Object.keys(doc.versions).length;
    if (count > this.limits.maxVersions) {
      throw new SkillsError('EPACKUMENTTOOLARGE', `${what} lists ${count} versions, over the limit of ${this.limits.maxVersions}; nothing was changed`, { hint: 'no real skill has this many versions; check the registry URL' });
    }
    for (const [key, version] of Object.entries(doc.versions)) {
      if (key !== version.version) throw new SkillsError('EBADRESPONSE', `${what} lists version ${printable(version.version, 80)} under the key ${printable(key, 80)}`);
    }
    // Cached only once it is known to be a valid packument of this name.
    if (body.fresh && body.etag) await this.cache.putPackument(this.client.url, name, body.etag, new TextDecoder().decode(body.bytes));
    const children = new Set<string>();
    for (const version of Object.values(doc.versions)) for (const dep of Object.keys(version.dependencies)) children.add(dep);
    this.budget.fetched(name, children);
    return doc;
  }

  async tarball(url: string): Promise<Uint8Array> {
    const tooLarge = (over: string) =>
      new SkillsError('ETARBALLTOOLARGE', `the tarball at ${printable(url, 200)} is ${over}; nothing was changed`, { hint: 'the registry refuses uploads this large, so this is not a published skill; check the registry URL' });
    return withRetries(
      `downloading ${printable(url, 200)}`,
      async () => {
        const res = await this.client.request('GET', url, { timeoutMs: this.timeoutMs * 4 });
        const bytes = await this.client.bytes(res, { maxBytes: this.limits.maxTarballBytes, tooLarge, what: `the tarball at ${printable(url, 200)}` });
        this.budget.received(bytes.byteLength, url);
        return bytes;
      },
      this.limits.backoffMs,
    );
  }
}

/** Runs tasks with at most `limit` in flight; results keep their order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    // After the first failure no new task starts: the command is already lost.
    while (next < items.length && !failed) {
      const index = next++;
      try {
        results[index] = await task(items[index] as T);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  });
  await Promise.all(workers);
  return results;
}
