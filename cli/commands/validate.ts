import path from 'node:path';
import pc from 'picocolors';
import { warning } from '../../schema/problems';
import type { CommandModule } from '../command';
import { loadLocalPackage } from '../core/local-package';
import { plainSkillScope } from '../core/scope';
import { computeTrust } from '../core/trust';
import { formatProblems } from '../render';

export const validateCommand: CommandModule = {
  register(program, run) {
    program
      .command('validate')
      .description('check a skill folder (SKILL.md, and skill.json and fixtures when it has them); exit 1 on any error')
      .argument('[dir]', 'the skill folder', '.')
      .option('--scope <scope>', 'the scope of a plain skill (no skill.json): @scope/<SKILL.md name>')
      .option('--version <version>', 'the version of a plain skill (else SKILL.md metadata.version)')
      .option('--json', 'print the result as JSON')
      .action((dir: string, options: { scope?: string; version?: string }) =>
        run(async (ctx) => {
          const scope = await plainSkillScope(ctx.env, ctx.cwd, options.scope);
          const pkg = await loadLocalPackage(path.resolve(ctx.cwd, dir), { derive: { scope: scope?.scope, version: options.version } });
          // Validating needs no name; only pack and publish do, so a missing scope is a warning here.
          const problems = pkg.validation.problems.map((p) =>
            p.code === 'ESCOPEMISSING' ? warning('WSCOPEMISSING', p.path, `${p.message}: pack and publish need one (--scope @yours, or "scope" in skills.json or the user config)`) : p,
          );
          const errors = problems.filter((p) => p.severity === 'error').length;
          const ok = errors === 0 && pkg.validation.skill !== undefined;
          const { manifest, skill } = pkg.validation;
          const warnings = problems.length - errors;
          const title = manifest ? `${manifest.name}@${manifest.version}` : (skill?.frontmatter.name ?? pkg.dir);
          const summary = ok
            ? `${pc.green('valid')} ${title}${pkg.validation.kind === 'plain' ? ' (plain skill)' : ''}${warnings > 0 ? ` (${warnings} warning${warnings === 1 ? '' : 's'})` : ''}`
            : `${pc.red('invalid')} ${title}: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`;
          return {
            data: {
              ok,
              dir: pkg.dir,
              kind: pkg.validation.kind,
              name: manifest?.name ?? null,
              version: manifest?.version ?? null,
              problems,
              tokens: pkg.tokens ?? null,
              // A plain skill's level follows from its files; a code skill's needs the sandbox (skills verify, pack).
              trust: pkg.validation.kind === 'plain' && pkg.validation.skill ? computeTrust(pkg.files, 'plain', 'not-code').level : null,
            },
            human: problems.length > 0 ? `${formatProblems(problems)}\n${summary}` : summary,
            exitCode: ok ? 0 : 1,
          };
        }),
      );
  },
};
