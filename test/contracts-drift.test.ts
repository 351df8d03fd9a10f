/**
 * MCP tool contracts: recorded with fixtures by `skills run --live --record`, checked by
 * `skills doctor` (and `contractImpact`, for `servers sync`) against a real MCP server whose tool
 * list changes between runs: a renamed tool is EMCPCONTRACT, a changed argument or output field
 * is an EMCPDRIFT warning naming tool, field and skill.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkContracts, mergeContract, parseContract, serializeContract, toolContract, type ContractProblem, type SkillContracts } from '../audit/contracts';
import { contractImpact, recordContracts } from '../cli/core/servers/contracts';
import { McpServers } from '../cli/core/servers/connect';
import { ROOT, runCli } from '../testkit/cli';
import { tempDir } from '../testkit/temp';

const DRIFT = path.join(ROOT, 'test', 'servers', 'drift-server.mjs');

let ws: string;
let variantFile: string;
let skill: string;

const cli = (args: string[]) => runCli(args, { cwd: ws, env: { SKILLS_CONFIG_DIR: path.join(ws, '.config'), SKILLS_CACHE_DIR: path.join(ws, '.cache'), SKILLS_MCP_TIMEOUT_MS: '15000' } });

async function variant(name: 'v1' | 'renamed' | 'changed'): Promise<void> {
  await fs.writeFile(variantFile, name);
}

interface DoctorJson {
  ok: boolean;
  problems: ContractProblem[];
  skills: { skill: string; contracts: string[] }[];
}

beforeAll(async () => {
  ws = await tempDir('contracts');
  variantFile = path.join(ws, 'drift-variant');
  await variant('v1');
  await fs.writeFile(path.join(ws, 'skills.json'), JSON.stringify({ dependencies: {}, servers: { drift: { command: process.execPath, args: [DRIFT], env: { DRIFT_TOOLS_FILE: variantFile } } } }));
  skill = path.join(ws, 'skills', 'lookup-report');
  await fs.mkdir(skill, { recursive: true });
  await fs.writeFile(path.join(skill, 'SKILL.md'), '---\nname: lookup-report\ndescription: Reports the name of an item.\n---\n\nCall report(id).\n');
  await fs.writeFile(path.join(skill, 'skill.json'), JSON.stringify({ name: '@live/lookup-report', version: '1.0.0', mcp: { drift: ['lookup'] } }));
  await fs.writeFile(path.join(skill, 'index.ts'), "import { lookup } from '../../servers/drift';\nexport async function report(id: string) { const item = await lookup({ id }) as { name: string }; return item.name; }\n");
});

afterAll(async () => {
  await fs.rm(ws, { recursive: true, force: true });
});

describe('recording contracts', () => {
  it('skills run --live --record writes contracts/<server>.json beside the fixture: normalised, deterministic', async () => {
    const run = await cli(['run', skill, '--live', '--export', 'report', '--args', '["a1"]', '--record', 'basic', '--json']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const file = path.join(skill, 'contracts', 'drift.json');
    const first = await fs.readFile(file, 'utf8');
    const parsed = parseContract(first);
    expect(parsed.ok).toBe(true);
    expect(JSON.parse(first)).toEqual({
      server: 'drift',
      tools: {
        lookup: {
          inputSchema: { properties: { id: { type: 'string' } }, required: ['id'], type: 'object' },
          outputSchema: { additionalProperties: false, properties: { name: { type: 'string' }, size: { type: 'number' } }, required: ['name', 'size'], type: 'object' },
        },
      },
    });
    expect(first).not.toContain('description');
    const again = await cli(['run', skill, '--live', '--export', 'report', '--args', '["a1"]', '--record', 'basic']);
    expect(again.code).toBe(0);
    expect(await fs.readFile(file, 'utf8')).toBe(first);
    const verify = await cli(['verify', skill, '--json']);
    expect(verify.code, verify.stdout).toBe(0);
    const audit = await cli(['audit', skill, '--json']);
    expect(audit.json<{ report: { findings: { rule: string }[] } }>().report.findings.filter((f) => f.rule === 'contract-invalid')).toEqual([]);
  }, 60_000);
});

describe('skills doctor', () => {
  it('is ok while the server lists what the skill recorded', async () => {
    await variant('v1');
    const run = await cli(['doctor', '--json']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const data = run.json<DoctorJson>();
    expect(data).toMatchObject({ ok: true, problems: [] });
    expect(data.skills).toEqual([expect.objectContaining({ skill: '@live/lookup-report', contracts: ['drift'] })]);
  }, 60_000);

  it('a renamed tool is EMCPCONTRACT (exit 1), naming the skill and the tool', async () => {
    await variant('renamed');
    const run = await cli(['doctor', '--json']);
    expect(run.code).toBe(1);
    const data = run.json<DoctorJson>();
    expect(data.ok).toBe(false);
    expect(data.problems).toEqual([expect.objectContaining({ code: 'EMCPCONTRACT', severity: 'error', skill: '@live/lookup-report', server: 'drift', tool: 'lookup' })]);
    expect(data.problems[0]?.message).toContain('find_item');
    const human = await cli(['doctor']);
    expect(human.stdout).toContain('EMCPCONTRACT @live/lookup-report drift.lookup');
  }, 60_000);

  it('a changed argument and output are EMCPDRIFT warnings naming tool, field and skill', async () => {
    await variant('changed');
    const run = await cli(['doctor', '--json']);
    expect(run.code, run.stdout).toBe(0);
    const data = run.json<DoctorJson>();
    const fields = data.problems.map((p) => [p.code, p.severity, p.skill, p.tool, p.field]);
    expect(fields).toEqual(
      expect.arrayContaining([
        ['EMCPDRIFT', 'warning', '@live/lookup-report', 'lookup', 'id'],
        ['EMCPDRIFT', 'warning', '@live/lookup-report', 'lookup', 'key'],
        ['EMCPDRIFT', 'warning', '@live/lookup-report', 'lookup', 'name'],
      ]),
    );
    expect(data.problems.find((p) => p.field === 'key')?.fixture).toBe('basic');
  }, 60_000);

  it('contractImpact, for servers sync, names the affected skills from tools already listed', async () => {
    await variant('renamed');
    const servers = new McpServers({ drift: { command: process.execPath, args: [DRIFT], env: { DRIFT_TOOLS_FILE: variantFile } } }, { cwd: ws });
    try {
      const impact = await contractImpact(ws, new Map([['drift', await servers.listTools('drift')]]));
      expect(impact.affected).toEqual(['@live/lookup-report']);
      expect(impact.problems.map((p) => p.code)).toEqual(['EMCPCONTRACT']);
      const unrelated = await contractImpact(ws, new Map([['other', []]]));
      expect(unrelated).toMatchObject({ affected: [], problems: [] });
    } finally {
      await servers.close();
    }
  }, 60_000);

  it('skills servers sync names the installed skills a server change affects, and installs warn from the saved tool index', async () => {
    await variant('renamed');
    const sync = await cli(['servers', 'sync', '--json']);
    expect(sync.code, sync.stdout + sync.stderr).toBe(0);
    const synced = sync.json<{ contracts: { affected: string[]; problems: ContractProblem[] }; warnings?: string[] }>();
    expect(synced.contracts.affected).toEqual(['@live/lookup-report']);
    expect(synced.contracts.problems.map((p) => [p.code, p.tool])).toEqual([['EMCPCONTRACT', 'lookup']]);
    expect(synced.warnings?.some((w) => w.startsWith('EMCPCONTRACT') && w.includes('lookup'))).toBe(true);
    // The tool index now lacks `lookup`: installing a skill that records it warns, offline.
    const vendored = path.join(ws, 'vendor', 'lookup-copy');
    await fs.mkdir(vendored, { recursive: true });
    for (const f of ['SKILL.md', 'index.ts']) await fs.copyFile(path.join(skill, f), path.join(vendored, f));
    await fs.writeFile(path.join(vendored, 'SKILL.md'), (await fs.readFile(path.join(skill, 'SKILL.md'), 'utf8')).replace('name: lookup-report', 'name: lookup-copy'));
    await fs.writeFile(path.join(vendored, 'skill.json'), JSON.stringify({ name: '@live/lookup-copy', version: '1.0.0', mcp: { drift: ['lookup'] } }));
    await fs.cp(path.join(skill, 'contracts'), path.join(vendored, 'contracts'), { recursive: true });
    await fs.cp(path.join(skill, 'fixtures'), path.join(vendored, 'fixtures'), { recursive: true });
    const installed = await cli(['install', './vendor/lookup-copy', '--json']);
    expect(installed.code, installed.stdout + installed.stderr).toBe(0);
    const warnings = installed.json<{ warnings?: string[] }>().warnings ?? [];
    expect(warnings.some((w) => w.startsWith('EMCPCONTRACT') && w.includes('@live/lookup-copy') && w.includes('lookup'))).toBe(true);
    await variant('v1');
    expect((await cli(['servers', 'sync', '--json'])).json<{ contracts: { affected: string[] } }>().contracts.affected).toEqual([]);
    // Leave the workspace as the other tests expect it: one skill, no tree.
    expect((await cli(['uninstall', '@live/lookup-copy', '--json'])).code).toBe(0);
    for (const extra of ['vendor', 'servers', 'skills.json.bak']) await fs.rm(path.join(ws, extra), { recursive: true, force: true });
  }, 120_000);

  it('a server skills.json does not configure, or one that cannot start, is an error', async () => {
    await fs.writeFile(path.join(skill, 'skill.json'), JSON.stringify({ name: '@live/lookup-report', version: '1.0.0', mcp: { drift: ['lookup'], gone: ['x'] } }));
    await fs.writeFile(path.join(ws, 'skills.json'), JSON.stringify({ dependencies: {}, servers: { drift: { command: process.execPath, args: [path.join(ws, 'missing.mjs')] } } }));
    try {
      const run = await cli(['doctor', '--json']);
      expect(run.code).toBe(1);
      expect(run.json<DoctorJson>().problems.map((p) => [p.code, p.server])).toEqual([['EMCPCONNECT', 'drift'], ['EMCPSERVERUNKNOWN', 'gone']]);
    } finally {
      await fs.writeFile(path.join(skill, 'skill.json'), JSON.stringify({ name: '@live/lookup-report', version: '1.0.0', mcp: { drift: ['lookup'] } }));
      await fs.writeFile(path.join(ws, 'skills.json'), JSON.stringify({ dependencies: {}, servers: { drift: { command: process.execPath, args: [DRIFT], env: { DRIFT_TOOLS_FILE: variantFile } } } }));
    }
  }, 60_000);
});

describe('contract files', () => {
  it('are never written through a contracts/ that is a link', async () => {
    const dir = path.join(ws, 'linked');
    const elsewhere = path.join(ws, 'elsewhere');
    await fs.mkdir(dir, { recursive: true });
    await fs.mkdir(elsewhere, { recursive: true });
    await fs.symlink(elsewhere, path.join(dir, 'contracts'));
    const calls = [{ server: 'drift', tool: 'ping', arguments: {}, result: { content: [] } }];
    await expect(recordContracts(dir, calls, async () => [{ name: 'ping', inputSchema: { type: 'object' } }])).rejects.toMatchObject({ code: 'EWORKSPACELINK' });
    expect(await fs.readdir(elsewhere)).toEqual([]);
  });

  const lookup = { name: 'lookup', description: 'Looks up', inputSchema: { type: 'object', title: 'In', properties: { id: { type: 'string', description: 'the id' }, description: { type: 'string' } }, required: ['id'] } };

  it('are normalised (annotations dropped, property names kept) and merged deterministically', () => {
    expect(toolContract(lookup)).toEqual({ inputSchema: { properties: { description: { type: 'string' }, id: { type: 'string' } }, required: ['id'], type: 'object' } });
    const first = mergeContract('drift', undefined, ['lookup'], [lookup]);
    const second = mergeContract('drift', first.contract, ['ping'], [{ name: 'ping', inputSchema: { type: 'object' } }]);
    expect(Object.keys(second.contract.tools)).toEqual(['lookup', 'ping']);
    expect(serializeContract(mergeContract('drift', second.contract, [], []).contract)).toBe(serializeContract(second.contract));
  });

  it('are bounded: a schema nested too deep is left out, an oversized or deep file is refused', () => {
    let deep: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 200; i++) deep = { type: 'object', properties: { x: deep } };
    expect(toolContract({ name: 'deep', inputSchema: deep })).toBeUndefined();
    expect(mergeContract('drift', undefined, ['deep'], [{ name: 'deep', inputSchema: deep }]).skipped).toEqual(['deep']);
    expect(parseContract(`{"server":"drift","tools":{},"pad":"${'x'.repeat(300_000)}"}`)).toMatchObject({ ok: false });
    expect(parseContract(`${'['.repeat(100)}${']'.repeat(100)}`)).toMatchObject({ ok: false });
    expect(parseContract('{"server":"drift","tools":{},"extra":1}')).toMatchObject({ ok: false });
  });

  it('checking: a tool the skill declares but never recorded is still checked for existence', () => {
    const skills: SkillContracts[] = [{ skill: '@a/b', folder: 'b', declared: { s: ['t1', 't2'] }, contracts: new Map(), calls: [] }];
    const problems = checkContracts(skills, new Map([['s', { tools: [{ name: 't1' }] }]]), new Set(['s']));
    expect(problems.map((p) => [p.code, p.tool])).toEqual([['EMCPCONTRACT', 't2']]);
  });
});
