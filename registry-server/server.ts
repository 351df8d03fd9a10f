/**
 * Starting the registry on a real port: the database, the sandbox pool that verifies uploads,
 * the HTTP server with timeouts, and a graceful stop (in-flight requests finish, the WAL is
 * checkpointed). On an empty database it creates the first admin token, returns it once and
 * writes it to a 0600 file beside the database.
 */
import fs from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import { isSkillsError, SkillsError } from '../schema/errors';
import { WorkerPool } from '../sandbox/pool';
import { AuditPool, type AuditPoolOptions } from './audit-pool';
import { verifySkill } from '../sandbox/verify';
import { createApp } from './app';
import { errorResponse } from './error-response';
import type { RegistryConfig } from './context';
import type { Logger } from './log';
import { Auth } from './auth';
import { RegistryMetrics } from './metrics';
import { bearerMatches, LIVE_PATH, metricsTokenError } from './routes/operations';
import type { Storage } from './storage/index';
import { openStorage } from './storage/open';

export interface StartOptions {
  port?: number;
  host?: string;
  /** The SQLite file, when `database` is not set; its folder also holds the first admin token. */
  db: string;
  /** A `postgres://` URL: metadata in PostgreSQL (shared by every registry process on it). */
  database?: string | undefined;
  /** An `s3://bucket/prefix?endpoint=...` URL: tarballs in S3-compatible object storage. */
  blobs?: string | undefined;
  /** With `database`: how long cached reads may rely on change notifications between checks, ms (storage/open.ts). */
  staleReadMs?: number | undefined;
  /** Request lines and server errors (a pino logger, log.ts); none: nowhere. */
  log?: Logger;
  config?: Partial<RegistryConfig>;
  /** Worker threads for verifying uploads (default: the core count). */
  workers?: number;
  /** The audit worker pool's options (tests point `workerFile` elsewhere). */
  audit?: AuditPoolOptions;
  /** A port of its own for the metrics (`GET /metrics`), on `host` (127.0.0.1 by default); `config.metricsToken` guards it too when set. */
  metrics?: { port: number; host?: string | undefined } | undefined;
}

export interface RunningRegistry {
  url: string;
  port: number;
  /** Set only when this start created the first admin token. */
  adminToken: string | undefined;
  adminTokenFile: string | undefined;
  /** `http://127.0.0.1:<port>/metrics` when the metrics have a port of their own. */
  metricsUrl: string | undefined;
  close(): Promise<void>;
}

export const ADMIN_TOKEN_FILE = 'admin-token';

export async function startRegistry(options: StartOptions): Promise<RunningRegistry> {
  const port = options.port ?? 4873;
  const host = options.host ?? '127.0.0.1';
  // The port first: a port in use must fail before any file is created or changed.
  // Starting: alive (the process answers), not ready.
  let fetchHandler: (request: Request, env: unknown) => Response | Promise<Response> = (request) =>
    new URL(request.url).pathname === LIVE_PATH
      ? Response.json({ live: true }, { headers: { 'Cache-Control': 'no-store' } })
      : errorResponse(new SkillsError('ESTARTING', 'the registry is starting; try again in a moment'), { 'Retry-After': '1' });
  const server = createAdaptorServer({
    fetch: (request: Request, env: unknown) => fetchHandler(request, env),
    // Long URLs reach the app, which answers 414 in JSON instead of a bare 431.
    serverOptions: { maxHeaderSize: 2 * 1024 * 1024, requestTimeout: 60_000, headersTimeout: 30_000, keepAliveTimeout: 5_000 },
  }) as Server;
  await listen(server, port, host);

  // The metrics port is bound as early, for the same reason; it answers once the app exists.
  const metricsToken = options.config?.metricsToken;
  const metrics = options.metrics !== undefined || metricsToken !== undefined ? new RegistryMetrics() : undefined;
  let metricsServer: Server | undefined;
  if (options.metrics !== undefined && metrics) {
    const registryMetrics = metrics;
    const metricsHost = options.metrics.host ?? '127.0.0.1';
    const listening = createServer((req, res) => void serveMetrics(req, res, registryMetrics, metricsToken));
    try {
      await listen(listening, options.metrics.port, metricsHost);
    } catch (error) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (!isSkillsError(error)) throw error;
      throw new SkillsError(error.code, `the metrics port: ${error.message}`, { status: error.status, hint: 'choose another metrics.port (0 picks a free one), or another metrics.host' });
    }
    metricsServer = listening;
  }
  metrics?.collectProcessMetrics();

  let storage: Storage | undefined;
  let pool: WorkerPool | undefined;
  let audits: AuditPool | undefined;
  let boot: { user: string; token: string } | undefined;
  let adminTokenFile: string | undefined;
  try {
    storage = await openStorage({ file: options.db, database: options.database, blobs: options.blobs, staleReadMs: options.staleReadMs });
    pool = new WorkerPool(options.workers);
    audits = new AuditPool(options.audit);
    boot = await new Auth(storage.db).bootstrap();
    if (boot) {
      adminTokenFile = path.join(path.dirname(path.resolve(options.db)), ADMIN_TOKEN_FILE);
      // On PostgreSQL nothing else made the --db folder.
      await fs.mkdir(path.dirname(adminTokenFile), { recursive: true });
      await fs.writeFile(adminTokenFile, `${boot.token}\n`, { mode: 0o600 });
      await fs.chmod(adminTokenFile, 0o600);
    }
  } catch (error) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (metricsServer) await closeServer(metricsServer);
    await pool?.close();
    await audits?.close();
    await storage?.close();
    throw error;
  }
  const workerPool = pool;
  const auditPool = audits;
  const opened = storage;
  const app = createApp({
    storage: opened,
    log: options.log,
    config: options.config ?? {},
    verify: (files, dependencies, budget) => verifySkill({ files, dependencies }, { runner: workerPool, concurrency: workerPool.size, ...budget }),
    audit: (files) => auditPool.audit(files),
    metrics,
    workers: { sandbox: workerPool, audit: auditPool },
  });
  fetchHandler = (request, env) => app.fetch(request, env as object);
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  const metricsAddress = metricsServer?.address() as AddressInfo | undefined;
  const stoppedMetrics = metricsServer;
  return {
    url: `http://${shown}:${address.port}`,
    port: address.port,
    adminToken: boot?.token,
    adminTokenFile,
    metricsUrl: metricsAddress ? `http://${metricsAddress.family === 'IPv6' ? `[${metricsAddress.address}]` : metricsAddress.address}:${metricsAddress.port}/metrics` : undefined,
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        if (stoppedMetrics) await closeServer(stoppedMetrics);
        await workerPool.close();
        await auditPool.close();
        await app.close();
        await opened.close();
      })();
      return closing;
    },
  };
}

/** Listens on `host:port`; EADDRINUSE and the rest as listenError says. */
async function listen(server: Server, port: number, host: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => reject(listenError(error, host, port));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

async function closeServer(server: Server): Promise<void> {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** The metrics port: `GET /metrics` (with the metrics token when one is set), nothing else. */
async function serveMetrics(req: IncomingMessage, res: ServerResponse, metrics: RegistryMetrics, token: string | undefined): Promise<void> {
  const send = (status: number, body: string, type = 'application/json') => {
    res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', ...(status === 401 ? { 'WWW-Authenticate': 'Bearer realm="metrics"' } : {}) });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  const pathname = (req.url ?? '/').split('?')[0];
  if (pathname !== '/metrics') return send(404, JSON.stringify({ error: new SkillsError('ENOTFOUND', 'no such route: the metrics are at /metrics').toJSON() }));
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(404, JSON.stringify({ error: new SkillsError('ENOTFOUND', 'the metrics answer GET').toJSON() }));
  if (token !== undefined && !bearerMatches(req.headers.authorization, token)) return send(401, JSON.stringify({ error: metricsTokenError().toJSON() }));
  try {
    send(200, await metrics.text(), metrics.contentType);
  } catch {
    send(500, JSON.stringify({ error: new SkillsError('EINTERNAL', 'the metrics could not be collected').toJSON() }));
  }
}

/** Listening failures an operator causes, with what to do instead. */
function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  switch (error.code) {
    case 'EADDRINUSE':
      return new SkillsError('EADDRINUSE', `port ${port} on ${host} is already in use`, {
        status: 500,
        hint: `choose another port with --port <n>, or --port 0 for a free one${port === 4873 ? ' (4873 is also the default port of Verdaccio)' : ''}`,
      });
    case 'EACCES':
      return new SkillsError('EADDRACCESS', `this user may not listen on port ${port}`, { status: 500, hint: 'use a port above 1023, or --port 0 for a free one' });
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new SkillsError('EADDRNOTAVAIL', `${host} is not an address of this machine`, { status: 500, hint: 'use --host 127.0.0.1 (this machine only) or --host 0.0.0.0 (every interface)' });
    default:
      return error;
  }
}
