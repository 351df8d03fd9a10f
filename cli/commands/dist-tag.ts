import type { Command } from 'commander';
import { distTagsResponseSchema, packumentSchema } from '../../schema/registry';
import type { CommandModule, Run } from '../command';
import { commandRegistry, registryOption, type RegistryFlag } from '../options';
import { packumentLimits, RegistryClient } from '../core/registry/client';
import { exactVersionSpec, nameSpec } from '../core/registry/exact-spec';

function client(run: Run, action: (c: RegistryClient, ...args: string[]) => Promise<{ data: unknown; human: string }>) {
  return (...args: unknown[]) => {
    const options = args.at(-2) as RegistryFlag;
    const positional = args.slice(0, -2) as string[];
    return run(async (ctx) => action(await commandRegistry(ctx, options), ...positional));
  };
}

function common(cmd: Command): Command {
  return cmd.addOption(registryOption());
}

const render = (tags: Record<string, string>) => Object.entries(tags).map(([t, v]) => `${t}: ${v}`).join('\n');

export const distTagCommand: CommandModule = {
  register(program, run) {
    const group = program.command('dist-tag').description('manage dist-tags (latest, next, ...) of a skill');
    common(group.command('add').description('point a tag at a version').argument('<spec>', '@scope/name@version').argument('<tag>', 'the tag')).action(
      client(run, async (c, spec = '', tag = '') => {
        const { name, version } = exactVersionSpec(spec);
        const res = await c.call(distTagsResponseSchema, 'PUT', `/v1/skills/${name}/dist-tags/${encodeURIComponent(tag)}`, { body: { version } });
        return { data: { name, distTags: res.distTags }, human: `${tag} -> ${name}@${version}\n${render(res.distTags)}` };
      }),
    );
    common(group.command('rm').description('remove a tag (not latest)').argument('<name>', '@scope/name').argument('<tag>', 'the tag')).action(
      client(run, async (c, spec = '', tag = '') => {
        const name = nameSpec(spec);
        const res = await c.call(distTagsResponseSchema, 'DELETE', `/v1/skills/${name}/dist-tags/${encodeURIComponent(tag)}`);
        return { data: { name, distTags: res.distTags }, human: `removed ${tag}\n${render(res.distTags)}` };
      }),
    );
    common(group.command('ls').description('list the tags of a skill').argument('<name>', '@scope/name')).action(
      client(run, async (c, spec = '') => {
        const name = nameSpec(spec);
        const doc = await c.call(packumentSchema, 'GET', `/v1/skills/${name}`, packumentLimits(name));
        return { data: { name, distTags: doc.distTags }, human: render(doc.distTags) };
      }),
    );
  },
};
