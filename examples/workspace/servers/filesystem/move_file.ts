import { callMcpTool } from '../runtime';

export interface MoveFileInput {
  source: string;
  destination: string;
}

export interface MoveFileOutput {
  content: string;
}

/** Move or rename files and directories. Can move files between directories and rename them in a single operation. If the destination exists, the operation will fail. Works across different directories and can be used for simple renaming within the same directory. Both source and destination must be within allowed directories. */
export async function moveFile(input: MoveFileInput): Promise<MoveFileOutput> {
  return callMcpTool<MoveFileOutput>("filesystem", "move_file", input);
}
