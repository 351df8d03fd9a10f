/**
 * Context cost (issues 6, 7 and 17): what an agent reads for one task through the generated
 * `servers/` tree and `skills/INDEX.md`, against every tool definition loaded up front.
 *
 *   npm run bench -- context
 *   CONTEXT_SERVERS_DIR=/tmp/context-servers npm run bench -- context   # adds large real servers
 *
 * The real set needs, installed OUTSIDE the repo (never a project dependency):
 *   npm install --prefix /tmp/context-servers @azure/mcp@2.0.5 chrome-devtools-mcp \
 *     @notionhq/notion-mcp-server @playwright/mcp @modelcontextprotocol/server-github firecrawl-mcp
 * Dummy tokens are enough: only tools/list is called.
 *
 * One task = servers/README.md + the server's README (+ the group page it points to, for a
 * server too large to list) + two of its tool files (the median size) + skills/INDEX.md.
 * Figures are characters; tokens are estimated at 4 characters each.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeCatalog } from '../cli/core/workspace/catalog';
import { McpServers } from '../cli/core/servers/connect';
import { writeServersTree, type ServerListing } from '../cli/core/servers/tree';
import { serverPurpose } from '../cli/core/servers/tool-index';
import { estimateTokens } from '../schema/tokens';
import type { ServerConfig } from '../schema/workspace';
import { machine, saveResults } from './stats';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = path.join(ROOT, 'bin', 'skills.js');
const reference = (pkg: string) => path.join(ROOT, 'node_modules', '@modelcontextprotocol', pkg, 'dist', 'index.js');
/** The example workspace's skills: the first-party catalog. */
const CATALOG = path.join(ROOT, 'examples', 'workspace', 'skills');
const SYNTHETIC = path.join(ROOT, 'test', 'servers', 'synthetic-server.mjs');
const tokens = (chars: number) => estimateTokens('x'.repeat(chars));

console.log(`machine: ${machine()}`);
const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'skills-bench-context-'));

async function list(servers: Record<string, ServerConfig>, cwd: string): Promise<{ listings: ServerListing[]; upFront: number; count: number }> {
  const mcp = new McpServers(servers, { cwd, connectTimeoutMs: 120_000, callTimeoutMs: 120_000 });
  const listings: ServerListing[] = [];
  let upFront = 0;
  let count = 0;
  try {
    for (const server of mcp.names()) {
      const tools = await mcp.listTools(server);
      // What a client puts in the model's context up front: every definition, as tools/list gives it.
      upFront += JSON.stringify(tools).length;
      count += tools.length;
      const config = servers[server];
      if (config) listings.push({ server, tools, purpose: serverPurpose((await mcp.client(server)).getServerVersion()), config });
    }
  } finally {
    await mcp.close();
  }
  return { listings, upFront, count };
}

const size = async (file: string) => (await fs.readFile(file, 'utf8')).length;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? 0;

interface ServerCost {
  server: string;
  tools: number;
  readme: number;
  groupPage: number;
  medianToolFile: number;
  task: number;
}

/** Syncs `servers` into a fresh workspace (with the catalog skills) and measures what one task reads. */
async function measure(name: string, servers: Record<string, ServerConfig>) {
  const ws = path.join(scratch, name);
  await fs.mkdir(ws, { recursive: true });
  await fs.cp(CATALOG, path.join(ws, 'skills'), { recursive: true });
  await fs.writeFile(path.join(ws, 'skills.json'), JSON.stringify({ dependencies: {}, servers }));
  const { listings, upFront, count } = await list(servers, ws);
  const tree = await writeServersTree(ws, listings);
  const index = (await writeCatalog(ws, new Set())).chars;
  const entry = tree.readme.chars;
  const perServer: ServerCost[] = [];
  for (const s of tree.servers) {
    const dir = path.join(ws, 'servers', s.server);
    const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.ts') && f !== 'index.ts' && f !== 'shared.ts');
    const toolSizes = await Promise.all(files.map((f) => size(path.join(dir, f))));
    const pages = s.grouped ? await Promise.all((await fs.readdir(path.join(dir, 'groups'))).map((f) => size(path.join(dir, 'groups', f)))) : [];
    const readme = await size(path.join(dir, 'README.md'));
    const groupPage = s.grouped ? median(pages) : 0;
    const medianToolFile = median(toolSizes);
    perServer.push({ server: s.server, tools: s.tools, readme, groupPage, medianToolFile, task: entry + readme + groupPage + 2 * medianToolFile + index });
  }
  const meanTask = Math.round(perServer.reduce((n, s) => n + s.task, 0) / Math.max(1, perServer.length));
  const worst = perServer.reduce((w, s) => (s.task > w.task ? s : w), perServer[0] ?? { server: '-', task: 0 });
  return { ws, count, servers: perServer.length, upFront, entry, index, perServer, meanTask, worstTask: worst.task, worstServer: worst.server };
}

function row(cells: (string | number)[]): string {
  return `| ${cells.map((c) => (typeof c === 'number' ? c.toLocaleString('en-US') : c)).join(' | ')} |`;
}

// 1. Growth: one synthetic server (SDK, schemas shaped like a large cloud server's) from 50 to 500 tools.
console.log('\nGrowth with one synthetic server (test/servers/synthetic-server.mjs):');
console.log(row(['tools', 'all definitions', 'servers/README.md', 'server README', 'group page', 'median tool file', 'one task', 'ratio']));
console.log(row(['---', '---', '---', '---', '---', '---', '---', '---']));
const growth = [];
for (const n of [50, 100, 200, 500]) {
  const m = await measure(`synthetic-${n}`, { cloud: { command: process.execPath, args: [SYNTHETIC], env: { SYNTHETIC_TOOLS: String(n) } } });
  const s = m.perServer[0];
  growth.push({ tools: n, upFront: m.upFront, entry: m.entry, readme: s?.readme ?? 0, groupPage: s?.groupPage ?? 0, toolFile: s?.medianToolFile ?? 0, task: m.meanTask });
  console.log(row([n, `${m.upFront} (~${tokens(m.upFront)} tok)`, `${m.entry} (~${tokens(m.entry)} tok)`, s?.readme ?? 0, s?.groupPage ?? 0, s?.medianToolFile ?? 0, `${m.meanTask} (~${tokens(m.meanTask)} tok)`, `${(m.upFront / m.meanTask).toFixed(0)}x`]));
}

// 2. The reference servers from npm (dev dependencies), plus large real servers when installed.
const servers: Record<string, ServerConfig> = {
  everything: { command: process.execPath, args: [reference('server-everything'), 'stdio'], env: {} },
  filesystem: { command: process.execPath, args: [reference('server-filesystem'), scratch], env: {} },
  memory: { command: process.execPath, args: [reference('server-memory')], env: { MEMORY_FILE_PATH: path.join(scratch, 'memory.jsonl') } },
};
const realDir = process.env.CONTEXT_SERVERS_DIR;
if (realDir) {
  const bin = (name: string) => path.join(realDir, 'node_modules', '.bin', name);
  Object.assign(servers, {
    azure: { command: bin('azmcp'), args: ['server', 'start', '--mode', 'all'], env: {} },
    'chrome-devtools': { command: bin('chrome-devtools-mcp'), args: [], env: {} },
    notion: { command: bin('notion-mcp-server'), args: [], env: { NOTION_TOKEN: 'dummy' } },
    playwright: { command: bin('playwright-mcp'), args: [], env: {} },
    github: { command: bin('mcp-server-github'), args: [], env: { GITHUB_PERSONAL_ACCESS_TOKEN: 'dummy' } },
    firecrawl: { command: bin('firecrawl-mcp'), args: [], env: { FIRECRAWL_API_KEY: 'fc-dummy' } },
  } satisfies Record<string, ServerConfig>);
}
const real = await measure('real', servers);
console.log(`\n${realDir ? 'Real servers from npm' : 'Reference servers only (set CONTEXT_SERVERS_DIR for the large real set)'}: ${real.count} tools in ${real.servers} servers`);
console.log(row(['server', 'tools', 'server README', 'group page', 'median tool file', 'one task']));
console.log(row(['---', '---', '---', '---', '---', '---']));
for (const s of real.perServer) console.log(row([s.server, s.tools, s.readme, s.groupPage, s.medianToolFile, s.task]));
console.log(`all ${real.count} definitions up front: ${real.upFront} chars (~${tokens(real.upFront)} tokens)`);
console.log(`servers/README.md: ${real.entry} chars (~${tokens(real.entry)} tokens, ~${Math.round(tokens(real.entry) / real.servers)} per server); skills/INDEX.md (catalog skills): ${real.index} chars`);
console.log(`one task, mean over servers: ${real.meanTask} chars (~${tokens(real.meanTask)} tokens) = ${(real.upFront / real.meanTask).toFixed(0)}x less (${(100 - (real.meanTask / real.upFront) * 100).toFixed(2)}% saved)`);
console.log(`one task, worst server (${real.worstServer}): ${real.worstTask} chars = ${(real.upFront / real.worstTask).toFixed(0)}x less`);

// 3. search-tools: the real CLI, offline (every server command is made unstartable first).
const queries = realDir
  ? ['read file', 'take screenshot', 'create virtual machine', 'list storage accounts', 'search knowledge graph', 'create pull request', 'scrape url', 'notion page', 'echo']
  : ['read file', 'search knowledge graph', 'create entities', 'echo', 'sum numbers'];
await fs.writeFile(path.join(real.ws, 'skills.json'), JSON.stringify({ dependencies: {}, servers: Object.fromEntries(Object.keys(servers).map((s) => [s, { command: '/nonexistent/mcp-server' }])) }));
console.log('\nsearch-tools, default output (servers not started):');
console.log(row(['query', 'chars', '~tokens', 'first result', 'ms']));
console.log(row(['---', '---', '---', '---', '---']));
const searches = [];
for (const q of queries) {
  const started = performance.now();
  const out = spawnSync(process.execPath, [BIN, 'search-tools', ...q.split(' ')], { cwd: real.ws, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  const ms = Math.round(performance.now() - started);
  if (out.status !== 0) throw new Error(`search-tools ${q} failed: ${out.stderr}`);
  const first = out.stdout.split('\n')[0]?.split(':')[0] ?? '';
  searches.push({ query: q, chars: out.stdout.length, tokens: tokens(out.stdout.length), first, ms });
  console.log(row([q, out.stdout.length, tokens(out.stdout.length), first, ms]));
}

// 4. skills/INDEX.md with 100 skills with descriptions as long as the catalog's.
const catalogWs = path.join(scratch, 'catalog-100');
const descriptions = await Promise.all(
  (await fs.readdir(CATALOG, { withFileTypes: true })).filter((d) => d.isDirectory()).map(async (d) => /description: (.*)/.exec(await fs.readFile(path.join(CATALOG, d.name, 'SKILL.md'), 'utf8'))?.[1] ?? ''),
);
for (let i = 0; i < 100; i++) {
  const name = `skill-${String(i).padStart(3, '0')}-${['csv', 'graph', 'files', 'report', 'notes'][i % 5]}`;
  await fs.mkdir(path.join(catalogWs, 'skills', name), { recursive: true });
  await fs.writeFile(path.join(catalogWs, 'skills', name, 'SKILL.md'), `---\nname: ${name}\ndescription: ${descriptions[i % descriptions.length]}\n---\n\nBody.\n`);
  await fs.writeFile(path.join(catalogWs, 'skills', name, 'skill.json'), JSON.stringify({ name: `@bench/${name}`, version: '1.0.0' }));
}
const hundred = await writeCatalog(catalogWs, new Set(Array.from({ length: 100 }, (_, i) => `skill-${String(i).padStart(3, '0')}`)));
console.log(`\nskills/INDEX.md with 100 skills: ${hundred.chars} chars (budget ${hundred.budget}); descriptions cut: ${hundred.shortened}; not listed: ${hundred.omitted.length}`);

await saveResults('context', {
  growth,
  real: { tools: real.count, servers: real.servers, upFrontChars: real.upFront, entryReadmeChars: real.entry, indexChars: real.index, perServer: real.perServer, meanTaskChars: real.meanTask, worstTaskChars: real.worstTask, ratioMean: real.upFront / real.meanTask, ratioWorst: real.upFront / real.worstTask, realServers: Boolean(realDir) },
  searches,
  index100: { chars: hundred.chars, shortened: hundred.shortened, omitted: hundred.omitted.length },
});
await fs.rm(scratch, { recursive: true, force: true });
