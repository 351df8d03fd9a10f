/**
 * Context cost (issues 6 and 7): what an agent reads with the progressive-disclosure `servers/`
 * tree plus `skills/INDEX.md`, versus loading every tool definition of the same servers up front.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { writeCatalog } from '../cli/core/catalog';
import { McpServers } from '../cli/core/mcp-servers';
import { writeServersTree } from '../cli/core/servers-tree';
import { estimateTokens } from '../schema/tokens';
import { machine, saveResults } from './stats';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const serverPath = (pkg: string) => path.join(ROOT, 'node_modules', '@modelcontextprotocol', pkg, 'dist', 'index.js');

console.log(`machine: ${machine()}`);
const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'skills-bench-context-'));
const servers = new McpServers(
  {
    everything: { command: process.execPath, args: [serverPath('server-everything'), 'stdio'], env: {} },
    filesystem: { command: process.execPath, args: [serverPath('server-filesystem'), dir], env: {} },
    memory: { command: process.execPath, args: [serverPath('server-memory')], env: { MEMORY_FILE_PATH: path.join(dir, 'memory.jsonl') } },
  },
  { cwd: dir },
);
const tools = new Map<string, Tool[]>();
for (const name of servers.names()) tools.set(name, await servers.listTools(name));
await servers.close();

const upFront = JSON.stringify([...tools.values()].flat());
const tree = await writeServersTree(dir, tools);
const readme = await fs.readFile(path.join(dir, 'servers', 'README.md'), 'utf8');
const toolFiles = tree.servers.flatMap((s) => s.files);
const sizes = await Promise.all(toolFiles.map(async (f) => (await fs.readFile(path.join(dir, f), 'utf8')).length));
const avgTool = Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length);
await fs.cp(path.join(ROOT, 'skills'), path.join(dir, 'skills'), { recursive: true });
const catalog = await writeCatalog(dir, new Set());

const rows: [string, number][] = [
  [`all ${[...tools.values()].flat().length} tool definitions of ${tools.size} servers, loaded up front (tools/list JSON)`, upFront.length],
  ['servers/README.md (server and tool names only)', readme.length],
  [`one tool file, average of ${sizes.length}`, avgTool],
  [`skills/INDEX.md <available_skills> block (${catalog.entries.length} catalog skills)`, catalog.chars],
];
for (const [what, chars] of rows) console.log(`${what}: ${chars} chars, ~${estimateTokens('x'.repeat(chars))} tokens`);
const progressive = readme.length + avgTool + catalog.chars;
console.log(`progressive disclosure (README + one tool + catalog): ${progressive} chars, ~${estimateTokens('x'.repeat(progressive))} tokens = ${((progressive / upFront.length) * 100).toFixed(1)}% of loading every definition (${(upFront.length / progressive).toFixed(1)}x less)`);
await saveResults('context', { upFrontChars: upFront.length, readmeChars: readme.length, averageToolFileChars: avgTool, catalogChars: catalog.chars, progressiveChars: progressive, ratio: upFront.length / progressive });
await fs.rm(dir, { recursive: true, force: true });
