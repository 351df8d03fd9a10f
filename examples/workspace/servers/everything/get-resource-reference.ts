import { callMcpTool } from '../runtime';

export interface GetResourceReferenceInput {
  resourceType?: "Text" | "Blob";
  /** ID of the text resource to fetch */
  resourceId?: number;
}

/** Returns a resource reference that can be used by MCP clients */
export async function getResourceReference(input: GetResourceReferenceInput): Promise<unknown> {
  return callMcpTool<unknown>("everything", "get-resource-reference", input);
}
