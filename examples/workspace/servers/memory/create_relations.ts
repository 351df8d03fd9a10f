import { callMcpTool } from '../runtime';

export interface CreateRelationsInput {
  relations: Array<{
    /** The name of the entity where the relation starts */
    from: string;
    /** The name of the entity where the relation ends */
    to: string;
    /** The type of the relation */
    relationType: string;
  }>;
}

export interface CreateRelationsOutput {
  relations: Array<{
    /** The name of the entity where the relation starts */
    from: string;
    /** The name of the entity where the relation ends */
    to: string;
    /** The type of the relation */
    relationType: string;
  }>;
}

/** Create multiple new relations between entities in the knowledge graph. Relations should be in active voice */
export async function createRelations(input: CreateRelationsInput): Promise<CreateRelationsOutput> {
  return callMcpTool<CreateRelationsOutput>("memory", "create_relations", input);
}
