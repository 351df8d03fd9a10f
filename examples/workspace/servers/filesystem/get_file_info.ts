import { callMcpTool } from '../runtime';

export interface GetFileInfoInput {
  path: string;
}

export interface GetFileInfoOutput {
  content: string;
}

/** Retrieve detailed metadata about a file or directory. Returns comprehensive information including size, creation time, last modified time, permissions, and type. This tool is perfect for understanding file characteristics without reading the actual content. Only works within allowed directories. */
export async function getFileInfo(input: GetFileInfoInput): Promise<GetFileInfoOutput> {
  return callMcpTool<GetFileInfoOutput>("filesystem", "get_file_info", input);
}
