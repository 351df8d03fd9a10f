/**
 * PostgreSQL's client tools, for backing up and restoring a registry on PostgreSQL: pg_dump and
 * pg_restore, found on PATH and run with the database URL's password in PGPASSWORD (never on the
 * command line, where any user of the machine could read it in the process list).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { maskSecrets, SkillsError } from '../../schema/errors';

export type PgTool = 'pg_dump' | 'pg_restore';

/** The tool's path on PATH, or EBACKUPTOOL saying how to get it. */
export function findPgTool(tool: PgTool, env: NodeJS.ProcessEnv = process.env): string {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const file = path.join(dir, tool);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch {
      // Not in this folder.
    }
  }
  const doing = tool === 'pg_dump' ? 'back up' : 'restore';
  throw new SkillsError('EBACKUPTOOL', `${tool} is not on PATH: it is needed to ${doing} a registry on PostgreSQL; nothing was written`, {
    hint: `install PostgreSQL's client tools of the server's major version or newer (e.g. apt-get install postgresql-client-15, brew install libpq) and put ${tool} on PATH, then run this again`,
  });
}

/** The URL without its password (libpq takes the rest: user, host, port, database, sslmode...), and the password. */
export function pgConnection(url: string): { url: string; password: string } {
  const parsed = new URL(url);
  const password = decodeURIComponent(parsed.password);
  parsed.password = '';
  return { url: parsed.href, password };
}

export interface PgToolRun {
  /** What the tool printed on stderr (its own password-free messages), masked once more. */
  stderr: string;
}

/**
 * Runs `tool` with `args` against `url` (passed as `--dbname`, without its password) and waits for
 * it; EBACKUPTOOL with the tool's last lines of stderr when it fails.
 */
export function runPgTool(bin: string, args: readonly string[], url: string, env: NodeJS.ProcessEnv = process.env, signal?: AbortSignal): Promise<PgToolRun> {
  const { url: dbname, password } = pgConnection(url);
  const tool = path.basename(bin);
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [...args, `--dbname=${dbname}`], {
      env: { ...env, PGPASSWORD: password, PGAPPNAME: `skills-registry-${tool}`, PGCONNECT_TIMEOUT: env.PGCONNECT_TIMEOUT ?? '10' },
      stdio: ['ignore', 'ignore', 'pipe'],
      ...(signal === undefined ? {} : { signal }),
    });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < 64 * 1024) stderr += d;
    });
    child.on('error', (error) => {
      if ((error as NodeJS.ErrnoException).code === 'ABORT_ERR') return;
      reject(new SkillsError('EBACKUPTOOL', `${bin} could not be started (${(error as NodeJS.ErrnoException).code ?? error.message})`));
    });
    child.on('close', (code, signal) => {
      const said = redact(stderr, password);
      if (code === 0) {
        resolve({ stderr: said });
        return;
      }
      const last = said.trim().split('\n').slice(-5).join(' / ');
      reject(
        new SkillsError('EBACKUPTOOL', `${tool} failed (${signal ?? `exit ${code}`})${last ? `: ${last}` : ''}`, {
          hint: /version mismatch|server version/i.test(said)
            ? `${tool} must be of the server's major version or newer: install that version of PostgreSQL's client tools and put it first on PATH`
            : `run it again once the cause is fixed; ${tool} ran as: ${tool} ${args.join(' ')} --dbname=${dbname} (the password in PGPASSWORD)`,
        }),
      );
    });
  });
}

/** The first line of `tool --version`, e.g. `pg_dump (PostgreSQL) 15.8`. */
export function pgToolVersion(bin: string): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(bin, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', () => resolve(path.basename(bin)));
    child.on('close', () => resolve(out.trim().split('\n')[0] || path.basename(bin)));
  });
}

function redact(text: string, password: string): string {
  const masked = maskSecrets(text);
  return password.length >= 4 ? masked.split(password).join('***') : masked;
}
