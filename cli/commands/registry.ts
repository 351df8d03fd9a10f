/**
 * `skills registry ...`: operating a registry. `migrate` works on this machine's files and
 * databases (no registry server is called): it copies a SQLite registry into a new SQLite file or
 * PostgreSQL, its tarballs into the target's blob store. `log` (registry-log.ts) reads a running
 * registry's admin log over HTTP.
 */
import path from 'node:path';
import pc from 'picocolors';
import { SkillsError } from '../../schema/errors';
import type { CommandModule } from '../command';
import { pauseAfterBatches } from '../core/workspace/test-hooks';
import { table } from '../render';
import { registerRegistryLog } from './registry-log';

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
  },
};
