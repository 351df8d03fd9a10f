/**
 * The live side of MCP calls from sandboxed code: each call goes to a real server (through a
 * function the caller passes in), within a call budget and a result size cap, and is recorded so
 * the run can be written out as a fixture.
 */
import type { CallToolResult, RecordedCall } from '../schema/fixture';
import type { McpDeclaration } from '../schema/manifest';
import { BridgeError, declaredCheck, type BridgeFailure, type McpBridge, type McpCall } from './bridge';

export interface LiveBridgeOptions {
  call(call: McpCall): Promise<CallToolResult>;
  declared?: McpDeclaration;
  /** Most MCP calls one run may make (a runaway loop stops with ECALLBUDGET). */
  maxCalls?: number;
  /** Largest tool result accepted, as JSON characters. */
  maxResultBytes?: number;
  /** Rewrites a result before the sandbox sees it (PII tokenization); the recording keeps the rewritten form. */
  transformResult?(result: CallToolResult): CallToolResult;
  /** Rewrites arguments on the way out (PII detokenization). */
  transformArgs?(args: Record<string, unknown>): Record<string, unknown>;
}

export interface LiveBridge extends McpBridge {
  readonly recorded: RecordedCall[];
}

export const DEFAULT_MAX_CALLS = 10_000;
export const DEFAULT_MAX_RESULT_BYTES = 4 * 1024 * 1024;

export function createLiveBridge(options: LiveBridgeOptions): LiveBridge {
  const failures: BridgeFailure[] = [];
  const recorded: RecordedCall[] = [];
  const maxCalls = options.maxCalls ?? DEFAULT_MAX_CALLS;
  const maxResult = options.maxResultBytes ?? DEFAULT_MAX_RESULT_BYTES;
  let made = 0;
  const fail = (failure: BridgeFailure): never => {
    failures.push(failure);
    throw new BridgeError(failure);
  };
  return {
    failures,
    recorded,
    get made() {
      return made;
    },
    async call(call) {
      made++;
      if (made > maxCalls) fail({ code: 'ECALLBUDGET', message: `the skill made more than ${maxCalls} MCP calls in one run` });
      const undeclared = declaredCheck(options.declared, call);
      if (undeclared) fail(undeclared);
      const outgoing = options.transformArgs ? options.transformArgs(call.arguments) : call.arguments;
      let result: CallToolResult;
      try {
        result = await options.call({ ...call, arguments: outgoing });
      } catch (error) {
        const code = (error as { code?: string }).code;
        const kept = code === 'EMCPTIMEOUT' || code === 'EMCPCONNECT' || code === 'EMCPSERVERUNKNOWN' ? code : 'EMCPCALL';
        return fail({ code: kept, message: error instanceof Error ? error.message : String(error) });
      }
      const size = JSON.stringify(result).length;
      if (size > maxResult) fail({ code: 'ERESULTTOOLARGE', message: `${call.server}.${call.tool} returned ${size} characters, over the ${maxResult} limit` });
      const seen = options.transformResult ? options.transformResult(result) : result;
      recorded.push({ server: call.server, tool: call.tool, arguments: call.arguments, result: seen });
      return seen;
    },
  };
}
