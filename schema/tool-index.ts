/**
 * The tool index `skills servers sync` saves beside the generated tree (`servers/.index.json`)
 * and `skills search-tools` reads offline: per server, a digest of its tool list and of its
 * connection settings, a one-line purpose, and per tool its name, export name, file, summary,
 * description and schemas. A workspace file, so read as hostile: bounded and validated.
 */
import { z } from 'zod';
import { refineJsonDepth } from './json-depth';
import { SERVER_NAME_RE, TOOL_NAME_RE } from './names';
import { MAX_SUMMARY_CHARS } from './tool-text';

export const TOOL_INDEX_FILE = '.index.json';
export const TOOL_INDEX_VERSION = 1;
/** Tools of one server the tree and the index hold at most. */
export const MAX_TOOLS_PER_SERVER = 5000;
/** A tool's description as the index keeps it (search reads it; tool files cut it shorter). */
export const MAX_INDEXED_DESCRIPTION = 8000;
/** A tool's input or output schema as JSON text, at most. */
export const MAX_INDEXED_SCHEMA_CHARS = 256 * 1024;
/** The index file, at most (read before parsing). */
export const MAX_TOOL_INDEX_BYTES = 64 * 1024 * 1024;

const digestSchema = z.string().regex(/^sha256-[A-Za-z0-9+/]{43}=$/);
const jsonSchemaValue = z.record(z.string(), z.unknown()).superRefine(refineJsonDepth);

export const indexedToolSchema = z.object({
  name: z.string().regex(TOOL_NAME_RE),
  export: z.string().regex(/^[A-Za-z_$][A-Za-z0-9_$]{0,199}$/),
  /** The tool's file, relative to `servers/<server>/`. */
  file: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_-]{0,139}\.ts$/),
  title: z.string().max(500).regex(/^[^\n\r]*$/).optional(),
  summary: z.string().max(MAX_SUMMARY_CHARS).regex(/^[^\n\r]*$/),
  description: z.string().max(MAX_INDEXED_DESCRIPTION),
  /** Digest of this tool's definition, to name what changed between syncs. */
  digest: digestSchema,
  inputSchema: jsonSchemaValue,
  outputSchema: jsonSchemaValue.optional(),
});

export const indexedServerSchema = z.object({
  /** Digest of the server's whole tool list. */
  digest: digestSchema,
  /** Digest of how skills.json starts or reaches it (command, args, cwd or url; never env or headers). */
  config: digestSchema,
  purpose: z.string().max(200).regex(/^[^\n\r]*$/),
  tools: z.array(indexedToolSchema).max(MAX_TOOLS_PER_SERVER),
});

export const toolIndexSchema = z.object({
  version: z.literal(TOOL_INDEX_VERSION),
  servers: z.record(z.string().regex(SERVER_NAME_RE), indexedServerSchema),
});

export type IndexedTool = z.infer<typeof indexedToolSchema>;
export type IndexedServer = z.infer<typeof indexedServerSchema>;
export type ToolIndex = z.infer<typeof toolIndexSchema>;

export interface ServerChanges {
  status: 'new' | 'unchanged' | 'changed';
  added: string[];
  removed: string[];
  changed: string[];
}

/** What changed in a server's tool list since the index was saved. */
export function serverChanges(before: IndexedServer | undefined, after: IndexedServer): ServerChanges {
  if (!before) return { status: 'new', added: after.tools.map((t) => t.name), removed: [], changed: [] };
  if (before.digest === after.digest) return { status: 'unchanged', added: [], removed: [], changed: [] };
  const old = new Map(before.tools.map((t) => [t.name, t.digest]));
  const now = new Map(after.tools.map((t) => [t.name, t.digest]));
  return {
    status: 'changed',
    added: [...now.keys()].filter((n) => !old.has(n)),
    removed: [...old.keys()].filter((n) => !now.has(n)),
    changed: [...now].filter(([n, d]) => old.has(n) && old.get(n) !== d).map(([n]) => n),
  };
}
