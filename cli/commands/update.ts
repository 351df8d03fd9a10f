import type { CommandModule } from '../command';
import { registryOption } from '../options';
import { nameSpec } from '../core/registry/exact-spec';
import { runInstall, type InstallFlags } from './install';

export const updateCommand: CommandModule = {
  register(program, run) {
    program
      .command('update')
      .alias('up')
      .description('move skills to the newest versions their ranges allow (--latest: to latest, rewriting ranges); git skills to the newest commit of their ref or the newest tag in #semver:<range>')
      .argument('[names...]', '@scope/name (default: all)')
      .option('--latest', 'ignore the ranges in skills.json and take the latest dist-tag')
      .option('--allow-unverified', 'accept unverified versions this update brings of the skills named (none named: of those skills.json already allows); recorded in skills.json and your trust.json')
      .option('--trust-workspace', 'accept what skills.json asks for (trust.allowUnverified, audit.failOn "none") for the content being installed')
      .option('--force', 'replace installed skills even when their files were changed here')
      .option('-g, --global', 'the user\'s global skills (the global store), not this folder\'s')
      .addOption(registryOption())
      .action((names: string[], options: InstallFlags & { latest?: boolean }) =>
        run((ctx) => runInstall(ctx, options, false, () => ({ update: { names: names.length > 0 ? names.map(nameSpec) : 'all', latest: options.latest === true } }))),
      );
  },
};
