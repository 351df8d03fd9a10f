import { yankResponseSchema } from '../../schema/registry';
import type { CommandModule } from '../command';
import { resolveRegistry } from '../core/registry/config';
import { RegistryClient } from '../core/registry/client';
import { exactVersionSpec } from '../core/registry/exact-spec';

function yankLike(command: 'yank' | 'unyank', description: string): CommandModule {
  return {
    register(program, run) {
      program
        .command(command)
        .description(description)
        .argument('<spec>', '@scope/name@version')
        .option('--registry <url>', 'the registry URL')
        .option('--json', 'print the result as JSON')
        .action((spec: string, options: { registry?: string }) =>
          run(async (ctx) => {
            const { name, version } = exactVersionSpec(spec);
            const client = new RegistryClient(await resolveRegistry(ctx.env, options.registry));
            const result = await client.call(yankResponseSchema, 'POST', `/v1/skills/${name}/versions/${version}/${command}`);
            return { data: result, human: `${command === 'yank' ? 'yanked' : 'unyanked'} ${name}@${version}` };
          }),
        );
    },
  };
}

export const yankCommand = yankLike('yank', 'hide a version from resolution (it stays downloadable for existing lockfiles)');
export const unyankCommand = yankLike('unyank', 'make a yanked version resolvable again');
