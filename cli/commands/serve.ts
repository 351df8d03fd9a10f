import { constants as fsConstants, createWriteStream, type WriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Option } from 'commander';
import pc from 'picocolors';
import { maskSecrets, SkillsError } from '../../schema/errors';
import type { CommandModule } from '../command';
import { parseNonNegativeInt, parsePositiveInt } from '../options';

export const DEFAULT_DB = path.join('.skills-registry', 'registry.db');
/** Where `serve` reads a PostgreSQL URL when --database is not given. */
export const DATABASE_ENV = 'SKILLS_DATABASE_URL';
/** Where `serve` reads a blob store URL when --blobs is not given. */
export const BLOBS_ENV = 'SKILLS_BLOBS_URL';

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}


interface ServeOptions {
  port: number;
  host: string;
  db: string;
  database?: string;
  blobs?: string;
  staleReadMs?: number;
  publicUrl?: string;
  /** `true`: request logs to stderr; a string: appended to that file. */
  log?: true | string;
  quiet?: boolean;
}

export const serveCommand: CommandModule = {
  register(program, run) {
    program
      .command('serve')
      .description('run a registry on an embedded SQLite database until SIGINT/SIGTERM')
      .option('--port <port>', 'the port (0 picks a free one)', (v) => (v === '0' ? 0 : parsePositiveInt(v)), 4873)
      .option('--host <host>', 'the address to listen on', '127.0.0.1')
      .option('--db <file>', 'the SQLite database file (also the folder of the first admin token)', DEFAULT_DB)
      .option('--database <url>', `metadata in PostgreSQL instead of the file: postgres://user@host:5432/db (default: $${DATABASE_ENV}, so the password need not be on the command line)`)
      .option('--blobs <url>', `tarballs in S3-compatible object storage: s3://bucket/prefix?endpoint=http://host:9000&region=us-east-1 (default: $${BLOBS_ENV}; keys from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)`)
      .option('--stale-read-ms <ms>', `with --database: how long cached reads may rely on PostgreSQL's change notifications between checks of the database; 0 checks before every cached read, so a write through any process is seen by the next request everywhere (default: 1000)`, parseNonNegativeInt)
      .option('--public-url <url>', 'the origin written into tarball URLs and printed (default: each request\'s origin)')
      .option('--log [file]', 'write JSON request logs: to stderr, or appended to <file> (default: off; server errors still go to stderr)')
      .addOption(new Option('--quiet', 'no logs at all, not even server errors').conflicts('log'))
      .addHelpText('after', '\nWith --json it prints JSON lines: {"event":"ready",...} when listening, {"event":"stopped"} after shutdown.')
      .action((options: ServeOptions) =>
        run(async (ctx) => {
          const { startRegistry } = await import('../../registry-server/index');
          const db = path.resolve(ctx.cwd, options.db);
          const database = options.database ?? nonEmpty(ctx.env[DATABASE_ENV]);
          const blobs = options.blobs ?? nonEmpty(ctx.env[BLOBS_ENV]);
          if (options.staleReadMs !== undefined && database === undefined) {
            throw new SkillsError('EUSAGE', '--stale-read-ms applies to a registry on PostgreSQL (--database): SQLite checks before every cached read at no cost', { hint: 'drop --stale-read-ms, or add --database postgres://...' });
          }
          const logFile = typeof options.log === 'string' ? path.resolve(ctx.cwd, options.log) : undefined;
          // Checked before the start, opened after it: a failed start must not leave a log file behind.
          if (logFile) await checkLogFile(logFile);
          let stream: WriteStream | undefined;
          let toFile: (line: string) => void = () => {};
          const registry = await startRegistry({
            port: options.port,
            host: options.host,
            db,
            database,
            blobs,
            ...(options.staleReadMs === undefined ? {} : { staleReadMs: options.staleReadMs }),
            config: options.publicUrl ? { publicUrl: options.publicUrl } : {},
            log: (entry) => {
              // Request lines carry a method; the rest are server errors, which an operator must see.
              const request = 'method' in entry;
              if (options.quiet || (request && options.log === undefined)) return;
              const line = `${JSON.stringify(entry)}\n`;
              if (logFile) toFile(line);
              else process.stderr.write(line);
            },
          });
          if (logFile) {
            const opened = createWriteStream(logFile, { flags: 'a', mode: 0o600 });
            opened.on('error', (error) => {
              toFile = () => {};
              ctx.warn(`writing request logs to ${logFile} failed (${error.message}); logging stopped`);
            });
            toFile = (line) => void opened.write(line);
            stream = opened;
          }
          const base = options.publicUrl ? options.publicUrl.replace(/\/+$/, '') : registry.url;
          const login = registry.adminToken ? `skills login --registry ${base} --token ${registry.adminToken}` : null;
          const requestLog = logFile ?? (options.log === true ? 'stderr' : null);
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
          };
          const where = `${database === undefined ? `database ${db}` : `database ${maskSecrets(database)}`}${blobs === undefined ? '' : `, tarballs in ${blobs}`}`;
          const lines = [`${pc.green('registry listening')} on ${registry.url} (${where})`, `${pc.bold('web catalog')} ${base}/`];
          if (login) {
            lines.push(`${pc.bold('admin token')} created: shown once here, also saved to ${registry.adminTokenFile} (mode 0600)`, 'log in with:', `  ${login}`);
          } else {
            lines.push(`log in with: skills login --registry ${base} --token <a token of this registry>`);
          }
          lines.push(requestLog ? `request logs: ${requestLog}` : pc.dim('request logs: off (--log prints them here, --log <file> appends them to a file)'));
          lines.push(pc.dim('stop with Ctrl-C'));
          // Listening for the stop signal before the ready line: whoever reads it may send one at once.
          const stopped = ctx.untilSignal();
          ctx.announce(ready, lines.join('\n'));
          const signal = await stopped;
          await registry.close();
          if (stream) {
            const closing = stream;
            await new Promise<void>((resolve) => closing.end(() => resolve()));
          }
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
      hint: 'give --log a file in a folder that exists and that you can write, or --log alone to print the logs on stderr',
    });
  }
}
