/** Runs one fixture against a bundle and judges it: the unit of work a sandbox worker does. */
import type { Fixture } from '../schema/fixture';
import { findJsonDepthExcess, jsonDepthMessage } from '../schema/json-depth';
import type { McpDeclaration } from '../schema/manifest';
import { createReplayBridge } from './bridge';
import { diffJson, jsonEqual } from './diff';
import type { CaseFailureCode, SandboxLimits } from './limits';
import type { ModuleCache } from './quickjs';
import { randomReplayClock, type ReplayClock } from './replay-clock';
import { runInSandbox, type ConsoleLine, type GuestError } from './run';
import { MemoryWorkspace, WorkspaceError } from './workspace-store';

export interface CaseJob {
  name: string;
  code: string;
  fixture: Fixture;
  declared: McpDeclaration;
  limits: SandboxLimits;
}

export interface CaseReport {
  case: string;
  status: 'passed' | 'failed';
  code?: CaseFailureCode;
  message?: string;
  /** For EWRONGRETURN: one line per difference, `$.path: expected X, got Y`. */
  diff?: string;
  durationMs: number;
  memoryBytes: number;
  calls: { made: number; recorded: number };
  console: ConsoleLine[];
  returned?: unknown;
  threw?: GuestError;
  /** The random clock epoch and Math.random seed this case ran with (to repeat a failure). */
  clock?: ReplayClock;
}

/**
 * A failed report when the fixture is nested too deep to handle (validation refuses such fixtures;
 * this guards every runner against a job that skipped it), else undefined.
 */
export function refuseDeepJob(job: CaseJob): CaseReport | undefined {
  const excess = findJsonDepthExcess(job.fixture);
  if (!excess) return undefined;
  return { ...emptyReport(job), status: 'failed', code: 'EJSONDEPTH', message: `the fixture is ${jsonDepthMessage(excess)}` };
}

/** The report of a case that failed before it ran. */
export function emptyReport(job: CaseJob): CaseReport {
  return { case: job.name, status: 'failed', durationMs: 0, memoryBytes: 0, calls: { made: 0, recorded: Array.isArray(job.fixture?.mcp) ? job.fixture.mcp.length : 0 }, console: [] };
}

export async function verifyCase(cache: ModuleCache, job: CaseJob): Promise<CaseReport> {
  const refused = refuseDeepJob(job);
  if (refused) return refused;
  let workspace: MemoryWorkspace;
  try {
    workspace = new MemoryWorkspace(job.fixture.workspace ?? {});
  } catch (error) {
    if (!(error instanceof WorkspaceError)) throw error;
    return { ...emptyReport(job), status: 'failed', code: 'EWORKSPACEPATH', message: `the fixture's workspace seed: ${error.message}` };
  }
  const bridge = createReplayBridge(job.fixture.mcp, job.declared);
  const clock = randomReplayClock();
  const outcome = await runInSandbox(cache, {
    clock,
    code: job.code,
    exportName: job.fixture.call.export,
    args: job.fixture.call.args,
    bridge,
    mode: 'replay',
    limits: job.limits,
    workspace,
  });
  bridge.finish?.();
  const base = {
    case: job.name,
    durationMs: Math.round(outcome.durationMs * 100) / 100,
    memoryBytes: outcome.memoryBytes,
    calls: { made: outcome.callsMade, recorded: job.fixture.mcp.length },
    console: outcome.console,
    clock,
  };
  const fail = (code: CaseFailureCode, message: string, extra: Partial<CaseReport> = {}): CaseReport => ({ ...base, status: 'failed', code, message, ...extra });

  if (outcome.status === 'failed') return fail(outcome.failure.code, outcome.failure.message);
  // A bad call fails the case even when the skill caught the rejection.
  const callFailure = bridge.failures.find((f) => f.code !== 'EUNUSEDCALL');
  if (callFailure) return fail(callFailure.code, callFailure.message);

  const expect = job.fixture.expect;
  if (outcome.status === 'threw') {
    const threw = outcome.error;
    if (expect.throws === undefined) return fail('ETHREW', `${job.fixture.call.export} threw ${threw.name}: ${threw.message}`, { threw });
    if (!threw.message.includes(expect.throws)) {
      return fail('EWRONGTHROW', `${job.fixture.call.export} threw "${threw.message}", which does not contain "${expect.throws}"`, { threw });
    }
  } else {
    if (expect.throws !== undefined) {
      return fail('EWRONGTHROW', `${job.fixture.call.export} returned instead of throwing "${expect.throws}"`, { returned: outcome.value });
    }
    if (!jsonEqual(expect.returns, outcome.value)) {
      return fail('EWRONGRETURN', `${job.fixture.call.export} returned a different value than the fixture expects`, {
        diff: diffJson(expect.returns, outcome.value),
        returned: outcome.value,
      });
    }
  }
  const unused = bridge.failures.find((f) => f.code === 'EUNUSEDCALL');
  if (unused) return fail(unused.code, unused.message);
  return { ...base, status: 'passed', ...(outcome.status === 'returned' ? {} : { threw: outcome.error }) };
}
