/**
 * MCP tool contracts on disk: written beside the fixtures when a live run is recorded
 * (`contracts/<server>.json`), and read from every skill in ./skills to compare with the
 * workspace's live servers (`skills doctor`, and `servers sync` through `contractImpact`).
 * Everything read is bounded and never followed through a link.
 */
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { checkContracts, contractPath, CONTRACTS_DIR, mergeContract, parseContract, serializeContract, type ContractFile, type ContractProblem, type LiveServer, type LiveTool, type SkillContracts } from '../../../audit/contracts';
import { isSkillsError, SkillsError } from '../../../schema/errors';
import { fixtureSchema, type RecordedCall } from '../../../schema/fixture';
import { manifestSchema } from '../../../schema/manifest';
import { SERVER_NAME_RE } from '../../../schema/names';
import type { ServerConfig } from '../../../schema/workspace';
import { mcpOptions, McpServers } from './connect';
import { loadWorkspace, workspaceDirs } from '../workspace/files';
import { writeFileAtomic } from '../workspace/write-atomic';

const MAX_SKILLS = 1000;
const MAX_FIXTURES = 200;
const MAX_FIXTURE_BYTES = 4 * 1024 * 1024;
const MAX_CONTRACT_FILES = 64;
const MAX_CONTRACT_FILE_BYTES = 256 * 1024;
const MAX_MANIFEST_BYTES = 1024 * 1024;

/**
 * After a recorded live run: writes `contracts/<server>.json` in the skill folder for every server
 * the run called, with the input (and output) schema of each tool it used, merged with what was
 * recorded before. Returns the files written and the tools whose schemas could not be kept.
 */
export async function recordContracts(skillDir: string, recorded: readonly RecordedCall[], listTools: (server: string) => Promise<readonly LiveTool[]>): Promise<{ files: string[]; skipped: string[] }> {
  const used = new Map<string, Set<string>>();
  for (const call of recorded) {
    const set = used.get(call.server) ?? new Set<string>();
    set.add(call.tool);
    used.set(call.server, set);
  }
  const files: string[] = [];
  const skipped: string[] = [];
  // No trailing slash: lstat of "contracts/" would follow a link.
  const folder = path.join(skillDir, CONTRACTS_DIR.slice(0, -1));
  const dir = await fs.lstat(folder).catch(() => undefined);
  if (dir && !dir.isDirectory()) {
    throw new SkillsError('EWORKSPACELINK', `${folder} is ${dir.isSymbolicLink() ? 'a symbolic link' : 'not a folder'}; contracts are never written through it`, { hint: 'make contracts/ a real folder in the skill' });
  }
  for (const server of [...used.keys()].sort()) {
    if (!SERVER_NAME_RE.test(server)) continue;
    const file = path.join(skillDir, contractPath(server));
    const existing = await readBounded(file, MAX_CONTRACT_FILE_BYTES).then((text) => (text === undefined ? undefined : parseContract(text))).catch(() => undefined);
    const merged = mergeContract(server, existing?.ok ? existing.contract : undefined, [...(used.get(server) ?? [])].sort(), await listTools(server));
    skipped.push(...merged.skipped.map((t) => `${server}.${t}`));
    await fs.mkdir(path.dirname(file), { recursive: true });
    await writeFileAtomic(file, serializeContract(merged.contract));
    files.push(file);
  }
  return { files, skipped };
}

/** The text of a regular file, read without following a link and no further than `max`; undefined when absent. */
async function readBounded(file: string, max: number): Promise<string | undefined> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ELOOP' || code === 'ENOTDIR') return undefined;
    throw error;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile() || stat.size > max) return undefined;
    const buffer = Buffer.alloc(Math.min(stat.size, max) + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    if (bytesRead > max) return undefined;
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

/** The entries of a real folder (a link, or anything else, lists as empty: never followed). */
async function listDir(dir: string): Promise<{ name: string; file: boolean; dir: boolean }[]> {
  const stat = await fs.lstat(dir.replace(/\/+$/, '')).catch(() => undefined);
  if (!stat?.isDirectory()) return [];
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries.map((e) => ({ name: e.name, file: e.isFile(), dir: e.isDirectory() })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export interface LoadedContracts {
  skills: SkillContracts[];
  /** Files that were skipped, with why (unreadable, invalid, over a bound). */
  warnings: string[];
}

/** The contracts, declarations and recorded calls of every skill folder in ./skills. */
export async function loadSkillContracts(root: string): Promise<LoadedContracts> {
  const dirs = await workspaceDirs(root);
  const warnings: string[] = [];
  const skills: SkillContracts[] = [];
  if (!dirs.skills) return { skills, warnings };
  const folders = (await listDir(dirs.skills)).filter((e) => e.dir && !e.name.startsWith('.'));
  for (const folder of folders.slice(0, MAX_SKILLS)) {
    const dir = path.join(dirs.skills, folder.name);
    const loaded = await loadOne(dir, folder.name, warnings);
    if (loaded) skills.push(loaded);
  }
  if (folders.length > MAX_SKILLS) warnings.push(`only the first ${MAX_SKILLS} skill folders were checked`);
  return { skills, warnings };
}

async function loadOne(dir: string, folder: string, warnings: string[]): Promise<SkillContracts | undefined> {
  let name = folder;
  let declared: Record<string, readonly string[]> = {};
  const manifestText = await readBounded(path.join(dir, 'skill.json'), MAX_MANIFEST_BYTES).catch(() => undefined);
  if (manifestText !== undefined) {
    try {
      const manifest = manifestSchema.safeParse(JSON.parse(manifestText));
      if (manifest.success) {
        name = manifest.data.name;
        declared = manifest.data.mcp;
      } else warnings.push(`skills/${folder}/skill.json is not valid; its MCP declaration was not checked`);
    } catch {
      warnings.push(`skills/${folder}/skill.json is not JSON; its MCP declaration was not checked`);
    }
  }
  const contracts = new Map<string, ContractFile>();
  const contractFiles = (await listDir(path.join(dir, CONTRACTS_DIR))).filter((e) => e.file && e.name.endsWith('.json'));
  for (const entry of contractFiles.slice(0, MAX_CONTRACT_FILES)) {
    const rel = `${CONTRACTS_DIR}${entry.name}`;
    const text = await readBounded(path.join(dir, rel), MAX_CONTRACT_FILE_BYTES).catch(() => undefined);
    const parsed = text === undefined ? undefined : parseContract(text);
    if (!parsed?.ok || contractPath(parsed.contract.server) !== rel) {
      warnings.push(`skills/${folder}/${rel} is not a valid contract${parsed && !parsed.ok ? ` (${parsed.message})` : ''}; it was ignored`);
      continue;
    }
    contracts.set(parsed.contract.server, parsed.contract);
  }
  const calls: SkillContracts['calls'][number][] = [];
  const fixtureFiles = (await listDir(path.join(dir, 'fixtures'))).filter((e) => e.file && e.name.endsWith('.json'));
  for (const entry of fixtureFiles.slice(0, MAX_FIXTURES)) {
    const text = await readBounded(path.join(dir, 'fixtures', entry.name), MAX_FIXTURE_BYTES).catch(() => undefined);
    if (text === undefined) continue;
    let fixture;
    try {
      fixture = fixtureSchema.safeParse(JSON.parse(text));
    } catch {
      continue;
    }
    if (!fixture.success) continue;
    const caseName = entry.name.slice(0, -'.json'.length);
    for (const call of fixture.data.mcp) {
      calls.push({ fixture: caseName, server: call.server, tool: call.tool, arguments: call.arguments, ...(call.result.structuredContent !== undefined ? { structuredContent: call.result.structuredContent } : {}) });
    }
  }
  if (Object.keys(declared).length === 0 && contracts.size === 0 && calls.length === 0) return undefined;
  return { skill: name, folder, declared, contracts, calls };
}

/** The servers the skills use, as configured and listed now. */
async function listServers(names: readonly string[], configured: Record<string, ServerConfig>, root: string, env: NodeJS.ProcessEnv, progress: (m: string) => void): Promise<Map<string, LiveServer>> {
  const servers = new McpServers(configured, mcpOptions(root, env));
  const live = new Map<string, LiveServer>();
  try {
    for (const name of names) {
      if (!configured[name]) continue;
      progress(`listing the tools of ${name}`);
      try {
        live.set(name, { tools: await servers.listTools(name) });
      } catch (error) {
        live.set(name, { error: error instanceof Error ? error.message : String(error), code: isSkillsError(error) ? error.code : 'EMCPCONNECT' });
      }
    }
  } finally {
    await servers.close();
  }
  return live;
}

export interface DoctorResult {
  root: string;
  ok: boolean;
  skills: { skill: string; folder: string; servers: string[]; contracts: string[] }[];
  servers: { server: string; tools: number | null; error: string | null }[];
  problems: ContractProblem[];
  warnings: string[];
}

/**
 * `skills doctor`: every installed skill's MCP tools against the workspace's live servers. With
 * `folders`, only those skills/<folder> (e.g. the skills an install just added).
 */
export async function doctor(root: string, env: NodeJS.ProcessEnv, progress: (m: string) => void, folders?: ReadonlySet<string>): Promise<DoctorResult> {
  const { workspace } = await loadWorkspace(root);
  const configured = workspace?.servers ?? {};
  const loaded = await loadSkillContracts(root);
  const warnings = loaded.warnings;
  const skills = folders ? loaded.skills.filter((s) => folders.has(s.folder)) : loaded.skills;
  const used = new Set<string>();
  for (const s of skills) for (const server of [...Object.keys(s.declared), ...s.contracts.keys(), ...s.calls.map((c) => c.server)]) used.add(server);
  const live = await listServers([...used].sort(), configured, root, env, progress);
  const problems = checkContracts(skills, live, new Set(Object.keys(configured)));
  return {
    root,
    ok: !problems.some((p) => p.severity === 'error'),
    skills: skills.map((s) => ({ skill: s.skill, folder: s.folder, servers: [...new Set([...Object.keys(s.declared), ...s.contracts.keys()])].sort(), contracts: [...s.contracts.keys()].sort() })),
    servers: [...live.entries()].map(([server, state]) => ({ server, tools: 'tools' in state ? state.tools.length : null, error: 'error' in state ? state.error : null })),
    problems,
    warnings,
  };
}

/**
 * For `servers sync` (and install): which installed skills the servers just listed break or drift.
 * Only the servers in `listed` are checked (a sync of one server says nothing about the others).
 */
export async function contractImpact(root: string, listed: ReadonlyMap<string, readonly Tool[]>): Promise<{ problems: ContractProblem[]; affected: string[]; warnings: string[] }> {
  const { skills, warnings } = await loadSkillContracts(root);
  const live = new Map<string, LiveServer>([...listed.entries()].map(([server, tools]) => [server, { tools }]));
  const problems = checkContracts(skills, live, new Set(listed.keys())).filter((p) => listed.has(p.server));
  return { problems, affected: [...new Set(problems.map((p) => p.skill))].sort(), warnings };
}
