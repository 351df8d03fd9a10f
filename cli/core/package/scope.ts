/** The scope a plain skill (no skill.json) is named under: `@<scope>/<SKILL.md name>`. */
import { SkillsError } from '../../../schema/errors';
import { SCOPE_RE } from '../../../schema/names';
import { readConfig } from '../registry/config';
import { loadWorkspace } from '../workspace/files';

export type ScopeSource = 'flag' | 'workspace' | 'config';

/** --scope, else the workspace's skills.json "scope", else the user config's "scope"; undefined when none is set. */
export async function plainSkillScope(env: NodeJS.ProcessEnv, cwd: string, flag: string | undefined): Promise<{ scope: string; from: ScopeSource } | undefined> {
  if (flag !== undefined) return { scope: checkScope(flag), from: 'flag' };
  const { workspace } = await loadWorkspace(cwd).catch(() => ({ workspace: undefined }));
  if (workspace?.scope !== undefined) return { scope: workspace.scope, from: 'workspace' };
  const config = await readConfig(env);
  if (config.scope !== undefined) return { scope: config.scope, from: 'config' };
  return undefined;
}

export function checkScope(scope: string): string {
  const withAt = scope.startsWith('@') ? scope : `@${scope}`;
  if (!SCOPE_RE.test(withAt)) throw new SkillsError('ESCOPEINVALID', `"${scope}" is not a scope`, { hint: 'a scope is @ followed by lower-case words joined by single hyphens, e.g. @acme' });
  return withAt;
}
