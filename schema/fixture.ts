/** `fixtures/<case>.json`: one recorded verification case (DESIGN.md "A fixture"). */
import { z } from 'zod';
import { refineJsonDepth } from './json-depth';
import { SERVER_NAME_RE, TOOL_NAME_RE } from './names';

/** An MCP content block; only `type` is interpreted, the rest is kept as recorded. */
export const contentBlockSchema = z.looseObject({ type: z.string() });

/** The recorded `CallToolResult` of an MCP `tools/call`. */
export const callToolResultSchema = z.looseObject({
  content: z.array(contentBlockSchema).default([]),
  structuredContent: z.record(z.string(), z.unknown()).optional(),
  isError: z.boolean().optional(),
});

export const recordedCallSchema = z.object({
  server: z.string().regex(SERVER_NAME_RE),
  tool: z.string().regex(TOOL_NAME_RE),
  arguments: z.record(z.string(), z.unknown()).default({}),
  result: callToolResultSchema,
});

export const fixtureExpectSchema = z
  .object({
    /** The value the call must return, compared by deep equality after JSON conversion. */
    returns: z.unknown().optional(),
    /** The call must throw (or reject) with a message containing this text. */
    throws: z.string().optional(),
  })
  .superRefine((value, ctx) => {
    const hasReturns = Object.hasOwn(value, 'returns');
    const hasThrows = value.throws !== undefined;
    if (hasReturns === hasThrows) {
      ctx.addIssue({ code: 'custom', message: 'expect needs exactly one of "returns" or "throws"' });
    }
  });

export const fixtureSchema = z
  .object({
    description: z.string().max(1024).optional(),
    call: z.object({
      /** A named export of the skill's entry. */
      export: z.string().regex(/^[A-Za-z_$][A-Za-z0-9_$]*$/, 'must be a JavaScript identifier'),
      args: z.array(z.unknown()).default([]),
    }),
    mcp: z.array(recordedCallSchema).default([]),
    /** Seed of the in-memory `./workspace` folder in replay mode: path -> UTF-8 content. */
    workspace: z.record(z.string(), z.string()).optional(),
    expect: fixtureExpectSchema,
  })
  // Recorded values are free-form JSON that reaches structured clone and the sandbox: bounded.
  .superRefine(refineJsonDepth);

export type CallToolResult = z.infer<typeof callToolResultSchema>;
export type RecordedCall = z.infer<typeof recordedCallSchema>;
export type Fixture = z.infer<typeof fixtureSchema>;
export type FixtureInput = z.input<typeof fixtureSchema>;
