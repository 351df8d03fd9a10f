/**
 * `skills run`: call one export of a skill in the sandbox and show what it returns. With a
 * fixture, MCP calls are answered from its recordings (an unrecorded call fails); without one, the
 * skill may make no MCP calls. Live calls (`--live`) arrive with the MCP client.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { SkillsError } from '../schema/errors';
import { validatePackage } from '../schema/package';
import { collectFiles } from '../tarball/collect';
import { createReplayBridge, type McpBridge } from './bridge';
import { bundleSkill } from './bundle';
import { DEFAULT_SANDBOX_LIMITS, type SandboxLimits } from './limits';
import { ModuleCache } from './quickjs';
import { runInSandbox, type ConsoleLine, type GuestError, type RunMode } from './run';
import { DiskSourceTree, readManifest } from './source-tree';
import { MemoryWorkspace, WorkspaceError, type WorkspaceStore } from './workspace-store';
import type { McpDeclaration } from '../schema/manifest';

export interface RunSkillOptions {
  /** A skill folder, or a .ts/.js file inside one (then that file is the entry). */
  target: string;
  exportName?: string;
  args?: unknown[];
  /** A fixture case whose recorded MCP calls answer the skill's calls, and whose call is the default. */
  fixture?: string;
  limits?: Partial<SandboxLimits>;
  /** Builds the bridge that answers MCP calls instead of a fixture (live mode), given what skill.json declares (undefined: no skill.json). */
  makeBridge?: (declared: McpDeclaration | undefined) => McpBridge;
  mode?: RunMode;
  /** The workspace root, whose servers/ tree tells which tools a skill without skill.json may import. */
  workspaceRoot?: string;
  /** Backs the `workspace` API (live: the real ./workspace folder); replay uses the fixture's seed. */
  workspace?: WorkspaceStore;
  /** Fixed clock and seeded Math.random (default: in replay mode only; recording sets it so replay matches). */
  deterministic?: boolean;
}

export interface RunSkillResult {
  /** The skill folder. */
  dir: string;
  name: string | null;
  export: string;
  args: unknown[];
  status: 'returned' | 'threw' | 'failed';
  value?: unknown;
  error?: GuestError | { code: string; message: string };
  console: ConsoleLine[];
  calls: number;
  durationMs: number;
}

const cache = new ModuleCache();

export async function runSkill(options: RunSkillOptions): Promise<RunSkillResult> {
  const target = path.resolve(options.target);
  const stat = await fs.stat(target).catch(() => undefined);
  if (!stat) throw new SkillsError('ENOTFOUND', `${target} does not exist`, { hint: 'pass a skill folder or a .ts file inside one' });
  const dir = stat.isDirectory() ? target : path.dirname(target);
  const files = await collectFiles(dir);
  const byPath = new Map(files.map((f) => [f.path, f.bytes]));
  const manifest = readManifest(byPath);
  const entry = stat.isDirectory() ? (manifest?.entry ?? 'index.ts') : path.relative(dir, target).split(path.sep).join('/');
  if (!byPath.has(entry)) throw new SkillsError('EENTRYMISSING', `${path.join(dir, entry)} does not exist`, { hint: 'set "entry" in skill.json or pass the file to run' });

  let exportName = options.exportName;
  let args = options.args;
  // Without skill.json nothing is declared yet: live calls are not restricted (init --from declares them).
  let bridge = options.makeBridge?.(manifest ? manifest.mcp : undefined);
  let seed: Record<string, string> = {};
  if (options.fixture !== undefined) {
    const fixtures = validatePackage(files, {}).fixtures;
    const fixture = fixtures.get(options.fixture);
    if (!fixture) {
      throw new SkillsError('EFIXTURENOTFOUND', `no valid fixture "${options.fixture}" in ${dir}/fixtures`, {
        hint: fixtures.size > 0 ? `choose one of: ${[...fixtures.keys()].join(', ')}` : 'record one first',
      });
    }
    exportName ??= fixture.call.export;
    args ??= fixture.call.args;
    bridge ??= createReplayBridge(fixture.mcp, manifest?.mcp ?? {});
    seed = fixture.workspace ?? {};
  }
  if (exportName === undefined) throw new SkillsError('EUSAGE', 'which export should run?', { hint: 'pass --export <name> (or --fixture <case>)' });
  bridge ??= createReplayBridge([], manifest?.mcp ?? {});

  const folder = path.basename(dir);
  const parent = path.dirname(dir);
  const tree = path.basename(parent) === 'skills' ? new DiskSourceTree(parent) : new DiskSourceTree(parent, folder);
  const root = options.workspaceRoot;
  const bundle = await bundleSkill({ tree, folder, entry, ...(root && !manifest ? { availableTools: (server: string) => toolsFromTree(root, server) } : {}) });
  const outcome = await runInSandbox(cache, {
    code: bundle.code,
    exportName,
    args: args ?? [],
    bridge,
    mode: options.mode ?? 'replay',
    ...(options.deterministic !== undefined ? { deterministic: options.deterministic } : {}),
    workspace: options.workspace ?? seededWorkspace(seed),
    limits: { ...DEFAULT_SANDBOX_LIMITS, ...options.limits },
  });
  const callFailure = bridge.failures[0];
  const base = { dir, name: manifest?.name ?? null, export: exportName, args: args ?? [], console: outcome.console, calls: outcome.callsMade, durationMs: Math.round(outcome.durationMs * 100) / 100 };
  if (outcome.status === 'failed') return { ...base, status: 'failed', error: outcome.failure };
  if (callFailure) return { ...base, status: 'failed', error: callFailure };
  if (outcome.status === 'threw') return { ...base, status: 'threw', error: outcome.error };
  return { ...base, status: 'returned', value: outcome.value };
}

function seededWorkspace(seed: Record<string, string>): MemoryWorkspace {
  try {
    return new MemoryWorkspace(seed);
  } catch (error) {
    if (error instanceof WorkspaceError) throw new SkillsError('EWORKSPACEPATH', `the fixture's workspace seed: ${error.message}`, { hint: 'fix the paths under "workspace" in the fixture' });
    throw error;
  }
}

/** Tool names of a server, read from the generated `servers/<server>/*.ts` files. */
export async function toolsFromTree(root: string, server: string): Promise<string[] | undefined> {
  if (!/^[a-z0-9]+([-_.][a-z0-9]+)*$/.test(server)) return undefined;
  const dir = path.join(root, 'servers', server);
  // Like skill sources, the generated tree is never read through a link.
  if (!(await fs.lstat(dir).catch(() => undefined))?.isDirectory()) return undefined;
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => undefined);
  if (!entries) return undefined;
  const files = entries.filter((e) => e.isFile()).map((e) => e.name);
  const tools: string[] = [];
  for (const file of files.filter((f) => f.endsWith('.ts') && f !== 'index.ts').sort()) {
    const text = await fs.readFile(path.join(dir, file), 'utf8');
    // Anchored on the generated call line: a description in a doc comment never starts a line with it.
    const match = /^ {2}return callMcpTool<[^>\n]*>\(("(?:[^"\\\n]|\\.)*"), ("(?:[^"\\\n]|\\.)*")/m.exec(text);
    if (match?.[2]) tools.push(JSON.parse(match[2]) as string);
  }
  return tools.length > 0 ? tools : undefined;
}
