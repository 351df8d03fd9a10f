/**
 * Options shared by several commands: their parsers (commander turns InvalidArgumentError into a
 * usage error, EUSAGE, exit 2), and `--registry` with the registry client it chooses. (`--json`
 * belongs to the program: cli/program.ts.)
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { Workspace } from '../schema/workspace';
import type { CliContext, CommandResult, Run } from './command';
import { registryClient, type RegistryClient } from './core/registry/client';
import { DEFAULT_REGISTRY } from './core/registry/config';

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`expected a positive whole number, got "${value}"`);
  return n;
}

export function parseNonNegativeInt(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a whole number, 0 or more, got "${value}"`);
  return n;
}

/** The parsed `--registry` of a command that has one. */
export interface RegistryFlag {
  registry?: string | undefined;
}

export const REGISTRY_FLAG = '--registry <url>';

/**
 * `--registry <url>`, for `.addOption` on every command that talks to a registry: `why` says what
 * it is for when that is not obvious, `otherwise` where the URL comes from without it.
 */
export function registryOption(text: { why?: string; otherwise?: string } = {}): Option {
  const otherwise = text.otherwise ?? '$SKILLS_REGISTRY, then "registry" in skills.json, then the user config\'s';
  return new Option(REGISTRY_FLAG, `the registry URL${text.why ? ` ${text.why}` : ''} (default: ${otherwise}, else ${DEFAULT_REGISTRY})`);
}

/** `--registry` of login and logout, which look after the user config: a clone's skills.json never picks where a token goes. */
export const accountRegistryOption = (): Option => registryOption({ otherwise: '$SKILLS_REGISTRY, then the user config\'s; never skills.json' });

/**
 * The registry client of a command run in `ctx.cwd`: --registry, $SKILLS_REGISTRY, "registry" in
 * skills.json, the user config, the default. A command that loaded its workspace passes it (a
 * broken skills.json stopped it already); any other reads ./skills.json and passes over a broken one.
 */
export function commandRegistry(ctx: CliContext, options: RegistryFlag, loaded?: { workspace: Workspace | undefined }): Promise<RegistryClient> {
  return registryClient({ env: ctx.env, flag: options.registry, ...(loaded ? { workspace: loaded.workspace } : { dir: ctx.cwd }) });
}

/** What the action of a registry command gets: its context, its options, and its client on demand. */
export interface RegistryCall<O extends RegistryFlag> {
  ctx: CliContext;
  options: O;
  /** The client commandRegistry chooses; asked for after the arguments are checked, so their errors come first. */
  registry(): Promise<RegistryClient>;
}

/**
 * Gives `command` its `--registry` (`option`, by default registryOption()) and an action that
 * receives the client commandRegistry chooses (on demand), then the command's positional arguments: the one
 * way a command that talks to the registry is declared, so neither is written twice.
 */
export function registryCommand<O extends RegistryFlag = RegistryFlag>(
  command: Command,
  run: Run,
  action: (call: RegistryCall<O>, ...args: string[]) => Promise<CommandResult>,
  option: Option = registryOption(),
): Command {
  return command.addOption(option).action((...received: unknown[]) => {
    // commander calls an action with the positional arguments, then the options, then the command.
    const options = received.at(-2) as O;
    const args = received.slice(0, -2) as string[];
    return run((ctx) => action({ ctx, options, registry: () => commandRegistry(ctx, options) }, ...args));
  });
}
