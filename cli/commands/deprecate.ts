import { deprecateResponseSchema } from '../../schema/registry';
import type { CommandModule } from '../command';
import { resolveRegistry } from '../core/registry/config';
import { RegistryClient } from '../core/registry/client';
import { exactVersionSpec } from '../core/registry/exact-spec';

export const deprecateCommand: CommandModule = {
  register(program, run) {
    program
      .command('deprecate')
      .description('attach a deprecation message to a version (an empty message removes it)')
      .argument('<spec>', '@scope/name@version')
      .argument('<message>', 'what users should do instead')
      .option('--registry <url>', 'the registry URL')
      .option('--json', 'print the result as JSON')
      .action((spec: string, message: string, options: { registry?: string }) =>
        run(async (ctx) => {
          const { name, version } = exactVersionSpec(spec);
          const client = new RegistryClient(await resolveRegistry(ctx.env, options.registry));
          const result = await client.call(deprecateResponseSchema, 'POST', `/v1/skills/${name}/versions/${version}/deprecate`, { body: { message } });
          return { data: result, human: result.deprecated ? `deprecated ${name}@${version}: ${result.deprecated}` : `removed the deprecation of ${name}@${version}` };
        }),
      );
  },
};
