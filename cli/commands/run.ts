import path from 'node:path';
import pc from 'picocolors';
import { SkillsError } from '../../schema/errors';
import type { RunSkillResult } from '../../sandbox/run-skill';
import type { CliContext, CommandModule, CommandResult } from '../command';
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
      .option('--tokenize-pii', 'with --live: replace e-mails, phone numbers (and skills.json privacy.patterns) with tokens in what the skill reads and what the run prints')
      .option('--record-raw', 'with --record and PII tokenization: store real values in the fixture (not recommended)')
      .option('--max-calls <n>', 'with --live: most MCP calls in one run (default 10000)', parsePositiveInt)
      .option('--timeout <ms>', 'wall time in ms (default 1000; 30000 with --live)', parsePositiveInt)
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
  if (options.record !== undefined && !options.live) throw new SkillsError('EUSAGE', '--record needs --live: a fixture records real MCP answers');
  if (options.live && options.fixture !== undefined) throw new SkillsError('EUSAGE', '--live and --fixture exclude each other');
  const exportArgs = {
    target: path.resolve(cwd, target),
    ...(options.export !== undefined ? { exportName: options.export } : {}),
    ...(options.args !== undefined ? { args: parseArgs(options.args) } : {}),
  };
  if (options.live) {
    const { runLive } = await import('../core/run/live');
    const outcome = await runLive({
      ...exportArgs,
      root: cwd,
      env,
      ...(options.timeout !== undefined ? { timeoutMs: options.timeout } : {}),
      ...(options.maxCalls !== undefined ? { maxCalls: options.maxCalls } : {}),
      tokenizePii: options.tokenizePii === true,
      recordRaw: options.recordRaw === true,
      ...(options.record !== undefined ? { record: options.record } : {}),
      warn: (m) => ctx.warn(m),
    });
    return render(outcome.result, outcome.recorded);
  }
  const { runSkill } = await import('../../sandbox/run-skill');
  const result = await runSkill({
    ...exportArgs,
    ...(options.fixture !== undefined ? { fixture: options.fixture } : {}),
    limits: { timeoutMs: options.timeout ?? 1000 },
    workspaceRoot: cwd,
  });
  return render(result, undefined);
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

function parseArgs(text: string): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new SkillsError('EARGSJSON', `--args is not JSON: ${text.length > 60 ? `${text.slice(0, 60)}...` : text}`, { hint: `pass a JSON array, e.g. --args '[{"name":"Ada"}]'` });
  }
  return Array.isArray(value) ? value : [value];
}
