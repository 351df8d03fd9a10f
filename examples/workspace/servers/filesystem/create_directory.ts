import { callMcpTool } from '../runtime';

export interface CreateDirectoryInput {
  path: string;
}

export interface CreateDirectoryOutput {
  content: string;
}

/** Create a new directory or ensure a directory exists. Can create multiple nested directories in one operation. If the directory already exists, this operation will succeed silently. Perfect for setting up directory structures for projects or ensuring required paths exist. Only works within allowed directories. */
export async function createDirectory(input: CreateDirectoryInput): Promise<CreateDirectoryOutput> {
  return callMcpTool<CreateDirectoryOutput>("filesystem", "create_directory", input);
}
