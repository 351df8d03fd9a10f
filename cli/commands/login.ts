import pc from 'picocolors';
import { whoamiSchema } from '../../schema/registry';
import type { CommandModule } from '../command';
import { normalizeRegistryUrl, readConfig, resolveRegistry, writeConfig } from '../core/registry/config';
import { RegistryClient } from '../core/registry/client';

export const loginCommand: CommandModule = {
  register(program, run) {
    program
      .command('login')
      .description('check a token against a registry and save both to your config (0600)')
      .requiredOption('--token <token>', 'the token (as printed by `skills serve` or `skills token create`)')
      .option('--registry <url>', 'the registry URL (default: the configured one, else http://127.0.0.1:4873)')
      .option('--json', 'print the result as JSON')
      .action((options: { token: string; registry?: string }) =>
        run(async (ctx) => {
          const target = await resolveRegistry(ctx.env, options.registry);
          const url = normalizeRegistryUrl(target.url);
          const me = await new RegistryClient({ url, token: options.token }).call(whoamiSchema, 'GET', '/-/whoami');
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
