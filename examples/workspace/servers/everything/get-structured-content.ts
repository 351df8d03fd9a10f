import { callMcpTool } from '../runtime';

export interface GetStructuredContentInput {
  /** Choose city */
  location: "New York" | "Chicago" | "Los Angeles";
}

export interface GetStructuredContentOutput {
  /** Temperature in celsius */
  temperature: number;
  /** Weather conditions description */
  conditions: string;
  /** Humidity percentage */
  humidity: number;
}

/** Returns structured content along with an output schema for client data validation */
export async function getStructuredContent(input: GetStructuredContentInput): Promise<GetStructuredContentOutput> {
  return callMcpTool<GetStructuredContentOutput>("everything", "get-structured-content", input);
}
