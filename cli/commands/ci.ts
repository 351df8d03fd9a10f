import type { CommandModule } from '../command';
import { registryOption } from '../options';
import { runInstall, type InstallFlags } from './install';

export const ciCommand: CommandModule = {
  register(program, run) {
    program
      .command('ci')
      .description('install exactly what skills-lock.json says (same as install --frozen-lockfile)')
      .option('--force', 'replace installed skills even when their files were changed here')
      .option('--trust-workspace', 'accept what skills.json asks for (trust.allowUnverified, audit.failOn "none") for the content being installed; recorded in your own trust.json')
      .option('-g, --global', 'the user\'s global skills (the global store), not this folder\'s')
      .addOption(registryOption())
      .action((options: InstallFlags) => run((ctx) => runInstall(ctx, options, false, () => ({ frozen: true }))));
  },
};
