/**
 * The registry's metrics in the Prometheus text format (prom-client), one `Registry` per app (never
 * prom-client's global one, so two apps in one process never mix). What is counted on the request
 * path (requests, publishes, rate-limit refusals, database queries, publish steps) is counted as it
 * happens; what the caches and worker pools already count is read from them at each scrape, so it
 * costs the request path nothing. Every label value comes from a bounded set: a route's pattern
 * (never the raw path), a method from a fixed list, a status, a cache or pool name, an error code.
 */
import type { MiddlewareHandler } from 'hono';
import { matchedRoutes, routePath } from 'hono/route';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type Metric } from 'prom-client';
import { isSkillsError } from '../schema/errors';
import type { PoolWatch } from '../sandbox/thread-pool';
import type { ByteLruStats } from './byte-lru';
import type { Env, StepOutcome, StepTimer } from './context';
import { SKILL as PUBLISH_PATTERN } from './routes/write';
import type { SqlDatabase, SqlExecutor, SqlTransaction, SqlValue } from './storage/sql';

export const METRICS_PREFIX = 'skills_registry_';

/** The label of requests no route matched (any path, any method). */
export const UNMATCHED_ROUTE = 'unmatched';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);

/** Seconds: from a cached packument (well under a millisecond) to a publish verified in the sandbox. */
const REQUEST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const STEP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const QUERY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];

export type QueryOp = 'all' | 'get' | 'run' | 'transaction';
/** A publish step that is timed: the static audit (on the audit pool) and the sandbox verification. */
export type PublishStep = 'audit' | 'verify';

/** The caches' counts, as SkillsStore.cacheStats() gives them. */
export interface CacheSources {
  packuments: ByteLruStats;
  tarballs: ByteLruStats;
  searches: ByteLruStats;
}

const CACHE_NAMES = { packuments: 'packuments', tarballs: 'tarballs', searches: 'search' } as const;

/** `/v1/skills/:scope{@[^/]+}/:name` as `/v1/skills/:scope/:name`: a pattern without its regular expressions. */
export function routeLabel(pattern: string): string {
  let out = '';
  let depth = 0;
  for (const ch of pattern) {
    if (ch === '{') depth++;
    else if (ch === '}') depth = Math.max(0, depth - 1);
    else if (depth === 0) out += ch;
  }
  return out;
}

const isMiddleware = (path: string) => path === '*' || path === '/*';

/** One method and route's requests: counts by status and the latency histogram (counts per bucket, not cumulative). */
interface RouteSeries {
  method: string;
  route: string;
  byStatus: Map<number, number>;
  buckets: number[];
  sum: number;
  count: number;
}

/**
 * The request counts and latencies, counted in plain maps and arrays on the request path (prom-client's
 * own inc() and observe() hash their labels on every call: a third of the metrics' cost per request)
 * and handed to prom-client's exposition at a scrape: the counter through its collect(), the
 * histogram as a metric object of the shape prom-client's registry formats (what `get()` returns).
 */
class RequestSeries {
  readonly #series = new Map<string, RouteSeries>();

  constructor(readonly bounds: readonly number[]) {}

  add(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${route}`;
    let series = this.#series.get(key);
    if (series === undefined) {
      series = { method, route, byStatus: new Map(), buckets: new Array<number>(this.bounds.length + 1).fill(0), sum: 0, count: 0 };
      this.#series.set(key, series);
    }
    series.byStatus.set(status, (series.byStatus.get(status) ?? 0) + 1);
    let i = 0;
    while (i < this.bounds.length && seconds > (this.bounds[i] ?? Infinity)) i++;
    series.buckets[i] = (series.buckets[i] ?? 0) + 1;
    series.sum += seconds;
    series.count++;
  }

  all(): IterableIterator<RouteSeries> {
    return this.#series.values();
  }
}

/** The latency histogram of RequestSeries, as a metric prom-client's registry formats and lists. */
function latencyMetric(name: string, help: string, series: RequestSeries): Metric {
  const metric = {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    collect: () => undefined,
    reset: () => undefined,
    get: async () => {
      const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
      for (const s of series.all()) {
        let cumulative = 0;
        series.bounds.forEach((le, i) => {
          cumulative += s.buckets[i] ?? 0;
          values.push({ labels: { method: s.method, route: s.route, le }, value: cumulative, metricName: `${name}_bucket` });
        });
        values.push({ labels: { method: s.method, route: s.route, le: '+Inf' }, value: s.count, metricName: `${name}_bucket` });
        values.push({ labels: { method: s.method, route: s.route }, value: s.sum, metricName: `${name}_sum` });
        values.push({ labels: { method: s.method, route: s.route }, value: s.count, metricName: `${name}_count` });
      }
      return { name, help, type: 'histogram', aggregator: 'sum', values };
    },
  };
  return metric as unknown as Metric;
}

export class RegistryMetrics implements StepTimer {
  readonly registry = new Registry();
  readonly #requests = new RequestSeries(REQUEST_BUCKETS);
  readonly #inFlight: Gauge;
  readonly #publishes: Counter<'outcome'>;
  readonly #steps: Histogram<'step' | 'outcome'>;
  readonly #rateLimited: Counter<'limit'>;
  readonly #queries: Histogram<'op'>;
  readonly #queryErrors: Counter<'op'>;
  /** Route labels by pattern: computed once per pattern. */
  readonly #routes = new Map<string, string>();
  #caches: (() => CacheSources) | undefined;
  #pools: Record<string, PoolWatch> = {};

  constructor() {
    const registers = [this.registry];
    const name = (n: string) => `${METRICS_PREFIX}${n}`;
    const requests = this.#requests;
    new Counter({
      name: name('http_requests_total'),
      help: 'HTTP requests answered, by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      registers,
      collect() {
        this.reset();
        for (const s of requests.all()) for (const [status, n] of s.byStatus) this.inc({ method: s.method, route: s.route, status: String(status) }, n);
      },
    });
    this.registry.registerMetric(latencyMetric(name('http_request_duration_seconds'), 'Time to answer a request (until its body starts), by method and route pattern', requests));
    this.#inFlight = new Gauge({ name: name('http_requests_in_flight'), help: 'Requests being answered now', registers });
    this.#publishes = new Counter({ name: name('publishes_total'), help: 'Publish requests, by outcome: published, or the error code answered', labelNames: ['outcome'], registers });
    this.#steps = new Histogram({ name: name('publish_step_duration_seconds'), help: 'The static audit (step="audit": passed, refused or error) and the sandbox verification (step="verify": passed, failed, budget or error) of uploads', labelNames: ['step', 'outcome'], buckets: STEP_BUCKETS, registers });
    this.#rateLimited = new Counter({ name: name('rate_limited_total'), help: 'Requests refused with 429, by limit: publish (per token) or auth_failures (per address)', labelNames: ['limit'], registers });
    this.#queries = new Histogram({ name: name('db_query_duration_seconds'), help: "Metadata database calls by the registry's stores, by operation (a transaction counts once for all it runs)", labelNames: ['op'], buckets: QUERY_BUCKETS, registers });
    this.#queryErrors = new Counter({ name: name('db_query_errors_total'), help: 'Metadata database calls that failed, by operation', labelNames: ['op'], registers });

    const caches = () => this.#caches?.();
    const cacheCounter = (metric: string, help: string, field: 'hits' | 'misses' | 'evictions') =>
      new Counter({
        name: name(metric),
        help,
        labelNames: ['cache'],
        registers,
        collect() {
          const stats = caches();
          if (!stats) return;
          this.reset();
          for (const [key, label] of Object.entries(CACHE_NAMES)) this.inc({ cache: label }, stats[key as keyof CacheSources][field]);
        },
      });
    const cacheGauge = (metric: string, help: string, field: 'bytes' | 'maxBytes' | 'entries') =>
      new Gauge({
        name: name(metric),
        help,
        labelNames: ['cache'],
        registers,
        collect() {
          const stats = caches();
          if (!stats) return;
          for (const [key, label] of Object.entries(CACHE_NAMES)) this.set({ cache: label }, stats[key as keyof CacheSources][field]);
        },
      });
    cacheCounter('cache_hits_total', 'Cache lookups that found their entry, by cache (packuments, tarballs, search)', 'hits');
    cacheCounter('cache_misses_total', 'Cache lookups that did not, by cache', 'misses');
    cacheCounter('cache_evictions_total', 'Entries dropped to make room, by cache', 'evictions');
    cacheGauge('cache_bytes', 'Bytes held, by cache', 'bytes');
    cacheGauge('cache_max_bytes', 'Bytes a cache may hold (0: off), by cache', 'maxBytes');
    cacheGauge('cache_entries', 'Entries held, by cache', 'entries');

    const pools = () => Object.entries(this.#pools);
    new Gauge({
      name: name('workers'),
      help: 'Live worker threads, by pool (sandbox, audit) and state (busy, idle)',
      labelNames: ['pool', 'state'],
      registers,
      collect() {
        for (const [pool, watch] of pools()) {
          const s = watch.stats();
          this.set({ pool, state: 'busy' }, s.busy);
          this.set({ pool, state: 'idle' }, s.workers - s.busy);
        }
      },
    });
    new Gauge({
      name: name('workers_max'),
      help: 'Worker threads a pool may run, by pool',
      labelNames: ['pool'],
      registers,
      collect() {
        for (const [pool, watch] of pools()) this.set({ pool }, watch.stats().size);
      },
    });
    new Gauge({
      name: name('worker_jobs_queued'),
      help: 'Jobs waiting for a worker, by pool',
      labelNames: ['pool'],
      registers,
      collect() {
        for (const [pool, watch] of pools()) this.set({ pool }, watch.stats().queued);
      },
    });
    new Counter({
      name: name('worker_starts_total'),
      help: 'Worker threads started, by pool (a worker that failed is replaced by a new one)',
      labelNames: ['pool'],
      registers,
      collect() {
        this.reset();
        for (const [pool, watch] of pools()) this.inc({ pool }, watch.stats().started);
      },
    });
    new Counter({
      name: name('worker_jobs_total'),
      help: 'Jobs a worker answered, by pool (sandbox: one per fixture case; audit: one per upload)',
      labelNames: ['pool'],
      registers,
      collect() {
        this.reset();
        for (const [pool, watch] of pools()) this.inc({ pool }, watch.stats().answered);
      },
    });
    new Counter({
      name: name('worker_failures_total'),
      help: 'Jobs or workers that failed in the pool, by pool and kind (start, send, unreadable, error, exit, timeout)',
      labelNames: ['pool', 'kind'],
      registers,
      collect() {
        this.reset();
        for (const [pool, watch] of pools()) for (const [kind, n] of Object.entries(watch.stats().failures)) this.inc({ pool, kind }, n);
      },
    });
  }

  /** The caches a scrape reports. */
  watchCaches(stats: () => CacheSources): void {
    this.#caches = stats;
  }

  /** The worker pools a scrape reports, by name (an undefined one is left out). */
  watchPools(pools: Record<string, PoolWatch | undefined>): void {
    this.#pools = Object.fromEntries(Object.entries(pools).filter((entry): entry is [string, PoolWatch] => entry[1] !== undefined));
  }

  /** Node's own metrics (CPU, memory, event loop delay, GC): once per process, by the registry that serves. */
  collectProcessMetrics(): void {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Counts and times every request; registered once, right after the request log's middleware. */
  middleware(): MiddlewareHandler<Env> {
    return async (c, next) => {
      const started = performance.now();
      this.#inFlight.inc();
      try {
        await next();
      } finally {
        this.#inFlight.dec();
      }
      const method = METHODS.has(c.req.method) ? c.req.method : 'other';
      // The handler that answered; when a middleware did (a refused token, a URL too long), the route
      // the request was for; none at all: unmatched, whatever the path.
      let pattern = routePath(c);
      if (isMiddleware(pattern)) {
        const last = matchedRoutes(c).at(-1)?.path;
        pattern = last === undefined || isMiddleware(last) ? '' : last;
      }
      const route = pattern === '' ? UNMATCHED_ROUTE : this.#route(pattern);
      const status = c.res.status;
      this.#requests.add(method, route, status, (performance.now() - started) / 1000);
      if (status === 429) this.#rateLimited.inc({ limit: routePath(c) === PUBLISH_PATTERN ? 'publish' : 'auth_failures' });
      if (method === 'PUT' && route === PUBLISH_ROUTE) {
        const error = c.error;
        this.#publishes.inc({ outcome: error === undefined ? (status < 300 ? 'published' : String(status)) : isSkillsError(error) ? error.code : 'EINTERNAL' });
      }
    };
  }

  #route(pattern: string): string {
    let label = this.#routes.get(pattern);
    if (label === undefined) {
      label = routeLabel(pattern);
      this.#routes.set(pattern, label);
    }
    return label;
  }

  /** Times one publish step: `outcome` names how `run`'s result (or error) ended it. */
  async timeStep<T>(step: PublishStep, run: () => Promise<T>, outcome: StepOutcome<T>): Promise<T> {
    const started = performance.now();
    let result: T;
    try {
      result = await run();
    } catch (error) {
      this.#steps.observe({ step, outcome: outcome({ ok: false, error }) }, (performance.now() - started) / 1000);
      throw error;
    }
    this.#steps.observe({ step, outcome: outcome({ ok: true, value: result }) }, (performance.now() - started) / 1000);
    return result;
  }

  observeQuery(op: QueryOp, seconds: number, failed: boolean): void {
    this.#queries.observe({ op }, seconds);
    if (failed) this.#queryErrors.inc({ op });
  }

  /** The exposition text of every metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

const PUBLISH_ROUTE = routeLabel(PUBLISH_PATTERN);

/**
 * `db` with every call timed into `metrics` (the stores' queries, one place for both engines).
 * Queries inside a transaction are timed by the transaction they belong to.
 */
export function timedDatabase(db: SqlDatabase, metrics: RegistryMetrics): SqlDatabase {
  const timed = async <T>(op: QueryOp, run: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      const result = await run();
      metrics.observeQuery(op, (performance.now() - started) / 1000, false);
      return result;
    } catch (error) {
      metrics.observeQuery(op, (performance.now() - started) / 1000, true);
      throw error;
    }
  };
  const executor: SqlExecutor = {
    get dialect() {
      return db.dialect;
    },
    all: <T>(text: string, params?: readonly SqlValue[]) => timed('all', () => db.all<T>(text, params)),
    get: <T>(text: string, params?: readonly SqlValue[]) => timed('get', () => db.get<T>(text, params)),
    run: (text: string, params?: readonly SqlValue[]) => timed('run', () => db.run(text, params)),
  };
  return Object.assign(executor, {
    transaction: <T>(fn: (tx: SqlTransaction) => Promise<T>) => timed('transaction', () => db.transaction(fn)),
    isUniqueViolation: (error: unknown) => db.isUniqueViolation(error),
    close: () => db.close(),
  });
}
