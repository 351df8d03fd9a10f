import type { CommandModule } from '../command';
import { renderInstall } from './install';

export const ciCommand: CommandModule = {
  register(program, run) {
    program
      .command('ci')
      .description('install exactly what skills-lock.json says (same as install --frozen-lockfile)')
      .option('--registry <url>', 'the registry URL')
      .option('--json', 'print the result as JSON')
      .action((options: { registry?: string }) =>
        run(async (ctx) => {
          const { install } = await import('../core/install');
          const result = await install({ root: ctx.cwd, env: ctx.env, registry: options.registry, frozen: true, progress: ctx.progress, warn: ctx.warn });
          return { data: result, human: renderInstall(result) };
        }),
      );
  },
};
