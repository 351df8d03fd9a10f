import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from './helpers/cli';
import { chainSkills } from './helpers/skill-files';
import { liveRegistry, type LiveRegistry } from './helpers/workspace';

let live: LiveRegistry;
let ws: string;
beforeAll(async () => {
  live = await liveRegistry();
  const chain = chainSkills();
  for (const files of [chain.base, chain.mid]) expect((await live.publish(files)).status).toBe(201);
  ws = await fs.mkdtemp(path.join(os.tmpdir(), 'skills-mcp-ws-'));
  await fs.writeFile(path.join(ws, 'skills.json'), JSON.stringify({ registry: live.registry.url, dependencies: {} }));
});
afterAll(async () => {
  await live.close();
  await fs.rm(ws, { recursive: true, force: true });
});

describe('skills mcp (the workspace as a stdio MCP server)', () => {
  it('lets an agent search, install, list, read, verify and run skills through MCP tools', async () => {
    const client = new Client({ name: 'agent', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({ command: process.execPath, args: [BIN, 'mcp'], cwd: ws, env: { ...(process.env as Record<string, string>), SKILLS_CACHE_DIR: path.join(ws, '.cache'), SKILLS_CONFIG_DIR: path.join(ws, '.config') }, stderr: 'ignore' }),
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
