/**
 * One live run of a skill, set up the same way for `skills run --live` and the `run_skill` tool of
 * `skills mcp`: the MCP servers of skills.json, the call budget and result cap, `privacy` from
 * skills.json (PII tokenization of tool results, arguments and workspace reads on the way in, and
 * of the return value, console output and errors on the way out), and recording a fixture.
 */
import path from 'node:path';
import type { Fixture } from '../../../schema/fixture';
import type { Workspace } from '../../../schema/workspace';
import { createLiveBridge, type BridgePrivacy, type LiveBridge } from '../../../sandbox/live-bridge';
import { PiiTokenizer, type PiiVault } from '../../../sandbox/pii';
import { PrivateWorkspace } from '../../../sandbox/pii-workspace';
import { runSkill, type RunSkillResult } from '../../../sandbox/run-skill';
import { DiskWorkspace } from '../../../sandbox/workspace-store';
import { isSkillsError } from '../../../schema/errors';
import { recordContracts } from '../servers/contracts';
import { mcpOptions, McpServers } from '../servers/connect';
import { buildFixture, fixturePath, writeFixture } from './record';
import { loadWorkspace } from '../workspace/files';

const LIVE_TIMEOUT_MS = 30_000;

export interface LiveRunRequest {
  /** The workspace root (skills.json, ./workspace). */
  root: string;
  env: NodeJS.ProcessEnv;
  /** A skill folder or a file inside one. */
  target: string;
  exportName?: string;
  args?: unknown[];
  timeoutMs?: number;
  maxCalls?: number;
  /** Turns tokenization on for this run even when skills.json does not (it can never turn it off). */
  tokenizePii?: boolean;
  /** With `record`: store real values in the fixture (also `privacy.recordRaw`). */
  recordRaw?: boolean;
  /** Write the run as a fixture: a case name (fixtures/<case>.json) or a .json path. */
  record?: string;
  /** The token map to use (`skills mcp` keeps one per session, so tokens stay stable across its runs). */
  vault?: PiiVault;
  warn(message: string): void;
}

export interface LiveRunOutcome {
  /** What the caller may show: with privacy on, tokenized throughout. */
  result: RunSkillResult;
  recorded?: string;
  /** With `record`: the contracts/<server>.json files written beside the fixture. */
  contracts?: string[];
}

/** The tokenizer for a workspace's privacy settings, or undefined when tokenization is off. */
export function privacyFor(workspace: Workspace | undefined, force: boolean, vault?: PiiVault): PiiTokenizer | undefined {
  const privacy = workspace?.privacy;
  if (!force && privacy?.tokenizePii !== true) return undefined;
  return new PiiTokenizer({ patterns: privacy?.patterns ?? {}, phoneRegions: privacy?.phoneRegions ?? ['US'], binary: privacy?.binary ?? 'refuse' }, vault);
}

export async function runLive(request: LiveRunRequest): Promise<LiveRunOutcome> {
  const { workspace } = await loadWorkspace(request.root);
  const pii = privacyFor(workspace, request.tokenizePii === true, request.vault);
  const disk = new DiskWorkspace(path.join(request.root, 'workspace'));
  const store = pii ? new PrivateWorkspace(disk, pii) : disk;
  const args = request.args && pii ? pii.tokenize(request.args) : request.args;
  const privacy: BridgePrivacy | undefined = pii ? { result: (r) => pii.tokenize(r), text: (t) => pii.tokenizeText(t), args: (a) => pii.detokenize(a) } : undefined;
  const servers = new McpServers(workspace?.servers ?? {}, mcpOptions(request.root, request.env));
  let bridge: LiveBridge | undefined;
  try {
    const result = await runSkill({
      target: request.target,
      ...(request.exportName !== undefined ? { exportName: request.exportName } : {}),
      ...(args !== undefined ? { args } : {}),
      limits: { timeoutMs: request.timeoutMs ?? LIVE_TIMEOUT_MS },
      workspaceRoot: request.root,
      mode: 'live',
      // A recording replays with the fixed clock, so it is recorded with it.
      deterministic: request.record !== undefined,
      workspace: store,
      makeBridge: (declared) => {
        bridge = createLiveBridge({ call: (c) => servers.callTool(c.server, c.tool, c.arguments), declared, ...(request.maxCalls ? { maxCalls: request.maxCalls } : {}), ...(privacy ? { privacy } : {}) });
        return bridge;
      },
    });
    let recorded: string | undefined;
    let contracts: string[] = [];
    if (request.record !== undefined) {
      // The fixture holds what the sandbox saw and did (tokens, when tokenizing), so replay matches it.
      let fixture: Fixture = buildFixture(result, bridge?.recorded ?? [], Object.fromEntries(store.reads));
      if (pii && (request.recordRaw === true || workspace?.privacy?.recordRaw === true)) {
        fixture = pii.detokenize(fixture);
        request.warn('the fixture stores real values (--record-raw): it may contain personal data; do not publish it');
      }
      recorded = fixturePath(result.dir, request.record, request.root);
      await writeFixture(recorded, fixture);
      contracts = await writeContracts(result.dir, bridge?.recorded ?? [], servers, request.warn);
    }
    return { result: pii ? present(result, pii) : result, ...(recorded !== undefined ? { recorded, contracts } : {}) };
  } finally {
    await servers.close();
  }
}

/** The tool contracts of a recording; a server that cannot be listed costs a warning, not the fixture. */
async function writeContracts(dir: string, recorded: NonNullable<LiveBridge['recorded']>, servers: McpServers, warn: (message: string) => void): Promise<string[]> {
  try {
    const written = await recordContracts(dir, recorded, (server) => servers.listTools(server));
    for (const tool of written.skipped) warn(`the schema of ${tool} is too large or missing: it was left out of contracts/`);
    return written.files;
  } catch (error) {
    warn(`the MCP tool contracts were not recorded: ${error instanceof Error ? error.message : String(error)}`);
    return [];
  }
}

/** The run as the client may see it: arguments, return value, console and error tokenized. */
function present(result: RunSkillResult, pii: PiiTokenizer): RunSkillResult {
  try {
    const { value, error, ...rest } = result;
    return {
      ...rest,
      args: pii.tokenize(result.args),
      console: result.console.map((line) => ({ level: line.level, text: pii.tokenizeText(line.text) })),
      ...(value !== undefined ? { value: pii.tokenize(value) } : {}),
      ...(error !== undefined ? { error: tokenizeError(error, pii) } : {}),
    };
  } catch (failure) {
    // Output that cannot be checked is withheld, never shown raw.
    const code = isSkillsError(failure) ? failure.code : 'EPIIUNCHECKED';
    return {
      dir: result.dir,
      name: result.name,
      export: result.export,
      args: [],
      status: 'failed',
      error: { code, message: `the run's output was withheld: ${isSkillsError(failure) ? failure.message : 'it could not be checked for personal data'}` },
      console: [],
      calls: result.calls,
      durationMs: result.durationMs,
    };
  }
}

function tokenizeError(error: NonNullable<RunSkillResult['error']>, pii: PiiTokenizer): NonNullable<RunSkillResult['error']> {
  if ('code' in error) return { code: error.code, message: pii.tokenizeText(error.message) };
  return { name: pii.tokenizeText(error.name), message: pii.tokenizeText(error.message), ...(error.stack !== undefined ? { stack: pii.tokenizeText(error.stack) } : {}) };
}
