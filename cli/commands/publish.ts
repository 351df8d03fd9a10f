import path from 'node:path';
import pc from 'picocolors';
import type { CommandModule } from '../command';

export const publishCommand: CommandModule = {
  register(program, run) {
    program
      .command('publish')
      .description('validate, verify in the sandbox, pack and upload a skill; the registry verifies it again')
      .argument('[dir]', 'the skill folder', '.')
      .option('--tag <tag>', 'the dist-tag to set (default: latest, or next for a prerelease)')
      .option('--registry <url>', 'the registry URL')
      .option('--json', 'print the result as JSON')
      .action((dir: string, options: { tag?: string; registry?: string }) =>
        run(async (ctx) => {
          const { publishFolder } = await import('../core/publish');
          const published = await publishFolder({ dir: path.resolve(ctx.cwd, dir), env: ctx.env, registry: options.registry, tag: options.tag, progress: ctx.progress });
          return {
            data: published,
            human: [
              `${pc.green('published')} ${published.name}@${published.version} (${published.tag}) to ${published.registry}`,
              `  ${published.url}`,
              `  integrity ${published.integrity}`,
              `  verified by the registry: ${published.verification.passed} passed`,
            ].join('\n'),
          };
        }),
      );
  },
};
