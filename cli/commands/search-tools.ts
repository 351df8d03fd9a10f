import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { SkillsError } from '../../schema/errors';
import { toolExportName } from '../../schema/names';
import type { CommandModule } from '../command';
import { loadWorkspace } from '../core/workspace';

type Detail = 'name' | 'summary' | 'full';

export const searchToolsCommand: CommandModule = {
  register(program, run) {
    program
      .command('search-tools')
      .description("find tools of the workspace's MCP servers; read only the detail you need")
      .argument('[query...]', 'words matched against tool names and descriptions (none: every tool)')
      .option('--detail <level>', 'name, summary (name + description) or full (with schemas)', 'summary')
      .option('--server <name>', 'only this server')
      .option('--json', 'print the result as JSON')
      .action((query: string[], options: { detail: string; server?: string }) =>
        run(async (ctx) => {
          const { mcpOptions, McpServers } = await import('../core/mcp-servers');
          if (!['name', 'summary', 'full'].includes(options.detail)) throw new SkillsError('EUSAGE', '--detail must be name, summary or full');
          const detail = options.detail as Detail;
          const { workspace } = await loadWorkspace(ctx.cwd);
          const configured = workspace?.servers ?? {};
          const names = options.server ? [options.server] : Object.keys(configured).sort();
          const servers = new McpServers(configured, mcpOptions(ctx.cwd, ctx.env));
          const words = query.join(' ').toLowerCase().split(/\s+/).filter(Boolean);
          try {
            const matches: { server: string; tool: Tool }[] = [];
            for (const server of names) {
              for (const tool of await servers.listTools(server)) {
                const text = `${tool.name} ${tool.title ?? ''} ${tool.description ?? ''}`.toLowerCase();
                if (words.every((w) => text.includes(w))) matches.push({ server, tool });
              }
            }
            const results = matches.map(({ server, tool }) => ({
              server,
              name: tool.name,
              import: `import { ${toolExportName(tool.name)} } from './servers/${server}'`,
              ...(detail !== 'name' ? { description: tool.description ?? '' } : {}),
              ...(detail === 'full' ? { inputSchema: tool.inputSchema, ...(tool.outputSchema ? { outputSchema: tool.outputSchema } : {}) } : {}),
            }));
            const human = results
              .map((r) => (detail === 'name' ? `${r.server}.${r.name}` : `${r.server}.${r.name}: ${'description' in r ? (r.description ?? '').split('\n')[0] : ''}${detail === 'full' ? `\n  input: ${JSON.stringify(r.inputSchema)}` : ''}`))
              .join('\n');
            return { data: { results }, human: human || 'no tools found' };
          } finally {
            await servers.close();
          }
        }),
      );
  },
};
