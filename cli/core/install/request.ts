/** What install, update, uninstall, ci and the MCP install tool ask of the install pipeline. */
import type { LinkRequest } from '../agents/install';

export interface InstallRequest extends LinkRequest {
  root: string;
  env: NodeJS.ProcessEnv;
  registry?: string | undefined;
  /** Specs to add: `@scope/name[@range]`, or a source (git, folder, discovery index). */
  add?: string[];
  /** Names to remove from skills.json. */
  remove?: string[];
  /** Install exactly the lockfile; fail if skills.json disagrees with it. */
  frozen?: boolean;
  /** Re-resolve these names (or all) ignoring locked versions and commits; `latest` also rewrites ranges. */
  update?: { names: string[] | 'all'; latest: boolean };
  /** Skips the sandbox only: integrity, digests and package validation still run. */
  skipVerify?: boolean;
  /** From sources holding several skills: these (by SKILL.md name). */
  skills?: string[];
  /** From sources holding several skills: all of them. */
  all?: boolean;
  /** The scope plain skills from sources are named under (else skills.json "scope", the user config's, the GitHub owner, @local). */
  scope?: string | undefined;
  /** Accept `unverified` skills this command names (its specs, or update's names), for their content; record their names in skills.json. */
  allowUnverified?: boolean;
  /** Accept, for the content at hand, what skills.json asks for (trust.allowUnverified, audit.failOn "none"); recorded in the user's trust store. */
  trustWorkspace?: boolean;
  /** Replace or remove installed skills even when their files were changed locally. */
  force?: boolean;
  /** Take in only skills whose SKILL.md follows the spec (else what an agent would load, with warnings); also "strict" in skills.json. */
  strict?: boolean;
  /** Accept registry names only (the MCP tool an agent calls). */
  registryOnly?: boolean;
  /** What the workspace lock names as its holder (default from the request: `skills install`, `skills ci`, ...). */
  command?: string;
  /** Per-request timeout for registry reads (default 15 s; also SKILLS_FETCH_TIMEOUT_MS). */
  timeoutMs?: number;
  progress(message: string): void;
  warn(message: string): void;
}
