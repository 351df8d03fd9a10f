import { callMcpTool } from '../runtime';

export interface SearchNodesInput {
  /** The search query to match against entity names, types, and observation content */
  query: string;
}

export interface SearchNodesOutput {
  entities: Array<{
    /** The name of the entity */
    name: string;
    /** The type of the entity */
    entityType: string;
    /** An array of observation contents associated with the entity */
    observations: string[];
  }>;
  relations: Array<{
    /** The name of the entity where the relation starts */
    from: string;
    /** The name of the entity where the relation ends */
    to: string;
    /** The type of the relation */
    relationType: string;
  }>;
}

/** Search for nodes in the knowledge graph based on a query */
export async function searchNodes(input: SearchNodesInput): Promise<SearchNodesOutput> {
  return callMcpTool<SearchNodesOutput>("memory", "search_nodes", input);
}
