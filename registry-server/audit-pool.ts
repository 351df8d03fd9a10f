/**
 * Runs the registry's static audit of uploads on worker threads (audit-worker.ts), at most `size`
 * at once, so the HTTP server's event loop stays free while a large or hostile upload is read
 * (about 1.6 s of CPU at the 8 MiB pattern budget). A worker that errors, exits or does not answer
 * within the timeout fails that upload alone (EAUDITWORKER, 500) and is replaced for the next.
 */
import os from 'node:os';
import type { AuditFile } from '../audit/types';
import { auditReportSchema, type AuditReport } from '../schema/audit-report';
import { requireBuiltWorker } from '../sandbox/built-worker';
import { ThreadPool, type PoolWatch, type ThreadFailure, type ThreadPoolStats } from '../sandbox/thread-pool';
import { SkillsError } from '../schema/errors';

export interface AuditPoolOptions {
  /** Worker threads at most (default: 2, or 1 on a single core). */
  size?: number;
  /** The worker script (the built `audit-worker.js` by default). */
  workerFile?: string;
  /** Longest one audit may take before its worker is terminated (default 60 s). */
  timeoutMs?: number;
}

export function auditWorkerPath(): string {
  return requireBuiltWorker('audit-worker.js', 'audit', 'EAUDITWORKER');
}

function failed(why: string): SkillsError {
  return new SkillsError('EAUDITWORKER', `the registry could not audit this upload: ${why}; nothing was published`, { status: 500, hint: 'try again; if it keeps failing, tell the registry operator' });
}

function why(failure: ThreadFailure): string {
  switch (failure.kind) {
    case 'start':
      return `no audit worker could start (${failure.cause})`;
    case 'send':
      return `the files could not be sent to the audit worker (${failure.cause})`;
    case 'unreadable':
      return 'its report could not be read';
    case 'error':
      return `the audit worker failed (${failure.cause})`;
    case 'exit':
      return `the audit worker exited with code ${failure.code}`;
    case 'timeout':
      return `it did not finish within ${failure.ms} ms`;
  }
}

export class AuditPool implements PoolWatch {
  readonly size: number;
  readonly #threads: ThreadPool<readonly AuditFile[], AuditReport>;

  constructor(options: AuditPoolOptions = {}) {
    const timeoutMs = options.timeoutMs ?? 60_000;
    this.#threads = new ThreadPool<readonly AuditFile[], AuditReport>({
      size: options.size ?? Math.min(2, Math.max(1, os.availableParallelism())),
      workerFile: options.workerFile ?? auditWorkerPath(),
      message: (files) => ({ files }),
      timeoutMs: () => timeoutMs,
      answer: (_files, reply) => {
        const parsed = auditReportSchema.safeParse(reply.report);
        return parsed.success ? { ok: true, value: parsed.data } : { ok: false, error: failed(reply.error ?? 'the audit worker answered with something that is not a report') };
      },
      failed: (_files, failure) => ({ ok: false, error: failed(why(failure)) }),
      closed: () => failed('the registry is shutting down'),
    });
    this.size = this.#threads.size;
  }

  /** The audit report of `files`, computed on a worker thread. */
  audit(files: readonly AuditFile[]): Promise<AuditReport> {
    return this.#threads.run(files);
  }

  stats(): ThreadPoolStats {
    return this.#threads.stats();
  }

  probe(timeoutMs: number): Promise<void> {
    return this.#threads.probe(timeoutMs);
  }

  close(): Promise<void> {
    return this.#threads.close();
  }
}
