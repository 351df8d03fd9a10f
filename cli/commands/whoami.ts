import { whoamiSchema } from '../../schema/registry';
import type { CommandModule } from '../command';
import { resolveRegistry } from '../core/registry/config';
import { RegistryClient } from '../core/registry/client';

export const whoamiCommand: CommandModule = {
  register(program, run) {
    program
      .command('whoami')
      .description('show the user, permission and teams of your token')
      .option('--registry <url>', 'the registry URL')
      .option('--json', 'print the result as JSON')
      .action((options: { registry?: string }) =>
        run(async (ctx) => {
          const client = new RegistryClient(await resolveRegistry(ctx.env, options.registry));
          const me = await client.call(whoamiSchema, 'GET', '/-/whoami');
          const teams = me.teams.map((t) => `${t.name} (${t.role})`).join(', ') || 'no teams';
          return { data: { registry: client.url, ...me }, human: `${me.user} on ${client.url}: ${me.permission} token ${me.tokenId}${me.scopes ? ` limited to ${me.scopes.join(', ')}` : ''}; ${teams}` };
        }),
      );
  },
};
