import fs from 'node:fs/promises';
import path from 'node:path';
import pc from 'picocolors';
import { SkillsError } from '../../schema/errors';
import type { CommandModule } from '../command';
import { registryOption } from '../options';
import type { PublishResult } from '../core/package/publish';
import { plainSkillScope } from '../core/package/scope';
import { renderTrust } from '../render';

export function renderPublished(published: PublishResult): string {
  const verification = published.verification;
  return [
    `${pc.green('published')} ${published.name}@${published.version} (${published.tag}) to ${published.registry}`,
    `  page ${published.page}`,
    `  api ${published.url}`,
    `  integrity ${published.integrity}`,
    `  trust ${renderTrust(published.trust, published.trustReasons)}`,
    published.kind === 'code' && verification ? `  verified by the registry: ${verification.passed} passed` : `  a plain skill: nothing for the sandbox to run`,
    ...(published.provenance ? [`  provenance ${published.provenance.url} ${published.provenance.commit}${published.provenance.path ? ` (${published.provenance.path})` : ''}`] : []),
    ...(published.audit ? [`  audited by the registry: ${published.audit.counts.high} high (${published.audit.allowed} allowed), ${published.audit.counts.medium} medium, ${published.audit.counts.low} low`] : []),
  ].join('\n');
}

export const publishCommand: CommandModule = {
  register(program, run) {
    program
      .command('publish')
      .description('validate, verify in the sandbox, pack and upload a skill (a folder, or a plain skill from git, a folder or a discovery index); the registry verifies it again')
      .argument('[source]', 'the skill folder, or a source: github:owner/repo[/path][#ref], git+https|ssh|file://...[#ref], https://host', '.')
      .option('--scope <scope>', 'the scope of a plain skill (no skill.json); default: skills.json "scope", then the user config\'s')
      .option('--version <version>', 'the version of a plain skill (else SKILL.md metadata.version)')
      .option('--skill <name...>', 'which skill of a source holding several')
      .option('--tag <tag>', 'the dist-tag to set (default: latest, or next for a prerelease)')
      .addOption(registryOption())
      .option('--skip-audit', 'upload even with high audit findings (the registry audits again)')
      .action((source: string, options: { tag?: string; registry?: string; scope?: string; version?: string; skill?: string[]; skipAudit?: boolean }) =>
        run(async (ctx) => {
          const { publishFolder, publishFromSource } = await import('../core/package/publish');
          const scope = await plainSkillScope(ctx.env, ctx.cwd, options.scope);
          const common = { env: ctx.env, registry: options.registry, registryWorkspace: { dir: ctx.cwd }, tag: options.tag, scope: scope?.scope, version: options.version, skipAudit: options.skipAudit, progress: ctx.progress };
          const dir = path.resolve(ctx.cwd, source);
          // A source spec, or a folder of several skills (a copy of a skills repository), goes through the source listing.
          const fromSource = /^(github:|git\+|https?:\/\/)/.test(source) || (options.skill !== undefined && options.skill.length > 0) || !(await hasSkillMd(dir));
          if (fromSource && (options.skill?.length ?? 0) > 1) throw new SkillsError('EUSAGE', 'publish takes one --skill');
          const published = fromSource
            ? await publishFromSource(/^(github:|git\+|https?:\/\/|\.|\/)/.test(source) ? source : `./${source}`, { ...common, root: ctx.cwd, skill: options.skill?.[0] })
            : await publishFolder({ dir, ...common });
          return { data: published, human: renderPublished(published) };
        }),
      );
  },
};

async function hasSkillMd(dir: string): Promise<boolean> {
  return fs.lstat(path.join(dir, 'SKILL.md')).then(
    (s) => s.isFile(),
    () => false,
  );
}
