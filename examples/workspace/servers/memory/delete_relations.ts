import { callMcpTool } from '../runtime';

export interface DeleteRelationsInput {
  /** An array of relations to delete */
  relations: Array<{
    /** The name of the entity where the relation starts */
    from: string;
    /** The name of the entity where the relation ends */
    to: string;
    /** The type of the relation */
    relationType: string;
  }>;
}

export interface DeleteRelationsOutput {
  success: boolean;
  message: string;
}

/** Delete multiple relations from the knowledge graph */
export async function deleteRelations(input: DeleteRelationsInput): Promise<DeleteRelationsOutput> {
  return callMcpTool<DeleteRelationsOutput>("memory", "delete_relations", input);
}
