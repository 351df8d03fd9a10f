import { callMcpTool } from '../runtime';

export type ListAllowedDirectoriesInput = Record<string, unknown>;

export interface ListAllowedDirectoriesOutput {
  content: string;
}

/** Returns the list of directories that this server is allowed to access. Subdirectories within these allowed directories are also accessible. Use this to understand which directories and their nested paths are available before trying to access files. */
export async function listAllowedDirectories(input: ListAllowedDirectoriesInput): Promise<ListAllowedDirectoriesOutput> {
  return callMcpTool<ListAllowedDirectoriesOutput>("filesystem", "list_allowed_directories", input);
}
