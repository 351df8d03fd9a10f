import { callMcpTool } from '../runtime';

export interface DeleteEntitiesInput {
  /** An array of entity names to delete */
  entityNames: string[];
}

export interface DeleteEntitiesOutput {
  success: boolean;
  message: string;
}

/** Delete multiple entities and their associated relations from the knowledge graph */
export async function deleteEntities(input: DeleteEntitiesInput): Promise<DeleteEntitiesOutput> {
  return callMcpTool<DeleteEntitiesOutput>("memory", "delete_entities", input);
}
