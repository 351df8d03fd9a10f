/**
 * MCP tool contracts: what a skill relies on from each MCP server, recorded with its fixtures in
 * `contracts/<server>.json`:
 *
 * ```json
 * { "server": "google-sheets",
 *   "tools": { "get_sheet": { "inputSchema": { ... }, "outputSchema": { ... } } } }
 * ```
 *
 * Schemas are normalised (annotations dropped, keys sorted), so a file changes only when a shape
 * does. Checking compares them, and the arguments the fixtures send, with a server's live tool
 * list: a missing tool is an error (`EMCPCONTRACT`: the skill would fail); an argument that no
 * longer validates, or a changed output schema, is a drift warning (`EMCPDRIFT`) naming the tool,
 * the field and the skill.
 */
import { z } from 'zod';
import { findJsonDepthExcess } from '../schema/json-depth';
import { SERVER_NAME_RE, TOOL_NAME_RE } from '../schema/names';
import { checkValue, normalizeSchema, schemaDifferences, SchemaTooLarge, type Json, type SchemaIssue } from './json-schema';
import { finding, type Emit } from './types';

export const CONTRACTS_DIR = 'contracts/';
export const MAX_CONTRACT_BYTES = 256 * 1024;
export const MAX_CONTRACT_TOOLS = 128;
export const MAX_CONTRACT_DEPTH = 40;

const jsonValue: z.ZodType<Json> = z.lazy(() => z.union([z.null(), z.boolean(), z.number(), z.string(), z.array(jsonValue), z.record(z.string(), jsonValue)]));

export const toolContractSchema = z.strictObject({
  inputSchema: z.record(z.string(), jsonValue),
  outputSchema: z.record(z.string(), jsonValue).optional(),
});

export const contractFileSchema = z.strictObject({
  server: z.string().regex(SERVER_NAME_RE),
  tools: z.record(z.string().regex(TOOL_NAME_RE), toolContractSchema).refine((tools) => Object.keys(tools).length <= MAX_CONTRACT_TOOLS, `at most ${MAX_CONTRACT_TOOLS} tools`),
});

export type ToolContract = z.infer<typeof toolContractSchema>;
export type ContractFile = z.infer<typeof contractFileSchema>;

/** A tool as `tools/list` returns it (only what contracts use). */
export interface LiveTool {
  name: string;
  inputSchema?: unknown;
  outputSchema?: unknown;
}

export function contractPath(server: string): string {
  return `${CONTRACTS_DIR}${server}.json`;
}

/** Parses a contract file's text: the contract, or why it is not one. */
export function parseContract(text: string): { ok: true; contract: ContractFile } | { ok: false; message: string } {
  if (text.length > MAX_CONTRACT_BYTES) return { ok: false, message: `larger than ${MAX_CONTRACT_BYTES} bytes` };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `not JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (findJsonDepthExcess(raw, MAX_CONTRACT_DEPTH)) return { ok: false, message: `nested deeper than ${MAX_CONTRACT_DEPTH} levels` };
  const parsed = contractFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, message: issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid' };
  }
  return { ok: true, contract: parsed.data };
}

/** Audit rule `contract-invalid` (medium): a contracts/*.json that is not a contract. */
export function checkContractFile(path: string, text: string, emit: Emit): void {
  const parsed = parseContract(text);
  if (!parsed.ok) {
    emit(finding('contract-invalid', 'medium', path, 0, `not a valid MCP tool contract (${parsed.message.slice(0, 200)}); skills doctor will ignore it`, ''));
    return;
  }
  const expected = contractPath(parsed.contract.server);
  if (expected !== path) emit(finding('contract-invalid', 'medium', path, 0, `the contract of server "${parsed.contract.server}" belongs in ${expected}`, ''));
}

/** The contract entry of a live tool, normalised; undefined when its schemas are too large to keep. */
export function toolContract(tool: LiveTool): ToolContract | undefined {
  try {
    const inputSchema = normalizeSchema(tool.inputSchema ?? { type: 'object' });
    const outputSchema = tool.outputSchema === undefined ? undefined : normalizeSchema(tool.outputSchema);
    if (!isRecord(inputSchema) || (outputSchema !== undefined && !isRecord(outputSchema))) return undefined;
    return { inputSchema, ...(outputSchema !== undefined ? { outputSchema } : {}) };
  } catch (error) {
    if (error instanceof SchemaTooLarge) return undefined;
    throw error;
  }
}

function isRecord(value: Json): value is { [key: string]: Json } {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The contract file after a recording: the tools used now (from the live list) replace their
 * entries, tools recorded before stay. Deterministic: tools sorted, schemas normalised.
 */
export function mergeContract(server: string, existing: ContractFile | undefined, used: readonly string[], live: readonly LiveTool[]): { contract: ContractFile; skipped: string[] } {
  const tools: Record<string, ToolContract> = { ...(existing?.server === server ? existing.tools : {}) };
  const skipped: string[] = [];
  for (const name of used) {
    const tool = live.find((t) => t.name === name);
    const entry = tool ? toolContract(tool) : undefined;
    if (entry) tools[name] = entry;
    else skipped.push(name);
  }
  const sorted = Object.fromEntries(Object.keys(tools).sort().slice(0, MAX_CONTRACT_TOOLS).map((k) => [k, tools[k] as ToolContract]));
  return { contract: { server, tools: sorted }, skipped };
}

/** The file's text: two-space JSON with sorted keys and a final newline. */
export function serializeContract(contract: ContractFile): string {
  return `${JSON.stringify(contract, null, 2)}\n`;
}

/** What checking needs of one installed skill. */
export interface SkillContracts {
  /** The skill's name (`@scope/name`, or its folder for a local skill without skill.json). */
  skill: string;
  folder: string;
  /** skill.json `mcp`: server -> tools the code may call. */
  declared: Record<string, readonly string[]>;
  contracts: ReadonlyMap<string, ContractFile>;
  /** Every recorded MCP call of its fixtures. */
  calls: readonly { fixture: string; server: string; tool: string; arguments: Record<string, unknown>; structuredContent?: unknown }[];
}

/** A server's live tools, or why they could not be listed. */
export type LiveServer = { tools: readonly LiveTool[] } | { error: string; code: string };

export interface ContractProblem {
  /** EMCPCONTRACT: the skill would fail. EMCPDRIFT: it may misbehave. EMCPCONNECT, EMCPSERVERUNKNOWN: it could not be checked. */
  code: 'EMCPCONTRACT' | 'EMCPDRIFT' | 'EMCPCONNECT' | 'EMCPSERVERUNKNOWN';
  severity: 'error' | 'warning';
  skill: string;
  server: string;
  tool: string | null;
  field: string | null;
  fixture: string | null;
  message: string;
}

const MAX_PROBLEMS_PER_TOOL = 10;

/**
 * Compares installed skills with live servers. `live` holds the servers that were listed (a
 * server a skill uses that is not in `live` is reported when `configured` does not know it, and
 * skipped otherwise: `servers sync` of one server checks only that one).
 */
export function checkContracts(skills: readonly SkillContracts[], live: ReadonlyMap<string, LiveServer>, configured: ReadonlySet<string>): ContractProblem[] {
  const problems: ContractProblem[] = [];
  for (const skill of skills) {
    const servers = new Set<string>([...Object.keys(skill.declared), ...skill.contracts.keys(), ...skill.calls.map((c) => c.server)]);
    for (const server of [...servers].sort()) {
      const base = { skill: skill.skill, server };
      if (!configured.has(server)) {
        problems.push({ ...base, code: 'EMCPSERVERUNKNOWN', severity: 'error', tool: null, field: null, fixture: null, message: `${skill.skill} uses the MCP server "${server}", which skills.json does not configure` });
        continue;
      }
      const state = live.get(server);
      if (!state) continue;
      if ('error' in state) {
        problems.push({ ...base, code: 'EMCPCONNECT', severity: 'error', tool: null, field: null, fixture: null, message: `${skill.skill} uses "${server}", which could not be listed: ${state.error.slice(0, 300)}` });
        continue;
      }
      const contract = skill.contracts.get(server);
      const tools = new Set<string>([...(skill.declared[server] ?? []), ...Object.keys(contract?.tools ?? {}), ...skill.calls.filter((c) => c.server === server).map((c) => c.tool)]);
      for (const tool of [...tools].sort()) problems.push(...checkTool(skill, server, tool, state.tools, contract?.tools[tool]));
    }
  }
  return problems;
}

function checkTool(skill: SkillContracts, server: string, tool: string, liveTools: readonly LiveTool[], recorded: ToolContract | undefined): ContractProblem[] {
  const base = { skill: skill.skill, server, tool };
  const live = liveTools.find((t) => t.name === tool);
  if (!live) {
    const names = liveTools.map((t) => t.name).sort();
    return [
      {
        ...base,
        code: 'EMCPCONTRACT',
        severity: 'error',
        field: null,
        fixture: null,
        message: `${skill.skill} calls ${server}.${tool}, which the server no longer lists (it lists ${names.slice(0, 12).join(', ') || 'no tools'}${names.length > 12 ? ', ...' : ''}): the skill would fail`,
      },
    ];
  }
  const out: ContractProblem[] = [];
  const seen = new Set<string>();
  const add = (problem: Omit<ContractProblem, 'skill' | 'server' | 'tool'>) => {
    const key = `${problem.field}\u0000${problem.message}`;
    if (seen.has(key) || out.length >= MAX_PROBLEMS_PER_TOOL) return;
    seen.add(key);
    out.push({ ...base, ...problem });
  };
  let current: ToolContract | undefined;
  try {
    current = toolContract(live);
  } catch {
    current = undefined;
  }
  const liveInput = (current?.inputSchema ?? live.inputSchema) as { properties?: unknown; additionalProperties?: unknown } | undefined;
  const known = liveInput && typeof liveInput.properties === 'object' && liveInput.properties !== null && liveInput.additionalProperties === undefined ? (liveInput.properties as Record<string, unknown>) : undefined;
  for (const call of skill.calls.filter((c) => c.server === server && c.tool === tool)) {
    for (const key of Object.keys(call.arguments)) {
      if (known && !Object.hasOwn(known, key)) {
        add({ code: 'EMCPDRIFT', severity: 'warning', field: key, fixture: call.fixture, message: `${skill.skill} (fixture ${call.fixture}) sends ${server}.${tool} the argument ${key}, which the live input schema no longer has` });
      }
    }
    for (const issue of checkValue(liveInput, call.arguments)) {
      add({ code: 'EMCPDRIFT', severity: 'warning', field: issue.field || null, fixture: call.fixture, message: `${skill.skill} (fixture ${call.fixture}) sends ${server}.${tool} an argument the live input schema no longer accepts: ${describe(issue)}` });
    }
  }
  if (recorded && current) {
    if (recorded.outputSchema !== undefined && current.outputSchema === undefined) {
      add({ code: 'EMCPDRIFT', severity: 'warning', field: null, fixture: null, message: `${server}.${tool} no longer declares the output schema ${skill.skill} was recorded with` });
    } else if (recorded.outputSchema !== undefined && JSON.stringify(recorded.outputSchema) !== JSON.stringify(current.outputSchema)) {
      const failing = skill.calls.filter((c) => c.server === server && c.tool === tool && c.structuredContent !== undefined).flatMap((c) => checkValue(current?.outputSchema, c.structuredContent).map((issue) => ({ issue, fixture: c.fixture })));
      for (const { issue, fixture } of failing) {
        add({ code: 'EMCPDRIFT', severity: 'warning', field: issue.field || null, fixture, message: `${server}.${tool} changed its output schema: what ${skill.skill} recorded (fixture ${fixture}) no longer matches: ${describe(issue)}` });
      }
      for (const issue of schemaDifferences(recorded.outputSchema, current.outputSchema)) {
        add({ code: 'EMCPDRIFT', severity: 'warning', field: issue.field || null, fixture: null, message: `${server}.${tool} changed its output schema since ${skill.skill} was recorded: ${describe(issue)}` });
      }
    }
    if (out.length === 0 && JSON.stringify(recorded.inputSchema) !== JSON.stringify(current.inputSchema)) {
      for (const issue of schemaDifferences(recorded.inputSchema, current.inputSchema).filter((i) => /removed|type changed|newly required/.test(i.message))) {
        add({ code: 'EMCPDRIFT', severity: 'warning', field: issue.field || null, fixture: null, message: `${server}.${tool} changed its input schema since ${skill.skill} was recorded: ${describe(issue)}` });
      }
    }
  }
  return out;
}

function describe(issue: SchemaIssue): string {
  return issue.field === '' ? issue.message : `${issue.field} ${issue.message}`;
}

/** The skills a set of problems names, for `servers sync` to report which are affected. */
export function affectedSkills(problems: readonly ContractProblem[]): string[] {
  return [...new Set(problems.map((p) => p.skill))].sort();
}
