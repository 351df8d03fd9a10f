import type { CommandModule } from '../command';
import { registryOption } from '../options';
import { nameSpec } from '../core/registry/exact-spec';
import { runInstall, type InstallFlags } from './install';

export const uninstallCommand: CommandModule = {
  register(program, run) {
    program
      .command('uninstall')
      .alias('remove')
      .description('remove skills from skills.json and ./skills (with dependencies nothing else needs)')
      .argument('<names...>', '@scope/name')
      .option('--force', 'remove skills even when their files were changed here')
      .option('-g, --global', 'the user\'s global skills (the global store), not this folder\'s')
      .addOption(registryOption())
      .action((names: string[], options: InstallFlags) => run((ctx) => runInstall(ctx, options, false, () => ({ remove: names.map(nameSpec) }))));
  },
};
