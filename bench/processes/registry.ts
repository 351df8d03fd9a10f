/**
 * The registry under benchmark, in a process of its own (so load generators and the bench's own
 * work never share its event loop). Argument: JSON `{ db, config?, workers? }`; a PostgreSQL URL
 * and an S3 URL, when set, come in BENCH_REGISTRY_DATABASE and BENCH_REGISTRY_BLOBS (a password is
 * never on the command line); `logFile`: request logs as JSON lines into that file. Prints one line, `READY {"url","adminToken"}`, then serves until
 * SIGTERM (closing cleanly: counts flushed, WAL checkpointed) or until its stdin closes (the bench died).
 */
import { startRegistry } from '../../registry-server/index';
import { createLogOutput } from '../../registry-server/log';

const options = JSON.parse(process.argv[2] ?? '{}') as { db: string; config?: Record<string, unknown>; workers?: number; logFile?: string };
// JSON request lines appended to a file, as `skills serve --log <file>` writes them.
const output = options.logFile === undefined ? undefined : await createLogOutput({ target: { file: options.logFile }, format: 'json', level: 'info' });
const registry = await startRegistry({
  ...(output ? { log: output.logger } : {}),
  port: 0,
  db: options.db,
  database: process.env.BENCH_REGISTRY_DATABASE,
  blobs: process.env.BENCH_REGISTRY_BLOBS,
  config: options.config ?? {},
  ...(options.workers ? { workers: options.workers } : {}),
});
output?.open();
process.stdout.write(`READY ${JSON.stringify({ url: registry.url, adminToken: registry.adminToken ?? '' })}\n`);
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void registry
    .close()
    .then(() => output?.close())
    .then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
