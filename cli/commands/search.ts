import pc from 'picocolors';
import { searchResponseSchema } from '../../schema/registry';
import type { CommandModule } from '../command';
import { resolveRegistry } from '../core/config';
import { RegistryClient } from '../core/registry-client';
import { loadWorkspace } from '../core/workspace';

export const searchCommand: CommandModule = {
  register(program, run) {
    program
      .command('search')
      .description('search the registry (name, description, keywords, SKILL.md)')
      .argument('[query...]', 'words to search for')
      .option('--server <server>', 'only skills that use this MCP server')
      .option('--scope <scope>', 'only skills in this scope')
      .option('--limit <n>', 'at most this many results', '20')
      .option('--registry <url>', 'the registry URL')
      .option('--json', 'print the result as JSON')
      .action((query: string[], options: { server?: string; scope?: string; limit: string; registry?: string }) =>
        run(async (ctx) => {
          const { workspace } = await loadWorkspace(ctx.cwd).catch(() => ({ workspace: undefined }));
          const client = new RegistryClient(await resolveRegistry(ctx.env, options.registry, workspace?.registry));
          const params = new URLSearchParams({ q: query.join(' '), limit: options.limit });
          if (options.server) params.set('server', options.server);
          if (options.scope) params.set('scope', options.scope);
          const result = await client.call(searchResponseSchema, 'GET', `/v1/search?${params}`);
          const human = result.results.map((r) => `${pc.bold(r.name)}@${r.version}${r.servers.length > 0 ? pc.dim(` [${r.servers.join(', ')}]`) : ''}\n  ${r.description}`);
          return { data: result, human: human.length > 0 ? `${human.join('\n')}\n${pc.dim(`${result.total} found`)}` : 'no skills found' };
        }),
      );
  },
};
