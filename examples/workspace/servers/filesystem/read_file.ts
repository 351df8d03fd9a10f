import { callMcpTool } from '../runtime';

export interface ReadFileInput {
  path: string;
  /** If provided, returns only the last N lines of the file */
  tail?: number;
  /** If provided, returns only the first N lines of the file */
  head?: number;
}

export interface ReadFileOutput {
  content: string;
}

/** Read the complete contents of a file as text. DEPRECATED: Use read_text_file instead. */
export async function readFile(input: ReadFileInput): Promise<ReadFileOutput> {
  return callMcpTool<ReadFileOutput>("filesystem", "read_file", input);
}
