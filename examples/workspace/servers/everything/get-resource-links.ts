import { callMcpTool } from '../runtime';

export interface GetResourceLinksInput {
  /** Number of resource links to return (1-10) */
  count?: number;
}

/** Returns up to ten resource links that reference different types of resources */
export async function getResourceLinks(input: GetResourceLinksInput): Promise<unknown> {
  return callMcpTool<unknown>("everything", "get-resource-links", input);
}
