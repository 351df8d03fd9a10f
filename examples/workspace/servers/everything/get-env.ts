import { callMcpTool } from '../runtime';

export type GetEnvInput = Record<string, unknown>;

/** Returns all environment variables, helpful for debugging MCP server configuration */
export async function getEnv(input: GetEnvInput): Promise<unknown> {
  return callMcpTool<unknown>("everything", "get-env", input);
}
