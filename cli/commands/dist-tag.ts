import { distTagsResponseSchema, packumentSchema } from '../../schema/registry';
import type { CommandModule } from '../command';
import { registryCommand } from '../options';
import { packumentLimits } from '../core/registry/client';
import { exactVersionSpec, nameSpec } from '../core/registry/exact-spec';

const render = (tags: Record<string, string>) => Object.entries(tags).map(([t, v]) => `${t}: ${v}`).join('\n');

export const distTagCommand: CommandModule = {
  register(program, run) {
    const group = program.command('dist-tag').description('manage dist-tags (latest, next, ...) of a skill');
    registryCommand(group.command('add').description('point a tag at a version').argument('<spec>', '@scope/name@version').argument('<tag>', 'the tag'), run, async ({ registry }, spec = '', tag = '') => {
      const client = await registry();
      const { name, version } = exactVersionSpec(spec);
      const res = await client.call(distTagsResponseSchema, 'PUT', `/v1/skills/${name}/dist-tags/${encodeURIComponent(tag)}`, { body: { version } });
      return { data: { name, distTags: res.distTags }, human: `${tag} -> ${name}@${version}\n${render(res.distTags)}` };
    });
    registryCommand(group.command('rm').description('remove a tag (not latest)').argument('<name>', '@scope/name').argument('<tag>', 'the tag'), run, async ({ registry }, spec = '', tag = '') => {
      const client = await registry();
      const name = nameSpec(spec);
      const res = await client.call(distTagsResponseSchema, 'DELETE', `/v1/skills/${name}/dist-tags/${encodeURIComponent(tag)}`);
      return { data: { name, distTags: res.distTags }, human: `removed ${tag}\n${render(res.distTags)}` };
    });
    registryCommand(group.command('ls').description('list the tags of a skill').argument('<name>', '@scope/name'), run, async ({ registry }, spec = '') => {
      const client = await registry();
      const name = nameSpec(spec);
      const doc = await client.call(packumentSchema, 'GET', `/v1/skills/${name}`, packumentLimits(name));
      return { data: { name, distTags: doc.distTags }, human: render(doc.distTags) };
    });
  },
};
