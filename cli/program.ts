/** Assembles the `skills` program from the command files in cli/commands. */
import { Command } from 'commander';
import { CLI_VERSION } from './version';
import type { CommandModule, Run } from './command';
import { initCommand } from './commands/init';
import { ciCommand } from './commands/ci';
import { infoCommand } from './commands/info';
import { installCommand } from './commands/install';
import { listCommand } from './commands/list';
import { outdatedCommand } from './commands/outdated';
import { searchCommand } from './commands/search';
import { mcpCommand } from './commands/mcp';
import { searchToolsCommand } from './commands/search-tools';
import { serversCommand } from './commands/servers';
import { uninstallCommand } from './commands/uninstall';
import { updateCommand } from './commands/update';
import { deprecateCommand } from './commands/deprecate';
import { distTagCommand } from './commands/dist-tag';
import { loginCommand } from './commands/login';
import { logoutCommand } from './commands/logout';
import { publishCommand } from './commands/publish';
import { scopeCommand } from './commands/scope';
import { serveCommand } from './commands/serve';
import { teamCommand } from './commands/team';
import { tokenCommand } from './commands/token';
import { unyankCommand, yankCommand } from './commands/yank';
import { whoamiCommand } from './commands/whoami';
import { packCommand } from './commands/pack';
import { runCommand } from './commands/run';
import { validateCommand } from './commands/validate';
import { verifyCommand } from './commands/verify';
import { auditCommand } from './commands/audit';
import { doctorCommand } from './commands/doctor';
import { agentsCommand } from './commands/agents';


const commands: readonly CommandModule[] = [
  initCommand,
  validateCommand,
  packCommand,
  verifyCommand,
  auditCommand,
  runCommand,
  installCommand,
  ciCommand,
  uninstallCommand,
  updateCommand,
  outdatedCommand,
  listCommand,
  agentsCommand,
  searchCommand,
  infoCommand,
  serversCommand,
  doctorCommand,
  searchToolsCommand,
  mcpCommand,
  publishCommand,
  yankCommand,
  unyankCommand,
  deprecateCommand,
  distTagCommand,
  serveCommand,
  loginCommand,
  logoutCommand,
  whoamiCommand,
  tokenCommand,
  teamCommand,
  scopeCommand,
];

export interface ProgramOutput {
  writeErr: (text: string) => void;
}

/** Exit handling and output are set before the commands are added, so every subcommand inherits them. */
export function buildProgram(run: Run, output: ProgramOutput): Command {
  const program = new Command('skills')
    .description('The package manager and registry for agent skills')
    .version(CLI_VERSION)
    // `--version` after a command is that command's option (validate/pack/publish take one), not the CLI's.
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: output.writeErr });
  for (const command of commands) command.register(program, run);
  return program;
}
