/**
 * The registry's audit worker thread: runs the static audit (audit/audit.ts) of one upload at a
 * time and posts the report back, so a hostile 8 MiB upload never holds the event loop that
 * serves every other request. The report is the one `auditFiles` returns in process.
 */
import { parentPort } from 'node:worker_threads';
import { auditFiles } from '../audit/audit';
import type { AuditFile } from '../audit/types';
import { WORKER_LOADED } from '../sandbox/thread-pool';

interface AuditJob {
  id: number;
  files: AuditFile[];
}

const port = parentPort;
if (!port) throw new Error('registry-server/audit-worker must run as a worker thread');

port.on('message', (message: AuditJob) => {
  try {
    port.postMessage({ id: message.id, report: auditFiles(message.files) });
  } catch (error) {
    port.postMessage({ id: message.id, error: error instanceof Error ? error.message : String(error) });
  }
});

// Everything above has loaded: the pool's readiness probe waits for this.
port.postMessage(WORKER_LOADED);
