/**
 * The slow tier's global setup: one PostgreSQL for the run (testkit/shared-postgres.ts), started by
 * the first file that asks for it rather than once per file (initdb and a start cost about a second),
 * and never when no file of the run needs it. Files reach it through a small HTTP answer here, in
 * the vitest process, whose URL they get with vitest's inject.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestProject } from 'vitest/node';
import { startPostgres, type PostgresAddress, type TestPostgres } from '../testkit/postgres';
// The type of what it provides (vitest's ProvidedContext) is declared beside its one reader.
import type {} from '../testkit/shared-postgres';
import { removeTempDirs } from '../testkit/temp';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let server: Promise<TestPostgres> | undefined;
  const broker = http.createServer((_req, res) => {
    server ??= startPostgres();
    server.then(
      (pg) => {
        const address: PostgresAddress = { port: pg.port, password: pg.password, binaries: pg.binaries };
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(address));
      },
      (error: Error) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(error.message),
    );
  });
  await new Promise<void>((resolve) => broker.listen(0, '127.0.0.1', resolve));
  project.provide('postgresBroker', `http://127.0.0.1:${(broker.address() as AddressInfo).port}/`);
  return async () => {
    await new Promise((resolve) => broker.close(resolve));
    await (await server?.catch(() => undefined))?.stop();
    await removeTempDirs();
  };
}
