/**
 * CPU time used by processes, from /proc (Linux): a server's cost per request that another
 * program's load on the same cores changes far less than its requests per second.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

interface Stat {
  pid: number;
  ppid: number;
  /** utime + stime, ticks. */
  own: number;
  /** cutime + cstime: children that ended and were waited for, ticks. */
  children: number;
}

function stat(pid: number): Stat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name is in parentheses and may hold spaces: fields start after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const n = (i: number) => Number(fields[i - 3] ?? 0);
  return { pid, ppid: n(4), own: n(14) + n(15), children: n(16) + n(17) };
}

/** The live children of `pid`. */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    if (stat(Number(entry))?.ppid === pid) out.push(Number(entry));
  }
  return out;
}

/**
 * CPU seconds (user + system) used so far by each of `pids` and, when `withChildren`, by their
 * children too (live ones and those already ended): PostgreSQL serves each session in a child of
 * the postmaster. Sample before and after, and subtract.
 */
export function cpuSeconds(pids: readonly number[], withChildren: readonly number[] = []): number {
  let ticks = 0;
  for (const pid of pids) ticks += stat(pid)?.own ?? 0;
  for (const pid of withChildren) {
    const parent = stat(pid);
    if (!parent) continue;
    ticks += parent.own + parent.children;
    for (const child of childrenOf(pid)) ticks += stat(child)?.own ?? 0;
  }
  return ticks / clockTicks();
}
