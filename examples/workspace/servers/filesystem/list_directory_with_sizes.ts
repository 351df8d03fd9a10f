import { callMcpTool } from '../runtime';

export interface ListDirectoryWithSizesInput {
  path: string;
  /** Sort entries by name or size */
  sortBy?: "name" | "size";
}

export interface ListDirectoryWithSizesOutput {
  content: string;
}

/** Get a detailed listing of all files and directories in a specified path, including sizes. Results clearly distinguish between files and directories with [FILE] and [DIR] prefixes. This tool is useful for understanding directory structure and finding specific files within a directory. Only works within allowed directories. */
export async function listDirectoryWithSizes(input: ListDirectoryWithSizesInput): Promise<ListDirectoryWithSizesOutput> {
  return callMcpTool<ListDirectoryWithSizesOutput>("filesystem", "list_directory_with_sizes", input);
}
