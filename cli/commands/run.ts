import path from 'node:path';
import pc from 'picocolors';
import { SkillsError } from '../../schema/errors';
import type { McpDeclaration } from '../../schema/manifest';
import type { LiveBridge } from '../../sandbox/live-bridge';
import type { PiiTokenizer } from '../../sandbox/pii';
import type { DiskWorkspace } from '../../sandbox/workspace-store';
import type { RunSkillResult } from '../../sandbox/run-skill';
import type { CliContext, CommandModule, CommandResult } from '../command';
import type { McpServers } from '../core/mcp-servers';
import { loadWorkspace } from '../core/workspace';
import { parsePositiveInt } from '../options';

export const runCommand: CommandModule = {
  register(program, run) {
    program
      .command('run')
      .description('call one export of a skill in the sandbox and print its return value and console output')
      .argument('<target>', 'a skill folder, or a .ts file inside one')
      .option('--export <name>', "the export to call (default: the fixture's)")
      .option('--args <json>', 'the arguments, as a JSON array (or one JSON value for a single argument)')
      .option('--fixture <case>', 'answer MCP calls from fixtures/<case>.json')
      .option('--live', 'send MCP calls to the real servers configured in skills.json')
      .option('--record <case|file.json>', 'with --live: write the run as a fixture (fixtures/<case>.json)')
      .option('--tokenize-pii', 'with --live: replace e-mails, phone numbers (and skills.json privacy.patterns) in tool results with tokens')
      .option('--record-raw', 'with --record and PII tokenization: store real values in the fixture (not recommended)')
      .option('--max-calls <n>', 'with --live: most MCP calls in one run (default 10000)', parsePositiveInt)
      .option('--timeout <ms>', 'wall time in ms (default 1000; 30000 with --live)', parsePositiveInt)
      .option('--json', 'print the result as JSON')
      .action((target: string, options: RunOptions) => run((ctx) => runAction(ctx, target, options)));
  },
};

interface RunOptions {
  export?: string;
  args?: string;
  fixture?: string;
  timeout?: number;
  live?: boolean;
  record?: string;
  maxCalls?: number;
  tokenizePii?: boolean;
  recordRaw?: boolean;
}

async function runAction(ctx: CliContext, target: string, options: RunOptions): Promise<CommandResult> {
  const { cwd, env } = ctx;
  const { runSkill } = await import('../../sandbox/run-skill');
  const { buildFixture, fixturePath, writeFixture } = await import('../core/record');
  if (options.record !== undefined && !options.live) throw new SkillsError('EUSAGE', '--record needs --live: a fixture records real MCP answers');
  if (options.live && options.fixture !== undefined) throw new SkillsError('EUSAGE', '--live and --fixture exclude each other');
  const live = options.live ? await openLive(cwd, env, options) : undefined;
  try {
    const result = await runSkill({
      target: path.resolve(cwd, target),
      ...(options.export !== undefined ? { exportName: options.export } : {}),
      ...(options.args !== undefined ? { args: parseArgs(options.args) } : {}),
      ...(options.fixture !== undefined ? { fixture: options.fixture } : {}),
      limits: { timeoutMs: options.timeout ?? (live ? 30_000 : 1000) },
      workspaceRoot: cwd,
      ...(live ? { makeBridge: live.makeBridge, mode: 'live' as const, deterministic: options.record !== undefined, workspace: live.workspace } : {}),
    });
    let recorded: string | undefined;
    if (options.record !== undefined && live?.bridge) {
      let fixture = buildFixture(result, live.bridge.recorded, Object.fromEntries(live.workspace.reads));
      if (live.pii && live.recordRaw) {
        fixture = live.pii.detokenize(fixture);
        ctx.warn('the fixture stores real values (--record-raw): it may contain personal data; do not publish it');
      }
      recorded = fixturePath(result.dir, options.record, cwd);
      await writeFixture(recorded, fixture);
    }
    return render(result, recorded);
  } finally {
    await live?.servers.close();
  }
}

function render(result: RunSkillResult, recorded: string | undefined): CommandResult {
  const lines = result.console.map((l) => pc.dim(`console.${l.level}: ${l.text}`));
  if (result.status === 'returned') lines.push(JSON.stringify(result.value, null, 2));
  else if (result.error) {
    lines.push(`${pc.red(result.status === 'threw' ? 'threw' : 'failed')} ${'code' in result.error ? `${result.error.code} ` : `${result.error.name}: `}${result.error.message}`);
  }
  if (recorded) lines.push(pc.green(`recorded ${recorded}`));
  const ok = result.status === 'returned' || (result.status === 'threw' && recorded !== undefined);
  return { data: recorded ? { ...result, recorded } : result, human: lines.join('\n'), exitCode: ok ? 0 : 1 };
}

interface Live {
  bridge: LiveBridge | undefined;
  workspace: DiskWorkspace;
  pii: PiiTokenizer | undefined;
  recordRaw: boolean;
  servers: McpServers;
  makeBridge: (declared: McpDeclaration | undefined) => LiveBridge;
}

async function openLive(cwd: string, env: NodeJS.ProcessEnv, options: RunOptions): Promise<Live> {
  const { mcpOptions, McpServers } = await import('../core/mcp-servers');
  const { createLiveBridge } = await import('../../sandbox/live-bridge');
  const { PiiTokenizer } = await import('../../sandbox/pii');
  const { DiskWorkspace } = await import('../../sandbox/workspace-store');
  const { workspace } = await loadWorkspace(cwd);
  const servers = new McpServers(workspace?.servers ?? {}, mcpOptions(cwd, env));
  const privacy = workspace?.privacy;
  const pii = options.tokenizePii || privacy?.tokenizePii ? new PiiTokenizer(privacy?.patterns ?? {}) : undefined;
  const live: Live = {
    bridge: undefined,
    workspace: new DiskWorkspace(path.join(cwd, 'workspace')),
    pii,
    recordRaw: options.recordRaw === true || privacy?.recordRaw === true,
    servers,
    makeBridge: (declared) => {
      live.bridge = createLiveBridge({
        call: (c) => servers.callTool(c.server, c.tool, c.arguments),
        declared,
        ...(options.maxCalls ? { maxCalls: options.maxCalls } : {}),
        ...(pii ? { transformResult: (r) => pii.tokenize(r), transformArgs: (a) => pii.detokenize(a) } : {}),
      });
      return live.bridge;
    },
  };
  return live;
}

function parseArgs(text: string): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new SkillsError('EARGSJSON', `--args is not JSON: ${text.length > 60 ? `${text.slice(0, 60)}...` : text}`, { hint: `pass a JSON array, e.g. --args '[{"name":"Ada"}]'` });
  }
  return Array.isArray(value) ? value : [value];
}
