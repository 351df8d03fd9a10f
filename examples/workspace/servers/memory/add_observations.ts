import { callMcpTool } from '../runtime';

export interface AddObservationsInput {
  observations: Array<{
    /** The name of the entity to add the observations to */
    entityName: string;
    /** An array of observation contents to add */
    contents: string[];
  }>;
}

export interface AddObservationsOutput {
  results: Array<{
    entityName: string;
    addedObservations: string[];
  }>;
}

/** Add new observations to existing entities in the knowledge graph */
export async function addObservations(input: AddObservationsInput): Promise<AddObservationsOutput> {
  return callMcpTool<AddObservationsOutput>("memory", "add_observations", input);
}
