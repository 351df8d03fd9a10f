import path from 'node:path';
import pc from 'picocolors';
import type { CommandModule } from '../command';

export const doctorCommand: CommandModule = {
  register(program, run) {
    program
      .command('doctor')
      .description("check the workspace: agent folders (missing, dangling and stale links, conflicts; --fix repairs what skills made) and the installed skills' MCP tools against the live servers (EMCPCONTRACT, EMCPDRIFT)")
      .option('--fix', 'repair the links and copies skills made (never anything else)')
      .option('-g, --global', "check the user's global skills and the agents' home folders")
      .action((options: { fix?: boolean; global?: boolean }) =>
        run(async (ctx) => {
          const global = options.global === true;
          const { checkLinks } = await import('../core/agents/report');
          const links = await checkLinks(path.resolve(ctx.cwd), ctx.env, global, options.fix === true);
          const { doctor } = await import('../core/servers/contracts');
          const result = await doctor(links.root, ctx.env, ctx.progress);
          for (const warning of result.warnings) ctx.warn(warning);
          const lines: string[] = [];
          for (const p of links.fixed) lines.push(`${pc.green('fixed')} ${p.code} ${p.path}`);
          for (const p of links.problems) {
            const label = p.severity === 'error' ? pc.red(p.code) : pc.yellow(p.code);
            lines.push(`${label} ${p.message}${p.fixable ? pc.dim(' (skills doctor --fix repairs it)') : ''}`);
          }
          const linkErrors = links.problems.filter((p) => p.severity === 'error').length;
          lines.push(`${linkErrors === 0 ? pc.green('ok') : pc.red('broken')}: ${links.mode === 'copy' ? 'copies' : 'links'} in ${links.targets.join(', ')}, ${linkErrors} problem${linkErrors === 1 ? '' : 's'}`);
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
          const ok = result.ok && linkErrors === 0;
          return { data: { ...result, ok, links }, human: lines.join('\n'), exitCode: ok ? 0 : 1 };
        }),
      );
  },
};
