import { callMcpTool } from '../runtime';

export type ToggleSubscriberUpdatesInput = Record<string, unknown>;

/** Toggles simulated resource subscription updates on or off. */
export async function toggleSubscriberUpdates(input: ToggleSubscriberUpdatesInput): Promise<unknown> {
  return callMcpTool<unknown>("everything", "toggle-subscriber-updates", input);
}
