import { callMcpTool } from '../runtime';

export interface ListDirectoryInput {
  path: string;
}

export interface ListDirectoryOutput {
  content: string;
}

/** Get a detailed listing of all files and directories in a specified path. Results clearly distinguish between files and directories with [FILE] and [DIR] prefixes. This tool is essential for understanding directory structure and finding specific files within a directory. Only works within allowed directories. */
export async function listDirectory(input: ListDirectoryInput): Promise<ListDirectoryOutput> {
  return callMcpTool<ListDirectoryOutput>("filesystem", "list_directory", input);
}
