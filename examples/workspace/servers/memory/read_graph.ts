import { callMcpTool } from '../runtime';

export type ReadGraphInput = Record<string, unknown>;

export interface ReadGraphOutput {
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

/** Read the entire knowledge graph */
export async function readGraph(input: ReadGraphInput): Promise<ReadGraphOutput> {
  return callMcpTool<ReadGraphOutput>("memory", "read_graph", input);
}
