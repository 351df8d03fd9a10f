/**
 * Building, reading and comparing the tool index (`servers/.index.json`, see schema/tool-index.ts).
 * Tool lists come from MCP servers (hostile): names are checked, counts, descriptions and schema
 * sizes bounded before anything is written.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { canonicalJson } from '../../../schema/canonical-json';
import { SkillsError } from '../../../schema/errors';
import { findJsonDepthExcess, MAX_JSON_DEPTH } from '../../../schema/json-depth';
import { TOOL_NAME_RE, toolExportNames } from '../../../schema/names';
import {
  MAX_INDEXED_DESCRIPTION,
  MAX_INDEXED_SCHEMA_CHARS,
  MAX_TOOL_INDEX_BYTES,
  MAX_TOOLS_PER_SERVER,
  TOOL_INDEX_FILE,
  TOOL_INDEX_VERSION,
  toolIndexSchema,
  type IndexedServer,
  type IndexedTool,
  type ToolIndex,
} from '../../../schema/tool-index';
import { firstSentence, toolSummary, visibleText } from '../../../schema/tool-text';
import type { ServerConfig } from '../../../schema/workspace';

export const SERVERS_DIR = 'servers';

export function digest(value: unknown): string {
  return `sha256-${createHash('sha256').update(canonicalJson(value)).digest('base64')}`;
}

/** How skills.json starts or reaches a server, without env or headers (where secrets live). */
export function configDigest(config: ServerConfig): string {
  return digest('url' in config ? { url: config.url } : { command: config.command, args: config.args, cwd: config.cwd ?? null });
}

/**
 * What servers/<server>/ calls the file of each tool: its name with `.` as `_` (so `x.js` stays
 * a TypeScript module path), unless that clashes, without case, with another file.
 */
export function toolFileNames(names: readonly string[]): Map<string, string> {
  const taken = new Set(['index', 'shared', 'readme']);
  const files = new Map<string, string>();
  for (const name of [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    const safe = name.replace(/[^A-Za-z0-9_-]/g, '_');
    const base = /^[A-Za-z0-9_]/.test(safe) ? safe : `_${safe}`;
    let file = base;
    for (let n = 2; taken.has(file.toLowerCase()); n++) file = `${base}_${n}`;
    taken.add(file.toLowerCase());
    files.set(name, `${file}.ts`);
  }
  return files;
}

export interface SkippedTool {
  name: string;
  reason: string;
}

export interface ServerInfo {
  name?: string | undefined;
  title?: string | undefined;
  version?: string | undefined;
  description?: string | undefined;
}

/** A server's one-line purpose: its own description, else its title or name and version. */
export function serverPurpose(info: ServerInfo | undefined): string {
  if (!info) return '';
  const text = typeof info.description === 'string' && info.description.trim() !== '' ? info.description : [info.title || info.name, info.version].filter((x) => typeof x === 'string' && x !== '').join(' ');
  return firstSentence(visibleText(text), 160);
}

function boundedSchema(schema: unknown): { value: Record<string, unknown>; ok: boolean } {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return { value: { type: 'object' }, ok: false };
  if (findJsonDepthExcess(schema, MAX_JSON_DEPTH)) return { value: { type: 'object' }, ok: false };
  if (canonicalJson(schema).length > MAX_INDEXED_SCHEMA_CHARS) return { value: { type: 'object' }, ok: false };
  return { value: schema as Record<string, unknown>, ok: true };
}

/** The index entry of one server from its tools/list answer. */
export function indexServer(server: string, tools: readonly Tool[], purpose: string, config: ServerConfig): { entry: IndexedServer; skipped: SkippedTool[] } {
  if (tools.length > MAX_TOOLS_PER_SERVER) {
    throw new SkillsError('ETOOMANYTOOLS', `MCP server "${server}" lists ${tools.length} tools; skills servers sync indexes at most ${MAX_TOOLS_PER_SERVER} per server`, {
      hint: 'configure the server to expose fewer tools (many servers take a tool filter option)',
    });
  }
  const skipped: SkippedTool[] = [];
  const valid: Tool[] = [];
  const seen = new Set<string>();
  for (const tool of tools) {
    const name = typeof tool.name === 'string' ? tool.name : '';
    if (!TOOL_NAME_RE.test(name)) skipped.push({ name: name.slice(0, 80), reason: 'not a valid MCP tool name (letters, digits, _ - . only, 1-128 characters); left out' });
    else if (seen.has(name)) skipped.push({ name, reason: 'listed twice; the first definition is kept' });
    else {
      seen.add(name);
      valid.push(tool);
    }
  }
  valid.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const exports = toolExportNames(valid.map((t) => t.name));
  const files = toolFileNames(valid.map((t) => t.name));
  const indexed: IndexedTool[] = valid.map((tool) => {
    const input = boundedSchema(tool.inputSchema);
    const output = tool.outputSchema === undefined ? undefined : boundedSchema(tool.outputSchema);
    if (!input.ok || (output && !output.ok)) skipped.push({ name: tool.name, reason: `${input.ok ? 'output' : 'input'} schema is not an object, nested deeper than ${MAX_JSON_DEPTH} levels or over ${MAX_INDEXED_SCHEMA_CHARS} characters; typed as a plain object` });
    const description = typeof tool.description === 'string' ? visibleText(tool.description.slice(0, MAX_INDEXED_DESCRIPTION)) : '';
    const rawTitle = typeof tool.title === 'string' ? tool.title : typeof tool.annotations?.title === 'string' ? tool.annotations.title : undefined;
    const title = rawTitle === undefined ? undefined : visibleText(rawTitle.slice(0, 500)).replace(/\s+/g, ' ');
    return {
      name: tool.name,
      export: exports.get(tool.name) ?? tool.name,
      file: files.get(tool.name) ?? `${tool.name}.ts`,
      ...(title !== undefined ? { title } : {}),
      summary: toolSummary(description, title),
      description,
      digest: digest({ name: tool.name, title: tool.title ?? null, description: tool.description ?? null, inputSchema: tool.inputSchema ?? null, outputSchema: tool.outputSchema ?? null, annotations: tool.annotations ?? null }),
      inputSchema: input.value,
      ...(output ? { outputSchema: output.value } : {}),
    };
  });
  const entry: IndexedServer = {
    digest: digest(indexed.map((t) => [t.name, t.digest])),
    config: configDigest(config),
    purpose: purpose.slice(0, 200),
    tools: indexed,
  };
  return { entry, skipped };
}

export function toolIndexPath(root: string): string {
  return path.join(root, SERVERS_DIR, TOOL_INDEX_FILE);
}

/**
 * The saved index, or undefined when there is none. A link, an oversized file or one that is not
 * a valid index is ETOOLINDEX.
 */
export async function readToolIndex(root: string): Promise<ToolIndex | undefined> {
  const file = toolIndexPath(root);
  const rel = `${SERVERS_DIR}/${TOOL_INDEX_FILE}`;
  const hint = 'run `skills servers sync` to write it again';
  const dirStat = await fs.lstat(path.dirname(file)).catch(() => undefined);
  if (dirStat && !dirStat.isDirectory()) throw new SkillsError('ETOOLINDEX', `${SERVERS_DIR} is ${dirStat.isSymbolicLink() ? 'a symbolic link' : 'not a folder'}; skills never reads the tool index through a link`, { hint: 'make ./servers a real folder, then run `skills servers sync`' });
  const stat = await fs.lstat(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!stat) return undefined;
  if (!stat.isFile()) throw new SkillsError('ETOOLINDEX', `${rel} is not a regular file`, { hint });
  if (stat.size > MAX_TOOL_INDEX_BYTES) throw new SkillsError('ETOOLINDEX', `${rel} is ${stat.size} bytes, over the ${MAX_TOOL_INDEX_BYTES} byte limit`, { hint });
  let json: unknown;
  try {
    json = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch {
    throw new SkillsError('ETOOLINDEX', `${rel} is not valid JSON`, { hint });
  }
  const parsed = toolIndexSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SkillsError('ETOOLINDEX', `${rel} is not a valid tool index${issue ? ` (${issue.path.slice(0, 6).join('.')}: ${issue.message})` : ''}`, { hint });
  }
  return parsed.data;
}

export function emptyIndex(): ToolIndex {
  return { version: TOOL_INDEX_VERSION, servers: {} };
}
