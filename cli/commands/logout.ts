import type { CommandModule } from '../command';
import { readConfig, resolveRegistry, writeConfig } from '../core/registry/config';

export const logoutCommand: CommandModule = {
  register(program, run) {
    program
      .command('logout')
      .description('forget the saved token of a registry')
      .option('--registry <url>', 'the registry URL (default: the configured one)')
      .option('--json', 'print the result as JSON')
      .action((options: { registry?: string }) =>
        run(async (ctx) => {
          const { url } = await resolveRegistry(ctx.env, options.registry);
          const config = await readConfig(ctx.env);
          const had = url in config.tokens;
          if (had) {
            delete config.tokens[url];
            await writeConfig(ctx.env, config);
          }
          return { data: { registry: url, removed: had }, human: had ? `logged out of ${url}` : `no saved token for ${url}` };
        }),
      );
  },
};
