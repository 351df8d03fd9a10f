/**
 * The run's one PostgreSQL, for test files that only need databases of their own: started by the
 * slow tier's global setup (test/global-postgres.ts) when the first file asks for it, stopped when
 * the run ends. Each `createDatabase()` makes a new database; nothing here may restart or stop the
 * server (a file that does starts its own with testkit/postgres.ts `startPostgres`).
 */
import { inject } from 'vitest';
import { postgresAt, type PostgresAddress, type PostgresDatabases } from './postgres';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The URL test/global-postgres.ts answers on: the shared server's address, once it runs. */
    postgresBroker: string;
  }
}

let shared: Promise<PostgresDatabases> | undefined;

export function sharedPostgres(): Promise<PostgresDatabases> {
  shared ??= (async () => {
    const broker = inject('postgresBroker');
    if (!broker) throw new Error('no shared PostgreSQL in this run: test/global-postgres.ts is the slow tier\'s global setup (vitest.config.ts)');
    const res = await fetch(broker);
    if (!res.ok) throw new Error(`the shared PostgreSQL did not start: ${await res.text()}`);
    return postgresAt((await res.json()) as PostgresAddress);
  })();
  return shared;
}
