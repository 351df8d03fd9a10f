/**
 * What the person at the keyboard accepted, kept where a cloned repository cannot write: the user's
 * config folder (`trust.json` beside config.json). Each acceptance names the exact content (its
 * digest) and what was accepted about it: that it is `unverified`, or that its audit findings at
 * `high` do not stop it. A workspace's `skills.json` may ask for either; only an acceptance here
 * (made by `--allow-unverified <that skill>`, or once by `--trust-workspace`) lets it through.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { SkillsError } from '../../../schema/errors';
import { packageNameSchema } from '../../../schema/names';
import { configFile } from '../registry/config';
import { writeFileAtomic } from '../workspace/write-atomic';

export const TRUST_FILE = 'trust.json';
const MAX_TRUST_FILE_BYTES = 16 * 1024 * 1024;
const MAX_ACCEPTANCES = 100_000;
const digestSchema = z.string().regex(/^sha256:[0-9a-f]{64}$/);

export type AcceptedAbout = 'unverified' | 'audit';

const acceptanceSchema = z.object({
  name: packageNameSchema,
  unverified: z.literal(true).optional(),
  audit: z.literal(true).optional(),
  /** When it was accepted (ISO time), for people reading the file. */
  at: z.string().max(64),
});

const storeSchema = z.object({
  version: z.literal(1),
  accepted: z.record(digestSchema, acceptanceSchema),
});
type Store = z.infer<typeof storeSchema>;

export interface Acceptance {
  digest: string;
  name: string;
  about: AcceptedAbout;
}

export interface TrustStore {
  file: string;
  has(digest: string, about: AcceptedAbout): boolean;
}

export function trustFile(env: NodeJS.ProcessEnv): string {
  return path.join(path.dirname(configFile(env)), TRUST_FILE);
}

async function readStore(file: string): Promise<Store> {
  let text: string;
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile() || stat.size > MAX_TRUST_FILE_BYTES) throw new SkillsError('ETRUSTSTORE', `${file} is not a regular file of at most ${MAX_TRUST_FILE_BYTES} bytes`, { hint: 'move it away: acceptances are made again with --allow-unverified or --trust-workspace' });
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    // No file, or no folder to hold one (the config folder is something else: its own commands say so).
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { version: 1, accepted: {} };
    throw error;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    raw = undefined;
  }
  const parsed = storeSchema.safeParse(raw);
  if (!parsed.success) throw new SkillsError('ETRUSTSTORE', `${file} is not a skills trust file`, { hint: 'move it away: acceptances are made again with --allow-unverified or --trust-workspace' });
  return parsed.data;
}

export async function readTrustStore(env: NodeJS.ProcessEnv): Promise<TrustStore> {
  const file = trustFile(env);
  const store = await readStore(file);
  return {
    file,
    has: (digest, about) => {
      const entry = Object.hasOwn(store.accepted, digest) ? store.accepted[digest] : undefined;
      return entry !== undefined && entry[about] === true;
    },
  };
}

/** Adds acceptances (read again just before writing, so another command's are kept). */
export async function recordAcceptances(env: NodeJS.ProcessEnv, acceptances: readonly Acceptance[], now = new Date()): Promise<void> {
  if (acceptances.length === 0) return;
  const file = trustFile(env);
  const store = await readStore(file);
  for (const a of acceptances) {
    const entry = Object.hasOwn(store.accepted, a.digest) ? store.accepted[a.digest] : undefined;
    const next = { ...(entry ?? { name: a.name }), name: a.name, [a.about]: true as const, at: now.toISOString() };
    Object.defineProperty(store.accepted, a.digest, { value: next, enumerable: true, writable: true, configurable: true });
  }
  if (Object.keys(store.accepted).length > MAX_ACCEPTANCES) {
    throw new SkillsError('ETRUSTSTORE', `${file} would hold more than ${MAX_ACCEPTANCES} acceptances`, { hint: 'move it away and accept again what you still use' });
  }
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFileAtomic(file, `${JSON.stringify(store, null, 2)}\n`, 0o600);
}
