/** The host side of MCP calls made by sandboxed code: replay from a fixture, or any live source. */
import { canonicalJson } from '../schema/canonical-json';
import type { CallToolResult, RecordedCall } from '../schema/fixture';
import type { McpDeclaration } from '../schema/manifest';
import type { CaseFailureCode } from './limits';

export interface McpCall {
  server: string;
  tool: string;
  arguments: Record<string, unknown>;
}

export interface BridgeFailure {
  code: CaseFailureCode;
  message: string;
}

export interface McpBridge {
  /** Answers one call; throws BridgeError when the call must fail the case. */
  call(call: McpCall): Promise<CallToolResult> | CallToolResult;
  /** Problems the case must fail with even if the skill caught the error. */
  readonly failures: BridgeFailure[];
  /** Calls made so far. */
  readonly made: number;
  /** Runs after the case: reports recorded calls that were never made. */
  finish?(): void;
}

export class BridgeError extends Error {
  constructor(readonly failure: BridgeFailure) {
    super(failure.message);
  }
}

export function callKey(server: string, tool: string, args: unknown): string {
  return `${server}\0${tool}\0${canonicalJson(args ?? {}, { omitKeys: ['_meta'] })}`;
}

export function describeCall(call: McpCall): string {
  const args = canonicalJson(call.arguments, { omitKeys: ['_meta'] });
  return `${call.server}.${call.tool}(${args.length > 200 ? `${args.slice(0, 200)}...` : args})`;
}

/** Checks a call against the servers and tools skill.json declares. */
export function declaredCheck(declared: McpDeclaration | undefined, call: McpCall): BridgeFailure | undefined {
  if (declared === undefined) return undefined;
  const tools = declared[call.server];
  if (tools?.includes(call.tool)) return undefined;
  return {
    code: 'EUNDECLAREDTOOL',
    message: `the skill called ${call.server}.${call.tool}, which skill.json "mcp" does not declare`,
  };
}

/**
 * Replays recorded calls: each call takes the first unused recorded call with the same server,
 * tool and canonical arguments (O(1) per call, so 10,000 recorded calls stay fast).
 */
export function createReplayBridge(recorded: readonly RecordedCall[], declared?: McpDeclaration): McpBridge {
  const queues = new Map<string, number[]>();
  recorded.forEach((r, index) => {
    const key = callKey(r.server, r.tool, r.arguments);
    const queue = queues.get(key);
    if (queue) queue.push(index);
    else queues.set(key, [index]);
  });
  const used = new Uint8Array(recorded.length);
  const failures: BridgeFailure[] = [];
  let made = 0;
  return {
    failures,
    get made() {
      return made;
    },
    call(call) {
      made++;
      const undeclared = declaredCheck(declared, call);
      if (undeclared) {
        failures.push(undeclared);
        throw new BridgeError(undeclared);
      }
      const queue = queues.get(callKey(call.server, call.tool, call.arguments));
      const index = queue?.shift();
      if (index === undefined) {
        const failure: BridgeFailure = {
          code: 'EUNRECORDEDCALL',
          message: `unrecorded MCP call ${describeCall(call)}: no unused recorded call has this server, tool and arguments`,
        };
        failures.push(failure);
        throw new BridgeError(failure);
      }
      used[index] = 1;
      const entry = recorded[index];
      if (!entry) throw new Error('replay index out of range');
      return entry.result;
    },
    finish() {
      const unused = recorded.filter((_, i) => used[i] === 0);
      if (unused.length > 0) {
        const first = unused[0];
        failures.push({
          code: 'EUNUSEDCALL',
          message: `${unused.length} recorded MCP call${unused.length === 1 ? ' was' : 's were'} never made${first ? `, first: ${describeCall(first)}` : ''}`,
        });
      }
    },
  };
}
