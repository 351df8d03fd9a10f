import type { CommandModule } from '../command';
import { nameSpec } from '../core/spec';
import { renderInstall } from './install';

export const updateCommand: CommandModule = {
  register(program, run) {
    program
      .command('update')
      .alias('up')
      .description('move skills to the newest versions their ranges allow (--latest: to latest, rewriting ranges)')
      .argument('[names...]', '@scope/name (default: all)')
      .option('--latest', 'ignore the ranges in skills.json and take the latest dist-tag')
      .option('--registry <url>', 'the registry URL')
      .option('--json', 'print the result as JSON')
      .action((names: string[], options: { latest?: boolean; registry?: string }) =>
        run(async (ctx) => {
          const { install } = await import('../core/install');
          const result = await install({
            root: ctx.cwd,
            env: ctx.env,
            registry: options.registry,
            update: { names: names.length > 0 ? names.map(nameSpec) : 'all', latest: options.latest === true },
            progress: ctx.progress,
            warn: ctx.warn,
          });
          return { data: result, human: renderInstall(result) };
        }),
      );
  },
};
