import { callMcpTool } from '../runtime';

export interface OpenNodesInput {
  /** An array of entity names to retrieve */
  names: string[];
}

export interface OpenNodesOutput {
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

/** Open specific nodes in the knowledge graph by their names */
export async function openNodes(input: OpenNodesInput): Promise<OpenNodesOutput> {
  return callMcpTool<OpenNodesOutput>("memory", "open_nodes", input);
}
