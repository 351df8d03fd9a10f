import { deprecateResponseSchema } from '../../schema/registry';
import type { CommandModule } from '../command';
import { commandRegistry, registryOption } from '../options';
import { exactVersionSpec } from '../core/registry/exact-spec';

export const deprecateCommand: CommandModule = {
  register(program, run) {
    program
      .command('deprecate')
      .description('attach a deprecation message to a version (an empty message removes it)')
      .argument('<spec>', '@scope/name@version')
      .argument('<message>', 'what users should do instead')
      .addOption(registryOption())
      .action((spec: string, message: string, options: { registry?: string }) =>
        run(async (ctx) => {
          const { name, version } = exactVersionSpec(spec);
          const client = await commandRegistry(ctx, options);
          const result = await client.call(deprecateResponseSchema, 'POST', `/v1/skills/${name}/versions/${version}/deprecate`, { body: { message } });
          return { data: result, human: result.deprecated ? `deprecated ${name}@${version}: ${result.deprecated}` : `removed the deprecation of ${name}@${version}` };
        }),
      );
  },
};
