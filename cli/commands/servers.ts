import path from 'node:path';
import pc from 'picocolors';
import { SkillsError } from '../../schema/errors';
import type { CommandModule } from '../command';
import type { ServerListing } from '../core/servers/tree';
import { loadWorkspace } from '../core/workspace/files';
import { withWorkspaceLock } from '../core/workspace/lock';

function changeText(s: { status: string; added: string[]; removed: string[]; changed: string[] }): string {
  if (s.status === 'new') return 'new';
  if (s.status === 'unchanged') return 'unchanged since the last sync';
  const parts = [
    s.added.length > 0 ? `${s.added.length} added` : '',
    s.removed.length > 0 ? `${s.removed.length} removed` : '',
    s.changed.length > 0 ? `${s.changed.length} changed` : '',
  ].filter(Boolean);
  const named = [...s.added.map((n) => `+${n}`), ...s.removed.map((n) => `-${n}`), ...s.changed.map((n) => `~${n}`)];
  return `${pc.yellow('changed since the last sync')}: ${parts.join(', ')} (${named.slice(0, 8).join(' ')}${named.length > 8 ? ' ...' : ''})`;
}

export const serversCommand: CommandModule = {
  register(program, run) {
    const group = program.command('servers').description("generate the ./servers tree from the workspace's MCP servers");
    group
      .command('sync')
      .description('connect to the servers in skills.json, write servers/<server>/ (a README, one typed file per tool, index.ts) and servers/README.md, and save the tool index search-tools reads')
      .argument('[names...]', 'only these servers (default: all)')
      .action((names: string[]) =>
        run(async (ctx) => {
          const { mcpOptions, McpServers } = await import('../core/servers/connect');
          const { checkServerNames, writeServersTree } = await import('../core/servers/tree');
          const { serverPurpose } = await import('../core/servers/tool-index');
          const { MAX_TOOLS_PER_SERVER } = await import('../../schema/tool-index');
          const { workspace } = await loadWorkspace(ctx.cwd);
          const configured = workspace?.servers ?? {};
          const wanted = names.length > 0 ? [...new Set(names)] : Object.keys(configured).sort();
          if (wanted.length === 0) throw new SkillsError('ENOSERVERS', 'skills.json configures no MCP servers', { hint: 'add them under "servers" in skills.json' });
          // A server named like a file the generator writes (runtime.ts, README.md, ...) is refused before any server starts.
          checkServerNames(Object.keys(configured));
          const servers = new McpServers(configured, mcpOptions(ctx.cwd, ctx.env));
          try {
            const listings: ServerListing[] = [];
            for (const name of wanted) {
              ctx.progress(`listing the tools of ${name}`);
              const tools = await servers.listTools(name, MAX_TOOLS_PER_SERVER);
              const config = configured[name];
              if (!config) continue;
              listings.push({ server: name, tools, purpose: serverPurpose((await servers.client(name)).getServerVersion()), config });
            }
            const result = await withWorkspaceLock(ctx.cwd, { command: 'skills servers sync', env: ctx.env, progress: ctx.progress }, () => writeServersTree(ctx.cwd, listings));
            for (const warning of result.warnings) ctx.warn(warning);
            for (const s of result.servers) {
              for (const skip of s.skipped.slice(0, 5)) ctx.warn(`${s.server}: tool "${skip.name}": ${skip.reason}`);
              if (s.skipped.length > 5) ctx.warn(`${s.server}: ${s.skipped.length - 5} more tools skipped or typed loosely (see --json)`);
            }
            // Which installed skills the servers just listed would break or drift.
            const { contractImpact } = await import('../core/servers/contracts');
            const impact = await contractImpact(ctx.cwd, new Map(listings.map((l) => [l.server, l.tools])));
            for (const warning of impact.warnings) ctx.warn(warning);
            for (const p of impact.problems) ctx.warn(`${p.code} ${p.message}`);
            const human = [
              ...result.servers.map((s) => `${pc.green('synced')} ${s.server}: ${s.tools} tools -> ${s.dir} (${changeText(s)})`),
              `${result.readme.file}: ~${result.readme.tokens} tokens for an agent to read first; tool index for search-tools: ${result.index}`,
              ...(impact.affected.length > 0 ? [`${pc.yellow('affected')} by these servers' tools: ${impact.affected.join(', ')} (see the warnings, or \`skills doctor\`)`] : []),
            ].join('\n');
            const { warnings: _warned, ...data } = result;
            return { data: { root: path.resolve(ctx.cwd), ...data, contracts: { affected: impact.affected, problems: impact.problems } }, human };
          } finally {
            await servers.close();
          }
        }),
      );
  },
};
