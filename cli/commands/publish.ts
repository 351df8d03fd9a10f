import path from 'node:path';
import pc from 'picocolors';
import { SkillsError } from '../../schema/errors';
import type { PublishResponse } from '../../schema/registry';
import { verifySkill } from '../../sandbox/verify';
import { pack } from '../../tarball/pack';
import type { CommandModule } from '../command';
import { resolveRegistry } from '../core/config';
import { assertValid, loadLocalPackage } from '../core/local-package';
import { RegistryClient } from '../core/registry-client';
import { formatBytes } from '../render';
import { renderReport } from './verify';

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
          const pkg = await loadLocalPackage(path.resolve(ctx.cwd, dir), { requireFixtures: true });
          assertValid(pkg);
          const { manifest } = pkg.validation;
          ctx.progress(`verifying ${manifest.name}@${manifest.version} in the sandbox`);
          const report = await verifySkill({ dir: pkg.dir });
          if (!report.ok) {
            throw new SkillsError('EVERIFICATIONFAILED', `${manifest.name}@${manifest.version} failed local verification: ${report.failed} of ${report.cases.length} cases failed; nothing was uploaded`, {
              hint: `see \`skills verify ${pkg.dir}\`:\n${renderReport(report)}`,
              details: { report },
            });
          }
          const packed = await pack(pkg.files);
          const client = new RegistryClient(await resolveRegistry(ctx.env, options.registry));
          ctx.progress(`uploading ${formatBytes(packed.bytes.byteLength)} to ${client.url}`);
          const query = options.tag ? `?tag=${encodeURIComponent(options.tag)}` : '';
          const published = await client.json<PublishResponse>('PUT', `/v1/skills/${manifest.name}${query}`, { body: packed.bytes, timeoutMs: 120_000 });
          const url = `${client.url}/v1/skills/${manifest.name}`;
          return {
            data: { registry: client.url, url, ...published },
            human: [
              `${pc.green('published')} ${published.name}@${published.version} (${published.tag}) to ${client.url}`,
              `  ${url}`,
              `  integrity ${published.integrity}`,
              `  verified by the registry: ${published.verification.passed} passed`,
            ].join('\n'),
          };
        }),
      );
  },
};
