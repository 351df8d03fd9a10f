import { callMcpTool } from '../runtime';

export interface EditFileInput {
  path: string;
  edits: Array<{
    /** Text to search for - must match exactly */
    oldText: string;
    /** Text to replace with */
    newText: string;
  }>;
  /** Preview changes using git-style diff format */
  dryRun?: boolean;
}

export interface EditFileOutput {
  content: string;
}

/** Make line-based edits to a text file. Each edit replaces exact line sequences with new content. Returns a git-style diff showing the changes made. Only works within allowed directories. */
export async function editFile(input: EditFileInput): Promise<EditFileOutput> {
  return callMcpTool<EditFileOutput>("filesystem", "edit_file", input);
}
