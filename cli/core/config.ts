/**
 * The user's config (`~/.config/skills/config.json`, or `$XDG_CONFIG_HOME/skills`, or
 * `$SKILLS_CONFIG_DIR`): the default registry and one token per registry, written 0600.
 * Environment variables win: SKILLS_REGISTRY and SKILLS_TOKEN.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { SkillsError } from '../../schema/errors';
import { writeFileAtomic } from './write-atomic';

export const DEFAULT_REGISTRY = 'http://127.0.0.1:4873';

const configSchema = z.object({
  registry: z.string().optional(),
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

export interface RegistryTarget {
  url: string;
  token: string | undefined;
}

/** --registry, then SKILLS_REGISTRY, then the workspace's, then the config's, then the default. */
export async function resolveRegistry(env: NodeJS.ProcessEnv, flag?: string, workspaceRegistry?: string): Promise<RegistryTarget> {
  const config = await readConfig(env);
  const url = normalizeRegistryUrl(flag ?? env.SKILLS_REGISTRY ?? workspaceRegistry ?? config.registry ?? DEFAULT_REGISTRY);
  const token = env.SKILLS_TOKEN ?? config.tokens[url];
  return { url, token: token === '' ? undefined : token };
}
