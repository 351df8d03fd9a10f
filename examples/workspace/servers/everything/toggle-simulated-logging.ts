import { callMcpTool } from '../runtime';

export type ToggleSimulatedLoggingInput = Record<string, unknown>;

/** Toggles simulated, random-leveled logging on or off. */
export async function toggleSimulatedLogging(input: ToggleSimulatedLoggingInput): Promise<unknown> {
  return callMcpTool<unknown>("everything", "toggle-simulated-logging", input);
}
