import pc from 'picocolors';
import type { CommandModule } from '../command';
import type { AgentsReport } from '../core/agents/report';
import { table } from '../render';

export function renderAgents(report: AgentsReport): string {
  const rows = report.agents.map((a) => [
    a.id,
    a.name,
    report.scope === 'project' ? a.folder : a.globalFolder,
    a.detected ? pc.green('yes') : '-',
    a.target ? pc.green('yes') : '-',
    a.linked.length > 0 ? String(a.linked.length) : '-',
  ]);
  const lines = [table([['agent', 'name', 'folder', 'detected', 'target', 'linked'], ...rows])];
  for (const t of report.targets) {
    if (t.problem) lines.push(`${pc.red('cannot use')} ${t.folder}: ${t.problem}`);
    else if (t.missing.length > 0) lines.push(`${pc.yellow('missing')} in ${t.folder}: ${t.missing.join(', ')} (run \`skills install${report.scope === 'global' ? ' -g' : ''}\` or \`skills doctor --fix\`)`);
  }
  const how = report.configured ? `"agents" in skills.json: ${report.configured.join(', ') || '(none)'}` : 'no "agents" in skills.json: the detected agents';
  lines.push(pc.dim(`${report.scope === 'global' ? 'global skills' : 'this workspace'}: ${report.mode === 'copy' ? 'copies' : 'links'} in ${report.targets.filter((t) => t.target).map((t) => t.folder).join(', ')} (${how})`));
  return lines.join('\n');
}

export const agentsCommand: CommandModule = {
  register(program, run) {
    program
      .command('agents')
      .description('list the agents skills are linked for: where each reads skills, whether it is detected here, and what is linked')
      .option('-g, --global', "the user's global skills and each agent's home folder")
      .action((options: { global?: boolean }) =>
        run(async (ctx) => {
          const { agentsReport } = await import('../core/agents/report');
          const report = await agentsReport(ctx.cwd, ctx.env, options.global === true);
          return { data: report, human: renderAgents(report) };
        }),
      );
  },
};
