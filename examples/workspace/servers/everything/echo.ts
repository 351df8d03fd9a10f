import { callMcpTool } from '../runtime';

export interface EchoInput {
  /** Message to echo */
  message: string;
}

/** Echoes back the input string */
export async function echo(input: EchoInput): Promise<unknown> {
  return callMcpTool<unknown>("everything", "echo", input);
}
