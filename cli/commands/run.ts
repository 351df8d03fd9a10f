import path from 'node:path';
import pc from 'picocolors';
import { SkillsError } from '../../schema/errors';
import { runSkill } from '../../sandbox/run-skill';
import type { CommandModule } from '../command';
import { parsePositiveInt } from './verify';

export const runCommand: CommandModule = {
  register(program, run) {
    program
      .command('run')
      .description('call one export of a skill in the sandbox and print its return value and console output')
      .argument('<target>', 'a skill folder, or a .ts file inside one')
      .option('--export <name>', 'the export to call (default: the fixture\'s)')
      .option('--args <json>', 'the arguments, as a JSON array (or one JSON value for a single argument)')
      .option('--fixture <case>', 'answer MCP calls from fixtures/<case>.json')
      .option('--timeout <ms>', 'wall time in ms (default 1000)', parsePositiveInt)
      .option('--json', 'print the result as JSON')
      .action((target: string, options: { export?: string; args?: string; fixture?: string; timeout?: number }) =>
        run(async (ctx) => {
          const result = await runSkill({
            target: path.resolve(ctx.cwd, target),
            ...(options.export !== undefined ? { exportName: options.export } : {}),
            ...(options.args !== undefined ? { args: parseArgs(options.args) } : {}),
            ...(options.fixture !== undefined ? { fixture: options.fixture } : {}),
            ...(options.timeout ? { limits: { timeoutMs: options.timeout } } : {}),
          });
          const lines = result.console.map((l) => pc.dim(`console.${l.level}: ${l.text}`));
          if (result.status === 'returned') lines.push(JSON.stringify(result.value, null, 2));
          else if (result.error) lines.push(`${pc.red(result.status === 'threw' ? 'threw' : 'failed')} ${'code' in result.error ? `${result.error.code} ` : `${result.error.name}: `}${result.error.message}`);
          return { data: result, human: lines.join('\n'), exitCode: result.status === 'returned' ? 0 : 1 };
        }),
      );
  },
};

function parseArgs(text: string): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new SkillsError('EARGSJSON', `--args is not JSON: ${text.length > 60 ? `${text.slice(0, 60)}...` : text}`, { hint: `pass a JSON array, e.g. --args '[{"name":"Ada"}]'` });
  }
  return Array.isArray(value) ? value : [value];
}
