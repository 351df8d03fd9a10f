// A real MCP server (the SDK's, over stdio) that misbehaves on purpose, for the live-mode tests.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

const server = new McpServer({ name: 'hostile', version: '1.0.0' });
server.registerTool('echo', { description: 'Echoes the text', inputSchema: { text: z.string() } }, async ({ text }) => ({ content: [{ type: 'text', text }] }));
server.registerTool('crash', { description: 'Exits the process mid-call' }, async () => {
  process.exit(3);
});
server.registerTool('hang', { description: 'Never answers' }, () => new Promise(() => {}));
server.registerTool('huge', { description: 'Returns 20 MB of text' }, async () => ({ content: [{ type: 'text', text: 'x'.repeat(20 * 1024 * 1024) }] }));
server.registerTool('fail', { description: 'Reports a tool error' }, async () => ({ content: [{ type: 'text', text: 'the tool failed on purpose' }], isError: true }));
server.registerTool(
  'contact',
  { description: 'Returns a contact with PII', inputSchema: { id: z.string() } },
  async ({ id }) => ({
    content: [{ type: 'text', text: `Contact ${id}: ada@example.com, +1 415 555 0100` }],
    structuredContent: { id, person: { email: 'ada@example.com', phone: '+1 415 555 0100', notes: ['prefers mail to ada@example.com'] } },
  }),
);
server.registerTool(
  'send',
  { description: 'Sends a message to an address; returns what it received', inputSchema: { to: z.string(), body: z.string() } },
  async ({ to, body }) => ({ content: [{ type: 'text', text: `sent to ${to}: ${body}` }] }),
);
server.registerTool('deep', { description: 'Returns structured content nested 200 levels deep' }, async () => {
  let value = { leaf: true };
  for (let i = 0; i < 200; i++) value = { next: value };
  return { content: [{ type: 'text', text: 'deep' }], structuredContent: value };
});
await server.connect(new StdioServerTransport());
