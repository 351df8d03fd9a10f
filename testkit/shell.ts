/** Shell scripts run as a reader would run them (the README walkthrough, the operating runbook). */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';

/** A port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface Shell {
  child: ChildProcess;
  out(): string;
  err(): string;
  closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `script` in bash, in a process group of its own so a server it starts stops with it. */
export function shell(script: string, cwd: string, env: NodeJS.ProcessEnv): Shell {
  const child = spawn('bash', ['-c', script], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  return { child, out: () => out, err: () => err, closed };
}

/** Resolves once `done` holds for the output, or with undefined when the shell ended first. */
export function whenPrinted(sh: Shell, done: (out: string) => boolean): Promise<string | undefined> {
  return new Promise((resolve) => {
    const check = () => {
      if (!done(sh.out())) return;
      sh.child.stdout?.off('data', check);
      resolve(sh.out());
    };
    sh.child.stdout?.on('data', check);
    void sh.closed.then(() => resolve(done(sh.out()) ? sh.out() : undefined));
    check();
  });
}
