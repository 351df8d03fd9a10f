// A real MCP server (the SDK's, over stdio) whose tool list changes between runs, for the
// contract tests. The file named by DRIFT_TOOLS_FILE holds the variant, read at start:
//   "v1"       lookup({ id }) -> { name, size }, and ping
//   "renamed"  lookup is now find_item (same schemas)
//   "changed"  lookup({ key }) -> { title, size }: the argument and an output field renamed
import fs from 'node:fs';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

const variant = fs.readFileSync(process.env.DRIFT_TOOLS_FILE ?? '', 'utf8').trim();
const server = new McpServer({ name: 'drift', version: '1.0.0' });

const item = (id) => ({ name: `item ${id}`, size: id.length });

if (variant === 'v1' || variant === 'renamed') {
  server.registerTool(
    variant === 'v1' ? 'lookup' : 'find_item',
    { description: 'Looks an item up by id', inputSchema: { id: z.string() }, outputSchema: { name: z.string(), size: z.number() } },
    async ({ id }) => ({ content: [{ type: 'text', text: JSON.stringify(item(id)) }], structuredContent: item(id) }),
  );
} else if (variant === 'changed') {
  server.registerTool(
    'lookup',
    { description: 'Looks an item up by key', inputSchema: { key: z.string() }, outputSchema: { title: z.string(), size: z.number() } },
    async ({ key }) => ({ content: [{ type: 'text', text: key }], structuredContent: { title: `item ${key}`, size: key.length } }),
  );
} else {
  throw new Error(`unknown variant ${JSON.stringify(variant)}`);
}
server.registerTool('ping', { description: 'Answers pong' }, async () => ({ content: [{ type: 'text', text: 'pong' }] }));
await server.connect(new StdioServerTransport());
