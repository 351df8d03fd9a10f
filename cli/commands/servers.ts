import path from 'node:path';
import pc from 'picocolors';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { SkillsError } from '../../schema/errors';
import type { CommandModule } from '../command';
import { loadWorkspace } from '../core/workspace';
import { withWorkspaceLock } from '../core/workspace-lock';

export const serversCommand: CommandModule = {
  register(program, run) {
    const group = program.command('servers').description("generate the ./servers tree from the workspace's MCP servers");
    group
      .command('sync')
      .description('connect to the servers in skills.json and write servers/<server>/<tool>.ts, index.ts and servers/README.md')
      .argument('[names...]', 'only these servers (default: all)')
      .option('--json', 'print the result as JSON')
      .action((names: string[]) =>
        run(async (ctx) => {
          const { mcpOptions, McpServers } = await import('../core/mcp-servers');
          const { writeServersTree } = await import('../core/servers-tree');
          const { workspace } = await loadWorkspace(ctx.cwd);
          const configured = workspace?.servers ?? {};
          const wanted = names.length > 0 ? names : Object.keys(configured).sort();
          if (wanted.length === 0) throw new SkillsError('ENOSERVERS', 'skills.json configures no MCP servers', { hint: 'add them under "servers" in skills.json' });
          const servers = new McpServers(configured, mcpOptions(ctx.cwd, ctx.env));
          try {
            const tools = new Map<string, Tool[]>();
            for (const name of wanted) {
              ctx.progress(`listing the tools of ${name}`);
              tools.set(name, await servers.listTools(name));
            }
            const result = await withWorkspaceLock(ctx.cwd, { command: 'skills servers sync', env: ctx.env, progress: ctx.progress }, () => writeServersTree(ctx.cwd, tools));
            const human = [
              ...result.servers.map((s) => `${pc.green('synced')} ${s.server}: ${s.tools.length} tools -> servers/${s.server}/`),
              `servers/README.md: ~${result.readmeTokens} tokens for an agent to read first`,
            ].join('\n');
            return { data: { root: path.resolve(ctx.cwd), ...result }, human };
          } finally {
            await servers.close();
          }
        }),
      );
  },
};
