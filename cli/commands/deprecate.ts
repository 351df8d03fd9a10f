import { deprecateResponseSchema } from '../../schema/registry';
import type { CommandModule } from '../command';
import { registryCommand } from '../options';
import { exactVersionSpec } from '../core/registry/exact-spec';

export const deprecateCommand: CommandModule = {
  register(program, run) {
    const command = program
      .command('deprecate')
      .description('attach a deprecation message to a version (an empty message removes it)')
      .argument('<spec>', '@scope/name@version')
      .argument('<message>', 'what users should do instead');
    registryCommand(command, run, async ({ registry }, spec = '', message = '') => {
      const { name, version } = exactVersionSpec(spec);
      const client = await registry();
      const result = await client.call(deprecateResponseSchema, 'POST', `/v1/skills/${name}/versions/${version}/deprecate`, { body: { message } });
      return { data: result, human: result.deprecated ? `deprecated ${name}@${version}: ${result.deprecated}` : `removed the deprecation of ${name}@${version}` };
    });
  },
};
