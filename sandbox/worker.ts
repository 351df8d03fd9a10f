/** A sandbox worker thread: runs case jobs one at a time and posts back their reports. */
import { parentPort } from 'node:worker_threads';
import { ModuleCache } from './quickjs';
import { WORKER_LOADED } from './thread-pool';
import { verifyCase, type CaseJob, type CaseReport } from './verify-case';

interface JobMessage {
  id: number;
  job: CaseJob;
}

const cache = new ModuleCache();
const port = parentPort;
if (!port) throw new Error('sandbox/worker must run as a worker thread');

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Posts a report; one that cannot be cloned back is sent without its free-form parts, then as an error. */
function reply(id: number, report: CaseReport): void {
  try {
    port?.postMessage({ id, report });
    return;
  } catch {
    // e.g. a returned value too deep for structured clone.
  }
  const { returned: _returned, threw: _threw, ...rest } = report;
  try {
    port?.postMessage({ id, report: { ...rest, console: [] } });
  } catch (error) {
    port?.postMessage({ id, error: `the case report could not be sent back: ${messageOf(error)}` });
  }
}

port.on('message', (message: JobMessage) => {
  verifyCase(cache, message.job).then(
    (report) => reply(message.id, report),
    (error: unknown) => port.postMessage({ id: message.id, error: messageOf(error) }),
  );
});

// Everything above has loaded: the pool's readiness probe waits for this.
port.postMessage(WORKER_LOADED);
