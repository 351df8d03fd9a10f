import { callMcpTool } from '../runtime';

export interface DirectoryTreeInput {
  path: string;
  excludePatterns?: string[];
}

export interface DirectoryTreeOutput {
  content: string;
}

/** Get a recursive tree view of files and directories as a JSON structure. Each entry includes 'name', 'type' (file/directory), and 'children' for directories. Files have no children array, while directories always have a children array (which may be empty). The output is formatted with 2-space indentation for readability. Only works within allowed directories. */
export async function directoryTree(input: DirectoryTreeInput): Promise<DirectoryTreeOutput> {
  return callMcpTool<DirectoryTreeOutput>("filesystem", "directory_tree", input);
}
