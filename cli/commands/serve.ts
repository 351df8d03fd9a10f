import path from 'node:path';
import pc from 'picocolors';
import type { CommandModule } from '../command';
import { parsePositiveInt } from '../options';

export const DEFAULT_DB = path.join('.skills-registry', 'registry.db');

export const serveCommand: CommandModule = {
  register(program, run) {
    program
      .command('serve')
      .description('run a registry on an embedded SQLite database until SIGINT/SIGTERM')
      .option('--port <port>', 'the port (0 picks a free one)', (v) => (v === '0' ? 0 : parsePositiveInt(v)), 4873)
      .option('--host <host>', 'the address to listen on', '127.0.0.1')
      .option('--db <file>', 'the SQLite database file', DEFAULT_DB)
      .option('--public-url <url>', 'the origin written into tarball URLs (default: each request\'s origin)')
      .option('--quiet', 'do not write JSON request logs to stderr')
      .option('--json', 'print JSON lines: {"event":"ready",...} when listening, {"event":"stopped"} after shutdown')
      .action((options: { port: number; host: string; db: string; publicUrl?: string; quiet?: boolean }) =>
        run(async (ctx) => {
          const { startRegistry } = await import('../../registry-server/index');
          const db = path.resolve(ctx.cwd, options.db);
          const registry = await startRegistry({
            port: options.port,
            host: options.host,
            db,
            config: options.publicUrl ? { publicUrl: options.publicUrl } : {},
            log: options.quiet ? () => {} : (entry) => process.stderr.write(`${JSON.stringify(entry)}\n`),
          });
          const ready = { event: 'ready', url: registry.url, port: registry.port, db, adminToken: registry.adminToken ?? null, adminTokenFile: registry.adminTokenFile ?? null };
          const lines = [`${pc.green('registry listening')} on ${registry.url} (database ${db})`];
          if (registry.adminToken) {
            lines.push(`${pc.bold('admin token')} (shown once, also saved to ${registry.adminTokenFile}, mode 0600):`, `  ${registry.adminToken}`);
            lines.push(`log in with: skills login --registry ${registry.url} --token <token>`);
          }
          ctx.announce(ready, lines.join('\n'));
          const signal = await ctx.untilSignal();
          await registry.close();
          return { data: { event: 'stopped', signal }, human: `stopped (${signal}); in-flight requests finished and the WAL was checkpointed` };
        }),
      );
  },
};
