/** Assembles the `skills` program from the command files in cli/commands. */
import { Command } from 'commander';
import type { CommandModule, Run } from './command';
import { initCommand } from './commands/init';
import { packCommand } from './commands/pack';
import { validateCommand } from './commands/validate';

export const CLI_VERSION = '0.1.0';

const commands: readonly CommandModule[] = [initCommand, validateCommand, packCommand];

export function buildProgram(run: Run): Command {
  const program = new Command('skills')
    .description('The package manager and registry for agent skills')
    .version(CLI_VERSION)
    .showHelpAfterError('(run with --help for usage)');
  for (const command of commands) command.register(program, run);
  return program;
}
