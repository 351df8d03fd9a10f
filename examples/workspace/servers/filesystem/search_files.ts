import { callMcpTool } from '../runtime';

export interface SearchFilesInput {
  path: string;
  pattern: string;
  excludePatterns?: string[];
}

export interface SearchFilesOutput {
  content: string;
}

/** Recursively search for files and directories matching a pattern. The patterns should be glob-style patterns that match paths relative to the working directory. Use pattern like '*.ext' to match files in current directory, and '**\/*.ext' to match files in all subdirectories. Returns full paths to all matching items. Great for finding files when you don't know their exact location. Only searches within allowed directories. */
export async function searchFiles(input: SearchFilesInput): Promise<SearchFilesOutput> {
  return callMcpTool<SearchFilesOutput>("filesystem", "search_files", input);
}
