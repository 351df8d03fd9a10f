import { scopeInfoSchema, scopeListSchema } from '../../schema/registry';
import type { CommandModule } from '../command';
import { resolveRegistry } from '../core/registry/config';
import { RegistryClient } from '../core/registry/client';
import { table } from '../render';

export const scopeCommand: CommandModule = {
  register(program, run) {
    const group = program.command('scope').description('manage scopes (@acme), owned by teams');
    group
      .command('create')
      .description('create a scope owned by a team (an unscoped admin token)')
      .argument('<scope>', 'e.g. @acme')
      .requiredOption('--team <team>', 'the owning team')
      .option('--private', 'only members of the team (and admins) can read it')
      .option('--registry <url>', 'the registry URL')
      .option('--json', 'print the result as JSON')
      .action((scope: string, options: { team: string; private?: boolean; registry?: string }) =>
        run(async (ctx) => {
          const client = new RegistryClient(await resolveRegistry(ctx.env, options.registry));
          const created = await client.call(scopeInfoSchema, 'POST', '/v1/scopes', { body: { name: scope, team: options.team, private: options.private === true } });
          return { data: created, human: `created ${created.private ? 'private' : 'public'} scope ${created.name} owned by ${created.team}` };
        }),
      );
    group
      .command('list')
      .description('list the scopes you can see')
      .option('--registry <url>', 'the registry URL')
      .option('--json', 'print the result as JSON')
      .action((options: { registry?: string }) =>
        run(async (ctx) => {
          const client = new RegistryClient(await resolveRegistry(ctx.env, options.registry));
          const { scopes } = await client.call(scopeListSchema, 'GET', '/v1/scopes');
          return { data: { scopes }, human: scopes.length > 0 ? table([['scope', 'team', 'visibility'], ...scopes.map((s) => [s.name, s.team, s.private ? 'private' : 'public'])]) : 'no scopes' };
        }),
      );
  },
};
