/**
 * What an MCP tool call resolves to inside skill code (DESIGN.md "Calling MCP tools"): the
 * result's `structuredContent` when present, else the JSON-parsed text of a single text block,
 * else that text; several text blocks join with newlines; any other content is returned as the
 * content array. `isError: true` rejects with the text.
 */
import type { CallToolResult } from '../schema/fixture';
import { findJsonDepthExcess, jsonDepthMessage } from '../schema/json-depth';

const LOOKS_LIKE_JSON = /^\s*(?:[{["\-0-9]|true\b|false\b|null\b)/;

export type ToolOutcome = { ok: true; value: unknown } | { ok: false; message: string };

export function toolResultToOutcome(result: CallToolResult): ToolOutcome {
  const texts = result.content.filter((b): b is { type: 'text'; text: string } => b.type === 'text' && typeof b.text === 'string').map((b) => b.text);
  if (result.isError === true) {
    return { ok: false, message: texts.join('\n') || 'the MCP tool reported an error' };
  }
  if (result.structuredContent !== undefined) return { ok: true, value: result.structuredContent };
  if (result.content.length === 1 && texts.length === 1) {
    const text = texts[0] ?? '';
    // Throwing SyntaxErrors is slow (a stack per call); only text that can be JSON is parsed.
    if (!LOOKS_LIKE_JSON.test(text)) return { ok: true, value: text };
    let value: unknown;
    try {
      value = JSON.parse(text) as unknown;
    } catch {
      return { ok: true, value: text };
    }
    // Text is not depth-checked with the fixture; what it parses to must be before it crosses into the sandbox.
    const excess = findJsonDepthExcess(value);
    return excess ? { ok: false, message: `the MCP tool result text is ${jsonDepthMessage({ ...excess, path: [] })}` } : { ok: true, value };
  }
  if (texts.length === result.content.length && texts.length > 0) return { ok: true, value: texts.join('\n') };
  return { ok: true, value: result.content };
}
