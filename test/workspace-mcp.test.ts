import fs from 'node:fs/promises';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT } from '../testkit/cli';
import { chainSkills } from '../testkit/skill-files';
import { tempDir } from '../testkit/temp';
import { liveRegistry, type LiveRegistry } from '../testkit/workspace';

let live: LiveRegistry;
let ws: string;
beforeAll(async () => {
  live = await liveRegistry();
  const chain = chainSkills();
  for (const files of [chain.base, chain.mid]) expect((await live.publish(files)).status).toBe(201);
  ws = await tempDir('mcp-ws');
  await fs.writeFile(path.join(ws, 'skills.json'), JSON.stringify({ registry: live.registry.url, dependencies: {} }));
});
afterAll(async () => {
  await live.close();
  // The config folder (holding the journal key) and the cache sit beside the workspace, never in it.
  for (const dir of [ws, `${ws}.cache`, `${ws}.config`]) await fs.rm(dir, { recursive: true, force: true });
});

describe('skills mcp (the workspace as a stdio MCP server)', () => {
  it('lets an agent search, install, list, read, verify and run skills through MCP tools', async () => {
    const client = new Client({ name: 'agent', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({ command: process.execPath, args: [BIN, 'mcp'], cwd: ws, env: { ...(process.env as Record<string, string>), SKILLS_CACHE_DIR: `${ws}.cache`, SKILLS_CONFIG_DIR: `${ws}.config` }, stderr: 'ignore' }),
    );
    try {
      const names = (await client.listTools()).tools.map((t) => t.name).sort();
      expect(names).toEqual(['install_skills', 'list_skills', 'publish_skill', 'read_skill', 'run_skill', 'search_skills', 'verify_skill']);
      const found = (await client.callTool({ name: 'search_skills', arguments: { query: 'mid' } })).structuredContent as { results: { name: string }[] };
      expect(found.results.map((r) => r.name)).toContain('@acme/mid');
      const installed = await client.callTool({ name: 'install_skills', arguments: { specs: ['@acme/mid'] } });
      expect(installed.isError, JSON.stringify(installed.content)).toBeFalsy();
      const list = (await client.callTool({ name: 'list_skills', arguments: {} })).structuredContent as { skills: { name: string }[] };
      expect(list.skills.map((s) => s.name)).toEqual(['base', 'mid']);
      const md = (await client.callTool({ name: 'read_skill', arguments: { name: '@acme/mid' } })).structuredContent as { skillMd: string };
      expect(md.skillMd).toContain('name: mid');
      const verified = (await client.callTool({ name: 'verify_skill', arguments: { name: 'mid' } })).structuredContent as { ok: boolean };
      expect(verified.ok).toBe(true);
      const ran = (await client.callTool({ name: 'run_skill', arguments: { name: 'mid', fixture: 'five' } })).structuredContent as { value: unknown };
      expect(ran.value).toBe(20);
      const escape = await client.callTool({ name: 'read_skill', arguments: { name: '../../etc/passwd' } });
      expect(escape.isError).toBe(true);
    } finally {
      await client.close();
    }
  });
});

describe('skills mcp run_skill in live mode applies skills.json privacy (the same live run as skills run --live)', () => {
  it('sends the MCP client tokens only, while the tools get the real values; tokens hold across the runs of a session', async () => {
    const dir = await tempDir('mcp-privacy');
    const log = path.join(dir, 'sent.log');
    const server = { command: process.execPath, args: [path.join(ROOT, 'test', 'servers', 'pii-server.mjs')], env: { PII_LOG: log } };
    await fs.writeFile(path.join(dir, 'skills.json'), JSON.stringify({ dependencies: {}, servers: { pii: server }, privacy: { tokenizePii: true } }));
    const skill = path.join(dir, 'skills', 'mailer');
    await fs.mkdir(skill, { recursive: true });
    await fs.writeFile(path.join(skill, 'SKILL.md'), '---\nname: mailer\ndescription: Mails contacts.\n---\n\nBody.\n');
    await fs.writeFile(path.join(skill, 'skill.json'), JSON.stringify({ name: '@privacy/mailer', version: '1.0.0', mcp: { pii: ['contacts_by_email', 'escaped', 'send'] } }));
    await fs.writeFile(
      path.join(skill, 'index.ts'),
      `import { contactsByEmail, escaped, send } from '../../servers/pii';
export async function run() {
  const byEmail = (await contactsByEmail({})) as Record<string, { name: string; phone: string }>;
  const emails = Object.keys(byEmail);
  const esc = (await escaped({})) as { owner: string };
  console.log('owner', esc.owner, 'support help@acme.test');
  const receipt = await send({ to: emails[0], body: 'hi ' + byEmail[emails[0]].name });
  return { emails, owner: esc.owner, phones: Object.values(byEmail).map((c) => c.phone), receipt, support: 'help@acme.test' };
}
export async function mail(to: string) { return send({ to, body: 'again' }); }
`,
    );
    const client = new Client({ name: 'agent', version: '1.0.0' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [BIN, 'mcp'], cwd: dir, env: { ...(process.env as Record<string, string>), SKILLS_CONFIG_DIR: `${dir}.config` }, stderr: 'ignore' }));
    try {
      const first = await client.callTool({ name: 'run_skill', arguments: { name: 'mailer', export: 'run', live: true } });
      const wire = JSON.stringify(first);
      for (const raw of ['ada@example.com', 'grace@example.org', 'help@acme.test', '7946 0958', '30 1234567']) expect(wire).not.toContain(raw);
      expect(first.isError, wire).toBeFalsy();
      const ran = first.structuredContent as { status: string; value: unknown; console: { text: string }[] };
      expect(ran.value).toEqual({ emails: ['[EMAIL_1]', '[EMAIL_2]'], owner: '[EMAIL_1]', phones: ['[PHONE_1]', '[PHONE_2]'], receipt: 'sent to [EMAIL_1]: hi Ada', support: '[EMAIL_3]' });
      expect(ran.console.map((l) => l.text)).toEqual(['owner [EMAIL_1] support [EMAIL_3]']);
      // A later run of the session resolves a token the agent got from the first one.
      const second = await client.callTool({ name: 'run_skill', arguments: { name: 'mailer', export: 'mail', args: ['[EMAIL_2]'], live: true } });
      expect(JSON.stringify(second)).not.toContain('grace@example.org');
      expect((second.structuredContent as { value: unknown }).value).toBe('sent to [EMAIL_2]: again');
      const sent = (await fs.readFile(log, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as unknown);
      expect(sent).toEqual([
        { to: 'ada@example.com', body: 'hi Ada' },
        { to: 'grace@example.org', body: 'again' },
      ]);
    } finally {
      await client.close();
      for (const d of [dir, `${dir}.config`]) await fs.rm(d, { recursive: true, force: true });
    }
  }, 60_000);
});
