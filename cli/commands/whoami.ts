import { whoamiSchema } from '../../schema/registry';
import type { CommandModule } from '../command';
import { commandRegistry, registryOption } from '../options';

export const whoamiCommand: CommandModule = {
  register(program, run) {
    program
      .command('whoami')
      .description('show the user, permission and teams of your token')
      .addOption(registryOption())
      .action((options: { registry?: string }) =>
        run(async (ctx) => {
          const client = await commandRegistry(ctx, options);
          const me = await client.call(whoamiSchema, 'GET', '/-/whoami');
          const teams = me.teams.map((t) => `${t.name} (${t.role})`).join(', ') || 'no teams';
          return { data: { registry: client.url, ...me }, human: `${me.user} on ${client.url}: ${me.permission} token ${me.tokenId}${me.scopes ? ` limited to ${me.scopes.join(', ')}` : ''}; ${teams}` };
        }),
      );
  },
};
