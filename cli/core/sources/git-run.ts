/**
 * Running the system `git` on hostile repositories. Every call: no hooks (`core.hooksPath=/dev/null`
 * and an empty template), no prompts (`GIT_TERMINAL_PROMPT=0`, no askpass, ssh in batch mode), only
 * the one transport the source names (`protocol.allow=never` plus that one, and
 * `GIT_ALLOW_PROTOCOL`), no submodules, arguments after `--`, a wall-clock limit that kills the
 * whole process group, bounded output, and English messages to tell failures apart.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { SkillsError } from '../../../schema/errors';
import type { GitProtocol } from './spec';

export const DEFAULT_GIT_TIMEOUT_MS = 120_000;
/** The most a clone may write to disk (objects, compressed). */
export const DEFAULT_GIT_MAX_BYTES = 256 * 1024 * 1024;
const MAX_STDERR = 64 * 1024;

export interface GitLimits {
  timeoutMs: number;
  maxBytes: number;
}

export function gitLimits(env: NodeJS.ProcessEnv): GitLimits {
  const positive = (value: string | undefined, fallback: number) => {
    const n = Number(value);
    return value !== undefined && value !== '' && Number.isFinite(n) && n > 0 ? n : fallback;
  };
  return { timeoutMs: positive(env.SKILLS_GIT_TIMEOUT_MS, DEFAULT_GIT_TIMEOUT_MS), maxBytes: positive(env.SKILLS_GIT_MAX_BYTES, DEFAULT_GIT_MAX_BYTES) };
}

export interface GitCall {
  args: string[];
  /** The transport the call may use (none: local commands only). */
  protocol?: GitProtocol;
  /** Runs in this repository (`git -C`). */
  repo?: string;
  input?: Uint8Array;
  /** Stdout beyond this is an error (EGITTOOLARGE). */
  maxOutput: number;
  timeoutMs: number;
  /** Checked every 250 ms while it runs: return an error to stop it. */
  watch?: () => Promise<SkillsError | undefined>;
  /** What the call is for, in messages. */
  what: string;
}

export interface GitResult {
  stdout: Buffer;
  stderr: string;
}

function gitEnv(env: NodeJS.ProcessEnv, protocol: GitProtocol | undefined): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', LANGUAGE: 'C', GIT_ALLOW_PROTOCOL: protocol ?? 'none', GIT_PROTOCOL_FROM_USER: '0' };
  delete out.GIT_ASKPASS;
  delete out.SSH_ASKPASS;
  // Where git finds its repository, object store, index or work tree: never inherited.
  for (const name of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_NAMESPACE', 'GIT_CEILING_DIRECTORIES', 'GIT_CONFIG_PARAMETERS', 'GIT_CONFIG_COUNT']) delete out[name];
  if (out.GIT_SSH_COMMAND === undefined && out.GIT_SSH === undefined) out.GIT_SSH_COMMAND = 'ssh -o BatchMode=yes';
  return out;
}

function baseArgs(protocol: GitProtocol | undefined): string[] {
  const args = ['-c', 'core.hooksPath=/dev/null', '-c', 'core.askPass=', '-c', 'core.fsmonitor=false', '-c', 'protocol.allow=never', '-c', 'submodule.recurse=false', '-c', 'fetch.recurseSubmodules=false'];
  if (protocol) args.push('-c', `protocol.${protocol}.allow=always`);
  return args;
}

export async function runGit(call: GitCall, env: NodeJS.ProcessEnv): Promise<GitResult> {
  const args = [...baseArgs(call.protocol), ...(call.repo ? ['-C', call.repo] : []), ...call.args];
  return new Promise((resolve, reject) => {
    let child;
    try {
      child = spawn('git', args, { env: gitEnv(env, call.protocol), stdio: [call.input ? 'pipe' : 'ignore', 'pipe', 'pipe'], detached: true });
    } catch (error) {
      reject(spawnError(error));
      return;
    }
    const out: Buffer[] = [];
    let outBytes = 0;
    let stderr = '';
    let failure: SkillsError | undefined;
    let done = false;
    const stop = (error: SkillsError) => {
      failure ??= error;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => stop(new SkillsError('EGITTIMEOUT', `git did not finish ${call.what} within ${Math.round(call.timeoutMs / 1000)} s; nothing was written`, { hint: 'check the network and the repository size; SKILLS_GIT_TIMEOUT_MS sets the limit' })), call.timeoutMs);
    const watcher = call.watch
      ? setInterval(() => {
          void call.watch?.().then((error) => {
            if (error && !done) stop(error);
          });
        }, 250)
      : undefined;
    child.stdout?.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > call.maxOutput) stop(new SkillsError('EGITTOOLARGE', `git's answer while ${call.what} is over ${call.maxOutput} bytes`, { hint: 'the repository is larger than any skills repository needs to be' }));
      else out.push(chunk);
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < MAX_STDERR) stderr += chunk.slice(0, MAX_STDERR - stderr.length);
    });
    child.on('error', (error) => {
      failure ??= spawnError(error);
    });
    if (call.input && child.stdin) {
      child.stdin.on('error', () => undefined);
      child.stdin.end(Buffer.from(call.input));
    }
    child.on('close', (code) => {
      done = true;
      clearTimeout(timer);
      if (watcher) clearInterval(watcher);
      if (failure) reject(failure);
      else if (code !== 0) reject(Object.assign(new SkillsError('EGITFETCH', `git failed while ${call.what}: ${firstLine(stderr)}`), { gitStderr: stderr }));
      else resolve({ stdout: Buffer.concat(out, outBytes), stderr });
    });
  });
}

function spawnError(error: unknown): SkillsError {
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new SkillsError('EGITMISSING', 'git is not installed (or not on PATH); git sources need it', { hint: 'install git, or install the skill from the registry' });
  return new SkillsError('EGITFETCH', `git could not be started: ${(error as Error).message}`);
}

export function firstLine(stderr: string): string {
  const line = stderr.split('\n').map((l) => l.replace(/^(fatal|error|remote): /, '').trim()).find((l) => l !== '') ?? 'no message';
  // A remote writes part of git's stderr: its control characters (terminal escapes) become spaces.
  return line.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').slice(0, 300);
}

/** The hint for a failed fetch: the repository is missing, needs credentials, or cannot be reached. */
export function fetchHint(stderr: string): string {
  if (/terminal prompts disabled|could not read (Username|Password)|Authentication failed|Permission denied|Host key verification failed|403|401/i.test(stderr)) {
    return 'the repository needs credentials, and skills never prompts for them: set up a git credential helper or an ssh key (ssh-agent), then run it again';
  }
  if (/not found|does not appear to be a git repository|does not exist|No such file|unable to access.*404/i.test(stderr)) return 'check the repository URL (and for github: owner/repo); nothing was written';
  if (/Could not resolve host|Failed to connect|Connection refused|timed out|Network is unreachable/i.test(stderr)) return 'the git host cannot be reached; check the network (or $SKILLS_GITHUB_BASE)';
  return 'check the repository URL and ref; nothing was written';
}

/** Bytes under a folder (files only, links not followed), for the clone size limit. */
export async function folderBytes(dir: string, stopAt: number): Promise<number> {
  let total = 0;
  const stack = [dir];
  while (stack.length > 0 && total <= stopAt) {
    const current = stack.pop() as string;
    const entries = await fs.readdir(current, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const full = path.join(current, e.name);
      if (e.isDirectory()) stack.push(full);
      else if (e.isFile()) total += (await fs.lstat(full).catch(() => undefined))?.size ?? 0;
    }
  }
  return total;
}
