import pc from 'picocolors';
import { SkillsError } from '../../schema/errors';
import { createdTokenSchema, PERMISSIONS, tokenListSchema, tokenRevokedSchema } from '../../schema/registry';
import type { CommandModule } from '../command';
import { table } from '../render';
import { parsePositiveInt, registryCommand, type RegistryFlag } from '../options';

interface CreateOptions extends RegistryFlag {
  user?: string;
  permission: string;
  scope?: string[];
  description?: string;
  expiresInDays?: number;
}

export const tokenCommand: CommandModule = {
  register(program, run) {
    const group = program.command('token').description('create, list and revoke registry tokens');
    const create = group
      .command('create')
      .description('create a token (publish or admin; never more permission, scopes or time than your own token; its secret is shown once)')
      .option('--user <name>', 'for another user (admins only)')
      .option('--permission <level>', `one of ${PERMISSIONS.join(', ')}`, 'read')
      .option('--scope <scope...>', 'limit the token to these scopes')
      .option('--description <text>', 'what the token is for')
      .option('--expires-in-days <days>', 'expire after this many days', parsePositiveInt);
    registryCommand<CreateOptions>(create, run, async ({ registry, options }) => {
      if (!(PERMISSIONS as readonly string[]).includes(options.permission)) {
        throw new SkillsError('EUSAGE', `--permission must be one of ${PERMISSIONS.join(', ')}`);
      }
      const client = await registry();
      const created = await client.call(createdTokenSchema, 'POST', '/v1/tokens', {
        body: {
          permission: options.permission,
          ...(options.user ? { user: options.user } : {}),
          ...(options.scope ? { scopes: options.scope } : {}),
          ...(options.description ? { description: options.description } : {}),
          ...(options.expiresInDays ? { expiresInDays: options.expiresInDays } : {}),
        },
      });
      return {
        data: created,
        human: `${pc.green('created')} ${created.permission} token ${created.id} for ${created.user}${created.expiresAt ? ` (expires ${created.expiresAt})` : ''}\n${pc.bold('secret (shown once):')} ${created.token}`,
      };
    });
    registryCommand(group.command('list').description('list tokens (yours; every token for admins), never their secrets'), run, async ({ registry }) => {
      const client = await registry();
      const { tokens } = await client.call(tokenListSchema, 'GET', '/v1/tokens');
      const rows = tokens.map((t) => [t.id, t.user, t.permission, t.scopes?.join(',') ?? '*', t.revokedAt ? 'revoked' : t.expiresAt && t.expiresAt < new Date().toISOString() ? 'expired' : 'active']);
      return { data: { tokens }, human: tokens.length > 0 ? table([['id', 'user', 'permission', 'scopes', 'state'], ...rows]) : 'no tokens' };
    });
    registryCommand(group.command('revoke').description('revoke a token by id').argument('<id>', 'the token id (from `skills token list`)'), run, async ({ registry }, id = '') => {
      const client = await registry();
      const result = await client.call(tokenRevokedSchema, 'DELETE', `/v1/tokens/${encodeURIComponent(id)}`);
      return { data: result, human: `revoked token ${id}` };
    });
  },
};
