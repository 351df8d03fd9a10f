/**
 * Records the catalog's fixtures from real MCP servers (`npm run record-catalog`): builds a small
 * sample folder and an empty knowledge graph, points server-filesystem and server-memory at them,
 * runs every case below with `skills run --live --record`, and copies the fixtures into
 * examples/workspace/skills/<name>/fixtures/. Paths are relative to the sample folder, so fixtures
 * do not depend on where they were recorded. Re-run it after changing a catalog skill.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin', 'skills.js');
/** The example workspace: the catalog's skills and its generated servers/ tree. */
const EXAMPLE = path.join(ROOT, 'examples', 'workspace');
const SAMPLE_ROOT = '/srv/sample-data';
const serverPath = (pkg: string) => path.join(ROOT, 'node_modules', '@modelcontextprotocol', pkg, 'dist', 'index.js');

interface Case {
  skill: string;
  name: string;
  export: string;
  args: unknown[];
}

const facts = [
  { subject: 'Ada Lovelace', subjectType: 'person', relation: 'collaborated with', object: 'Charles Babbage', objectType: 'person' },
  { subject: 'Ada Lovelace', subjectType: 'person', relation: 'wrote notes on', object: 'Analytical Engine', objectType: 'machine' },
  { subject: 'Charles Babbage', subjectType: 'person', relation: 'designed', object: 'Analytical Engine', objectType: 'machine' },
];

const CASES: Case[] = [
  { skill: 'folder-report', name: 'whole-tree', export: 'summarizeFolder', args: [{ path: '.' }] },
  { skill: 'folder-report', name: 'exclude-archive', export: 'summarizeFolder', args: [{ path: '.', exclude: ['archive'], top: 2 }] },
  { skill: 'folder-report', name: 'missing-folder', export: 'summarizeFolder', args: [{ path: 'no-such-folder' }] },
  { skill: 'large-files', name: 'largest-first', export: 'findLargeFiles', args: [{ path: '.' }] },
  { skill: 'large-files', name: 'over-10k-top-2', export: 'findLargeFiles', args: [{ path: '.', minBytes: 10000, limit: 2 }] },
  { skill: 'large-files', name: 'missing-folder', export: 'findLargeFiles', args: [{ path: 'no-such-folder' }] },
  { skill: 'duplicate-files', name: 'whole-tree', export: 'findDuplicates', args: [{ path: '.' }] },
  { skill: 'duplicate-files', name: 'no-duplicates', export: 'findDuplicates', args: [{ path: 'reports' }] },
  { skill: 'duplicate-files', name: 'missing-folder', export: 'findDuplicates', args: [{ path: 'no-such-folder' }] },
  { skill: 'csv-filter-copy', name: 'eu-orders', export: 'copyMatchingRows', args: [{ from: 'reports/orders.csv', to: 'out/eu-orders.csv', where: { column: 'region', equals: 'EU' } }] },
  { skill: 'csv-filter-copy', name: 'no-match', export: 'copyMatchingRows', args: [{ from: 'reports/orders.csv', to: 'out/apac-orders.csv', where: { column: 'region', equals: 'APAC' } }] },
  { skill: 'csv-filter-copy', name: 'unknown-column', export: 'copyMatchingRows', args: [{ from: 'reports/orders.csv', to: 'out/x.csv', where: { column: 'country', equals: 'FR' } }] },
  { skill: 'csv-filter-copy', name: 'missing-file', export: 'copyMatchingRows', args: [{ from: 'reports/nope.csv', to: 'out/x.csv', where: { column: 'region', equals: 'EU' } }] },
  { skill: 'graph-build', name: 'three-facts', export: 'addFacts', args: [{ facts, notes: { 'Ada Lovelace': ['wrote the first published program'] } }] },
  { skill: 'graph-build', name: 'one-more-fact', export: 'addFacts', args: [{ facts: [{ subject: 'Grace Hopper', subjectType: 'person', relation: 'built a compiler for', object: 'UNIVAC I', objectType: 'machine' }] }] },
  { skill: 'graph-build', name: 'incomplete-fact', export: 'addFacts', args: [{ facts: [{ subject: 'Alan Turing', subjectType: 'person', relation: '', object: 'Bombe', objectType: 'machine' }] }] },
  { skill: 'notes-to-graph', name: 'import-people', export: 'importCsv', args: [{ path: 'notes/people.csv', nameColumn: 'name', typeColumn: 'kind' }] },
  { skill: 'notes-to-graph', name: 'unknown-column', export: 'importCsv', args: [{ path: 'notes/people.csv', nameColumn: 'fullname', typeColumn: 'kind' }] },
  { skill: 'notes-to-graph', name: 'missing-file', export: 'importCsv', args: [{ path: 'notes/nope.csv', nameColumn: 'name', typeColumn: 'kind' }] },
  { skill: 'graph-query', name: 'search-people', export: 'search', args: [{ query: 'person' }] },
  { skill: 'graph-query', name: 'neighbours-of-ada', export: 'neighbours', args: [{ entity: 'Ada Lovelace' }] },
  { skill: 'graph-query', name: 'unknown-entity', export: 'neighbours', args: [{ entity: 'Nobody' }] },
];

async function sampleData(dir: string): Promise<void> {
  const files: Record<string, string> = {
    'README.md': '# Sample project\n\nData used to record the catalog fixtures.\n',
    'reports/orders.csv': 'id,region,total\n1,EU,120.50\n2,US,80.00\n3,EU,42.10\n4,US,300.00\n5,EU,9.99\n',
    'reports/summary.md': '# Q1\n\nOrders grew.\n',
    'reports/2025/q1.csv': 'month,revenue\nJan,1000\nFeb,1200\nMar,900\n',
    'notes/people.csv': 'name,kind,born,field\nAda Lovelace,person,1815,mathematics\nCharles Babbage,person,1791,engineering\n,person,1900,\nAnalytical Engine,machine,,computing\n',
    'notes/todo.txt': 'archive old reports\n',
    'archive/orders-2024.csv': 'id,region,total\n1,EU,10\n',
    'archive/copy-of-summary.md': '# Q1\n\nOrders grew.\n',
    'archive/todo-copy.txt': 'archive old reports\n',
    'assets/big-log.txt': Array.from({ length: 600 }, (_, i) => `line ${String(i).padStart(4, '0')} of a log file that takes some room\n`).join(''),
    'assets/medium.json': JSON.stringify({ items: Array.from({ length: 250 }, (_, i) => ({ id: i, label: `item ${i}` })) }),
  };
  for (const [rel, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await fs.writeFile(path.join(dir, rel), content);
  }
  await fs.mkdir(path.join(dir, 'out'), { recursive: true });
}

const work = await fs.mkdtemp(path.join(os.tmpdir(), 'skills-record-'));
try {
  const data = path.join(work, 'data');
  await sampleData(data);
  await fs.writeFile(
    path.join(work, 'skills.json'),
    JSON.stringify({
      dependencies: {},
      servers: {
        filesystem: { command: process.execPath, args: [serverPath('server-filesystem'), data] },
        memory: { command: process.execPath, args: [serverPath('server-memory')], env: { MEMORY_FILE_PATH: path.join(work, 'memory.jsonl') } },
      },
    }),
  );
  await fs.cp(path.join(EXAMPLE, 'servers'), path.join(work, 'servers'), { recursive: true });
  await fs.cp(path.join(EXAMPLE, 'skills'), path.join(work, 'skills'), { recursive: true, filter: (src) => !src.endsWith('INDEX.md') });
  for (const c of CASES) {
    const result = spawnSync(process.execPath, [BIN, 'run', `skills/${c.skill}`, '--export', c.export, '--args', JSON.stringify(c.args), '--live', '--record', c.name, '--json'], { cwd: work, encoding: 'utf8' });
    const out = JSON.parse(result.stdout) as { status?: string; value?: unknown; error?: { message: string } };
    console.log(`${result.status === 0 ? 'recorded' : 'FAILED  '} ${c.skill}/${c.name}: ${out.status ?? ''} ${JSON.stringify(out.value ?? out.error?.message ?? out).slice(0, 160)}`);
    if (result.status !== 0) process.exitCode = 1;
  }
  for (const skill of [...new Set(CASES.map((c) => c.skill))]) {
    const target = path.join(EXAMPLE, 'skills', skill, 'fixtures');
    await fs.rm(target, { recursive: true, force: true });
    await fs.mkdir(target, { recursive: true });
    const source = path.join(work, 'skills', skill, 'fixtures');
    for (const file of (await fs.readdir(source)).sort()) {
      // Server messages name the absolute sample folder; a neutral name keeps fixtures machine-independent.
      const text = (await fs.readFile(path.join(source, file), 'utf8')).split(data).join(SAMPLE_ROOT);
      await fs.writeFile(path.join(target, file), text);
    }
  }
} finally {
  await fs.rm(work, { recursive: true, force: true });
}
