/**
 * The agents skills are installed for, as data: where each one reads skills in a project and for
 * the user, and how to tell it is in use. `./skills` is the one store; every target folder below
 * gets a relative link per skill (cli/core/agents/link.ts). A project path is relative to the workspace
 * root; a global path starts with `~/` (the home folder) or `$XDG_CONFIG_HOME/` (else `~/.config`).
 *
 * Sources: each agent's own documentation where it names the folders, else the agent table of
 * vercel-labs/skills (`src/agents.ts`, v1.3.9), the installer behind `npx skills`; a path that could
 * not be confirmed from the agent's own documentation says so beside it.
 */
import { SkillsError } from '../../../schema/errors';

export interface AgentEntry {
  id: string;
  name: string;
  /** The folder it reads skills from in a project. */
  project: string;
  /** The folder it reads the user's skills from. */
  global: string;
  /** In a project: it is in use when one of these exists (a folder or file, not a link). */
  detect: readonly string[];
  /** For the user: it is in use when one of these exists. */
  detectGlobal: readonly string[];
}

/** The folder every agent following the shared convention reads: always a target. */
export const SHARED_PROJECT_FOLDER = '.agents/skills';
export const SHARED_GLOBAL_FOLDER = '~/.agents/skills';

export const AGENTS: readonly AgentEntry[] = [
  {
    id: 'claude-code',
    name: 'Claude Code',
    // https://code.claude.com/docs/en/skills: project `.claude/skills/<name>/SKILL.md`, personal `~/.claude/skills/`.
    project: '.claude/skills',
    global: '~/.claude/skills',
    detect: ['.claude'],
    detectGlobal: ['~/.claude'],
  },
  {
    id: 'codex',
    name: 'Codex',
    // https://developers.openai.com/codex/skills: repository `.agents/skills` (from the working folder up
    // to the repository root), user `$HOME/.agents/skills`; older releases read `$CODEX_HOME/skills`.
    project: '.agents/skills',
    global: '~/.agents/skills',
    detect: ['.codex'],
    detectGlobal: ['~/.codex'],
  },
  {
    id: 'gemini-cli',
    name: 'Gemini CLI',
    // https://geminicli.com/docs/cli/using-agent-skills/: workspace `.gemini/skills/` or the `.agents/skills/`
    // alias, user `~/.gemini/skills/` or `~/.agents/skills/`.
    project: '.agents/skills',
    global: '~/.gemini/skills',
    detect: ['.gemini'],
    detectGlobal: ['~/.gemini'],
  },
  {
    id: 'github-copilot',
    name: 'GitHub Copilot',
    // https://docs.github.com/en/copilot/concepts/agents/about-agent-skills: project `.github/skills`,
    // `.claude/skills` or `.agents/skills`; personal `~/.copilot/skills` or `~/.agents/skills`.
    project: '.agents/skills',
    global: '~/.copilot/skills',
    detect: ['.github/copilot-instructions.md', '.github/skills'],
    detectGlobal: ['~/.copilot'],
  },
  {
    id: 'opencode',
    name: 'OpenCode',
    // https://opencode.ai/docs/skills/: project `.opencode/skills`, `.claude/skills`, `.agents/skills`;
    // global `~/.config/opencode/skills`, `~/.claude/skills`, `~/.agents/skills`.
    project: '.agents/skills',
    global: '$XDG_CONFIG_HOME/opencode/skills',
    detect: ['.opencode', 'opencode.json'],
    detectGlobal: ['$XDG_CONFIG_HOME/opencode'],
  },
  {
    id: 'amp',
    name: 'Amp',
    // Amp's manual (ampcode.com/manual#agent-skills) as quoted by the vercel-labs/skills table and the
    // syllago provider notes: workspace `.agents/skills`, user `~/.config/agents/skills` (also
    // `~/.config/amp/skills`). Not confirmed from ampcode.com itself here.
    project: '.agents/skills',
    global: '$XDG_CONFIG_HOME/agents/skills',
    detect: ['.amp'],
    detectGlobal: ['$XDG_CONFIG_HOME/amp'],
  },
  {
    id: 'cursor',
    name: 'Cursor',
    // https://cursor.com/docs/context/skills (skill directories; the paths themselves as in the
    // vercel-labs/skills table: project `.cursor/skills`, user `~/.cursor/skills`; Cursor also reads
    // `.agents/skills` and the Claude folders).
    project: '.cursor/skills',
    global: '~/.cursor/skills',
    detect: ['.cursor'],
    detectGlobal: ['~/.cursor'],
  },
  {
    id: 'cline',
    name: 'Cline',
    // https://docs.cline.bot/customization/skills: project `.cline/skills/` (or `.clinerules/skills/`),
    // global `~/.cline/skills/`.
    project: '.cline/skills',
    global: '~/.cline/skills',
    detect: ['.cline', '.clinerules'],
    detectGlobal: ['~/.cline'],
  },
  {
    id: 'continue',
    name: 'Continue',
    // vercel-labs/skills table: `.continue/skills`, `~/.continue/skills`. Continue documents skills
    // (docs.continue.dev, customize/skills) but the folder could not be confirmed from its docs here.
    project: '.continue/skills',
    global: '~/.continue/skills',
    detect: ['.continue'],
    detectGlobal: ['~/.continue'],
  },
  {
    id: 'goose',
    name: 'goose',
    // https://block.github.io/goose/docs/guides/context-engineering/using-skills: global
    // `~/.config/goose/skills/` (also `~/.config/agents/skills/`, `~/.claude/skills/`); project
    // `.goose/skills/` as in the vercel-labs/skills table (goose also reads `.agents/skills/`).
    project: '.goose/skills',
    global: '$XDG_CONFIG_HOME/goose/skills',
    detect: ['.goose', '.goosehints'],
    detectGlobal: ['$XDG_CONFIG_HOME/goose'],
  },
  {
    id: 'junie',
    name: 'Junie',
    // https://www.jetbrains.com/help/air/skills.html: Junie reads `.junie/skills` (and the shared
    // `.agents/skills`); the user folder `~/.junie/skills` is from the vercel-labs/skills table, unconfirmed.
    project: '.junie/skills',
    global: '~/.junie/skills',
    detect: ['.junie'],
    detectGlobal: ['~/.junie'],
  },
  {
    id: 'kiro-cli',
    name: 'Kiro CLI',
    // https://kiro.dev/docs/skills: workspace `.kiro/skills/`, global `~/.kiro/skills/`.
    project: '.kiro/skills',
    global: '~/.kiro/skills',
    detect: ['.kiro'],
    detectGlobal: ['~/.kiro'],
  },
  {
    id: 'openhands',
    name: 'OpenHands',
    // https://docs.openhands.dev/overview/skills: recommended location `.agents/skills/<name>/SKILL.md`
    // (`.openhands/skills` and `.openhands/microagents` are older locations); the user folder
    // `~/.openhands/skills` is from the vercel-labs/skills table, unconfirmed.
    project: '.agents/skills',
    global: '~/.openhands/skills',
    detect: ['.openhands'],
    detectGlobal: ['~/.openhands'],
  },
  {
    id: 'qwen-code',
    name: 'Qwen Code',
    // https://qwenlm.github.io/qwen-code-docs/en/users/features/skills: project `.qwen/skills/`, personal `~/.qwen/skills/`.
    project: '.qwen/skills',
    global: '~/.qwen/skills',
    detect: ['.qwen'],
    detectGlobal: ['~/.qwen'],
  },
  {
    id: 'windsurf',
    name: 'Windsurf',
    // https://docs.windsurf.com/windsurf/cascade/skills: workspace `.windsurf/skills/<name>/`, global
    // `~/.codeium/windsurf/skills/<name>/`.
    project: '.windsurf/skills',
    global: '~/.codeium/windsurf/skills',
    detect: ['.windsurf'],
    detectGlobal: ['~/.codeium/windsurf'],
  },
  {
    id: 'roo',
    name: 'Roo Code',
    // https://docs.roocode.com/features/skills: project `.roo/skills/`, global `~/.roo/skills/`.
    project: '.roo/skills',
    global: '~/.roo/skills',
    detect: ['.roo'],
    detectGlobal: ['~/.roo'],
  },
  {
    id: 'augment',
    name: 'Augment',
    // https://docs.augmentcode.com/cli/skills: `.augment/skills/` (or `.claude/skills/`) in the workspace or the home folder.
    project: '.augment/skills',
    global: '~/.augment/skills',
    detect: ['.augment'],
    detectGlobal: ['~/.augment'],
  },
];

const byId = new Map(AGENTS.map((a) => [a.id, a]));

export function agentById(id: string): AgentEntry | undefined {
  return byId.get(id);
}

/** The entries for these ids, in the order given, or EUNKNOWNAGENT naming the first unknown one. */
export function agentsByIds(ids: readonly string[]): AgentEntry[] {
  return ids.map((id) => {
    const agent = byId.get(id);
    if (!agent) {
      throw new SkillsError('EUNKNOWNAGENT', `there is no agent "${id.slice(0, 64)}"`, {
        hint: `known agents: ${AGENTS.map((a) => a.id).join(', ')} (see \`skills agents\`)`,
      });
    }
    return agent;
  });
}

/** Every folder a target can be in one scope, each once: the shared folder first. */
export function tableFolders(scope: 'project' | 'global'): string[] {
  const shared = scope === 'project' ? SHARED_PROJECT_FOLDER : SHARED_GLOBAL_FOLDER;
  return [...new Set([shared, ...AGENTS.map((a) => (scope === 'project' ? a.project : a.global))])];
}
