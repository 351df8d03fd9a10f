/**
 * The contract between a command file and the CLI entry. A command parses its options, calls
 * the core and returns a CommandResult; only the entry (cli/main.ts) prints and sets the exit
 * code. Errors are thrown as SkillsError and rendered by the entry's one error boundary.
 */
import type { Command } from 'commander';

export interface CommandResult<T = unknown> {
  /** The `--json` output: a documented, stable shape per command. */
  data: T;
  /** What a person reads (may be multi-line, may contain colour codes). */
  human: string;
  /** 0 unless the command completed but found a failure (e.g. validation errors -> 1). */
  exitCode?: number;
}

/** What every command may use from its process, passed in rather than read from globals. */
export interface CliContext {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** True when stdout is a terminal and `--json` was not given: people get progress and colour. */
  interactive: boolean;
  /** Progress for long work; printed to stderr on a TTY, dropped otherwise. */
  progress(message: string): void;
  /** A warning for people (stderr); also collected into `warnings` of the JSON output. */
  warn(message: string): void;
  /** For long-running commands: prints one event now (a JSON line with `--json`). */
  announce(data: unknown, human: string): void;
  /** Resolves with the signal name on the first SIGINT or SIGTERM. */
  untilSignal(): Promise<string>;
}

export type Run = (action: (ctx: CliContext) => Promise<CommandResult>) => Promise<void>;

/** Every file in cli/commands exports one of these. */
export interface CommandModule {
  register(program: Command, run: Run): void;
}
