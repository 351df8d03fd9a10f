/** Per-case sandbox limits (DESIGN.md "A fixture": 1 s wall time, 64 MiB memory, bounded stack and output). */
export interface SandboxLimits {
  /** Wall time for one case, including time spent waiting on MCP calls. */
  timeoutMs: number;
  /** Hard cap on the sandbox's WebAssembly memory (QuickJS heap, stack and statics). */
  memoryBytes: number;
  /** QuickJS stack; deep recursion past it is a guest `InternalError`, never a host crash. */
  stackBytes: number;
  /** Largest return value, as JSON characters. */
  outputBytes: number;
  /** Most console output captured, in characters; more fails the case. */
  consoleBytes: number;
}

export const DEFAULT_SANDBOX_LIMITS: Readonly<SandboxLimits> = Object.freeze({
  timeoutMs: 1000,
  memoryBytes: 64 * 1024 * 1024,
  stackBytes: 256 * 1024,
  outputBytes: 1024 * 1024,
  consoleBytes: 64 * 1024,
});

/**
 * Why a case failed. Each is distinct so agents can act on it:
 * - EUNRECORDEDCALL: an MCP call no unused recorded call matches (also reported when caught by the skill).
 * - EUNUSEDCALL: a recorded call was never made.
 * - EUNDECLAREDTOOL: a call to a server/tool that skill.json does not declare.
 * - EWRONGRETURN / EWRONGTHROW: the value or error differs from `expect`.
 * - ETHREW: the call threw although the fixture expects a value.
 * - ETIMEOUT, EOOM, ESTACK, EOUTPUTLIMIT: a limit was hit. The code names the limit that stopped
 *   the case: a promise chain that broke because memory ran out is EOOM, not EHANG.
 * - EHANG: the call's promise can never settle (nothing left to run and nothing pending).
 * - EEXPORTMISSING: the fixture names an export that is not a function.
 * - EBADRETURN: the return value cannot cross the boundary as JSON (a cycle, or nested deeper than 64).
 * - ESANDBOXCRASH: the sandbox itself failed (reported, and the sandbox replaced).
 * - EJSONDEPTH: the fixture nests JSON deeper than the schema allows (a job that skipped validation).
 * - EWORKSPACEPATH: the fixture's workspace seed names a path the workspace API refuses.
 */
export type CaseFailureCode =
  | 'EUNRECORDEDCALL'
  | 'EUNUSEDCALL'
  | 'EUNDECLAREDTOOL'
  | 'EWRONGRETURN'
  | 'EWRONGTHROW'
  | 'ETHREW'
  | 'ETIMEOUT'
  | 'EOOM'
  | 'ESTACK'
  | 'EOUTPUTLIMIT'
  | 'EHANG'
  | 'EEXPORTMISSING'
  | 'EBADRETURN'
  | 'ESANDBOXCRASH'
  | 'EJSONDEPTH'
  | 'EWORKSPACEPATH'
  | 'ECALLBUDGET'
  | 'EMCPCALL'
  | 'EMCPTIMEOUT'
  | 'EMCPCONNECT'
  | 'EMCPSERVERUNKNOWN'
  | 'ERESULTTOOLARGE'
  | 'EPIIBINARY'
  | 'EPIIUNCHECKED';
