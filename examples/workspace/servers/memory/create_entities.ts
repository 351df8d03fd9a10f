import { callMcpTool } from '../runtime';

export interface CreateEntitiesInput {
  entities: Array<{
    /** The name of the entity */
    name: string;
    /** The type of the entity */
    entityType: string;
    /** An array of observation contents associated with the entity */
    observations: string[];
  }>;
}

export interface CreateEntitiesOutput {
  entities: Array<{
    /** The name of the entity */
    name: string;
    /** The type of the entity */
    entityType: string;
    /** An array of observation contents associated with the entity */
    observations: string[];
  }>;
}

/** Create multiple new entities in the knowledge graph */
export async function createEntities(input: CreateEntitiesInput): Promise<CreateEntitiesOutput> {
  return callMcpTool<CreateEntitiesOutput>("memory", "create_entities", input);
}
