/**
 * The live side of MCP calls from sandboxed code: each call goes to a real server (through a
 * function the caller passes in), within a call budget and a result size cap, through the privacy
 * filter when there is one, and is recorded so the run can be written out as a fixture.
 */
import { isSkillsError } from '../schema/errors';
import type { CallToolResult, RecordedCall } from '../schema/fixture';
import { findJsonDepthExcess, MAX_JSON_DEPTH } from '../schema/json-depth';
import type { McpDeclaration } from '../schema/manifest';
import { BridgeError, declaredCheck, type BridgeFailure, type McpBridge, type McpCall } from './bridge';
import type { CaseFailureCode } from './limits';

/** PII tokenization at the bridge: results and server error messages in, arguments out. */
export interface BridgePrivacy {
  /** Rewrites a result before the sandbox sees it; throws an error with a `code` to refuse it. */
  result(result: CallToolResult): CallToolResult;
  /** Rewrites a server's error message before the sandbox sees it. */
  text(message: string): string;
  /** Rewrites arguments on the way out (tokens back to values). */
  args(args: Record<string, unknown>): Record<string, unknown>;
}

export interface LiveBridgeOptions {
  call(call: McpCall): Promise<CallToolResult>;
  declared?: McpDeclaration;
  /** Most MCP calls one run may make (a runaway loop stops with ECALLBUDGET). */
  maxCalls?: number;
  /** Largest tool result accepted, as JSON characters. */
  maxResultBytes?: number;
  /** The recording keeps what the sandbox saw: tokenized results, arguments as the skill wrote them. */
  privacy?: BridgePrivacy;
}

export interface LiveBridge extends McpBridge {
  readonly recorded: RecordedCall[];
}

export const DEFAULT_MAX_CALLS = 10_000;
export const DEFAULT_MAX_RESULT_BYTES = 4 * 1024 * 1024;

const KEPT_CODES: readonly CaseFailureCode[] = ['EMCPTIMEOUT', 'EMCPCONNECT', 'EMCPSERVERUNKNOWN', 'EPIIBINARY', 'EPIIUNCHECKED'];

function codeOf(error: unknown, fallback: CaseFailureCode): CaseFailureCode {
  const code = (error as { code?: unknown } | null)?.code;
  return KEPT_CODES.find((c) => c === code) ?? fallback;
}

export function createLiveBridge(options: LiveBridgeOptions): LiveBridge {
  const failures: BridgeFailure[] = [];
  const recorded: RecordedCall[] = [];
  const maxCalls = options.maxCalls ?? DEFAULT_MAX_CALLS;
  const maxResult = options.maxResultBytes ?? DEFAULT_MAX_RESULT_BYTES;
  const privacy = options.privacy;
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
      const outgoing = privacy ? privacy.args(call.arguments) : call.arguments;
      let result: CallToolResult;
      try {
        result = await options.call({ ...call, arguments: outgoing });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        return fail({ code: codeOf(error, 'EMCPCALL'), message: privacy ? safeText(privacy, message) : message });
      }
      // A result no fixture could hold is refused before anything walks it recursively.
      if (findJsonDepthExcess(result) !== undefined) fail({ code: 'EJSONDEPTH', message: `${call.server}.${call.tool} returned JSON nested deeper than ${MAX_JSON_DEPTH} levels` });
      const size = JSON.stringify(result).length;
      if (size > maxResult) fail({ code: 'ERESULTTOOLARGE', message: `${call.server}.${call.tool} returned ${size} characters, over the ${maxResult} limit` });
      let seen = result;
      if (privacy) {
        try {
          seen = privacy.result(result);
        } catch (error) {
          // A failure that is not a refusal is a bug in the filter: the result is withheld all the same.
          const coded = isSkillsError(error);
          fail({ code: coded ? codeOf(error, 'EPIIUNCHECKED') : 'EPIIUNCHECKED', message: `${call.server}.${call.tool}: ${coded ? error.message : 'the result could not be checked for personal data'}` });
        }
      }
      recorded.push({ server: call.server, tool: call.tool, arguments: call.arguments, result: seen });
      return seen;
    },
  };
}

/** A server's error message, tokenized; one that cannot be checked is withheld. */
function safeText(privacy: BridgePrivacy, message: string): string {
  try {
    return privacy.text(message);
  } catch {
    return 'the MCP server failed (its message was withheld: it could not be checked for personal data)';
  }
}
