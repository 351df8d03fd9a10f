import { SkillsError } from '../../schema/errors';
import type { IndexedTool } from '../../schema/tool-index';
import { rankTools } from '../../schema/tool-search';
import { shorten } from '../../schema/tool-text';
import type { CommandModule } from '../command';
import { loadWorkspace } from '../core/workspace/files';

type Detail = 'name' | 'summary' | 'full';

/** The default human output stays within ~300 tokens: summaries are cut evenly to fit. */
export const SEARCH_OUTPUT_BUDGET = 1200;
const MIN_SHOWN_SUMMARY = 24;

interface Found {
  server: string;
  name: string;
  export: string;
  /** The tool's generated file, relative to the workspace root. */
  file: string;
  summary: string;
  import: string;
  score: number;
  description?: string;
  inputSchema?: unknown;
  outputSchema?: unknown;
}

/** `file: summary` lines within the budget, summaries cut to one common length (or left out). */
export function summaryLines(results: readonly Found[], more: number, budget = SEARCH_OUTPUT_BUDGET): string {
  const trailer = more > 0 ? `… ${more} more (--limit ${results.length + more})` : '';
  const render = (cap: number) => [...results.map((r) => (cap === 0 || r.summary === '' ? r.file : `${r.file}: ${shorten(r.summary, cap)}`)), ...(trailer ? [trailer] : [])].join('\n');
  let lo = 0;
  let hi = 160;
  if (render(hi).length <= budget) return render(hi);
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (render(mid).length <= budget) lo = mid;
    else hi = mid - 1;
  }
  return render(lo < MIN_SHOWN_SUMMARY ? 0 : lo);
}

export const searchToolsCommand: CommandModule = {
  register(program, run) {
    program
      .command('search-tools')
      .description("find tools of the workspace's MCP servers, ranked, offline (reads the index `skills servers sync` saves)")
      .argument('[query...]', 'words matched against tool names (first) and descriptions; none lists every tool')
      .option('--limit <n>', 'at most this many results', '10')
      .option('--detail <level>', 'name (file paths), summary (with one-sentence summaries) or full (with descriptions and schemas)', 'summary')
      .option('--server <name>', 'only this server')
      .action((query: string[], options: { detail: string; server?: string; limit: string }) =>
        run(async (ctx) => {
          const { configDigest, readToolIndex, SERVERS_DIR } = await import('../core/servers/tool-index');
          if (!['name', 'summary', 'full'].includes(options.detail)) throw new SkillsError('EUSAGE', '--detail must be name, summary or full');
          const limit = Number(options.limit);
          if (!/^[0-9]+$/.test(options.limit) || !Number.isInteger(limit) || limit < 1 || limit > 1000) throw new SkillsError('EUSAGE', '--limit must be a whole number from 1 to 1000');
          const detail = options.detail as Detail;
          const { workspace } = await loadWorkspace(ctx.cwd);
          const configured = workspace?.servers ?? {};
          const index = await readToolIndex(ctx.cwd);
          if (options.server !== undefined && !(options.server in configured) && !(index && options.server in index.servers)) {
            throw new SkillsError('EMCPSERVERUNKNOWN', `skills.json configures no MCP server "${options.server}"`, { hint: 'add it under "servers" in skills.json, then run `skills servers sync`' });
          }
          const wanted = options.server ? [options.server] : [...new Set([...Object.keys(configured), ...Object.keys(index?.servers ?? {})])].sort();
          const missing = wanted.filter((s) => !index?.servers[s]);
          if (!index || (options.server !== undefined && missing.length > 0)) {
            throw new SkillsError('ENOTSYNCED', options.server ? `the tool index has no server "${options.server}"` : 'this workspace has no tool index yet', {
              hint: `run \`skills servers sync${options.server ? ` ${options.server}` : ''}\`: it lists the tools once, then search-tools reads them offline`,
            });
          }
          if (missing.length > 0) ctx.warn(`not in the tool index (run \`skills servers sync ${missing.join(' ')}\`): ${missing.join(', ')}`);
          const moved = wanted.filter((s) => {
            const config = configured[s];
            const entry = index.servers[s];
            return config && entry && entry.config !== configDigest(config);
          });
          if (moved.length > 0) ctx.warn(`skills.json changed how to start ${moved.join(', ')} since the last sync; results may be stale: run \`skills servers sync ${moved.join(' ')}\``);

          const docs = wanted.flatMap((server) => (index.servers[server]?.tools ?? []).map((tool: IndexedTool) => ({ server, name: tool.name, exportName: tool.export, title: tool.title, description: tool.description, tool })));
          const ranked = rankTools(docs, query.join(' '));
          const shown = ranked.slice(0, limit);
          const results: Found[] = shown.map(({ doc, score }) => ({
            server: doc.server,
            name: doc.name,
            export: doc.exportName,
            file: `${SERVERS_DIR}/${doc.server}/${doc.tool.file}`,
            summary: doc.tool.summary,
            import: `import { ${doc.exportName} } from '../../${SERVERS_DIR}/${doc.server}'`,
            score,
            ...(detail === 'full' ? { description: doc.tool.description, inputSchema: doc.tool.inputSchema, ...(doc.tool.outputSchema ? { outputSchema: doc.tool.outputSchema } : {}) } : {}),
          }));
          const more = ranked.length - shown.length;
          let human: string;
          if (results.length === 0) human = 'no tools found';
          else if (detail === 'name') human = [...results.map((r) => r.file), ...(more > 0 ? [`… ${more} more (--limit ${ranked.length})`] : [])].join('\n');
          else if (detail === 'summary') human = summaryLines(results, more);
          else human = results.map((r) => `${r.file} (${r.export})\n${r.description ?? ''}\ninput: ${JSON.stringify(r.inputSchema)}${r.outputSchema ? `\noutput: ${JSON.stringify(r.outputSchema)}` : ''}`).join('\n\n');
          return { data: { query: query.join(' '), total: ranked.length, results }, human };
        }),
      );
  },
};
