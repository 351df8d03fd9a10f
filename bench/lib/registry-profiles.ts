/**
 * The registry's two storage profiles, as the registry bench runs them: `sqlite` (one SQLite file,
 * tarballs in its `blobs` table: the default) and `postgres` (PostgreSQL for metadata, tarballs in
 * an S3-compatible bucket served by s3rver). BENCH_PROFILE picks them: sqlite, postgres or both
 * (the default). Each profile starts as many registry processes on its storage as the bench asks
 * (the main one, fresh ones for cold reads, one with the search cache off).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { startPostgres, type TestPostgres } from '../../testkit/postgres';
import { startS3, type S3Server } from '../../testkit/s3';
import { cpuSeconds } from './proc-cpu';
import { startRegistryProcess, type RegistryProcess, type RegistryProcessOptions } from './registry-process';

export type ProfileName = 'sqlite' | 'postgres';

export const PROFILE_LABELS: Record<ProfileName, string> = { sqlite: 'SQLite', postgres: 'PostgreSQL+S3' };

/** BENCH_PROFILE: `sqlite`, `postgres` or `both` (the default). */
export function benchProfiles(value = process.env.BENCH_PROFILE ?? 'both'): ProfileName[] {
  if (value === 'both') return ['sqlite', 'postgres'];
  if (value === 'sqlite' || value === 'postgres') return [value];
  throw new Error(`BENCH_PROFILE=${value}: use sqlite, postgres or both`);
}

/**
 * PostgreSQL's settings for the bench, over testkit's test defaults: fsync and full-page writes on
 * as in service; commits without waiting for their WAL flush (synchronous_commit off), which is what
 * the SQLite profile does too (WAL with synchronous=NORMAL syncs at checkpoints, not per commit);
 * shared_buffers at PostgreSQL's own default.
 */
export const POSTGRES_SETTINGS: Record<string, string> = { fsync: 'on', full_page_writes: 'on', synchronous_commit: 'off', shared_buffers: '128MB' };

export type CpuSample = Record<'registry' | 'database' | 'blobs' | 'total', number>;

export interface BenchProfile {
  name: ProfileName;
  label: string;
  /** Where metadata and tarballs live, for the printed settings (no password). */
  description: string;
  /** A registry process on this profile's storage; the first one creates the admin token. */
  start(options?: Omit<RegistryProcessOptions, 'db' | 'database' | 'blobs' | 'env'>): Promise<RegistryProcess>;
  /**
   * CPU seconds used so far by the registry process `pid` and by this profile's storage servers
   * (PostgreSQL's postmaster and sessions, s3rver; none for SQLite, which runs in the registry).
   */
  cpu(pid: number): CpuSample;
  /** The admin token the first start created. */
  readonly adminToken: string;
  /** Stops the database and object servers (registry processes are stopped by their starters). */
  close(): Promise<void>;
}

export async function openProfile(name: ProfileName, dir: string): Promise<BenchProfile> {
  const home = path.join(dir, name);
  await fs.mkdir(home, { recursive: true });
  let adminToken = '';
  let postgres: TestPostgres | undefined;
  let s3: S3Server | undefined;
  let storage: Pick<RegistryProcessOptions, 'database' | 'blobs' | 'env'> = {};
  let description = `SQLite file ${path.join(home, 'registry.db')} (WAL, synchronous=NORMAL), tarballs in its blobs table`;
  if (name === 'postgres') {
    postgres = await startPostgres({ settings: POSTGRES_SETTINGS });
    s3 = await startS3({ bucket: 'bench-blobs' });
    storage = { database: await postgres.createDatabase(), blobs: s3.url, env: s3.env };
    const settings = Object.entries(POSTGRES_SETTINGS).map(([k, v]) => `${k}=${v}`).join(', ');
    description = `PostgreSQL on 127.0.0.1 (${postgres.binaries}; ${settings}), tarballs in s3rver (testkit/s3.ts, files on local disk) at ${s3.url}`;
  }
  return {
    name,
    label: PROFILE_LABELS[name],
    description,
    cpu(pid) {
      const registry = cpuSeconds([pid]);
      const postmaster = postgres?.postmasterPid;
      const database = postmaster === undefined ? 0 : cpuSeconds([], [postmaster]);
      const blobs = s3?.child.pid === undefined ? 0 : cpuSeconds([s3.child.pid]);
      return { registry, database, blobs, total: registry + database + blobs };
    },
    get adminToken() {
      return adminToken;
    },
    async start(options = {}) {
      const registry = await startRegistryProcess({ ...options, ...storage, db: path.join(home, 'registry.db') });
      if (registry.adminToken !== '') adminToken = registry.adminToken;
      return registry;
    },
    async close() {
      await s3?.stop();
      await postgres?.stop();
    },
  };
}
