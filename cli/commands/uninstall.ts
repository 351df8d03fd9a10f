import type { CommandModule } from '../command';
import { registryOption } from '../options';
import { nameSpec } from '../core/registry/exact-spec';
import { renderInstall } from './install';

export const uninstallCommand: CommandModule = {
  register(program, run) {
    program
      .command('uninstall')
      .alias('remove')
      .description('remove skills from skills.json and ./skills (with dependencies nothing else needs)')
      .argument('<names...>', '@scope/name')
      .option('--force', 'remove skills even when their files were changed here')
      .option('-g, --global', 'the user\'s global skills (the global store), not this folder\'s')
      .addOption(registryOption())
      .action((names: string[], options: { registry?: string; force?: boolean; global?: boolean }) =>
        run(async (ctx) => {
          const { install } = await import('../core/install/install');
          const { inScope } = await import('../core/agents/scope');
          const global = options.global === true;
          const result = await inScope(ctx.cwd, ctx.env, global, false, (root) =>
            install({ root, env: ctx.env, global, registry: options.registry, remove: names.map(nameSpec), force: options.force === true, progress: ctx.progress, warn: ctx.warn }),
          );
          return { data: result, human: renderInstall(result) };
        }),
      );
  },
};
