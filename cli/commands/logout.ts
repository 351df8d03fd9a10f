import type { CommandModule } from '../command';
import { readConfig, writeConfig } from '../core/registry/config';
import { registryClient } from '../core/registry/client';
import { accountRegistryOption } from '../options';

export const logoutCommand: CommandModule = {
  register(program, run) {
    program
      .command('logout')
      .description('forget the saved token of a registry')
      .addOption(accountRegistryOption())
      .action((options: { registry?: string }) =>
        run(async (ctx) => {
          const { url } = await registryClient({ env: ctx.env, flag: options.registry });
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
