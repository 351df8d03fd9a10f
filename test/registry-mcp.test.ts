import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainSkills } from '../testkit/skill-files';
import { liveRegistry, type LiveRegistry } from '../testkit/workspace';

let live: LiveRegistry;
beforeAll(async () => {
  live = await liveRegistry(['@acme', '@hidden']);
  const chain = chainSkills();
  for (const files of [chain.base, chain.mid]) expect((await live.publish(files)).status).toBe(201);
  await fetch(`${live.registry.url}/v1/scopes`, { method: 'POST', headers: { Authorization: `Bearer ${live.admin}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ name: '@vault', team: 'core', private: true }) });
  expect((await live.publish(chainSkills('@vault').base)).status).toBe(201);
});
afterAll(async () => {
  await live.close();
});

async function connect(token?: string): Promise<Client> {
  const client = new Client({ name: 'test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${live.registry.url}/mcp`), token ? { requestInit: { headers: { Authorization: `Bearer ${token}` } } } : {}));
  return client;
}

describe("the registry's MCP endpoint", () => {
  it('lets an SDK client list tools, search skills and read a skill', async () => {
    const client = await connect();
    try {
      const tools = await client.listTools();
      expect(tools.tools.map((t) => t.name).sort()).toEqual(['get_skill', 'list_versions', 'search_skills']);
      const search = await client.callTool({ name: 'search_skills', arguments: { query: 'mid' } });
      const found = search.structuredContent as { results: { name: string }[] };
      expect(found.results.map((r) => r.name)).toContain('@acme/mid');
      const skill = await client.callTool({ name: 'get_skill', arguments: { name: '@acme/mid' } });
      expect(skill.structuredContent).toMatchObject({ name: '@acme/mid', version: '1.0.0', install: 'skills install @acme/mid@1.0.0', dependencies: { '@acme/base': '^1.0.0' } });
      expect((skill.structuredContent as { skillMd: string }).skillMd).toContain('name: mid');
      const versions = await client.callTool({ name: 'list_versions', arguments: { name: '@acme/base' } });
      expect(versions.structuredContent).toMatchObject({ distTags: { latest: '1.0.0' }, versions: [{ version: '1.0.0', yanked: false }] });
      const missing = await client.callTool({ name: 'get_skill', arguments: { name: '@acme/nope' } });
      expect(missing.isError).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('honours the same auth as HTTP: private skills only with a token that can read them', async () => {
    const anonymous = await connect();
    const admin = await connect(live.admin);
    try {
      expect((await anonymous.callTool({ name: 'get_skill', arguments: { name: '@vault/base' } })).isError).toBe(true);
      const anonSearch = (await anonymous.callTool({ name: 'search_skills', arguments: { query: 'base' } })).structuredContent as { results: { name: string }[] };
      expect(anonSearch.results.map((r) => r.name)).not.toContain('@vault/base');
      const adminSkill = await admin.callTool({ name: 'get_skill', arguments: { name: '@vault/base' } });
      expect(adminSkill.isError).toBeFalsy();
    } finally {
      await anonymous.close();
      await admin.close();
    }
  });
});
