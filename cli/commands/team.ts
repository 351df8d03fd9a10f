import { createdUserSchema, teamCreatedSchema, teamListSchema, teamMemberAddedSchema } from '../../schema/registry';
import type { CommandModule } from '../command';
import { commandRegistry, registryOption } from '../options';
import { table } from '../render';

export const teamCommand: CommandModule = {
  register(program, run) {
    const group = program.command('team').description('manage teams (which own scopes)');
    group
      .command('create')
      .description('create a team (admins); you become its owner')
      .argument('<name>', 'the team name')
      .addOption(registryOption())
      .action((name: string, options: { registry?: string }) =>
        run(async (ctx) => {
          const client = await commandRegistry(ctx, options);
          const team = await client.call(teamCreatedSchema, 'POST', '/v1/teams', { body: { name } });
          return { data: team, human: `created team ${team.name}` };
        }),
      );
    group
      .command('add')
      .description("add a user to a team (an unscoped admin token, or a team owner's unscoped publish token); creates the user if --create-user")
      .argument('<team>', 'the team')
      .argument('<user>', 'the user')
      .option('--role <role>', 'owner or member', 'member')
      .option('--create-user', 'create the user first (admins)')
      .addOption(registryOption())
      .action((team: string, user: string, options: { role: string; createUser?: boolean; registry?: string }) =>
        run(async (ctx) => {
          const client = await commandRegistry(ctx, options);
          if (options.createUser) await client.call(createdUserSchema, 'POST', '/v1/users', { body: { name: user } });
          const result = await client.call(teamMemberAddedSchema, 'POST', `/v1/teams/${encodeURIComponent(team)}/members`, { body: { user, role: options.role } });
          return { data: result, human: `${result.user} is now ${result.role} of ${result.team}` };
        }),
      );
    group
      .command('list')
      .description('list teams with members and scopes (admins)')
      .addOption(registryOption())
      .action((options: { registry?: string }) =>
        run(async (ctx) => {
          const client = await commandRegistry(ctx, options);
          const { teams } = await client.call(teamListSchema, 'GET', '/v1/teams');
          const rows = teams.map((t) => [t.name, t.members.map((m) => `${m.user}${m.role === 'owner' ? '*' : ''}`).join(', '), t.scopes.join(', ')]);
          return { data: { teams }, human: teams.length > 0 ? table([['team', 'members (* owner)', 'scopes'], ...rows]) : 'no teams' };
        }),
      );
  },
};
