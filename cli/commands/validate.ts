import path from 'node:path';
import pc from 'picocolors';
import type { Problem } from '../../schema/problems';
import type { CommandModule } from '../command';
import { loadLocalPackage } from '../core/package/local';
import { plainSkillScope } from '../core/package/scope';
import { computeTrust } from '../core/trust/levels';
import { formatProblems } from '../render';

/** What only publishing needs (a plain skill's name and version, fixtures): a separate verdict from the spec's. */
const PUBLISH_ONLY = new Set(['ESCOPEMISSING', 'EVERSIONMISSING', 'ENOFIXTURES']);
// A plain skill's metadata.version is only metadata to the spec; it must be semver to publish.
const publishOnly = (p: Problem): boolean => PUBLISH_ONLY.has(p.code) || (p.code === 'EVERSIONINVALID' && p.path.startsWith('SKILL.md'));

export const validateCommand: CommandModule = {
  register(program, run) {
    program
      .command('validate')
      .description('check a skill folder against the Agent Skills spec and the package rules (skill.json and fixtures when it has them); publish readiness is reported apart; exit 1 on any error')
      .argument('[dir]', 'the skill folder', '.')
      .option('--scope <scope>', 'the scope of a plain skill (no skill.json): @scope/<SKILL.md name>')
      .option('--version <version>', 'the version of a plain skill (else SKILL.md metadata.version)')
      .option('--for-publish', 'also fail when the skill is not ready to publish (a plain skill\'s scope and version, a code skill\'s fixtures)')
      .action((dir: string, options: { scope?: string; version?: string; forPublish?: boolean }) =>
        run(async (ctx) => {
          const scope = await plainSkillScope(ctx.env, ctx.cwd, options.scope);
          const pkg = await loadLocalPackage(path.resolve(ctx.cwd, dir), { requireFixtures: true, derive: { scope: scope?.scope, version: options.version } });
          const problems = pkg.validation.problems.filter((p) => !publishOnly(p));
          const publishProblems = pkg.validation.problems.filter(publishOnly);
          const publishReady = publishProblems.length === 0 && pkg.validation.ok;
          const errors = problems.filter((p) => p.severity === 'error').length;
          const valid = errors === 0 && pkg.validation.skill !== undefined;
          const ok = valid && (options.forPublish !== true || publishReady);
          const { manifest, skill } = pkg.validation;
          const warnings = problems.length - errors;
          const title = manifest ? `${manifest.name}@${manifest.version}` : (skill?.id ?? pkg.dir);
          const summary = valid
            ? `${pc.green('valid')} ${title}${pkg.validation.kind === 'plain' ? ' (plain skill)' : ''}${warnings > 0 ? ` (${warnings} warning${warnings === 1 ? '' : 's'})` : ''}`
            : `${pc.red('invalid')} ${title}: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`;
          const readiness = publishProblems.length === 0
            ? (valid ? `${pc.green('ready to publish')}` : '')
            : `${options.forPublish === true ? pc.red('not ready to publish') : pc.yellow('not ready to publish')}: ${publishProblems.map((p) => p.message).join('; ')}${publishProblems.some((p) => p.code === 'ESCOPEMISSING') ? ' (--scope @yours, or "scope" in skills.json or the user config)' : ''}${publishProblems.some((p) => p.code === 'EVERSIONMISSING') ? ' (--version 1.0.0, or metadata.version in SKILL.md)' : ''}`;
          return {
            data: {
              ok,
              valid,
              dir: pkg.dir,
              kind: pkg.validation.kind,
              name: manifest?.name ?? null,
              version: manifest?.version ?? null,
              problems,
              publish: { ready: publishReady, problems: publishProblems },
              tokens: pkg.tokens ?? null,
              // A plain skill's level follows from its files; a code skill's needs the sandbox (skills verify, pack).
              trust: pkg.validation.kind === 'plain' && pkg.validation.skill ? computeTrust(pkg.files, 'plain', 'not-code').level : null,
            },
            human: [problems.length > 0 ? formatProblems(problems) : '', summary, readiness].filter((l) => l !== '').join('\n'),
            exitCode: ok ? 0 : 1,
          };
        }),
      );
  },
};
