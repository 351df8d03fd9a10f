import { callMcpTool } from '../runtime';

export interface WriteFileInput {
  path: string;
  content: string;
}

export interface WriteFileOutput {
  content: string;
}

/** Create a new file or completely overwrite an existing file with new content. Use with caution as it will overwrite existing files without warning. Handles text content with proper encoding. Only works within allowed directories. */
export async function writeFile(input: WriteFileInput): Promise<WriteFileOutput> {
  return callMcpTool<WriteFileOutput>("filesystem", "write_file", input);
}
