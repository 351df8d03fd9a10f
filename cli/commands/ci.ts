import type { CommandModule } from '../command';
import { renderInstall } from './install';

export const ciCommand: CommandModule = {
  register(program, run) {
    program
      .command('ci')
      .description('install exactly what skills-lock.json says (same as install --frozen-lockfile)')
      .option('--force', 'replace installed skills even when their files were changed here')
      .option('--registry <url>', 'the registry URL')
      .option('--json', 'print the result as JSON')
      .action((options: { registry?: string; force?: boolean }) =>
        run(async (ctx) => {
          const { install } = await import('../core/install');
          const result = await install({ root: ctx.cwd, env: ctx.env, registry: options.registry, frozen: true, force: options.force === true, progress: ctx.progress, warn: ctx.warn });
          return { data: result, human: renderInstall(result) };
        }),
      );
  },
};
