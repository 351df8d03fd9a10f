import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { McpServers } from '../cli/core/servers/connect';
import { createLiveBridge } from '../sandbox/live-bridge';
import { runSkill } from '../sandbox/run-skill';
import { ROOT, runCli } from '../testkit/cli';
import { tempDir } from '../testkit/temp';
import { snapshot } from '../testkit/workspace';

const node = process.execPath;
const serverPath = (pkg: string) => path.join(ROOT, 'node_modules', '@modelcontextprotocol', pkg, 'dist', 'index.js');
const HOSTILE = path.join(ROOT, 'test', 'servers', 'hostile-server.mjs');

let ws: string;
let data: string;
beforeAll(async () => {
  ws = await tempDir('live');
  data = path.join(ws, 'data');
  await fs.mkdir(path.join(data, 'reports'), { recursive: true });
  await fs.writeFile(path.join(data, 'a.txt'), 'alpha\n');
  await fs.writeFile(path.join(data, 'reports', 'q1.csv'), 'id,total\n1,10\n');
  await fs.writeFile(
    path.join(ws, 'skills.json'),
    JSON.stringify({
      dependencies: {},
      servers: {
        everything: { command: node, args: [serverPath('server-everything'), 'stdio'] },
        filesystem: { command: node, args: [serverPath('server-filesystem'), data] },
        memory: { command: node, args: [serverPath('server-memory')], env: { MEMORY_FILE_PATH: path.join(ws, 'memory.jsonl') } },
        hostile: { command: node, args: [HOSTILE] },
      },
    }),
  );
});
afterAll(async () => {
  await fs.rm(ws, { recursive: true, force: true });
});

async function writeSkill(name: string, code: string, mcp: Record<string, string[]>): Promise<string> {
  const dir = path.join(ws, 'skills', name);
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'SKILL.md'), `---\nname: ${name}\ndescription: A skill written by the live tests.\n---\n\nBody.\n`);
  await fs.writeFile(path.join(dir, 'skill.json'), JSON.stringify({ name: `@live/${name}`, version: '1.0.0', mcp }));
  await fs.writeFile(path.join(dir, 'index.ts'), code);
  return dir;
}

describe('servers sync', () => {
  it('writes a deterministic tree from real servers that type-checks with skill code importing it', async () => {
    const first = await runCli(['servers', 'sync', 'everything', 'filesystem', 'memory', '--json'], { cwd: ws });
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const tree1 = await snapshot(path.join(ws, 'servers'));
    expect(Object.keys(tree1)).toContain('filesystem/read_text_file.ts');
    expect(Object.keys(tree1)).toContain('memory/create_entities.ts');
    const again = await runCli(['servers', 'sync', 'everything', 'filesystem', 'memory'], { cwd: ws });
    expect(again.code).toBe(0);
    expect(await snapshot(path.join(ws, 'servers'))).toEqual(tree1);
    const readme = Buffer.from(tree1['README.md'] ?? '', 'base64').toString();
    expect(readme).toMatch(/^- \*\*filesystem\*\* \(14 tools\): /m);
    // The entry README names servers, not tools: a tool's name is one step deeper.
    expect(readme).not.toContain('read_text_file');
    expect(readme).not.toContain('inputSchema');
    expect(Buffer.from(tree1['filesystem/README.md'] ?? '', 'base64').toString()).toContain('- read_text_file: Read the complete contents of a file from the file system as text.');
    expect(Object.keys(tree1)).toContain('.index.json');

    await writeSkill('typed', "import { getSum } from '../../servers/everything';\nimport { createEntities } from '../../servers/memory';\nexport async function run() { await createEntities({ entities: [{ name: 'a', entityType: 't', observations: [] }] }); return getSum({ a: 1, b: 2 }); }\n", { everything: ['get-sum'], memory: ['create_entities'] });
    await fs.writeFile(path.join(ws, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, target: 'ES2022', module: 'preserve', moduleResolution: 'bundler', lib: ['ES2023'], types: [], skipLibCheck: true }, include: ['servers', 'skills'] }));
    const tsc = path.join(ROOT, 'node_modules', '.bin', 'tsc');
    await expect(promisify(execFile)(tsc, ['-p', path.join(ws, 'tsconfig.json')], { cwd: ws })).resolves.toBeDefined();
    // A wrong argument type must be a type error: the generated types are real.
    await fs.writeFile(path.join(ws, 'skills', 'typed', 'bad.ts'), "import { getSum } from '../../servers/everything';\nexport const x = getSum({ a: 'one', b: 2 });\n");
    await expect(promisify(execFile)(tsc, ['-p', path.join(ws, 'tsconfig.json')], { cwd: ws })).rejects.toThrow();
    await fs.rm(path.join(ws, 'skills', 'typed', 'bad.ts'));
  }, 60_000);
});

describe('search-tools', () => {
  interface Found {
    server: string;
    name: string;
    export: string;
    file: string;
    summary: string;
    import: string;
    score: number;
    description?: string;
    inputSchema?: { properties?: Record<string, unknown> };
  }
  const search = async (...args: string[]) => {
    const result = await runCli(['search-tools', ...args, '--json'], { cwd: ws });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    return result.json<{ total: number; results: Found[] }>();
  };

  it('ranks tools whose names have the words first, with a one-sentence summary, the file to open and an import line', async () => {
    const { results, total } = await search('read', 'file');
    expect(results.slice(0, 4).map((r) => `${r.server}.${r.name}`).sort()).toEqual(['filesystem.read_file', 'filesystem.read_media_file', 'filesystem.read_multiple_files', 'filesystem.read_text_file']);
    expect(results.length).toBeLessThanOrEqual(10);
    expect(total).toBeGreaterThanOrEqual(results.length);
    const text = results.find((r) => r.name === 'read_text_file');
    expect(text).toMatchObject({
      server: 'filesystem',
      export: 'readTextFile',
      file: 'servers/filesystem/read_text_file.ts',
      summary: 'Read the complete contents of a file from the file system as text.',
      import: "import { readTextFile } from '../../servers/filesystem'",
    });
    expect(text).not.toHaveProperty('inputSchema');
    for (const r of results) expect(r.summary.length).toBeLessThanOrEqual(160);
    const human = await runCli(['search-tools', 'read', 'file', '--server', 'filesystem', '--limit', '2'], { cwd: ws });
    const lines = human.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatch(/^… \d+ more \(--limit \d+\)$/);
  }, 60_000);

  it('reads the saved index: no server is started, and a changed server config is reported as stale', async () => {
    const skillsJson = path.join(ws, 'skills.json');
    const config = await fs.readFile(skillsJson, 'utf8');
    await fs.writeFile(skillsJson, JSON.stringify({ dependencies: {}, servers: { everything: { command: '/nonexistent/server' }, memory: { command: '/nonexistent/server' } } }));
    try {
      const result = await runCli(['search-tools', 'sum', '--json'], { cwd: ws });
      expect(result.code, result.stderr).toBe(0);
      const found = result.json<{ results: Found[]; warnings: string[] }>();
      expect(found.results[0]).toMatchObject({ server: 'everything', name: 'get-sum' });
      expect(found.warnings).toEqual(expect.arrayContaining([expect.stringContaining('skills.json changed how to start everything, memory since the last sync')]));
    } finally {
      await fs.writeFile(skillsJson, config);
    }
    const bare = await tempDir('live-bare');
    try {
      await fs.writeFile(path.join(bare, 'skills.json'), JSON.stringify({ dependencies: {}, servers: { memory: { command: node, args: [serverPath('server-memory')] } } }));
      const none = await runCli(['search-tools', 'graph', '--json'], { cwd: bare });
      expect(none.code).toBe(1);
      expect(none.json<{ error: { code: string } }>().error.code).toBe('ENOTSYNCED');
    } finally {
      await fs.rm(bare, { recursive: true, force: true });
    }
  }, 60_000);

  it('gives only file paths, or full schemas, for one server; nothing for words no tool has', async () => {
    const names = await runCli(['search-tools', '--detail', 'name', '--server', 'memory'], { cwd: ws });
    expect(names.stdout.trimEnd().split('\n')).toEqual(expect.arrayContaining(['servers/memory/create_entities.ts', 'servers/memory/search_nodes.ts']));
    const full = (await search('sum', '--detail', 'full', '--server', 'everything')).results;
    expect(full[0]).toMatchObject({ server: 'everything', name: 'get-sum', import: "import { getSum } from '../../servers/everything'", description: expect.stringMatching(/\S/) });
    expect(Object.keys(full[0]?.inputSchema?.properties ?? {}).sort()).toEqual(['a', 'b']);
    expect((await search('zzzzqqq', '--server', 'memory')).results).toEqual([]);
    const none = await runCli(['search-tools', 'zzzzqqq', '--server', 'memory'], { cwd: ws });
    expect(none.stdout.trim()).toBe('no tools found');
    for (const args of [['--detail', 'everything'], ['--limit', '0'], ['--limit', 'ten']]) {
      const bad = await runCli(['search-tools', ...args, '--json'], { cwd: ws });
      expect(bad.code).toBe(2);
      expect(bad.json<{ error: { code: string } }>().error.code).toBe('EUSAGE');
    }
    const unknown = await runCli(['search-tools', '--server', 'nope', '--json'], { cwd: ws });
    expect(unknown.code).toBe(1);
    expect(unknown.json<{ error: { code: string } }>().error.code).toBe('EMCPSERVERUNKNOWN');
    const unsynced = await runCli(['search-tools', '--server', 'hostile', '--json'], { cwd: ws });
    expect(unsynced.code).toBe(1);
    expect(unsynced.json<{ error: { code: string } }>().error.code).toBe('ENOTSYNCED');
  }, 60_000);
});

describe('run --live --record', () => {
  it('records a fixture from the real filesystem server that verifies offline', async () => {
    const dir = await writeSkill(
      'folder-files',
      `import { listDirectory, readTextFile } from '../../servers/filesystem';
export async function summarize(input: { root: string }) {
  const listing = await listDirectory({ path: input.root });
  const text = String((listing as { content: string }).content);
  const files = text.split('\\n').filter((l) => l.startsWith('[FILE]')).map((l) => l.slice(7));
  const first = files[0] ? await readTextFile({ path: input.root + '/' + files[0] }) : null;
  return { files, first: first ? String((first as { content: string }).content).trim() : null };
}
`,
      { filesystem: ['list_directory', 'read_text_file'] },
    );
    const recorded = await runCli(['run', dir, '--export', 'summarize', '--args', JSON.stringify({ root: data }), '--live', '--record', 'listing', '--json'], { cwd: ws });
    expect(recorded.code, recorded.stdout + recorded.stderr).toBe(0);
    expect(recorded.json<{ value: unknown }>().value).toEqual({ files: ['a.txt'], first: 'alpha' });
    const fixture = JSON.parse(await fs.readFile(path.join(dir, 'fixtures', 'listing.json'), 'utf8')) as { mcp: { tool: string }[] };
    expect(fixture.mcp.map((c) => c.tool)).toEqual(['list_directory', 'read_text_file']);
    // Offline: the servers cannot even start now, and verification does not need them.
    const skillsJson = path.join(ws, 'skills.json');
    const config = await fs.readFile(skillsJson, 'utf8');
    await fs.writeFile(skillsJson, JSON.stringify({ dependencies: {}, servers: { filesystem: { command: '/nonexistent/server' } } }));
    try {
      const verify = await runCli(['verify', dir, '--json'], { cwd: ws });
      expect(verify.code, verify.stdout).toBe(0);
    } finally {
      await fs.writeFile(skillsJson, config);
    }
  });
});

describe('live mode against misbehaving servers', () => {
  async function live(code: string, mcp: Record<string, string[]>, servers: Record<string, unknown>, options: { timeoutMs?: number; maxCalls?: number; callTimeoutMs?: number; maxResultBytes?: number } = {}) {
    const dir = await writeSkill(`h-${Math.random().toString(36).slice(2, 8)}`, code, mcp);
    const mcpServers = new McpServers(servers as never, { cwd: ws, connectTimeoutMs: 10_000, callTimeoutMs: options.callTimeoutMs ?? 10_000 });
    try {
      return await runSkill({
        target: dir,
        exportName: 'run',
        args: [],
        mode: 'live',
        limits: { timeoutMs: options.timeoutMs ?? 20_000 },
        makeBridge: (declared) => createLiveBridge({ call: (c) => mcpServers.callTool(c.server, c.tool, c.arguments), declared, ...(options.maxCalls ? { maxCalls: options.maxCalls } : {}), ...(options.maxResultBytes ? { maxResultBytes: options.maxResultBytes } : {}) }),
      });
    } finally {
      await mcpServers.close();
    }
  }
  const hostile = { hostile: { command: node, args: [HOSTILE], env: {} } };
  const code = (tool: string) => `import { ${tool} } from '../../servers/hostile';\nexport async function run() { return ${tool}({}); }\n`;

  it('names a server whose command does not exist', async () => {
    const result = await live(code('echo'), { hostile: ['echo'] }, { hostile: { command: '/nonexistent/mcp-server', args: [], env: {} } });
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ code: 'EMCPCONNECT', message: expect.stringContaining('"hostile"') });
  });

  it('fails cleanly when the server crashes mid-call, hangs, or returns 20 MB', async () => {
    const crash = await live(code('crash'), { hostile: ['crash'] }, hostile);
    expect(crash.error).toMatchObject({ code: 'EMCPCALL' });
    const hang = await live(code('hang'), { hostile: ['hang'] }, hostile, { callTimeoutMs: 500 });
    expect(hang.error).toMatchObject({ code: 'EMCPTIMEOUT' });
    // 20 MB over stdio: the SDK's transport gives up on the message, or our cap refuses it. The
    // call's time bound is set far past it, so a busy machine moving 20 MB slowly cannot turn the
    // answer into a timeout (the hang case above is the timeout's test).
    const huge = await live(code('huge'), { hostile: ['huge'] }, hostile, { callTimeoutMs: 150_000, timeoutMs: 150_000 });
    expect(['ERESULTTOOLARGE', 'EMCPCALL']).toContain((huge.error as { code: string }).code);
    const big = await live(`import { echo } from '../../servers/hostile';\nexport async function run() { return echo({ text: 'y'.repeat(300000) }); }\n`, { hostile: ['echo'] }, hostile, { maxResultBytes: 100_000 });
    expect(big.error).toMatchObject({ code: 'ERESULTTOOLARGE' });
  }, 240_000);

  it('records nothing when the live run fails (ERECORD), leaving no fixture behind', async () => {
    const dir = await writeSkill('crasher', "import { crash } from '../../servers/hostile';\nexport async function run() { return crash({}); }\n", { hostile: ['crash'] });
    const result = await runCli(['run', dir, '--export', 'run', '--live', '--record', 'never', '--json'], { cwd: ws });
    expect(result.code).toBe(1);
    expect(result.json<{ error: { code: string } }>().error.code).toBe('ERECORD');
    await expect(fs.stat(path.join(dir, 'fixtures', 'never.json'))).rejects.toThrow();
  });

  it('refuses a live result nested deeper than a fixture may be (EJSONDEPTH), and a run returning such a value records nothing (ERECORD)', async () => {
    const result = await live(`import { deep } from '../../servers/hostile';\nexport async function run() { try { await deep({}); return 'no'; } catch (e) { return String((e as { code?: string }).code); } }\n`, { hostile: ['deep'] }, hostile);
    expect(result).toMatchObject({ status: 'failed', error: { code: 'EJSONDEPTH' } });
    const dir = await writeSkill('deep-return', 'export async function run() { let v: unknown = 1; for (let i = 0; i < 100; i++) v = [v]; return v; }\n', {});
    const run = await runCli(['run', dir, '--export', 'run', '--live', '--record', 'deep', '--json'], { cwd: ws });
    expect(run.code).toBe(1);
    expect(run.json<{ error: { code: string } }>().error.code).toBe('ERECORD');
    await expect(fs.stat(path.join(dir, 'fixtures', 'deep.json'))).rejects.toThrow();
  });

  it('rejects an isError result into the skill as McpToolError', async () => {
    const result = await live(`import { fail } from '../../servers/hostile';\nexport async function run() { try { await fail({}); return 'no'; } catch (e) { return (e as Error).name + ': ' + (e as Error).message; } }\n`, { hostile: ['fail'] }, hostile);
    expect(result).toMatchObject({ status: 'returned', value: 'McpToolError: the tool failed on purpose' });
  });

  it('names an HTTP server that refuses connections', async () => {
    const result = await live(code('echo'), { hostile: ['echo'] }, { hostile: { url: 'http://127.0.0.1:9/mcp', headers: {} } });
    expect(result.error).toMatchObject({ code: 'EMCPCONNECT', message: expect.stringContaining('cannot start or reach the MCP server "hostile"') });
  });

  it('stops a skill that calls a tool 100,000 times with the call budget', async () => {
    const result = await live(`import { echo } from '../../servers/everything';\nexport async function run() { for (let i = 0; i < 100000; i++) await echo({ message: 'x' }); return 'done'; }\n`, { everything: ['echo'] }, { everything: { command: node, args: [serverPath('server-everything'), 'stdio'], env: {} } }, { maxCalls: 200 });
    expect(result.error).toMatchObject({ code: 'ECALLBUDGET' });
    expect(result.calls).toBe(201);
  }, 60_000);
});

describe('PII tokenization in live mode', () => {
  it('keeps e-mails and phone numbers out of the sandbox and the fixture while they reach the target tool', async () => {
    const dir = await writeSkill(
      'mailer',
      `import { contact, send } from '../../servers/hostile';
export async function run() {
  const c = (await contact({ id: 'c1' })) as { person: { email: string; phone: string; notes: string[] } };
  console.log('writing to', c.person.email);
  const receipt = await send({ to: c.person.email, body: 'call ' + c.person.phone });
  return { to: c.person.email, phone: c.person.phone, notes: c.person.notes, receipt };
}
`,
      { hostile: ['contact', 'send'] },
    );
    const result = await runCli(['run', dir, '--export', 'run', '--live', '--tokenize-pii', '--record', 'mail', '--json'], { cwd: ws });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const value = result.json<{ value: { to: string; phone: string; notes: string[]; receipt: string }; console: { text: string }[] }>();
    expect(value.value.to).toBe('[EMAIL_1]');
    expect(value.value.phone).toBe('[PHONE_1]');
    expect(value.value.notes).toEqual(['prefers mail to [EMAIL_1]']);
    // The send tool got the real address (it echoes it back, tokenized again to the same token).
    expect(value.value.receipt).toBe('sent to [EMAIL_1]: call [PHONE_1]');
    const fixtureText = await fs.readFile(path.join(dir, 'fixtures', 'mail.json'), 'utf8');
    for (const text of [result.stdout, fixtureText]) {
      expect(text).not.toContain('ada@example.com');
      expect(text).not.toContain('555 0100');
    }
    const verify = await runCli(['verify', dir, '--json'], { cwd: ws });
    expect(verify.code, verify.stdout).toBe(0);
  });
});

describe('the agent loop', () => {
  it('runs code without skill.json live, records it, wraps it with init --from, and it verifies and validates', async () => {
    expect((await runCli(['servers', 'sync', 'everything'], { cwd: ws })).code).toBe(0);
    const dir = path.join(ws, 'skills', 'tally');
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(
      path.join(dir, 'index.ts'),
      "import { getSum, echo } from '../../servers/everything';\nexport async function tally(a: number, b: number) {\n  const sum = await getSum({ a, b });\n  await workspace.write('tally.txt', String(sum));\n  return { sum, said: await echo({ message: 'total ' + String(sum) }) };\n}\n",
    );
    const recorded = await runCli(['run', 'skills/tally', '--export', 'tally', '--args', '[2,3]', '--live', '--record', 'two-and-three', '--json'], { cwd: ws });
    expect(recorded.code, recorded.stdout + recorded.stderr).toBe(0);
    expect(await fs.readFile(path.join(ws, 'workspace', 'tally.txt'), 'utf8')).toBe('The sum of 2 and 3 is 5.');
    const init = await runCli(['init', '--from', 'skills/tally', '--name', '@me/tally', '--json'], { cwd: ws });
    expect(init.code, init.stdout).toBe(0);
    expect(init.json<{ mcp: unknown; exports: string[] }>()).toMatchObject({ mcp: { everything: ['echo', 'get-sum'] }, exports: ['tally'] });
    expect((await runCli(['validate', 'skills/tally'], { cwd: ws })).code).toBe(0);
    const verify = await runCli(['verify', 'skills/tally', '--json'], { cwd: ws });
    expect(verify.code, verify.stdout).toBe(0);
    const again = await runCli(['init', '--from', 'skills/tally', '--name', '@me/tally', '--json'], { cwd: ws });
    expect(again.json<{ error: { code: string } }>().error.code).toBe('EEXIST');
  });
});
