import path from 'node:path';
import pc from 'picocolors';
import type { CommandModule } from '../command';
import { loadLocalPackage } from '../core/local-package';
import { formatProblems } from '../render';

export const validateCommand: CommandModule = {
  register(program, run) {
    program
      .command('validate')
      .description('check SKILL.md, skill.json and fixtures of a skill folder; exit 1 on any error')
      .argument('[dir]', 'the skill folder', '.')
      .option('--json', 'print the result as JSON')
      .action((dir: string) =>
        run(async (ctx) => {
          const pkg = await loadLocalPackage(path.resolve(ctx.cwd, dir));
          const { ok, problems, manifest } = pkg.validation;
          const errors = problems.filter((p) => p.severity === 'error').length;
          const warnings = problems.length - errors;
          const title = manifest ? `${manifest.name}@${manifest.version}` : pkg.dir;
          const summary = ok
            ? `${pc.green('valid')} ${title}${warnings > 0 ? ` (${warnings} warning${warnings === 1 ? '' : 's'})` : ''}`
            : `${pc.red('invalid')} ${title}: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`;
          return {
            data: {
              ok,
              dir: pkg.dir,
              name: manifest?.name ?? null,
              version: manifest?.version ?? null,
              problems,
              tokens: pkg.tokens ?? null,
            },
            human: problems.length > 0 ? `${formatProblems(problems)}\n${summary}` : summary,
            exitCode: ok ? 0 : 1,
          };
        }),
      );
  },
};
