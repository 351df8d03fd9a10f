import pc from 'picocolors';
import type { CliContext, CommandModule, CommandResult } from '../command';
import { registryOption, type RegistryFlag } from '../options';
import type { InstallRequest, InstallResult, ListedSkill } from '../core/install/install';
import { renderTrust, table } from '../render';

export function renderInstall(result: InstallResult): string {
  const lines: string[] = [];
  if (result.recovered === 'completed') lines.push(pc.yellow('completed an install that was interrupted'));
  if (result.workspaceFile.created) lines.push(`created ${result.workspaceFile.file}`);
  const trustOf = new Map(result.skills.map((s) => [s.name, s]));
  for (const c of result.changes) {
    const skill = trustOf.get(c.name);
    const trust = skill && c.to !== null ? ` ${renderTrust(skill.trust)}${skill.source !== 'registry' ? pc.dim(` from ${skill.source}`) : ''}` : '';
    if (c.to === null) lines.push(`${pc.red('-')} ${c.name}@${c.from}`);
    else if (c.from === null) lines.push(`${pc.green('+')} ${c.name}@${c.to}${trust}`);
    else lines.push(`${pc.cyan('~')} ${c.name} ${c.from} -> ${c.to}${trust}`);
  }
  const verified = result.skills.filter((s) => s.verified === 'sandbox' || s.verified === 'cache').length;
  for (const t of result.links.targets) {
    if (t.added.length === 0 && t.removed.length === 0) continue;
    const parts = [...(t.added.length > 0 ? [`${result.links.mode === 'copy' ? 'copied' : 'linked'} ${t.added.join(', ')}`] : []), ...(t.removed.length > 0 ? [`unlinked ${t.removed.join(', ')}`] : [])];
    lines.push(`${pc.dim(t.folder)} ${parts.join('; ')}`);
  }
  lines.push(
    `${result.skills.length} skill${result.skills.length === 1 ? '' : 's'} in ${result.links.scope === 'global' ? 'the global store' : './skills'}` +
      (result.changes.length === 0 ? ', already up to date' : `, ${result.changes.length} changed, ${verified} verified in the sandbox`) +
      `; catalog ${result.catalog.file} (${result.catalog.chars} characters)`,
  );
  return lines.join('\n');
}

export function renderListing(listing: { source: string; resolved: string; skills: ListedSkill[] }): string {
  const rows = listing.skills.map((s) => [s.name ?? pc.red('(invalid)'), s.version ?? '-', s.error ? pc.red(`${s.error.code} ${s.error.message}`) : renderTrust(s.trust, s.trustReasons, 1), s.path || '(root)']);
  return `${pc.bold(listing.resolved)}\n${rows.length > 0 ? table([['skill', 'version', 'trust', 'folder'], ...rows]) : 'no skills (no SKILL.md)'}\n${pc.dim('install some with --skill <name>, or --all')}`;
}

interface InstallOptions {
  registry?: string;
  frozenLockfile?: boolean;
  skipVerify?: boolean;
  skill?: string[];
  all?: boolean;
  list?: boolean;
  scope?: string;
  allowUnverified?: boolean;
  trustWorkspace?: boolean;
  force?: boolean;
  strict?: boolean;
  agent?: string[];
  copy?: boolean;
  global?: boolean;
}

/** The flags install, update, ci and uninstall share. */
export interface InstallFlags extends RegistryFlag {
  global?: boolean;
  force?: boolean;
  allowUnverified?: boolean;
  trustWorkspace?: boolean;
}

type SharedRequest = 'root' | 'env' | 'global' | 'registry' | 'force' | 'allowUnverified' | 'trustWorkspace' | 'progress' | 'warn';

/**
 * Runs the install pipeline for install, update, ci and uninstall: in this folder or (-g) the
 * global store, with the flags they share; `createStore` makes a missing global store (install).
 * `request` is read once the folder is known to be safe, so its own checks (names) come after
 * the global store's (a linked home folder is refused first, as it always was).
 */
export async function runInstall(ctx: CliContext, options: InstallFlags, createStore: boolean, request: () => Omit<InstallRequest, SharedRequest>): Promise<CommandResult> {
  const { install } = await import('../core/install/install');
  const { inScope } = await import('../core/agents/scope');
  const global = options.global === true;
  const result = await inScope(ctx.cwd, ctx.env, global, createStore, (root) =>
    install({
      ...request(),
      root,
      env: ctx.env,
      global,
      registry: options.registry,
      force: options.force === true,
      allowUnverified: options.allowUnverified === true,
      trustWorkspace: options.trustWorkspace === true,
      progress: ctx.progress,
      warn: ctx.warn,
    }),
  );
  return { data: result, human: renderInstall(result) };
}

export const installCommand: CommandModule = {
  register(program, run) {
    program
      .command('install')
      .alias('i')
      .description('install skills into ./skills (all of skills.json, plus any given): from the registry, git, a folder or a discovery index; code is verified in the sandbox, unverified skills need --allow-unverified')
      .argument('[specs...]', '@scope/name[@range], github:owner/repo[/path][#ref], git+https|ssh|file://...[#ref][&path:dir], ./folder, or https://host')
      .option('--skill <name...>', 'from a source holding several skills: these (by SKILL.md name)')
      .option('--all', 'from a source holding several skills: all of them')
      .option('--list', 'list the skills a source holds (name, version, trust) and install nothing')
      .option('--scope <scope>', 'the scope plain skills from a source are named under (default: skills.json "scope", the user config\'s, the GitHub owner, or @local)')
      .option('--allow-unverified', 'accept the unverified skills named on this command line (executable content the sandbox cannot run), for their content; recorded in skills.json and your own trust.json')
      .option('--trust-workspace', 'accept what skills.json asks for (trust.allowUnverified, audit.failOn "none") for the content being installed; recorded in your own trust.json')
      .option('--force', 'replace installed skills even when their files were changed here')
      .option('--strict', 'take in only skills whose SKILL.md follows the Agent Skills spec (default: whatever an agent would load, with a warning per rule broken)')
      .option('--agent <ids...>', 'also link skills into these agents\' folders (added to "agents" in skills.json; see `skills agents`)')
      .option('--copy', 'copy skills into agent folders instead of linking them (sets "link": "copy" in skills.json)')
      .option('-g, --global', 'install for the user: into the global store, linked into each agent\'s home folder')
      .addOption(registryOption())
      .option('--frozen-lockfile', 'install exactly skills-lock.json; fail if skills.json disagrees')
      .option('--skip-verify', 'do not run fixtures in the sandbox (recorded in the lockfile; not recommended)')
      .action((specs: string[], options: InstallOptions) =>
        run(async (ctx) => {
          const { listSourceSkills } = await import('../core/install/install');
          if (options.list) {
            const [spec, ...rest] = specs;
            if (spec === undefined || rest.length > 0) {
              const { SkillsError } = await import('../../schema/errors');
              throw new SkillsError('EUSAGE', '--list takes one source', { hint: 'e.g. skills install github:owner/repo --list' });
            }
            const listing = await listSourceSkills({ spec, root: ctx.cwd, env: ctx.env, scope: options.scope, progress: ctx.progress, warn: ctx.warn });
            return { data: listing, human: renderListing(listing) };
          }
          return runInstall(ctx, options, true, () => ({
            ...(options.agent ? { agents: options.agent } : {}),
            copy: options.copy === true,
            add: specs,
            frozen: options.frozenLockfile === true,
            skipVerify: options.skipVerify === true,
            ...(options.skill ? { skills: options.skill } : {}),
            all: options.all === true,
            scope: options.scope,
            strict: options.strict === true,
          }));
        }),
      );
  },
};
