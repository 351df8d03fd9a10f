/** A sandbox worker thread: runs case jobs one at a time and posts back their reports. */
import { parentPort } from 'node:worker_threads';
import { ModuleCache } from './quickjs';
import { verifyCase, type CaseJob } from './verify-case';

interface JobMessage {
  id: number;
  job: CaseJob;
}

const cache = new ModuleCache();
const port = parentPort;
if (!port) throw new Error('sandbox/worker must run as a worker thread');

port.on('message', (message: JobMessage) => {
  verifyCase(cache, message.job).then(
    (report) => port.postMessage({ id: message.id, report }),
    (error: unknown) => port.postMessage({ id: message.id, error: error instanceof Error ? error.message : String(error) }),
  );
});
