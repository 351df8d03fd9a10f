// A real MCP server (the SDK's, over stdio) whose results carry personal data in the forms that
// used to slip past tokenization: e-mails as object keys, JSON escapes, base64, phone numbers in
// international formats. `send` appends what it received to $PII_LOG, so tests can see that the
// real values (not tokens) reached the tool.
import fs from 'node:fs';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

const server = new McpServer({ name: 'pii', version: '1.0.0' });
const text = (t) => ({ content: [{ type: 'text', text: t }] });
const b64 = (s, enc = 'base64') => Buffer.from(s, 'utf8').toString(enc);

server.registerTool('contacts_by_email', { description: 'Contacts keyed by e-mail address' }, async () => ({
  content: [{ type: 'text', text: 'two contacts' }],
  structuredContent: { 'ada@example.com': { name: 'Ada', phone: '+44 20 7946 0958' }, 'grace@example.org': { name: 'Grace', phone: '+49 30 1234567' } },
}));
// JSON text whose e-mails are written with \u0040 escapes: only the parsed value shows them.
server.registerTool('escaped', { description: 'JSON text with escaped at-signs' }, async () => text(String.raw`{"owner":"ada\u0040example.com","cc":["grace\u0040example.org"],"note":"write to ada%40example.com or ada&#64;example.com"}`));
server.registerTool('phones', { description: 'Phone numbers and ordinary numbers' }, async () => ({
  content: [{ type: 'text', text: 'see structured content' }],
  structuredContent: {
    uk: '+44 20 7946 0958',
    de: 'Tel. +49 30 1234567',
    us: 'call 5551234567',
    mobile: '5551234567',
    fax: 5551234567,
    ordinary: { orderId: '4155550123', order: 'order 4155550123', size: '1048576 bytes', bytes: 4294967296, created: '2024-01-15', at: '2025-12-31T10:00:00Z', version: '1.2.3', ts: '1735689600', ip: '192.168.100.200', uuid: '123e4567-e89b-12d3-a456-426614174000', count: '2 147 483 647', isbn: '978-3-16-148410-0', price: '1234567.89' },
  },
}));
// base64 that decodes to text with e-mails (a base64url message body, as mail APIs return them).
server.registerTool('message', { description: 'A mail message with a base64url body' }, async () => ({
  content: [{ type: 'text', text: 'message m1' }],
  structuredContent: { id: 'm1', payload: { body: { data: b64('From: ada@example.com\r\nTo: grace@example.org\r\n\r\nCall me on +44 20 7946 0958.', 'base64url') } } },
}));
server.registerTool('blob_resource', { description: 'An embedded text resource as a base64 blob' }, async () => ({
  content: [{ type: 'resource', resource: { uri: 'mem://contacts.csv', mimeType: 'text/csv', blob: b64('name,email\nAda,ada@example.com\n') } }],
}));
server.registerTool(
  'send',
  { description: 'Sends a message; returns what it received', inputSchema: { to: z.string(), body: z.string().optional() } },
  async ({ to, body }) => {
    if (process.env.PII_LOG) fs.appendFileSync(process.env.PII_LOG, `${JSON.stringify({ to, body })}\n`);
    return text(`sent to ${to}${body ? `: ${body}` : ''}`);
  },
);
server.registerTool('refuse', { description: 'Fails with an e-mail in the error' }, async () => ({ content: [{ type: 'text', text: 'no mailbox for ada@example.com' }], isError: true }));
await server.connect(new StdioServerTransport());
