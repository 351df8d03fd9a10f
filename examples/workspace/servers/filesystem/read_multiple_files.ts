import { callMcpTool } from '../runtime';

export interface ReadMultipleFilesInput {
  /** Array of file paths to read. Each path must be a string pointing to a valid file within allowed directories. */
  paths: string[];
}

export interface ReadMultipleFilesOutput {
  content: string;
}

/** Read the contents of multiple files simultaneously. This is more efficient than reading files one by one when you need to analyze or compare multiple files. Each file's content is returned with its path as a reference. Failed reads for individual files won't stop the entire operation. Only works within allowed directories. */
export async function readMultipleFiles(input: ReadMultipleFilesInput): Promise<ReadMultipleFilesOutput> {
  return callMcpTool<ReadMultipleFilesOutput>("filesystem", "read_multiple_files", input);
}
