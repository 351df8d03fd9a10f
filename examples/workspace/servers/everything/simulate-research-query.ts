import { callMcpTool } from '../runtime';

export interface SimulateResearchQueryInput {
  /** The research topic to investigate */
  topic: string;
  /** Simulate an ambiguous query that requires clarification (triggers input_required status) */
  ambiguous?: boolean;
}

/** Simulates a deep research operation that gathers, analyzes, and synthesizes information. Demonstrates MCP task-based operations with progress through multiple stages. If 'ambiguous' is true and client supports elicitation, sends an elicitation request for clarification. */
export async function simulateResearchQuery(input: SimulateResearchQueryInput): Promise<unknown> {
  return callMcpTool<unknown>("everything", "simulate-research-query", input);
}
