import { callMcpTool } from '../runtime';

export interface DeleteObservationsInput {
  deletions: Array<{
    /** The name of the entity containing the observations */
    entityName: string;
    /** An array of observations to delete */
    observations: string[];
  }>;
}

export interface DeleteObservationsOutput {
  success: boolean;
  message: string;
}

/** Delete specific observations from entities in the knowledge graph */
export async function deleteObservations(input: DeleteObservationsInput): Promise<DeleteObservationsOutput> {
  return callMcpTool<DeleteObservationsOutput>("memory", "delete_observations", input);
}
