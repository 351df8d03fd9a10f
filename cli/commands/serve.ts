import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Option } from 'commander';
import pc from 'picocolors';
import { maskSecrets, SkillsError } from '../../schema/errors';
import type { CommandModule } from '../command';
import { parseNonNegativeInt, parsePositiveInt } from '../options';

interface ServeOptions {
  port?: number;
  host?: string;
  db?: string;
  database?: string;
  blobs?: string;
  staleReadMs?: number;
  publicUrl?: string;
  /** `true`: log lines to stderr; a string: appended to that file (log.requests). */
  log?: true | string;
  /** log.level "silent". */
  quiet?: boolean;
  config?: string;
  printConfig?: boolean;
}

export const serveCommand: CommandModule = {
  register(program, run) {
    program
      .command('serve')
      .description('run a registry on an embedded SQLite database until SIGINT/SIGTERM')
      .option('--config <file>', 'read settings from a TOML (.toml) or JSON (.json) file; SKILLS_REGISTRY_* variables and flags override it (docs/configuration.md)')
      .option('--print-config', 'print the effective settings and where each came from (secrets masked), then exit without starting')
      .option('--port <port>', 'the port; 0 picks a free one (default: 4873)', (v) => (v === '0' ? 0 : parsePositiveInt(v)))
      .option('--host <host>', 'the address to listen on (default: 127.0.0.1)')
      .option('--db <file>', 'the SQLite database file, also the folder of the first admin token (default: .skills-registry/registry.db)')
      .option('--database <url>', 'metadata in PostgreSQL instead of the file: postgres://user@host:5432/db (default: $SKILLS_DATABASE_URL, so the password need not be on the command line)')
      .option('--blobs <url>', 'tarballs in S3-compatible object storage: s3://bucket/prefix?endpoint=http://host:9000&region=us-east-1 (default: $SKILLS_BLOBS_URL; keys from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)')
      .option('--stale-read-ms <ms>', `with --database: how long cached reads may rely on PostgreSQL's change notifications between checks of the database; 0 checks before every cached read, so a write through any process is seen by the next request everywhere (default: 1000)`, parseNonNegativeInt)
      .option('--public-url <url>', 'the origin written into tarball URLs and printed (default: each request\'s origin)')
      .option('--log [file]', 'log a line per request: to stderr, or appended to <file> (log.requests; default: off, warnings and server errors still go to stderr)')
      .addOption(new Option('--quiet', 'no log lines at all, not even server errors (log.level "silent")').conflicts('log'))
      .addHelpText('after', '\nEvery setting can also come from a SKILLS_REGISTRY_<SECTION>_<KEY> variable or the --config file: flags > environment > file > defaults.\nWith --json it prints JSON lines: {"event":"ready",...} when listening, {"event":"stopped"} after shutdown.')
      .action((options: ServeOptions) =>
        run(async (ctx) => {
          const registryServer = await import('../../registry-server/index');
          const flags = {
            'server.port': options.port,
            'server.host': options.host,
            'server.public_url': options.publicUrl,
            'storage.db': options.db,
            'storage.database': options.database,
            'storage.blobs': options.blobs,
            'storage.stale_read_ms': options.staleReadMs,
            // A file named on the command line is the working folder's, whatever its name ("off" too).
            'log.requests': options.log === undefined ? undefined : options.log === true ? 'stderr' : path.resolve(ctx.cwd, options.log),
            'log.level': options.quiet ? 'silent' : undefined,
          };
          const resolved = await registryServer.resolveSettings({ cwd: ctx.cwd, env: ctx.env, configFile: options.config, flags });
          if (options.printConfig) return { data: registryServer.settingsReport(resolved), human: registryServer.settingsText(resolved) };
          const { settings } = resolved;
          const start = registryServer.startOptionsOf(settings);
          const { db, database, blobs } = start;
          const logging = registryServer.logOptionsOf(settings.log);
          const logFile = typeof logging.target === 'object' ? logging.target.file : undefined;
          // Checked before the start, created after it: a failed start must not leave a log file behind.
          if (logFile) await checkLogFile(logFile);
          const output = await registryServer.createLogOutput({
            ...logging,
            onError: (error) => ctx.warn(`writing log lines to ${logFile ?? logging.target} failed (${error.message}); logging stopped`),
          });
          const registry = await registryServer.startRegistry({ ...start, log: output.logger });
          output.open();
          const publicUrl = settings.server.public_url;
          const base = publicUrl ? publicUrl.replace(/\/+$/, '') : registry.url;
          const login = registry.adminToken ? `skills login --registry ${base} --token ${registry.adminToken}` : null;
          const requests = settings.log.requests;
          const requestLog = logging.level === 'silent' || requests === 'off' ? null : requests;
          const ready = {
            event: 'ready',
            url: registry.url,
            port: registry.port,
            db,
            database: database === undefined ? null : maskSecrets(database),
            blobs: blobs ?? null,
            catalogUrl: `${base}/`,
            adminToken: registry.adminToken ?? null,
            adminTokenFile: registry.adminTokenFile ?? null,
            login,
            requestLog,
            metricsUrl: registry.metricsUrl ?? null,
          };
          const where = `${database === undefined ? `database ${db}` : `database ${maskSecrets(database)}`}${blobs === undefined ? '' : `, tarballs in ${blobs}`}`;
          const lines = [`${pc.green('registry listening')} on ${registry.url} (${where})`, `${pc.bold('web catalog')} ${base}/`];
          if (login) {
            lines.push(`${pc.bold('admin token')} created: shown once here, also saved to ${registry.adminTokenFile} (mode 0600)`, 'log in with:', `  ${login}`);
          } else {
            lines.push(`log in with: skills login --registry ${base} --token <a token of this registry>`);
          }
          lines.push(requestLog ? `request logs: ${requestLog} (${output.pretty ? 'text' : 'JSON'}, level ${logging.level})` : pc.dim('request logs: off (--log prints them here, --log <file> appends them to a file)'));
          const metrics = [registry.metricsUrl, settings.metrics.token === undefined ? undefined : `${base}/-/metrics (with the metrics token)`].filter((m) => m !== undefined);
          lines.push(metrics.length > 0 ? `metrics: ${metrics.join(', ')}` : pc.dim('metrics: off (docs/configuration.md, [metrics])'));
          lines.push(`health: ${base}/-/health/live, ${base}/-/health/ready`);
          lines.push(pc.dim('stop with Ctrl-C'));
          // Listening for the stop signal before the ready line: whoever reads it may send one at once.
          const stopped = ctx.untilSignal();
          ctx.announce(ready, lines.join('\n'));
          const signal = await stopped;
          // In-flight requests finish and log their lines; then what is buffered is written.
          await registry.close();
          await output.close();
          return { data: { event: 'stopped', signal }, human: `stopped (${signal}); in-flight requests finished and the WAL was checkpointed` };
        }),
      );
  },
};

/** A log file must be a file (or not exist yet) in a folder this user can write. */
async function checkLogFile(file: string): Promise<void> {
  const stat = await fs.stat(file).catch(() => undefined);
  const problem = stat?.isDirectory()
    ? 'it is a folder'
    : await fs.access(stat ? file : path.dirname(file), fsConstants.W_OK).then(
        () => undefined,
        (error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? `the folder ${path.dirname(file)} does not exist` : 'this user may not write it'),
      );
  if (problem) {
    throw new SkillsError('ELOGFILE', `cannot write request logs to ${file}: ${problem}`, {
      hint: 'give --log (or log.requests) a file in a folder that exists and that you can write, or --log alone to print the logs on stderr',
    });
  }
}
