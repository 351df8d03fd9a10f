/**
 * One `skills ... --json` process of a bench, bounded in time: its exit status and its JSON
 * answer, or a bench-made error code when there is none (BENCH_TIMEOUT: killed after the bound,
 * with every process it started; BENCH_NOJSON: no JSON on stdout).
 */
import { spawn } from 'node:child_process';

export interface CliError {
  code: string;
  message: string;
  hint?: string;
  details?: unknown;
}

export interface CliAnswer {
  /** The process exited 0. */
  exitOk: boolean;
  /** The parsed stdout, when it was JSON. */
  json: unknown;
  /** The error the CLI printed (`{ "error": ... }`), or one the bench made. */
  error: CliError | undefined;
  ms: number;
}

export interface CliRunOptions {
  bin: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
}

const KEEP = 4 * 1024 * 1024;

function parseJson(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  try {
    return JSON.parse(trimmed) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `{ "error": { code, message, ... } }` as the CLI prints it with --json. */
export function cliError(json: unknown): CliError | undefined {
  if (!isRecord(json) || !isRecord(json.error)) return undefined;
  const { code, message, hint, details } = json.error;
  return { code: typeof code === 'string' ? code : 'EUNKNOWN', message: typeof message === 'string' ? message : '', ...(typeof hint === 'string' ? { hint } : {}), ...(details !== undefined ? { details } : {}) };
}

export function runCli(options: CliRunOptions): Promise<CliAnswer> {
  const started = performance.now();
  return new Promise((resolve) => {
    // detached: its own process group, so a timeout kills git and worker processes it started too.
    const child = spawn(process.execPath, [options.bin, ...options.args], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => {
      if (stdout.length < KEEP) stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < KEEP) stderr += d.toString();
    });
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, options.timeoutMs);
    const finish = (code: number | null, spawnError?: Error) => {
      clearTimeout(timer);
      const ms = performance.now() - started;
      const json = parseJson(stdout);
      let error = cliError(json) ?? cliError(parseJson(stderr));
      if (timedOut) error = { code: 'BENCH_TIMEOUT', message: `killed after ${options.timeoutMs} ms (skills ${options.args[0] ?? ''})` };
      else if (spawnError) error = { code: 'BENCH_SPAWN', message: spawnError.message };
      else if (code !== 0 && error === undefined) error = { code: json === undefined ? 'BENCH_NOJSON' : 'BENCH_EXIT', message: `exit ${code}: ${(stderr || stdout).trim().slice(0, 500)}` };
      resolve({ exitOk: code === 0 && !timedOut, json, error, ms });
    };
    child.on('error', (e) => finish(null, e));
    child.on('close', (code) => finish(code));
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
