/**
 * `skills mcp`: a stdio MCP server for an agent's workspace. Its tools search the registry,
 * install skills, list and read installed skills, verify and run a skill (replay or live), and
 * publish a local skill: the package manager, as tools an agent can call.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { SkillsError } from '../../../schema/errors';
import { mcpError, mcpResult, type McpToolResult } from '../../../schema/mcp-result';
import { parsePackageName } from '../../../schema/names';
import { searchResponseSchema } from '../../../schema/registry';
import { PiiVault } from '../../../sandbox/pii';
import { runSkill } from '../../../sandbox/run-skill';
import { verifySkill } from '../../../sandbox/verify';
import { catalogInstalled, writeCatalog } from '../workspace/catalog';
import { install } from '../install/install';
import { runLive } from './live';
import { publishFolder } from '../package/publish';
import { registryClient } from '../registry/client';
import { emptyLockfile, loadWorkspace } from '../workspace/files';
import { CLI_VERSION } from '../../version';

async function guarded<T>(action: () => Promise<T>): Promise<McpToolResult> {
  try {
    return mcpResult(await action());
  } catch (error) {
    return mcpError(error);
  }
}

/** A skill folder under ./skills, by SKILL.md name or package name; never a path outside it. */
function skillDir(root: string, name: string): string {
  const bare = parsePackageName(name)?.name ?? name;
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(bare)) throw new SkillsError('ENAMEINVALID', `"${name}" is not a skill name`);
  return path.join(root, 'skills', bare);
}

export function workspaceMcpServer(root: string, env: NodeJS.ProcessEnv): McpServer {
  const server = new McpServer({ name: 'skills-workspace', version: CLI_VERSION });
  const quiet = { progress: () => {}, warn: () => {} };

  server.registerTool(
    'search_skills',
    { description: 'Search the registry for skills by words; optionally only those using an MCP server.', inputSchema: { query: z.string().max(256), server: z.string().optional(), limit: z.number().int().min(1).max(50).optional() } },
    ({ query, server: mcp, limit }) =>
      guarded(async () => {
        const { workspace } = await loadWorkspace(root);
        const client = await registryClient({ env, workspace });
        const params = new URLSearchParams({ q: query, limit: String(limit ?? 10) });
        if (mcp) params.set('server', mcp);
        return client.call(searchResponseSchema, 'GET', `/v1/search?${params}`);
      }),
  );

  server.registerTool(
    'install_skills',
    { description: 'Install skills (e.g. "@acme/csv-export" or "@acme/csv-export@^1.2.0") into ./skills, each verified in the sandbox first.', inputSchema: { specs: z.array(z.string()).max(50) } },
    ({ specs }) => guarded(() => install({ root, env, add: specs, registryOnly: true, ...quiet })),
  );

  server.registerTool('list_skills', { description: 'List the skills in ./skills (installed and local) with name, version, description and SKILL.md path.', inputSchema: {} }, () =>
    guarded(async () => {
      const { lockfile } = await loadWorkspace(root);
      const catalog = await writeCatalog(root, catalogInstalled(lockfile ?? emptyLockfile()));
      return { skills: catalog.entries, catalogChars: catalog.chars };
    }),
  );

  server.registerTool('read_skill', { description: "Read an installed or local skill's SKILL.md (its instructions).", inputSchema: { name: z.string() } }, ({ name }) =>
    guarded(async () => ({ name, skillMd: await fs.readFile(path.join(skillDir(root, name), 'SKILL.md'), 'utf8') })),
  );

  server.registerTool('verify_skill', { description: "Run every fixture of a skill in ./skills in the sandbox and report each case.", inputSchema: { name: z.string() } }, ({ name }) =>
    guarded(() => verifySkill({ dir: skillDir(root, name) })),
  );

  // One token map for the session: a token from one run means the same value in the next.
  const vault = new PiiVault();
  server.registerTool(
    'run_skill',
    {
      description:
        "Call one export of a skill in ./skills in the sandbox. With `fixture`, MCP calls are answered from that recording; with `live`, they go to the workspace's MCP servers (with skills.json `privacy` applied), and `record` writes the run as fixtures/<record>.json.",
      inputSchema: {
        name: z.string(),
        export: z.string().optional(),
        args: z.array(z.unknown()).optional(),
        fixture: z.string().optional(),
        live: z.boolean().optional(),
        record: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/i).optional(),
      },
    },
    ({ name, export: exportName, args, fixture, live, record }) =>
      guarded(async () => {
        const dir = skillDir(root, name);
        const call = { target: dir, ...(exportName ? { exportName } : {}), ...(args ? { args } : {}) };
        if (!live) {
          if (record !== undefined) throw new SkillsError('EUSAGE', 'record needs live: a fixture records real MCP answers');
          return runSkill({ ...call, ...(fixture ? { fixture } : {}), workspaceRoot: root });
        }
        if (fixture !== undefined) throw new SkillsError('EUSAGE', 'live and fixture exclude each other');
        const warnings: string[] = [];
        const outcome = await runLive({ ...call, root, env, vault, ...(record !== undefined ? { record } : {}), warn: (m) => warnings.push(m) });
        return { ...outcome.result, ...(outcome.recorded !== undefined ? { recorded: outcome.recorded } : {}), ...(warnings.length > 0 ? { warnings } : {}) };
      }),
  );

  server.registerTool('publish_skill', { description: 'Validate, verify and publish a local skill in ./skills to the registry.', inputSchema: { name: z.string(), tag: z.string().optional() } }, ({ name, tag }) =>
    guarded(async () => {
      const { workspace } = await loadWorkspace(root);
      return publishFolder({ dir: skillDir(root, name), env, registryWorkspace: { workspace }, tag, scope: workspace?.scope, progress: () => {} });
    }),
  );

  return server;
}
