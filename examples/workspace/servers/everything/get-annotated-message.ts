import { callMcpTool } from '../runtime';

export interface GetAnnotatedMessageInput {
  /** Type of message to demonstrate different annotation patterns */
  messageType: "error" | "success" | "debug";
  /** Whether to include an example image */
  includeImage?: boolean;
}

/** Demonstrates how annotations can be used to provide metadata about content. */
export async function getAnnotatedMessage(input: GetAnnotatedMessageInput): Promise<unknown> {
  return callMcpTool<unknown>("everything", "get-annotated-message", input);
}
