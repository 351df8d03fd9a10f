/**
 * Discovery over MCP: `/mcp` speaks Streamable HTTP (stateless, JSON responses) with the tools
 * `search_skills`, `get_skill` and `list_versions`, under the same auth as the HTTP API (a
 * private skill is invisible without a token that may read its scope).
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { Hono } from 'hono';
import { z } from 'zod';
import { SkillsError } from '../../schema/errors';
import { mcpError, mcpResult } from '../../schema/mcp-result';
import { parsePackageName } from '../../schema/names';
import { pickVersion } from '../../schema/pick-version';
import { trustLevelSchema } from '../../schema/trust';
import type { Caller } from '../auth';
import { origin, type Env, type Services } from '../context';
import { readJson } from '../request-body';


function buildServer(services: Services, caller: Caller | undefined, base: string): McpServer {
  const { store, auth } = services;
  const server = new McpServer({ name: 'skills-registry', version: '0.1.0' });
  const readable = async (name: string) => {
    const parsed = parsePackageName(name);
    const skill = parsed ? await store.skill(name) : undefined;
    const scope = parsed ? await auth.scope(parsed.scope) : undefined;
    return skill && scope && (await auth.canRead(caller, scope)) ? { skill, scope } : undefined;
  };

  server.registerTool(
    'search_skills',
    {
      description:
        'Search published agent skills by words in their name, description, keywords and SKILL.md. Returns name, latest version, description, the MCP servers each uses, its trust level (verified: code that passed sandbox verification; instructions: nothing executable; unverified: scripts or binaries the sandbox cannot run) and a score. Pass trust to keep only some levels.',
      inputSchema: {
        query: z.string().max(256),
        server: z.string().max(128).optional(),
        trust: z.array(trustLevelSchema).min(1).max(3).optional(),
        limit: z.number().int().min(1).max(50).optional(),
      },
    },
    async ({ query, server: mcpServer, trust, limit }) => {
      const found = await store.search({ query, server: mcpServer, trust, limit: limit ?? 10, offset: 0, readablePrivate: await auth.readablePrivateScopes(caller) });
      return mcpResult(found);
    },
  );

  server.registerTool(
    'get_skill',
    {
      description:
        "Read a skill's SKILL.md (its instructions), the MCP tools it uses, its dependencies, its trust level and the files that decided it, where its publisher says it came from, and the command that installs it. Defaults to the latest version.",
      inputSchema: { name: z.string().max(200), version: z.string().max(64).optional() },
    },
    async ({ name, version }) => {
      const found = await readable(name);
      if (!found) return mcpError(new SkillsError('ENOTFOUND', `${name} was not found`));
      const tags = await store.distTags(found.skill.id);
      const all = (await store.versionsOf(found.skill)).map((v) => v.version);
      const wanted = version ?? 'latest';
      const chosen = pickVersion(wanted, all, tags);
      const doc = chosen ? await store.version(found.skill, chosen, base) : undefined;
      if (!doc) return mcpError(new SkillsError('ENOTFOUND', `${name} has no version matching ${wanted}`));
      return mcpResult({
        name: doc.name,
        version: doc.version,
        description: doc.description,
        skillMd: doc.skillMd,
        mcp: doc.manifest.mcp,
        dependencies: doc.manifest.dependencies,
        yanked: doc.yanked,
        deprecated: doc.deprecated,
        kind: doc.kind,
        trust: doc.trust,
        trustReasons: doc.trustReasons,
        provenance: doc.provenance,
        install: `skills install ${doc.name}@${doc.version}`,
      });
    },
  );

  server.registerTool(
    'list_versions',
    { description: 'List the versions of a skill with their dist-tags, yanked and deprecated state, and trust level.', inputSchema: { name: z.string().max(200) } },
    async ({ name }) => {
      const found = await readable(name);
      if (!found) return mcpError(new SkillsError('ENOTFOUND', `${name} was not found`));
      const packument = await store.packument(found.skill, base, found.scope.private === 1);
      return mcpResult({
        name,
        distTags: packument.distTags,
        versions: Object.values(packument.versions).map((v) => ({ version: v.version, publishedAt: v.publishedAt, yanked: v.yanked, deprecated: v.deprecated, trust: v.trust })),
      });
    },
  );
  return server;
}

export function mcpRoutes(app: Hono<Env>): void {
  app.all('/mcp', async (c) => {
    const server = buildServer(c.get('services'), c.get('caller'), origin(c));
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    await server.connect(transport);
    try {
      // The body is read here, within the same size and depth limits as every JSON route.
      const parsedBody = c.req.method === 'POST' ? await readJson(c) : undefined;
      return await transport.handleRequest(c.req.raw, parsedBody === undefined ? undefined : { parsedBody });
    } finally {
      void server.close();
    }
  });
}
