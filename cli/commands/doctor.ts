import path from 'node:path';
import pc from 'picocolors';
import type { CommandModule } from '../command';

export const doctorCommand: CommandModule = {
  register(program, run) {
    program
      .command('doctor')
      .description("check the installed skills' MCP tools against the workspace's live servers: missing tools (EMCPCONTRACT) and drift (EMCPDRIFT)")
      .option('--json', 'print the result as JSON')
      .action(() =>
        run(async (ctx) => {
          const { doctor } = await import('../core/contracts');
          const result = await doctor(path.resolve(ctx.cwd), ctx.env, ctx.progress);
          for (const warning of result.warnings) ctx.warn(warning);
          const lines: string[] = [];
          for (const s of result.servers) lines.push(s.error === null ? `${pc.green('listed')} ${s.server}: ${s.tools} tools` : `${pc.red('unreachable')} ${s.server}: ${s.error}`);
          for (const p of result.problems) {
            const label = p.severity === 'error' ? pc.red(p.code) : pc.yellow(p.code);
            lines.push(`${label} ${p.skill} ${p.server}${p.tool ? `.${p.tool}` : ''}${p.field ? ` (${p.field})` : ''}: ${p.message}`);
          }
          const errors = result.problems.filter((p) => p.severity === 'error').length;
          const drift = result.problems.length - errors;
          lines.push(
            result.skills.length === 0
              ? 'no installed skill uses MCP tools'
              : `${result.ok ? pc.green('ok') : pc.red('broken')}: ${result.skills.length} skill${result.skills.length === 1 ? '' : 's'} checked, ${errors} error${errors === 1 ? '' : 's'}, ${drift} drift warning${drift === 1 ? '' : 's'}`,
          );
          return { data: result, human: lines.join('\n'), exitCode: result.ok ? 0 : 1 };
        }),
      );
  },
};
