/**
 * Starting the registry on a real port: the database, the sandbox pool that verifies uploads,
 * the HTTP server with timeouts, and a graceful stop (in-flight requests finish, the WAL is
 * checkpointed). On an empty database it creates the first admin token, returns it once and
 * writes it to a 0600 file beside the database.
 */
import fs from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { serve } from '@hono/node-server';
import { WorkerPool } from '../sandbox/pool';
import { verifySkill } from '../sandbox/verify';
import { createApp } from './app';
import type { Logger, RegistryConfig } from './context';
import { openDatabase } from './db';
import { Auth } from './auth';

export interface StartOptions {
  port?: number;
  host?: string;
  db: string;
  log?: Logger;
  config?: Partial<RegistryConfig>;
  /** Worker threads for verifying uploads (default: the core count). */
  workers?: number;
}

export interface RunningRegistry {
  url: string;
  port: number;
  /** Set only when this start created the first admin token. */
  adminToken: string | undefined;
  adminTokenFile: string | undefined;
  close(): Promise<void>;
}

export const ADMIN_TOKEN_FILE = 'admin-token';

export async function startRegistry(options: StartOptions): Promise<RunningRegistry> {
  const db = openDatabase(options.db);
  const log = options.log ?? (() => {});
  const pool = new WorkerPool(options.workers);
  const boot = new Auth(db).bootstrap();
  let adminTokenFile: string | undefined;
  if (boot) {
    adminTokenFile = path.join(path.dirname(path.resolve(options.db)), ADMIN_TOKEN_FILE);
    await fs.writeFile(adminTokenFile, `${boot.token}\n`, { mode: 0o600 });
    await fs.chmod(adminTokenFile, 0o600);
  }
  const app = createApp({
    db,
    log,
    config: options.config ?? {},
    verify: (files, dependencies, budget) => verifySkill({ files, dependencies }, { runner: pool, concurrency: pool.size, ...budget }),
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve(
      {
        fetch: app.fetch,
        port: options.port ?? 4873,
        hostname: options.host ?? '127.0.0.1',
        // Long URLs reach the app, which answers 414 in JSON instead of a bare 431.
        serverOptions: { maxHeaderSize: 2 * 1024 * 1024, requestTimeout: 60_000, headersTimeout: 30_000, keepAliveTimeout: 5_000 },
      },
      () => resolve(s as Server),
    ) as Server;
    s.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    adminToken: boot?.token,
    adminTokenFile,
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        await pool.close();
        db.pragma('wal_checkpoint(TRUNCATE)');
        db.close();
      })();
      return closing;
    },
  };
}
