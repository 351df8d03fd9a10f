/** Export names, summaries, groups and ranking for the servers/ tree and search-tools (issue 17). */
import { describe, expect, it } from 'vitest';
import { toolExportName, toolExportNames } from '../schema/names';
import { rankTools } from '../schema/tool-search';
import { firstSentence, toolGroups, toolSummary } from '../schema/tool-text';
import { serverModuleSource } from '../sandbox/server-module';

describe('export names', () => {
  it('are readable camelCase from any tool-name style', () => {
    const cases: [string, string][] = [
      ['get_document', 'getDocument'],
      ['get-sum', 'getSum'],
      ['API-post-page', 'apiPostPage'],
      ['APIPostPage', 'apiPostPage'],
      ['XMLHttpGet', 'xmlHttpGet'],
      ['get_HTTP_status', 'getHTTPStatus'],
      ['browser_navigate', 'browserNavigate'],
      ['echo', 'echo'],
      ['delete', 'delete_'],
      ['2fa_setup', '_2faSetup'],
      ['call_mcp_tool', 'callMcpTool_'],
    ];
    for (const [tool, name] of cases) expect(toolExportName(tool), tool).toBe(name);
  });

  it('resolve collisions deterministically, whatever the order, without case', () => {
    const tools = ['get_document', 'get-document', 'GetDocument', 'other', 'x-y', 'x.y'];
    const names = toolExportNames(tools);
    expect(Object.fromEntries(names)).toEqual({ GetDocument: 'GetDocument', 'get-document': 'get$document', get_document: 'get_document', other: 'other', 'x-y': 'x$y', 'x.y': 'x$y$2' });
    expect(Object.fromEntries(toolExportNames([...tools].reverse()))).toEqual(Object.fromEntries(names));
    expect(new Set([...names.values()].map((n) => n.toLowerCase())).size).toBe(tools.length);
  });

  it('the sandbox module exports what the tree names, for any declared subset of a colliding server', () => {
    // The whole server collides (get_document, get-document); a skill declares one of them.
    const module = serverModuleSource('docs', ['get-document']);
    expect(module).toContain('as getDocument');
    expect(module).toContain('as get$document');
    const both = serverModuleSource('docs', ['get_document', 'get-document']);
    expect(both).toContain('as get_document');
    expect(both).toContain('as get$document');
    expect(both).not.toContain('as getDocument');
  });
});

describe('summaries and groups', () => {
  it('summaries are the first sentence, at most 160 characters', () => {
    expect(firstSentence('Read a file. Then more text follows.')).toBe('Read a file.');
    expect(firstSentence('\n\n  Scrape one URL, e.g. example.com. More.\nSecond line.')).toBe('Scrape one URL, e.g. example.com.');
    expect(firstSentence('Uses v1.2 of the API')).toBe('Uses v1.2 of the API');
    const long = toolSummary(`${'word '.repeat(100)}end.`);
    expect(long.length).toBeLessThanOrEqual(160);
    expect(long.endsWith('…')).toBe(true);
    expect(toolSummary('', 'A title')).toBe('A title');
  });

  it('groups by shared name prefixes, after the prefix every tool has', () => {
    const notion = toolGroups(['API-get-user', 'API-get-users', 'API-post-page', 'API-patch-page', 'API-post-search']);
    expect(notion.common).toBe('API-');
    expect(notion.groups.map((g) => [g.prefix, g.tools.length])).toEqual([['API-get-', 2], ['API-post-', 2]]);
    expect(notion.singles).toEqual(['API-patch-page']);
    const camel = toolGroups(['getUser', 'getTeam', 'listUsers']);
    expect(camel.groups).toEqual([{ key: 'get', prefix: 'get', tools: ['getTeam', 'getUser'] }]);
  });
});

describe('ranking', () => {
  const doc = (server: string, name: string, description: string) => ({ server, name, exportName: toolExportName(name), description });
  const docs = [
    doc('fs', 'read_text_file', 'Read the complete contents of a file as text.'),
    doc('fs', 'write_file', 'Create a new file or overwrite an existing file.'),
    doc('fs', 'list_directory', 'List files and folders; use it before you read a file.'),
    doc('mem', 'search_nodes', 'Search for nodes in the knowledge graph.'),
    doc('mem', 'read_graph', 'Read the entire knowledge graph.'),
  ];

  it('puts name matches above description matches, and tools matching more words first', () => {
    expect(rankTools(docs, 'read file').map((r) => r.doc.name)).toEqual(['read_text_file', 'list_directory', 'write_file', 'read_graph']);
    expect(rankTools(docs, 'graph')[0]?.doc.name).toBe('read_graph');
    expect(rankTools(docs, 'dir')[0]?.doc.name).toBe('list_directory');
    expect(rankTools(docs, 'searchNodes')[0]?.doc.name).toBe('search_nodes');
    expect(rankTools(docs, 'qqqq')).toEqual([]);
  });
});
