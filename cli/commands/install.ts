import pc from 'picocolors';
import type { CommandModule } from '../command';
import type { InstallResult } from '../core/install';

export function renderInstall(result: InstallResult): string {
  const lines: string[] = [];
  if (result.recovered === 'completed') lines.push(pc.yellow('completed an install that was interrupted'));
  for (const c of result.changes) {
    if (c.to === null) lines.push(`${pc.red('-')} ${c.name}@${c.from}`);
    else if (c.from === null) lines.push(`${pc.green('+')} ${c.name}@${c.to}`);
    else lines.push(`${pc.cyan('~')} ${c.name} ${c.from} -> ${c.to}`);
  }
  const verified = result.skills.filter((s) => s.verified === 'sandbox' || s.verified === 'cache').length;
  lines.push(
    `${result.skills.length} skill${result.skills.length === 1 ? '' : 's'} in ./skills` +
      (result.changes.length === 0 ? ', already up to date' : `, ${result.changes.length} changed, ${verified} verified in the sandbox`) +
      `; catalog ${result.catalog.file} (${result.catalog.chars} characters)`,
  );
  return lines.join('\n');
}

export const installCommand: CommandModule = {
  register(program, run) {
    program
      .command('install')
      .alias('i')
      .description('install skills into ./skills (all of skills.json, plus any given), verified in the sandbox')
      .argument('[specs...]', '@scope/name, @scope/name@^1.2.0 or @scope/name@next to add')
      .option('--registry <url>', 'the registry URL')
      .option('--frozen-lockfile', 'install exactly skills-lock.json; fail if skills.json disagrees')
      .option('--skip-verify', 'do not run fixtures in the sandbox (recorded in the lockfile; not recommended)')
      .option('--json', 'print the result as JSON')
      .action((specs: string[], options: { registry?: string; frozenLockfile?: boolean; skipVerify?: boolean }) =>
        run(async (ctx) => {
          const { install } = await import('../core/install');
          const result = await install({
            root: ctx.cwd,
            env: ctx.env,
            registry: options.registry,
            add: specs,
            frozen: options.frozenLockfile === true,
            skipVerify: options.skipVerify === true,
            progress: ctx.progress,
            warn: ctx.warn,
          });
          return { data: result, human: renderInstall(result) };
        }),
      );
  },
};
