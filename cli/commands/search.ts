import pc from 'picocolors';
import { SkillsError } from '../../schema/errors';
import { searchResponseViewSchema } from '../../schema/registry';
import { TRUST_LEVELS } from '../../schema/trust';
import type { CommandModule } from '../command';
import { commandRegistry, registryOption } from '../options';
import { renderTrust } from '../render';

export const searchCommand: CommandModule = {
  register(program, run) {
    program
      .command('search')
      .description('search the registry (name, description, keywords, SKILL.md)')
      .argument('[query...]', 'words to search for')
      .option('--server <server>', 'only skills that use this MCP server')
      .option('--scope <scope>', 'only skills in this scope')
      .option('--trust <levels>', 'only these trust levels, comma-separated: verified, instructions, unverified')
      .option('--limit <n>', 'at most this many results', '20')
      .addOption(registryOption())
      .action((query: string[], options: { server?: string; scope?: string; limit: string; registry?: string; trust?: string }) =>
        run(async (ctx) => {
          const client = await commandRegistry(ctx, options);
          const params = new URLSearchParams({ q: query.join(' '), limit: options.limit });
          if (options.server) params.set('server', options.server);
          if (options.scope) params.set('scope', options.scope);
          const trust = options.trust?.split(',').map((t) => t.trim()).filter((t) => t !== '');
          if (trust) {
            const unknown = trust.filter((t) => !(TRUST_LEVELS as readonly string[]).includes(t));
            if (unknown.length > 0 || trust.length === 0) throw new SkillsError('EUSAGE', `--trust takes ${TRUST_LEVELS.join(', ')} (comma-separated), not "${options.trust}"`);
            params.set('trust', trust.join(','));
          }
          const result = await client.call(searchResponseViewSchema, 'GET', `/v1/search?${params}`);
          // A registry that predates trust levels ignores the filter: it is applied here too.
          if (trust) result.results = result.results.filter((r) => r.trust !== undefined && trust.includes(r.trust));
          const human = result.results.map((r) => `${pc.bold(r.name)}@${r.version}${r.servers.length > 0 ? pc.dim(` [${r.servers.join(', ')}]`) : ''}${r.trust ? ` ${renderTrust(r.trust)}` : ''}\n  ${r.description}`);
          return { data: result, human: human.length > 0 ? `${human.join('\n')}\n${pc.dim(`${result.totalCapped === true ? `at least ${result.total}` : result.total} found`)}` : 'no skills found' };
        }),
      );
  },
};
