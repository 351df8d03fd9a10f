import { callMcpTool } from '../runtime';

export interface TriggerLongRunningOperationInput {
  /** Duration of the operation in seconds */
  duration?: number;
  /** Number of steps in the operation */
  steps?: number;
}

/** Demonstrates a long running operation with progress updates. */
export async function triggerLongRunningOperation(input: TriggerLongRunningOperationInput): Promise<unknown> {
  return callMcpTool<unknown>("everything", "trigger-long-running-operation", input);
}
