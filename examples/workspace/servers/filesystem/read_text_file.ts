import { callMcpTool } from '../runtime';

export interface ReadTextFileInput {
  path: string;
  /** If provided, returns only the last N lines of the file */
  tail?: number;
  /** If provided, returns only the first N lines of the file */
  head?: number;
}

export interface ReadTextFileOutput {
  content: string;
}

/** Read the complete contents of a file from the file system as text. Handles various text encodings and provides detailed error messages if the file cannot be read. Use this tool when you need to examine the contents of a single file. Use the 'head' parameter to read only the first N lines of a file, or the 'tail' parameter to read only the last N lines of a file. Operates on the file as text regardless of extension. Only works within allowed directories. */
export async function readTextFile(input: ReadTextFileInput): Promise<ReadTextFileOutput> {
  return callMcpTool<ReadTextFileOutput>("filesystem", "read_text_file", input);
}
