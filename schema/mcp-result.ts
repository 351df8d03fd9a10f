/**
 * The one MCP tool-result renderer, for both MCP servers (`skills mcp` and the registry's `/mcp`):
 * a value as JSON text plus structuredContent, an error as `CODE: message (hint)` with isError.
 */
import { asSkillsError } from './errors';

export interface McpToolResult {
  [key: string]: unknown;
  content: { type: 'text'; text: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

export function mcpResult(value: unknown): McpToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value, null, 2) }], structuredContent: value as Record<string, unknown> };
}

/** Anything thrown, as a failed tool result; what is not a SkillsError is EINTERNAL with its own message. */
export function mcpError(error: unknown): McpToolResult {
  const failure = asSkillsError(error, error instanceof Error ? error.message : String(error));
  return { content: [{ type: 'text', text: `${failure.code}: ${failure.message} (${failure.hint})` }], isError: true };
}
