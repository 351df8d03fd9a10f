/** What every route sees: the caller and the app's dependencies (passed in, never global). */
import type { Context } from 'hono';
import { SkillsError } from '../schema/errors';
import type { PackageFile } from '../schema/package-files';
import type { AuditReport } from '../schema/audit-report';
import { MAX_TARBALL_BYTES } from '../schema/registry';
import type { VerificationReport } from '../sandbox/verify';
import type { UnpackLimits } from '../tarball/limits';
import type { Actor } from './admin-log';
import { logError, type Logger } from './log';
import { AuditStore } from './audit-store';
import { Auth, atLeast, type Caller, type ScopeRow } from './auth';
import { DownloadCounter } from './downloads';
import { RateLimiter } from './rate-limit';
import { DEFAULT_STORE_CACHE, SkillsStore, type SkillRow } from './skills-store';
import type { Storage } from './storage/index';

/** What the registry asks of a verification: stop at the first failed case, within a time budget. */
export interface VerifyBudget {
  failFast: boolean;
  budgetMs: number;
}

export type Verifier = (files: readonly PackageFile[], dependencies: Record<string, readonly PackageFile[]>, budget: VerifyBudget) => Promise<VerificationReport>;

export interface RegistryConfig {
  /** Origin used in tarball URLs; by default the origin of each request. */
  publicUrl?: string | undefined;
  maxTarballBytes: number;
  maxUrlLength: number;
  publishesPerMinute: number;
  authFailuresPerMinute: number;
  /** A version can be deleted (not just yanked) only this long after publishing. */
  deleteWindowHours: number;
  unpackLimits?: Partial<UnpackLimits>;
  /** Largest body of every route but publish (JSON bodies, /mcp); larger ones get 413 as soon as they pass it. */
  maxJsonBodyBytes: number;
  /** Deepest nesting of arrays and objects in a JSON body. */
  maxJsonDepth: number;
  /** Most fixtures (cases) one upload may carry; more are refused before anything runs. */
  maxVerifyCases: number;
  /** Wall time for verifying one upload's cases, queueing included. */
  verifyBudgetMs: number;
  /** Largest verification report an error response carries (cases beyond it are counted, not sent). */
  maxReportBytes: number;
  /** Longest excerpt of one case's message, diff, console, return value or thrown error in a report. */
  reportExcerptBytes: number;
  /** Memory for ready-to-send packument bodies (plain and gzip), least recently used dropped first. */
  packumentCacheBytes: number;
  /** Memory for tarballs read from the database. */
  tarballCacheBytes: number;
  /** Memory for search answers, kept until the next write; 0 ranks every search afresh. */
  searchCacheBytes: number;
  /** Search counts matches only this far; beyond it `total` is a lower bound and `totalCapped` true. */
  searchTotalCap: number;
  /** How long a web catalog sign-in lasts at most (never past its token's own expiry). */
  sessionHours: number;
  /** Serves the metrics at /-/metrics on the main port to scrapes that send this bearer token; unset: no such route. */
  metricsToken?: string | undefined;
  /** How long the readiness route reuses the blob store's write probe and the worker pools' start check. */
  healthProbeCacheMs: number;
  /** Longest one readiness check may take before it counts as failed. */
  healthCheckTimeoutMs: number;
  /** SQLite: free space on the database's disk below which the registry reports not ready; 0: unchecked. */
  minFreeDiskBytes: number;
}

export const DEFAULT_REGISTRY_CONFIG: RegistryConfig = {
  maxTarballBytes: MAX_TARBALL_BYTES,
  maxUrlLength: 8 * 1024,
  publishesPerMinute: 120,
  authFailuresPerMinute: 30,
  deleteWindowHours: 72,
  maxJsonBodyBytes: 64 * 1024,
  maxJsonDepth: 32,
  maxVerifyCases: 200,
  verifyBudgetMs: 30_000,
  maxReportBytes: 64 * 1024,
  reportExcerptBytes: 1024,
  packumentCacheBytes: DEFAULT_STORE_CACHE.packumentCacheBytes,
  tarballCacheBytes: DEFAULT_STORE_CACHE.tarballCacheBytes,
  searchCacheBytes: DEFAULT_STORE_CACHE.searchCacheBytes,
  searchTotalCap: DEFAULT_STORE_CACHE.searchTotalCap,
  sessionHours: 12,
  healthProbeCacheMs: 5_000,
  healthCheckTimeoutMs: 2_000,
  minFreeDiskBytes: 64 * 1024 * 1024,
};

/** The static audit of an upload's files (in process by default; the server runs it on a worker thread). */
export type Auditor = (files: readonly PackageFile[]) => Promise<AuditReport>;

/** How a publish step ended, for the metrics: `passed`, or the step's own word for a failure. */
export type StepOutcome<T> = (result: { ok: true; value: T } | { ok: false; error: unknown }) => string;

/** What the publish path reports to the metrics (metrics.ts's RegistryMetrics), when they are on. */
export interface StepTimer {
  timeStep<T>(step: 'audit' | 'verify', run: () => Promise<T>, outcome: StepOutcome<T>): Promise<T>;
}

export interface AppDeps {
  /** Metadata, blobs and the change feed (storage/open.ts picks them from the configuration). */
  storage: Storage;
  config: RegistryConfig;
  /** Request lines and server errors (log.ts); createApp's default writes nothing. */
  log: Logger;
  verify: Verifier;
  /** Default: in process (tests); `startRegistry` passes its audit worker pool. */
  audit?: Auditor | undefined;
  /** The metrics, when they are on: the publish path times its audit and verification into them. */
  metrics?: StepTimer | undefined;
}

export interface Services {
  deps: AppDeps;
  auth: Auth;
  store: SkillsStore;
  audits: AuditStore;
  publishLimiter: RateLimiter;
  authFailureLimiter: RateLimiter;
  downloads: DownloadCounter;
  /** Valid origins by the text of the URL before its path (see origin()). */
  origins: Map<string, string>;
}

export function createServices(deps: AppDeps): Services {
  const { db } = deps.storage;
  const store = new SkillsStore(deps.storage, {
    packumentCacheBytes: deps.config.packumentCacheBytes,
    tarballCacheBytes: deps.config.tarballCacheBytes,
    searchCacheBytes: deps.config.searchCacheBytes,
    searchTotalCap: deps.config.searchTotalCap,
  });
  return {
    deps,
    auth: new Auth(db),
    store,
    audits: new AuditStore(db),
    origins: new Map(),
    publishLimiter: new RateLimiter(deps.config.publishesPerMinute, 60_000),
    authFailureLimiter: new RateLimiter(deps.config.authFailuresPerMinute, 60_000),
    downloads: new DownloadCounter(db, {
      onFlush: (names) => {
        for (const name of names) store.invalidate(name);
        void deps.storage.changes.announceDownloads([...names]);
      },
      onError: (error) => logError(deps.log, 'writing download counts failed; they stay pending', error),
    }),
  };
}

export type Env = {
  Variables: {
    caller: Caller | undefined;
    services: Services;
    /** The request's id (request-log.ts): in its log lines, the X-Request-Id header and JSON errors. */
    requestId: string;
    /** The code of the error the request was answered with, for its log line. */
    errorCode: string | undefined;
  };
};
export type Ctx = Context<Env>;

/** A host name (labels of letters, digits and hyphens) or an IP literal, with an optional port. */
const VALID_HOST = /^(?:(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?))*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/;

/**
 * The origin written into tarball and index URLs: the configured public URL, else the request's
 * own origin once its Host is a plain host name or address (anything else is refused, never
 * echoed into a body or a cache key). Cached bodies are keyed by this origin.
 */
export function origin(c: Ctx): string {
  const services = c.get('services');
  const configured = services.deps.config.publicUrl;
  if (configured) return configured.replace(/\/$/, '');
  // The origin depends only on what precedes the path: checked once per distinct prefix.
  const href = c.req.url;
  const slash = href.indexOf('/', href.indexOf('//') + 2);
  const prefix = slash === -1 ? href : href.slice(0, slash);
  const checkedOrigins = services.origins;
  const known = checkedOrigins.get(prefix);
  if (known !== undefined) return known;
  const url = new URL(href);
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.host.length > 260 || !VALID_HOST.test(url.host)) {
    throw new SkillsError('EHOSTINVALID', 'the Host header is not a host name or address', { status: 400, hint: 'send a plain Host header, or start the registry with --public-url' });
  }
  if (checkedOrigins.size >= MAX_CHECKED_ORIGINS) checkedOrigins.clear();
  checkedOrigins.set(prefix, url.origin);
  return url.origin;
}

/** Origins remembered at once: a flood of distinct Hosts only costs the check again. */
const MAX_CHECKED_ORIGINS = 64;

/**
 * The client's address: the remote address of the request's socket. No X-Forwarded-For or other
 * proxy header is read (the registry has no trusted-proxy setting), so behind a reverse proxy this
 * is the proxy's address. Undefined in process (app.request without a socket).
 */
export function clientAddress(c: Ctx): string | undefined {
  return (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress;
}

/** Who the admin log names for a change `caller` makes in this request. */
export function actorOf(c: Ctx, caller: Caller): Actor {
  return { userId: caller.userId, tokenId: caller.tokenId, address: clientAddress(c) ?? null };
}

export function requireCaller(c: Ctx, permission: 'read' | 'publish' | 'admin' = 'read'): Caller {
  const caller = c.get('caller');
  if (!caller) throw new SkillsError('EAUTHREQUIRED', 'this needs a token', { status: 401, hint: 'log in with `skills login --registry <url> --token <token>`' });
  if (!atLeast(caller, permission)) {
    throw new SkillsError('EFORBIDDEN', `this needs a token with ${permission} permission; yours has ${caller.permission}`, { status: 403, hint: 'ask an admin for a token with more permission' });
  }
  return caller;
}

/** Accounts (users, teams, members, scopes, every token) are managed only by unscoped admin tokens. */
export function requireGlobalAdmin(c: Ctx): Caller {
  const caller = requireCaller(c, 'admin');
  if (caller.scopes !== null) {
    throw new SkillsError('EFORBIDDEN', `this needs an admin token without scope limits; yours is limited to ${caller.scopes.join(', ')}`, { status: 403, hint: 'use an unscoped admin token' });
  }
  return caller;
}

export function notFound(what: string): SkillsError {
  return new SkillsError('ENOTFOUND', `${what} was not found`, { status: 404 });
}

/**
 * The one answer for a scope that does not exist and for a private scope the caller may not read,
 * so the two cannot be told apart.
 */
export function scopeNotFound(scope: string): SkillsError {
  return new SkillsError('ESCOPENOTFOUND', `the scope ${scope} does not exist on this registry`, { status: 404, hint: `an admin can create it: skills scope create ${scope} --team <team>` });
}

/** The scope of skill `name`, if the caller may read it (else the same 404 as a missing skill). */
export async function readableScopeOf(c: Ctx, name: string): Promise<ScopeRow> {
  const { auth, store } = c.get('services');
  const scope = await store.scope(name.slice(0, name.indexOf('/')));
  if (!scope || !(await auth.canRead(c.get('caller'), scope))) throw notFound(name);
  return scope;
}

/** The skill, if it exists and the caller may read its scope (else 404, never 403). */
export async function readableSkill(c: Ctx, name: string): Promise<{ skill: SkillRow; scope: ScopeRow }> {
  const scope = await readableScopeOf(c, name);
  const skill = await c.get('services').store.skill(name);
  if (!skill) throw notFound(name);
  return { skill, scope };
}
