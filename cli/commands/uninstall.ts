import type { CommandModule } from '../command';
import { nameSpec } from '../core/spec';
import { renderInstall } from './install';

export const uninstallCommand: CommandModule = {
  register(program, run) {
    program
      .command('uninstall')
      .alias('remove')
      .description('remove skills from skills.json and ./skills (with dependencies nothing else needs)')
      .argument('<names...>', '@scope/name')
      .option('--registry <url>', 'the registry URL')
      .option('--json', 'print the result as JSON')
      .action((names: string[], options: { registry?: string }) =>
        run(async (ctx) => {
          const { install } = await import('../core/install');
          const result = await install({ root: ctx.cwd, env: ctx.env, registry: options.registry, remove: names.map(nameSpec), progress: ctx.progress, warn: ctx.warn });
          return { data: result, human: renderInstall(result) };
        }),
      );
  },
};
