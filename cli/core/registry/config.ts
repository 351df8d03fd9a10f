/**
 * The user's config (`~/.config/skills/config.json`, or `$XDG_CONFIG_HOME/skills`, or
 * `$SKILLS_CONFIG_DIR`): the default registry and one token per registry, written 0600.
 * Which registry is used and which token it gets: see resolveRegistry.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { SkillsError } from '../../../schema/errors';
import { SCOPE_RE } from '../../../schema/names';
import { writeFileAtomic } from '../workspace/write-atomic';

export const DEFAULT_REGISTRY = 'http://127.0.0.1:4873';

const configSchema = z.object({
  registry: z.string().optional(),
  /** The default scope of plain skills (no skill.json), after --scope and skills.json "scope". */
  scope: z.string().regex(SCOPE_RE).optional(),
  tokens: z.record(z.string(), z.string()).default({}),
});
export type UserConfig = z.infer<typeof configSchema>;

export function configFile(env: NodeJS.ProcessEnv): string {
  const dir = env.SKILLS_CONFIG_DIR ?? path.join(env.XDG_CONFIG_HOME ?? path.join(os.homedir(), '.config'), 'skills');
  return path.join(dir, 'config.json');
}

export async function readConfig(env: NodeJS.ProcessEnv): Promise<UserConfig> {
  const file = configFile(env);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    return { tokens: {} };
  }
  try {
    return configSchema.parse(JSON.parse(text));
  } catch {
    throw new SkillsError('ECONFIG', `${file} is not a valid skills config`, { hint: 'fix or delete it, then run `skills login` again' });
  }
}

export async function writeConfig(env: NodeJS.ProcessEnv, config: UserConfig): Promise<string> {
  const file = configFile(env);
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFileAtomic(file, `${JSON.stringify(config, null, 2)}\n`, 0o600);
  await fs.chmod(file, 0o600);
  return file;
}

export function normalizeRegistryUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SkillsError('EREGISTRYURL', `"${url}" is not a registry URL`, { hint: 'use e.g. http://127.0.0.1:4873' });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new SkillsError('EREGISTRYURL', `"${url}" is not an http(s) URL`);
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
}

/** Where the chosen registry URL came from, in the order they are tried. */
export type RegistrySource = 'flag' | 'env' | 'workspace' | 'config' | 'default';

export interface RegistryTarget {
  url: string;
  token: string | undefined;
  source?: RegistrySource;
  /** Set when $SKILLS_TOKEN exists but was not sent: why (names URLs, never the token). */
  withheld?: string;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function normalizedOrUndefined(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    return normalizeRegistryUrl(url);
  } catch {
    return undefined;
  }
}

/**
 * The one registry $SKILLS_TOKEN belongs to: $SKILLS_REGISTRY when set, else the URL given with
 * --registry on the same command line, else the config's registry, else the default. A
 * workspace's skills.json (which may come from an untrusted clone) never decides it.
 */
export function envTokenHome(env: NodeJS.ProcessEnv, config: UserConfig, flag?: string): string | undefined {
  const envRegistry = nonEmpty(env.SKILLS_REGISTRY);
  if (envRegistry !== undefined) return normalizedOrUndefined(envRegistry);
  if (flag !== undefined) return normalizedOrUndefined(flag);
  return normalizedOrUndefined(config.registry ?? DEFAULT_REGISTRY);
}

/**
 * The URL: --registry, then $SKILLS_REGISTRY, then the workspace's skills.json, then the config's,
 * then the default. The token: $SKILLS_TOKEN only when that URL is the token's home (see
 * envTokenHome), else the token the config saved for exactly that URL, else none.
 */
export async function resolveRegistry(env: NodeJS.ProcessEnv, flag?: string, workspaceRegistry?: string): Promise<RegistryTarget> {
  const config = await readConfig(env);
  const envRegistry = nonEmpty(env.SKILLS_REGISTRY);
  const [raw, source]: [string, RegistrySource] =
    flag !== undefined
      ? [flag, 'flag']
      : envRegistry !== undefined
        ? [envRegistry, 'env']
        : workspaceRegistry !== undefined
          ? [workspaceRegistry, 'workspace']
          : config.registry !== undefined
            ? [config.registry, 'config']
            : [DEFAULT_REGISTRY, 'default'];
  const url = normalizeRegistryUrl(raw);
  const saved = nonEmpty(config.tokens[url]);
  const envToken = nonEmpty(env.SKILLS_TOKEN);
  if (envToken === undefined) return { url, token: saved, source };
  const home = envTokenHome(env, config, flag);
  if (home === url) return { url, token: envToken, source };
  const withheld = `$SKILLS_TOKEN belongs to ${home ?? 'no valid registry URL'} and was not sent to ${url} (chosen by ${SOURCE_NAMES[source]})`;
  return { url, token: saved, source, withheld };
}

const SOURCE_NAMES: Record<RegistrySource, string> = {
  flag: '--registry',
  env: '$SKILLS_REGISTRY',
  workspace: 'skills.json',
  config: 'the config',
  default: 'the default',
};
