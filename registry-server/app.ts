/**
 * The registry as a Hono app. `createApp({ storage, config, log, verify })` takes every dependency;
 * the one error boundary (`onError`) turns anything thrown into `{ error: { code, message, hint,
 * requestId } }` with the catalog's status for its code (error-response.ts), never a stack trace or
 * a secret. Every request gets an id and one log line (request-log.ts).
 */
import { Hono } from 'hono';
import { isSkillsError, SkillsError } from '../schema/errors';
import { clientAddress, createServices, DEFAULT_REGISTRY_CONFIG, type AppDeps, type Env, type RegistryConfig } from './context';
import { accessRoutes } from './routes/access';
import { adminRoutes } from './routes/admin';
import { auditRoutes } from './routes/audit';
import { mcpRoutes } from './routes/mcp';
import { readRoutes } from './routes/read';
import { searchRoutes } from './routes/search';
import { PUBLISH_PATH, TARBALL_HINT, writeRoutes } from './routes/write';
import { declaredLength, payloadTooLarge } from './request-body';
import { answeredError } from './error-response';
import { logError, SILENT_LOGGER } from './log';
import { requestLog } from './request-log';
import { webCatalog } from './web/index';
import { Health, type WorkerPools } from './health';
import { RegistryMetrics, timedDatabase } from './metrics';
import { operationRoutes } from './routes/operations';

export interface CreateAppOptions extends Omit<AppDeps, 'config' | 'log' | 'metrics'> {
  config?: Partial<RegistryConfig>;
  /** Where request lines and server errors go (a pino logger); none: nowhere. */
  log?: AppDeps['log'];
  /** The metrics to count into; by default new ones when `config.metricsToken` is set, else none (off). */
  metrics?: RegistryMetrics | undefined;
  /** The worker pools the readiness route probes and the metrics report (none in process). */
  workers?: WorkerPools;
}

/**
 * The app, and `close()`: writes pending download counts and stops their timer (call before closing
 * the database); `metrics` when they are on; `health`, what /-/health/ready reports.
 */
export type RegistryApp = Hono<Env> & { close(): Promise<void>; metrics: RegistryMetrics | undefined; health: Health };

export function createApp(options: CreateAppOptions): RegistryApp {
  const config = { ...DEFAULT_REGISTRY_CONFIG, ...options.config };
  const log = options.log ?? SILENT_LOGGER;
  const metrics = options.metrics ?? (config.metricsToken === undefined ? undefined : new RegistryMetrics());
  const storage = metrics ? { ...options.storage, db: timedDatabase(options.storage.db, metrics) } : options.storage;
  const services = createServices({ ...options, storage, config, log, metrics });
  const workers = options.workers ?? {};
  metrics?.watchCaches(() => services.store.cacheStats());
  metrics?.watchPools({ sandbox: workers.sandbox, audit: workers.audit });
  const health = new Health({ storage: options.storage, workers, config, log });
  const app = new Hono<Env>();

  app.use(requestLog(log));
  app.use(async (c, next) => {
    c.set('services', services);
    c.set('caller', undefined);
    await next();
  });

  if (metrics) app.use(metrics.middleware());
  operationRoutes(app, health, metrics && config.metricsToken !== undefined ? { registry: metrics, token: config.metricsToken } : undefined);

  app.use(async (c, next) => {
    if (c.req.url.length > config.maxUrlLength) {
      throw new SkillsError('EURITOOLONG', `the URL is over ${config.maxUrlLength} characters`, { status: 414 });
    }
    // Every route has a body limit: a declared length over it is refused before anything is read
    // (routes that read a body also count what streams in; unread bodies are drained, never kept).
    const declared = declaredLength(c);
    if (declared !== undefined) {
      const publishing = c.req.method === 'PUT' && PUBLISH_PATH.test(c.req.path);
      const limit = publishing ? config.maxTarballBytes : config.maxJsonBodyBytes;
      if (declared > limit) throw payloadTooLarge(c, limit, publishing ? 'the tarball' : 'the request body', publishing ? TARBALL_HINT : undefined);
    }
    const ip = clientAddress(c) ?? 'local';
    const header = c.req.header('Authorization');
    if (header !== undefined) {
      if (services.authFailureLimiter.blocked(ip)) {
        c.header('Retry-After', String(services.authFailureLimiter.retryAfterSeconds(ip)));
        throw new SkillsError('ERATELIMITED', 'too many failed authentications from this address; try again shortly', { status: 429 });
      }
      try {
        c.set('caller', await services.auth.authenticate(header));
      } catch (error) {
        services.authFailureLimiter.hit(ip);
        throw error;
      }
    }
    await next();
    // Only a request that succeeded marks its token as used: a refused one changes no row.
    const caller = c.get('caller');
    if (caller && c.res.status < 400) {
      // A last-used time that could not be written must not fail a request that succeeded.
      await services.auth.touch(caller).catch((error: unknown) => logError(log, 'recording a token use failed', error, c.get('requestId')));
    }
  });

  app.get('/-/ping', (c) => c.json({ ok: true }));
  readRoutes(app);
  auditRoutes(app);
  writeRoutes(app);
  searchRoutes(app);
  accessRoutes(app);
  adminRoutes(app);
  mcpRoutes(app);
  const web = webCatalog(app, services);

  app.notFound(() => {
    throw new SkillsError('ENOTFOUND', 'no such route', { status: 404 });
  });
  app.onError((error, c) => {
    const answered = answeredError(error);
    c.set('errorCode', answered.code);
    // A bug, or a server failure with its cause (a database I/O error): an error line with the request's id.
    if (!isSkillsError(error)) logError(log, 'unhandled error', error, c.get('requestId'));
    else if (answered.status === 500 && error.cause !== undefined) logError(log, `${answered.code}: ${answered.message}`, error.cause, c.get('requestId'));
    // A store that is briefly out of reach (the database restarting, the bucket timing out): the
    // client may try again at once, and is told so.
    if (answered.status === 503 && c.res.headers.get('Retry-After') === null) c.header('Retry-After', '1');
    const page = web.errorPage(c, error);
    if (page) return page;
    return c.json({ error: { ...answered.toJSON(), requestId: c.get('requestId') } }, answered.status as 400);
  });
  return Object.assign(app, { close: () => services.downloads.close(), metrics, health });
}
