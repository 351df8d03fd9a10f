import { callMcpTool } from '../runtime';

export interface GetSumInput {
  /** First number */
  a: number;
  /** Second number */
  b: number;
}

/** Returns the sum of two numbers */
export async function getSum(input: GetSumInput): Promise<unknown> {
  return callMcpTool<unknown>("everything", "get-sum", input);
}
