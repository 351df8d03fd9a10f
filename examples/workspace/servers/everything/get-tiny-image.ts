import { callMcpTool } from '../runtime';

export type GetTinyImageInput = Record<string, unknown>;

/** Returns a tiny MCP logo image. */
export async function getTinyImage(input: GetTinyImageInput): Promise<unknown> {
  return callMcpTool<unknown>("everything", "get-tiny-image", input);
}
