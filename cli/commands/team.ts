import { createdUserSchema, teamCreatedSchema, teamListSchema, teamMemberAddedSchema } from '../../schema/registry';
import type { CommandModule } from '../command';
import { registryCommand, type RegistryFlag } from '../options';
import { table } from '../render';

export const teamCommand: CommandModule = {
  register(program, run) {
    const group = program.command('team').description('manage teams (which own scopes)');
    registryCommand(group.command('create').description('create a team (admins); you become its owner').argument('<name>', 'the team name'), run, async ({ registry }, name = '') => {
      const client = await registry();
      const team = await client.call(teamCreatedSchema, 'POST', '/v1/teams', { body: { name } });
      return { data: team, human: `created team ${team.name}` };
    });
    const add = group
      .command('add')
      .description("add a user to a team (an unscoped admin token, or a team owner's unscoped publish token); creates the user if --create-user")
      .argument('<team>', 'the team')
      .argument('<user>', 'the user')
      .option('--role <role>', 'owner or member', 'member')
      .option('--create-user', 'create the user first (admins)');
    registryCommand<RegistryFlag & { role: string; createUser?: boolean }>(add, run, async ({ registry, options }, team = '', user = '') => {
      const client = await registry();
      if (options.createUser) await client.call(createdUserSchema, 'POST', '/v1/users', { body: { name: user } });
      const result = await client.call(teamMemberAddedSchema, 'POST', `/v1/teams/${encodeURIComponent(team)}/members`, { body: { user, role: options.role } });
      return { data: result, human: `${result.user} is now ${result.role} of ${result.team}` };
    });
    registryCommand(group.command('list').description('list teams with members and scopes (admins)'), run, async ({ registry }) => {
      const client = await registry();
      const { teams } = await client.call(teamListSchema, 'GET', '/v1/teams');
      const rows = teams.map((t) => [t.name, t.members.map((m) => `${m.user}${m.role === 'owner' ? '*' : ''}`).join(', '), t.scopes.join(', ')]);
      return { data: { teams }, human: teams.length > 0 ? table([['team', 'members (* owner)', 'scopes'], ...rows]) : 'no teams' };
    });
  },
};
