import { yankResponseSchema } from '../../schema/registry';
import type { CommandModule } from '../command';
import { commandRegistry, registryOption } from '../options';
import { exactVersionSpec } from '../core/registry/exact-spec';

function yankLike(command: 'yank' | 'unyank', description: string): CommandModule {
  return {
    register(program, run) {
      program
        .command(command)
        .description(description)
        .argument('<spec>', '@scope/name@version')
        .addOption(registryOption())
        .action((spec: string, options: { registry?: string }) =>
          run(async (ctx) => {
            const { name, version } = exactVersionSpec(spec);
            const client = await commandRegistry(ctx, options);
            const result = await client.call(yankResponseSchema, 'POST', `/v1/skills/${name}/versions/${version}/${command}`);
            return { data: result, human: `${command === 'yank' ? 'yanked' : 'unyanked'} ${name}@${version}` };
          }),
        );
    },
  };
}

export const yankCommand = yankLike('yank', 'hide a version from resolution (it stays downloadable for existing lockfiles)');
export const unyankCommand = yankLike('unyank', 'make a yanked version resolvable again');
