/** Assembles the `skills` program from the command files in cli/commands. */
import { Command, Option } from 'commander';
import { CLI_VERSION } from './version';
import type { CommandModule, Run } from './command';

/**
 * Every command, in the order help lists them, with the names it answers to. A run loads only the
 * command it names (its file loads the heavy parts it needs when it runs); help, no command or an
 * unknown one loads them all.
 */
const commands: readonly { names: readonly string[]; load: () => Promise<CommandModule> }[] = [
  { names: ['init'], load: async () => (await import('./commands/init')).initCommand },
  { names: ['validate'], load: async () => (await import('./commands/validate')).validateCommand },
  { names: ['pack'], load: async () => (await import('./commands/pack')).packCommand },
  { names: ['verify'], load: async () => (await import('./commands/verify')).verifyCommand },
  { names: ['audit'], load: async () => (await import('./commands/audit')).auditCommand },
  { names: ['run'], load: async () => (await import('./commands/run')).runCommand },
  { names: ['install', 'i'], load: async () => (await import('./commands/install')).installCommand },
  { names: ['ci'], load: async () => (await import('./commands/ci')).ciCommand },
  { names: ['uninstall', 'remove'], load: async () => (await import('./commands/uninstall')).uninstallCommand },
  { names: ['update', 'up'], load: async () => (await import('./commands/update')).updateCommand },
  { names: ['outdated'], load: async () => (await import('./commands/outdated')).outdatedCommand },
  { names: ['list', 'ls'], load: async () => (await import('./commands/list')).listCommand },
  { names: ['agents'], load: async () => (await import('./commands/agents')).agentsCommand },
  { names: ['search'], load: async () => (await import('./commands/search')).searchCommand },
  { names: ['info', 'view'], load: async () => (await import('./commands/info')).infoCommand },
  { names: ['servers'], load: async () => (await import('./commands/servers')).serversCommand },
  { names: ['doctor'], load: async () => (await import('./commands/doctor')).doctorCommand },
  { names: ['search-tools'], load: async () => (await import('./commands/search-tools')).searchToolsCommand },
  { names: ['mcp'], load: async () => (await import('./commands/mcp')).mcpCommand },
  { names: ['publish'], load: async () => (await import('./commands/publish')).publishCommand },
  { names: ['yank'], load: async () => (await import('./commands/yank')).yankCommand },
  { names: ['unyank'], load: async () => (await import('./commands/yank')).unyankCommand },
  { names: ['deprecate'], load: async () => (await import('./commands/deprecate')).deprecateCommand },
  { names: ['dist-tag'], load: async () => (await import('./commands/dist-tag')).distTagCommand },
  { names: ['serve'], load: async () => (await import('./commands/serve')).serveCommand },
  { names: ['registry'], load: async () => (await import('./commands/registry')).registryAdminCommand },
  { names: ['login'], load: async () => (await import('./commands/login')).loginCommand },
  { names: ['logout'], load: async () => (await import('./commands/logout')).logoutCommand },
  { names: ['whoami'], load: async () => (await import('./commands/whoami')).whoamiCommand },
  { names: ['token'], load: async () => (await import('./commands/token')).tokenCommand },
  { names: ['team'], load: async () => (await import('./commands/team')).teamCommand },
  { names: ['scope'], load: async () => (await import('./commands/scope')).scopeCommand },
];

/** The names every command answers to (a test checks them against what each file registers). */
export const COMMAND_NAMES: readonly (readonly string[])[] = commands.map((c) => c.names);

export interface ProgramOutput {
  writeErr: (text: string) => void;
}

/** The program's one `--json`: the program and every command take it, before or after the command's name. */
export const JSON_FLAG = '--json';

const jsonOption = (): Option => new Option(JSON_FLAG, 'print the result as one JSON document on stdout (an error as {"error": {...}})');

/** Commands whose stdout is a protocol of its own (`mcp` speaks MCP over stdio), so no `--json`. */
const WITHOUT_JSON = new Set(['mcp']);

/**
 * Gives every command under `command` the program's `--json`: with positional options a command
 * reads only its own. Not a bare group (subcommands and no arguments of its own): it runs nothing.
 */
function withJson(command: Command): void {
  for (const sub of command.commands) {
    const group = sub.commands.length > 0 && sub.registeredArguments.length === 0;
    if (!group && !WITHOUT_JSON.has(sub.name()) && !sub.options.some((o) => o.long === JSON_FLAG)) sub.addOption(jsonOption());
    withJson(sub);
  }
}

/**
 * Exit handling and output are set before the commands are added, so every subcommand inherits
 * them. `args` are the user's arguments (without node and the script): the first that is not an
 * option names the command to load.
 */
export async function buildProgram(run: Run, output: ProgramOutput, args: readonly string[]): Promise<Command> {
  const program = new Command('skills')
    .description('The package manager and registry for agent skills')
    .version(CLI_VERSION)
    .addOption(jsonOption())
    // `--version` after a command is that command's option (validate/pack/publish take one), not the CLI's.
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: output.writeErr });
  const named = args.find((a) => !a.startsWith('-'));
  const one = commands.find((c) => named !== undefined && c.names.includes(named));
  const versionOnly = named === undefined && args.some((a) => a === '-V' || a === '--version');
  const load = one ? [one] : versionOnly ? [] : commands;
  for (const command of await Promise.all(load.map((c) => c.load()))) command.register(program, run);
  withJson(program);
  return program;
}
