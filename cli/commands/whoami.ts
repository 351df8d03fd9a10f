import { whoamiSchema } from '../../schema/registry';
import type { CommandModule } from '../command';
import { registryCommand } from '../options';

export const whoamiCommand: CommandModule = {
  register(program, run) {
    registryCommand(program.command('whoami').description('show the user, permission and teams of your token'), run, async ({ registry }) => {
      const client = await registry();
      const me = await client.call(whoamiSchema, 'GET', '/-/whoami');
      const teams = me.teams.map((t) => `${t.name} (${t.role})`).join(', ') || 'no teams';
      return { data: { registry: client.url, ...me }, human: `${me.user} on ${client.url}: ${me.permission} token ${me.tokenId}${me.scopes ? ` limited to ${me.scopes.join(', ')}` : ''}; ${teams}` };
    });
  },
};
