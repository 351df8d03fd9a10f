/**
 * Seams for tests that kill or race real `skills` processes, off unless their variable is set
 * (docs/cli.md, "Test hooks"). They only observe or stop a process at a point; they never change
 * what it writes.
 * - `SKILLS_TEST_PAUSE_AFTER_MOVES=n` with `SKILLS_TEST_PAUSE_FILE=<file>`: applying an install
 *   journal stops between its n-th and its next folder move (0: the journal is written, nothing
 *   moved yet; n = the number of moves: every folder moved, skills.json and the lockfile not yet
 *   written), writes its pid to the file, and waits there until it is killed, so a test can SIGKILL
 *   it at that point without a race.
 * - `SKILLS_TEST_LOCK_LOG=<file>`: the workspace lock appends one line per event (one O_APPEND
 *   write each): `wait <pid> <holder pid>` when a process first finds the lock held, `acquire <pid>
 *   <token>` just after taking it, `release <pid> <token>` just before letting go; so a test can
 *   check who waited for whom, the holders' order, and that no two holders overlapped.
 * - `SKILLS_TEST_PAUSE_AFTER_BATCHES=n` with `SKILLS_TEST_PAUSE_FILE=<file>`: `skills registry
 *   migrate` stops once its n-th batch is committed to the target (its snapshot of the source still
 *   open), writes its pid to the file and waits there until it is killed.
 */
import fs from 'node:fs/promises';

export function pauseAfterMoves(moves: number, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return pauseAt(env.SKILLS_TEST_PAUSE_AFTER_MOVES, moves, env);
}

export function pauseAfterBatches(batches: number, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return pauseAt(env.SKILLS_TEST_PAUSE_AFTER_BATCHES, batches, env);
}

async function pauseAt(wanted: string | undefined, count: number, env: NodeJS.ProcessEnv): Promise<void> {
  const file = env.SKILLS_TEST_PAUSE_FILE;
  const at = Number(wanted);
  if (file === undefined || file === '' || wanted === undefined || wanted === '' || !Number.isInteger(at) || at < 0 || at !== count) return;
  await fs.writeFile(file, `${process.pid}\n`);
  // Wait to be killed: a timer keeps the process alive, nothing else runs.
  await new Promise<never>(() => {
    setInterval(() => {}, 1 << 30);
  });
}

export async function logLock(env: NodeJS.ProcessEnv, event: 'wait' | 'acquire' | 'release', detail: string): Promise<void> {
  const file = env.SKILLS_TEST_LOCK_LOG;
  if (file === undefined || file === '') return;
  await fs.appendFile(file, `${event} ${process.pid} ${detail}\n`);
}
