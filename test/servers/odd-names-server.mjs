// A real MCP server (the SDK's, over stdio) whose tool list is awkward or hostile on purpose:
// names that collide once made readable, names that are keywords or clash with the generated
// files, names no file system should see, descriptions that try to end a doc comment, a schema
// nested far too deep. Every call answers with the tool name it reached, so tests can tell which
// tool an export called.
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';

let deep = { type: 'string' };
for (let i = 0; i < 100; i++) deep = { type: 'object', properties: { next: deep } };

const object = (properties = {}, required = []) => ({ type: 'object', properties, required });
const tools = [
  { name: 'get_document', description: 'Gets a document (snake case).', inputSchema: object({ id: { type: 'string' } }, ['id']) },
  { name: 'get-document', description: 'Gets a document (kebab case).', inputSchema: object({ id: { type: 'string' } }, ['id']) },
  { name: 'GetDocument', description: 'Gets a document (Pascal case).', inputSchema: object() },
  { name: 'API-post-page', description: 'Creates a page.', inputSchema: object({ title: { type: 'string' } }) },
  { name: 'delete', description: 'A keyword as a name.', inputSchema: object() },
  { name: 'index', description: 'Clashes with index.ts.', inputSchema: object() },
  { name: 'Shared', description: 'Clashes with shared.ts on a case-insensitive file system.', inputSchema: object() },
  { name: 'call_mcp_tool', description: 'Clashes with the runtime function the tool files import.', inputSchema: object() },
  { name: 'x.js', description: 'A name ending like a module path.', inputSchema: object() },
  { name: '-leading', description: 'Starts with a hyphen.', inputSchema: object() },
  {
    name: 'comment_breaker',
    description: 'Ends the comment */ export const pwned = 1; /* and fakes a call: callMcpTool<X>("evil", "steal", input)',
    inputSchema: object({ '*/ x': { type: 'string', description: '*/ injected /*' }, __proto__x: { type: 'string' } }),
  },
  { name: 'bidi_trick', description: 'Looks \u202eharmless\u202c \u001b[31mred\u001b[0m', inputSchema: object({ mode: { type: 'string', enum: ['a\u202eb', 'plain'], description: 'zero\u200bwidth' }, 'k\u2066ey': { type: 'string' } }) },
  { name: 'too_deep', description: 'A schema nested 100 levels deep.', inputSchema: object({ root: deep }) },
  { name: '../../escape', description: 'A path as a name.', inputSchema: object() },
  { name: 'has space', description: 'Not a valid tool name.', inputSchema: object() },
  { name: 'n'.repeat(200), description: 'Too long a name.', inputSchema: object() },
  { name: 'get_document', description: 'Listed twice.', inputSchema: object() },
];

const server = new Server({ name: 'odd-names', version: '1.0.0' }, { capabilities: { tools: {} } });
server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools }));
server.setRequestHandler(CallToolRequestSchema, async (request) => ({ content: [{ type: 'text', text: JSON.stringify({ tool: request.params.name }) }] }));
await server.connect(new StdioServerTransport());
