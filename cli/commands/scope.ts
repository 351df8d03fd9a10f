import { scopeInfoSchema, scopeListSchema } from '../../schema/registry';
import type { CommandModule } from '../command';
import { registryCommand, type RegistryFlag } from '../options';
import { table } from '../render';

export const scopeCommand: CommandModule = {
  register(program, run) {
    const group = program.command('scope').description('manage scopes (@acme), owned by teams');
    const create = group
      .command('create')
      .description('create a scope owned by a team (an unscoped admin token)')
      .argument('<scope>', 'e.g. @acme')
      .requiredOption('--team <team>', 'the owning team')
      .option('--private', 'only members of the team (and admins) can read it');
    registryCommand<RegistryFlag & { team: string; private?: boolean }>(create, run, async ({ registry, options }, scope = '') => {
      const client = await registry();
      const created = await client.call(scopeInfoSchema, 'POST', '/v1/scopes', { body: { name: scope, team: options.team, private: options.private === true } });
      return { data: created, human: `created ${created.private ? 'private' : 'public'} scope ${created.name} owned by ${created.team}` };
    });
    registryCommand(group.command('list').description('list the scopes you can see'), run, async ({ registry }) => {
      const client = await registry();
      const { scopes } = await client.call(scopeListSchema, 'GET', '/v1/scopes');
      return { data: { scopes }, human: scopes.length > 0 ? table([['scope', 'team', 'visibility'], ...scopes.map((s) => [s.name, s.team, s.private ? 'private' : 'public'])]) : 'no scopes' };
    });
  },
};
