import type { CommandModule } from '../command';

export const mcpCommand: CommandModule = {
  register(program, run) {
    program
      .command('mcp')
      .description('serve this workspace as an MCP server on stdio (search, install, list, read, verify, run, publish skills)')
      .action(() =>
        run(async (ctx) => {
          const { StdioServerTransport } = await import('@modelcontextprotocol/sdk/server/stdio.js');
          const { workspaceMcpServer } = await import('../core/run/mcp-server');
          const server = workspaceMcpServer(ctx.cwd, ctx.env);
          const transport = new StdioServerTransport();
          const closed = new Promise<void>((resolve) => {
            transport.onclose = () => resolve();
            process.stdin.once('end', () => resolve());
          });
          await server.connect(transport);
          await Promise.race([closed, ctx.untilSignal()]);
          await server.close();
          // stdout belongs to the protocol: print nothing.
          return { data: null, human: '' };
        }),
      );
  },
};
