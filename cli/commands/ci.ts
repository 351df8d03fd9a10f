import type { CommandModule } from '../command';
import { registryOption } from '../options';
import { renderInstall } from './install';

export const ciCommand: CommandModule = {
  register(program, run) {
    program
      .command('ci')
      .description('install exactly what skills-lock.json says (same as install --frozen-lockfile)')
      .option('--force', 'replace installed skills even when their files were changed here')
      .option('--trust-workspace', 'accept what skills.json asks for (trust.allowUnverified, audit.failOn "none") for the content being installed; recorded in your own trust.json')
      .option('-g, --global', 'the user\'s global skills (the global store), not this folder\'s')
      .addOption(registryOption())
      .action((options: { registry?: string; force?: boolean; global?: boolean; trustWorkspace?: boolean }) =>
        run(async (ctx) => {
          const { install } = await import('../core/install/install');
          const { inScope } = await import('../core/agents/scope');
          const global = options.global === true;
          const result = await inScope(ctx.cwd, ctx.env, global, false, (root) =>
            install({ root, env: ctx.env, global, registry: options.registry, frozen: true, force: options.force === true, trustWorkspace: options.trustWorkspace === true, progress: ctx.progress, warn: ctx.warn }),
          );
          return { data: result, human: renderInstall(result) };
        }),
      );
  },
};
