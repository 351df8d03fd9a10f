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
      .option('--skip-audit', 'upload even with high audit findings (the registry audits again)')
      .option('--json', 'print the result as JSON')
      .action((dir: string, options: { tag?: string; registry?: string; skipAudit?: boolean }) =>
        run(async (ctx) => {
          const { publishFolder } = await import('../core/publish');
          const published = await publishFolder({ dir: path.resolve(ctx.cwd, dir), env: ctx.env, registry: options.registry, tag: options.tag, skipAudit: options.skipAudit, progress: ctx.progress });
          return {
            data: published,
            human: [
              `${pc.green('published')} ${published.name}@${published.version} (${published.tag}) to ${published.registry}`,
              `  ${published.url}`,
              `  integrity ${published.integrity}`,
              `  verified by the registry: ${published.verification.passed} passed`,
              ...(published.audit ? [`  audited by the registry: ${published.audit.counts.high} high (${published.audit.allowed} allowed), ${published.audit.counts.medium} medium, ${published.audit.counts.low} low`] : []),
            ].join('\n'),
          };
        }),
      );
  },
};
