#!/usr/bin/env node
/** The `skills` entry: the CLI's one error boundary, and the only place that prints or exits. */
import { CommanderError } from 'commander';
import pc from 'picocolors';
import { asSkillsError, isSkillsError, maskSecrets, SkillsError } from '../schema/errors';
import type { CliContext, CommandResult } from './command';
import { buildProgram, JSON_FLAG } from './program';
import { safeForTerminal } from './terminal-text';

/** Exit codes: 0 success, else the catalog's for the error's code: 1 a failure (or a check that failed), 2 invalid usage. */
async function main(argv: string[]): Promise<number> {
  // Read before parsing, so that a usage error is JSON too; as commander reads it: not after `--`.
  const end = argv.indexOf('--');
  const json = argv.slice(2, end === -1 ? undefined : end).includes(JSON_FLAG);
  const warnings: string[] = [];
  // A command that announced events (serve) prints JSON lines, so its last document is one line too.
  let announced = false;
  const ctx: CliContext = {
    cwd: process.cwd(),
    env: process.env,
    interactive: !json && process.stdout.isTTY === true,
    progress: (message) => {
      if (!json && process.stderr.isTTY) process.stderr.write(`${pc.dim(safeForTerminal(message))}\n`);
    },
    warn: (message) => {
      warnings.push(message);
      if (!json) process.stderr.write(`${pc.yellow('warning')} ${safeForTerminal(message)}\n`);
    },
    announce: (data, human) => {
      announced = true;
      process.stdout.write(json ? `${JSON.stringify(data)}\n` : `${safeForTerminal(human)}\n`);
    },
    untilSignal: () =>
      new Promise((resolve) => {
        const on = (signal: string) => {
          process.off('SIGINT', on);
          process.off('SIGTERM', on);
          resolve(signal);
        };
        process.on('SIGINT', on);
        process.on('SIGTERM', on);
      }),
  };
  let exitCode = 0;
  const run = async (action: (c: CliContext) => Promise<CommandResult>): Promise<void> => {
    const result = await action(ctx);
    if (json) {
      const data = warnings.length > 0 && isPlainObject(result.data) ? { ...result.data, warnings } : result.data;
      process.stdout.write(`${announced ? JSON.stringify(data) : JSON.stringify(data, null, 2)}\n`);
    } else if (result.human.length > 0) {
      const human = safeForTerminal(result.human);
      process.stdout.write(human.endsWith('\n') ? human : `${human}\n`);
    }
    exitCode = result.exitCode ?? 0;
  };

  try {
    const program = await buildProgram(
      run,
      {
        writeErr: (s) => {
          if (!json) process.stderr.write(safeForTerminal(s));
        },
      },
      argv.slice(2),
    );
    await program.parseAsync(argv, { from: 'node' });
    return exitCode;
  } catch (err) {
    return report(err, json);
  }
}

/** The CLI's one error renderer: any failure as `{ error }` JSON or `error CODE message` and a hint, exiting with the catalog's status. */
function report(err: unknown, json: boolean): number {
  if (err instanceof CommanderError && err.exitCode === 0) return 0; // --help, --version
  // Commander has already written its own usage message to stderr (through writeErr).
  const usage = err instanceof CommanderError;
  const message = err instanceof Error ? err.message : String(err);
  const error = usage ? new SkillsError('EUSAGE', message.replace(/^error: /, '')) : asSkillsError(err, message);
  if (json) process.stdout.write(`${JSON.stringify({ error: error.toJSON() }, null, 2)}\n`);
  else if (!usage) {
    // For a bug (anything not a SkillsError) people get the stack; agents get EINTERNAL in the JSON.
    const shown = isSkillsError(err) || !(err instanceof Error) ? error.message : maskSecrets(err.stack ?? message);
    process.stderr.write(`${pc.red('error')} ${pc.bold(error.code)} ${safeForTerminal(shown)}\n`);
    process.stderr.write(`${pc.dim('hint:')} ${safeForTerminal(error.hint)}\n`);
  }
  return error.exitCode;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

process.exitCode = await main(process.argv);
