import { yankResponseSchema } from '../../schema/registry';
import type { CommandModule } from '../command';
import { registryCommand } from '../options';
import { exactVersionSpec } from '../core/registry/exact-spec';

function yankLike(command: 'yank' | 'unyank', description: string): CommandModule {
  return {
    register(program, run) {
      registryCommand(program.command(command).description(description).argument('<spec>', '@scope/name@version'), run, async ({ registry }, spec = '') => {
        const { name, version } = exactVersionSpec(spec);
        const client = await registry();
        const result = await client.call(yankResponseSchema, 'POST', `/v1/skills/${name}/versions/${version}/${command}`);
        return { data: result, human: `${command === 'yank' ? 'yanked' : 'unyanked'} ${name}@${version}` };
      });
    },
  };
}

export const yankCommand = yankLike('yank', 'hide a version from resolution (it stays downloadable for existing lockfiles)');
export const unyankCommand = yankLike('unyank', 'make a yanked version resolvable again');
