import pc from 'picocolors';
import { whoamiSchema } from '../../schema/registry';
import type { CommandModule } from '../command';
import { readConfig, writeConfig } from '../core/registry/config';
import { registryClient } from '../core/registry/client';
import { accountRegistryOption } from '../options';

export const loginCommand: CommandModule = {
  register(program, run) {
    program
      .command('login')
      .description('check a token against a registry and save both to your config (0600)')
      .requiredOption('--token <token>', 'the token (as printed by `skills serve` or `skills token create`)')
      .addOption(accountRegistryOption())
      .action((options: { token: string; registry?: string }) =>
        run(async (ctx) => {
          const client = await registryClient({ env: ctx.env, flag: options.registry, token: options.token });
          const { url } = client;
          const me = await client.call(whoamiSchema, 'GET', '/-/whoami');
          const config = await readConfig(ctx.env);
          config.registry = url;
          config.tokens[url] = options.token;
          const file = await writeConfig(ctx.env, config);
          return {
            data: { registry: url, user: me.user, permission: me.permission, configFile: file },
            human: `${pc.green('logged in')} to ${url} as ${me.user} (${me.permission}); saved to ${file}`,
          };
        }),
      );
  },
};
