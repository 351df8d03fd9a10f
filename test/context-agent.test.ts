/**
 * An agent's path through the context tree (issue 17), with the real `skills` CLI and the real
 * memory MCP server from npm: read servers/README.md, find tools with search-tools, open only the
 * files it names, write code against them, and run it live.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../testkit/cli';
import { tempDir } from '../testkit/temp';

const memoryServer = path.join(ROOT, 'node_modules', '@modelcontextprotocol', 'server-memory', 'dist', 'index.js');

let ws: string;
beforeAll(async () => {
  ws = await tempDir('context-agent');
  await fs.writeFile(
    path.join(ws, 'skills.json'),
    JSON.stringify({ dependencies: {}, servers: { memory: { command: process.execPath, args: [memoryServer], env: { MEMORY_FILE_PATH: path.join(ws, 'memory.jsonl') } } } }),
  );
});
afterAll(async () => {
  await fs.rm(ws, { recursive: true, force: true });
});

describe('an agent finds tools by search-tools and calls them live', () => {
  it('reads the entry README, searches, opens the one file named, writes code against it, and runs it live', async () => {
    const sync = await runCli(['servers', 'sync'], { cwd: ws });
    expect(sync.code, sync.stderr).toBe(0);
    let read = 0;
    const open = async (rel: string) => {
      const text = await fs.readFile(path.join(ws, rel), 'utf8');
      read += text.length;
      return text;
    };
    const entry = await open('servers/README.md');
    expect(entry).toContain('skills search-tools <words>');

    // The agent's task: store a fact in the knowledge graph, then look it up.
    const found: { fn: string; file: string }[] = [];
    for (const query of [['create', 'entities', 'in', 'the', 'knowledge', 'graph'], ['search', 'nodes', 'by', 'query']]) {
      const search = await runCli(['search-tools', ...query], { cwd: ws });
      expect(search.code, search.stderr).toBe(0);
      read += search.stdout.length;
      // The first line names the best match's file; the agent opens that file and nothing else.
      const file = search.stdout.split('\n')[0]?.split(':')[0] ?? '';
      const text = await open(file);
      const fn = /export async function ([A-Za-z0-9_$]+)\(input: ([A-Za-z0-9_$]+)\)/.exec(text);
      expect(fn, text).not.toBeNull();
      found.push({ fn: fn?.[1] ?? '', file });
    }
    expect(found).toEqual([
      { fn: 'createEntities', file: 'servers/memory/create_entities.ts' },
      { fn: 'searchNodes', file: 'servers/memory/search_nodes.ts' },
    ]);
    // Everything the agent read to find and type its two tools.
    expect(read).toBeLessThan(6000);

    const dir = path.join(ws, 'skills', 'remember');
    await fs.mkdir(dir, { recursive: true });
    const [create, searchNodes] = found;
    await fs.writeFile(
      path.join(dir, 'index.ts'),
      `import { ${create?.fn}, ${searchNodes?.fn} } from '../../servers/memory';
export async function remember(name: string, fact: string) {
  await ${create?.fn}({ entities: [{ name, entityType: 'person', observations: [fact] }] });
  const graph = await ${searchNodes?.fn}({ query: name });
  return graph.entities.map((e) => ({ name: e.name, observations: e.observations }));
}
`,
    );
    const run = await runCli(['run', 'skills/remember', '--export', 'remember', '--args', JSON.stringify(['Ada', 'works on the compiler']), '--live', '--json'], { cwd: ws });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.json<{ value: unknown }>().value).toEqual([{ name: 'Ada', observations: ['works on the compiler'] }]);
  }, 60_000);
});
