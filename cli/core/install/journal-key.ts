/**
 * The secret that seals install journals (journal.ts): 32 random bytes in `journal.key` in the
 * user's config folder (next to config.json, 0600, outside every workspace). Anything that can
 * write a workspace (a skill through a filesystem MCP server, a cloned repository) can plant a
 * journal there, but cannot make one this key verifies.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { SkillsError } from '../../../schema/errors';
import { configFile } from '../registry/config';

export const JOURNAL_KEY_FILE = 'journal.key';
const MAC_RE = /^[0-9a-f]{64}$/;

/** HMAC-SHA256 over `label\0body` with the journal key: what seals journals and the global store's marker. */
export function sealMac(key: Buffer, label: string, body: string): string {
  return createHmac('sha256', key).update(`${label}\0${body}`).digest('hex');
}

/** Whether `mac` seals `label\0body` under `key` (constant time). */
export function sealVerifies(key: Buffer, label: string, body: string, mac: string): boolean {
  if (!MAC_RE.test(mac)) return false;
  return timingSafeEqual(Buffer.from(sealMac(key, label, body), 'hex'), Buffer.from(mac, 'hex'));
}
const KEY_RE = /^([0-9a-f]{64})\n?$/;

export function journalKeyFile(env: NodeJS.ProcessEnv): string {
  return path.join(path.dirname(configFile(env)), JOURNAL_KEY_FILE);
}

/** The key, or undefined when there is none yet and `create` is false. */
export async function journalKey(env: NodeJS.ProcessEnv, options: { create: boolean }): Promise<Buffer | undefined> {
  const file = journalKeyFile(env);
  const existing = await readKey(file);
  if (existing || !options.create) return existing;
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await fs.writeFile(tmp, `${randomBytes(32).toString('hex')}\n`, { flag: 'wx', mode: 0o600 });
    // link() never replaces: when two processes create the key at once, both use the first one.
    await fs.link(tmp, file).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
  } catch (error) {
    throw new SkillsError('EJOURNALKEY', `cannot create the install journal key ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
      hint: 'make the skills config folder writable, or set SKILLS_CONFIG_DIR to a writable folder outside the workspace',
    });
  } finally {
    await fs.rm(tmp, { force: true });
  }
  const created = await readKey(file);
  if (!created) throw new SkillsError('EJOURNALKEY', `the install journal key ${file} could not be read back`);
  return created;
}

async function readKey(file: string): Promise<Buffer | undefined> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw damaged(file, `it cannot be opened (${(error as NodeJS.ErrnoException).code ?? 'error'}; a link is refused)`);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile() || stat.size > 128) throw damaged(file, 'it is not a key file');
    if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) throw damaged(file, 'other users can read or write it', `chmod 600 ${file}`);
    const match = KEY_RE.exec(await handle.readFile('utf8'));
    if (!match?.[1]) throw damaged(file, 'it does not hold a key');
    return Buffer.from(match[1], 'hex');
  } finally {
    await handle.close();
  }
}

function damaged(file: string, why: string, hint?: string): SkillsError {
  return new SkillsError('EJOURNALKEY', `the install journal key ${file} is unusable: ${why}`, {
    hint: hint ?? `delete it (a new one is made on the next install; an interrupted install's journal then needs \`skills install\` again)`,
  });
}
