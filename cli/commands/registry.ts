/**
 * `skills registry ...`: operating a registry. `migrate`, `backup` and `restore` work on this
 * machine's files and databases (no registry server is called): `migrate` copies a SQLite registry
 * into a new SQLite file or PostgreSQL, its tarballs into the target's blob store; `backup` writes a
 * registry (which may keep serving) into a folder with a manifest of every digest; `restore` puts
 * such a folder into an empty registry, every digest checked first. `log` (registry-log.ts) reads a
 * running registry's admin log over HTTP.
 */
import path from 'node:path';
import pc from 'picocolors';
import { SkillsError } from '../../schema/errors';
import type { CommandModule } from '../command';
import { pauseAfterBatches } from '../core/workspace/test-hooks';
import { formatBytes, table } from '../render';
import { CLI_VERSION } from '../version';
import { registerRegistryLog } from './registry-log';
import { BLOBS_ENV, DATABASE_ENV, DEFAULT_REGISTRY_DB as DEFAULT_DB } from '../../schema/registry-storage';

interface StorageOptions {
  db: string;
  database?: string;
  blobs?: string;
}

interface MigrateOptions {
  from: string;
  to?: string;
  blobs?: string;
}

/** Where the target comes from when --to is not given, so a password need not be on the command line. */
export const DATABASE_URL_ENV = 'SKILLS_DATABASE_URL';

export const registryAdminCommand: CommandModule = {
  register(program, run) {
    const group = program.command('registry').description("operate a registry: copy its storage on this machine (migrate), read its admin log (log)");
    group
      .command('migrate')
      .description('copy a SQLite registry (rows and tarballs) into a new SQLite file or PostgreSQL; run it again to resume')
      .requiredOption('--from <file>', 'the source: a SQLite registry database (it may keep serving meanwhile)')
      .option('--to <target>', `a postgres:// URL or a new SQLite file (default: $${DATABASE_URL_ENV})`)
      .option('--blobs <url>', "tarballs into this s3:// bucket instead of the target database's blobs table (keys in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)")
      .action((options: MigrateOptions) =>
        run(async (ctx) => {
          const to = options.to ?? (ctx.env[DATABASE_URL_ENV] || undefined);
          if (to === undefined || to === '') {
            throw new SkillsError('EUSAGE', `name the target with --to <postgres:// URL or file>, or in $${DATABASE_URL_ENV}`, { hint: `a URL with a password belongs in $${DATABASE_URL_ENV}, not on the command line` });
          }
          const { checkSource, migrateRegistry, openTarget } = await import('../../registry-server/index');
          const from = path.resolve(ctx.cwd, options.from);
          // A source that cannot be migrated is refused before the target is opened (or created).
          checkSource(from);
          // A file target is relative to the working folder; a URL is kept as it is.
          const target = await openTarget(/^[a-z][a-z0-9+.-]*:\/\//i.test(to) ? to : path.resolve(ctx.cwd, to), { blobs: options.blobs, source: from });
          let result: Awaited<ReturnType<typeof migrateRegistry>>;
          try {
            result = await migrateRegistry({
              from,
              target,
              onProgress: ({ step, done, total }) => ctx.progress(`${step} ${done}/${total}`),
              afterBatch: (batches) => pauseAfterBatches(batches, ctx.env),
            });
          } finally {
            await target.close();
          }
          const rows = Object.entries(result.tables).map(([name, c]) => [name, String(c.copied), String(c.updated), String(c.removed), String(c.skipped)]);
          const human = [
            `${pc.green('migrated')} ${result.from} -> ${result.to} in ${(result.durationMs / 1000).toFixed(1)} s`,
            table([['table', 'copied', 'updated', 'removed', 'skipped'], ...rows]),
            `blobs: ${result.blobs.copied} copied, ${result.blobs.present} already in ${result.blobs.store}`,
            `search index: ${result.search.indexed} skills`,
          ].join('\n');
          return { data: result, human };
        }),
      );
    registerRegistryLog(group, run);
    const storage = (command: ReturnType<typeof group.command>, verb: string) =>
      command
        .option('--db <file>', `the registry's SQLite database file (as for skills serve)`, DEFAULT_DB)
        .option('--database <url>', `the registry's metadata ${verb} PostgreSQL: postgres://user@host:5432/db (default: $${DATABASE_ENV}); needs PostgreSQL's client tools (pg_dump, pg_restore) on PATH`)
        .option('--blobs <url>', `the registry's tarballs ${verb} S3-compatible storage: s3://bucket/prefix?endpoint=...&region=... (default: $${BLOBS_ENV}; keys in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)`);
    storage(
      group
        .command('backup')
        .description('back up a registry, which may keep serving, into a new or empty folder: a snapshot of its database, its tarballs, and a manifest of every digest')
        .argument('<dir>', 'the backup folder: new, or empty'),
      'in',
    ).action((dir: string, options: StorageOptions) =>
      run(async (ctx) => {
        const { backupRegistry } = await import('../../registry-server/index');
        const result = await backupRegistry({
          dir: path.resolve(ctx.cwd, dir),
          ...storageOf(options, ctx),
          createdBy: `skills ${CLI_VERSION}`,
          onProgress: ({ step, done, total }) => ctx.progress(`${step} ${done}/${total}`),
          env: ctx.env,
        });
        const blobs = result.blobs.location === 'files' ? `copied from ${result.source.blobs} into ${path.join(result.dir, 'blobs')}` : 'inside the database file';
        const human = [
          `${pc.green('backed up')} ${result.source.database} into ${result.dir} in ${(result.durationMs / 1000).toFixed(1)} s`,
          `database: ${result.database.file}, ${formatBytes(result.database.size)} (sha256 ${result.database.sha256})`,
          `blobs: ${result.blobs.count} (${formatBytes(result.blobs.size)}), ${blobs}, each checked against its digest`,
          rowsLine(result.tables),
          `manifest: ${result.manifest}`,
          pc.dim(`restore with: skills registry restore ${result.dir} ${result.database.engine === 'sqlite' ? '--db <new file>' : '--database <URL of an empty database>'}`),
        ].join('\n');
        return { data: result, human };
      }),
    );
    storage(
      group
        .command('restore')
        .description('restore a backup into an empty registry (a new SQLite file or an empty PostgreSQL database), every digest checked before the registry is written')
        .argument('<dir>', 'the folder `skills registry backup` wrote'),
      'into',
    ).action((dir: string, options: StorageOptions) =>
      run(async (ctx) => {
        const { restoreRegistry } = await import('../../registry-server/index');
        const storage = storageOf(options, ctx);
        const result = await restoreRegistry({
          dir: path.resolve(ctx.cwd, dir),
          ...storage,
          onProgress: ({ step, done, total }) => ctx.progress(`${step} ${done}/${total}`),
          env: ctx.env,
        });
        const start = ['skills serve', ...(storage.database === undefined ? ['--db', result.to] : ['--database <URL>']), ...(storage.blobs === undefined ? [] : ['--blobs <URL>'])].join(' ');
        const human = [
          `${pc.green('restored')} the backup of ${result.createdAt} (${result.from}) into ${result.to} in ${(result.durationMs / 1000).toFixed(1)} s`,
          `checked: the manifest, the database file (${formatBytes(result.database.size)}), the rows of every table and ${result.blobs.count} blobs (${formatBytes(result.blobs.size)}) against their digests`,
          storage.blobs === undefined && result.blobs.copied === 0
            ? `blobs: ${result.blobs.count}, inside the restored database`
            : `blobs: ${result.blobs.copied} written to ${result.blobs.store}${result.blobs.copied < result.blobs.count ? `, ${result.blobs.count - result.blobs.copied} already there` : ''}`,
          pc.dim(`start the registry on it: ${start}`),
        ].join('\n');
        return { data: result, human };
      }),
    );
  },
};

/** --db, --database and --blobs as `skills serve` reads them (the URLs also from the environment). */
function storageOf(options: StorageOptions, ctx: { cwd: string; env: NodeJS.ProcessEnv }): { file: string; database: string | undefined; blobs: string | undefined } {
  const fromEnv = (name: string) => (ctx.env[name] === '' ? undefined : ctx.env[name]);
  return { file: path.resolve(ctx.cwd, options.db), database: options.database ?? fromEnv(DATABASE_ENV), blobs: options.blobs ?? fromEnv(BLOBS_ENV) };
}

/** The row counts that are not 0, and how many tables are empty. */
function rowsLine(tables: Record<string, number>): string {
  const held = Object.entries(tables).filter(([, n]) => n > 0);
  const empty = Object.keys(tables).length - held.length;
  return `rows: ${held.map(([name, n]) => `${name} ${n}`).join(', ') || 'none'}${empty > 0 ? ` (${empty} tables empty)` : ''}`;
}
