#!/usr/bin/env node
/** The `skills` entry: the CLI's one error boundary, and the only place that prints or exits. */
import { CommanderError } from 'commander';
import pc from 'picocolors';
import { isSkillsError } from '../schema/errors';
import type { CliContext, CommandResult } from './command';
import { buildProgram, JSON_FLAG } from './program';
import { safeForTerminal } from './terminal-text';

/** Exit codes: 0 success, 1 a failure with an E-code (or a check that failed), 2 invalid usage. */
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

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

function report(err: unknown, json: boolean): number {
  if (err instanceof CommanderError) {
    if (err.exitCode === 0) return 0; // --help, --version
    if (json) writeJsonError('EUSAGE', err.message.replace(/^error: /, ''));
    return EXIT_USAGE;
  }
  if (isSkillsError(err)) {
    if (json) process.stdout.write(`${JSON.stringify({ error: err.toJSON() }, null, 2)}\n`);
    else {
      process.stderr.write(`${pc.red('error')} ${pc.bold(err.code)} ${safeForTerminal(err.message)}\n`);
      if (err.hint) process.stderr.write(`${pc.dim('hint:')} ${safeForTerminal(err.hint)}\n`);
    }
    // A usage error a command finds itself (options that exclude each other, a bad value) exits as commander's do.
    return err.code === 'EUSAGE' ? EXIT_USAGE : EXIT_FAILURE;
  }
  // A bug, not a user error: keep the stack for people, a stable code for agents.
  const message = err instanceof Error ? err.message : String(err);
  if (json) writeJsonError('EINTERNAL', message);
  else process.stderr.write(`${pc.red('error')} ${pc.bold('EINTERNAL')} ${safeForTerminal(err instanceof Error ? (err.stack ?? message) : message)}\n`);
  return EXIT_FAILURE;
}

function writeJsonError(code: string, message: string): void {
  process.stdout.write(`${JSON.stringify({ error: { code, message } }, null, 2)}\n`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

process.exitCode = await main(process.argv);
