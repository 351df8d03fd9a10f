/** A workspace's `skills.json` (what it wants) and `skills-lock.json` (what it has, exactly). */
import { z } from 'zod';
import { semverVersionSchema } from './manifest';
import { packageNameSchema, SERVER_NAME_RE } from './names';

export const WORKSPACE_FILE = 'skills.json';
export const LOCKFILE = 'skills-lock.json';
export const LOCKFILE_VERSION = 1;

export const stdioServerSchema = z.object({
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  env: z.record(z.string(), z.string()).default({}),
  cwd: z.string().optional(),
});

export const httpServerSchema = z.object({
  url: z.url(),
  headers: z.record(z.string(), z.string()).default({}),
});

export const serverConfigSchema = z.union([stdioServerSchema, httpServerSchema]);

/** A pattern from skills.json: a valid JavaScript regular expression that cannot match nothing. */
const piiPatternSchema = z
  .string()
  .min(1)
  .max(500)
  .refine((source) => {
    try {
      return !new RegExp(`^(?:${source})$`).test('');
    } catch {
      return false;
    }
  }, 'must be a valid regular expression that does not match the empty string');

export const privacySchema = z.object({
  /** Replace PII in live runs with stable tokens: tool results, arguments and workspace reads in, output out. */
  tokenizePii: z.boolean().default(false),
  /** Extra patterns (JavaScript regular expressions) treated as PII, by token label (EMAIL and PHONE are built in). */
  patterns: z
    .record(z.string().regex(/^[A-Z][A-Z0-9_]*$/).refine((label) => label !== 'EMAIL' && label !== 'PHONE', 'EMAIL and PHONE are built in'), piiPatternSchema)
    .refine((patterns) => Object.keys(patterns).length <= 32, 'at most 32 patterns')
    .default({}),
  /** Regions (ISO 3166 alpha-2) for phone numbers written without a country code. */
  phoneRegions: z.array(z.string().regex(/^[A-Z]{2}$/)).min(1).max(10).default(['US']),
  /** Binary content (not decodable as text) in a tool result: refused (EPIIBINARY) or let through unchecked. */
  binary: z.enum(['refuse', 'allow']).default('refuse'),
  /** Keep raw values in recorded fixtures (default: tokenized). */
  recordRaw: z.boolean().default(false),
});

export const workspaceSchema = z.object({
  registry: z.url().optional(),
  /** Requested skills: name -> semver range or dist-tag. */
  dependencies: z.record(packageNameSchema, z.string().min(1)).default({}),
  servers: z.record(z.string().regex(SERVER_NAME_RE), serverConfigSchema).default({}),
  privacy: privacySchema.optional(),
});

export const lockEntrySchema = z.object({
  version: semverVersionSchema,
  /** The tarball URL it was fetched from. */
  resolved: z.string().min(1),
  /** sha512 SRI of the tarball bytes. */
  integrity: z.string().regex(/^sha512-[A-Za-z0-9+/]+={0,2}$/),
  /** sha256 over the sorted file list and file hashes. */
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  /** Exact versions of this skill's dependencies as resolved. */
  dependencies: z.record(packageNameSchema, semverVersionSchema).default({}),
  /** Set when the skill was installed with --skip-verify. */
  skipVerify: z.boolean().optional(),
});

export const lockfileSchema = z.object({
  lockfileVersion: z.literal(LOCKFILE_VERSION),
  skills: z.record(packageNameSchema, lockEntrySchema).default({}),
});

export type StdioServerConfig = z.infer<typeof stdioServerSchema>;
export type HttpServerConfig = z.infer<typeof httpServerSchema>;
export type ServerConfig = z.infer<typeof serverConfigSchema>;
export type Workspace = z.infer<typeof workspaceSchema>;
export type LockEntry = z.infer<typeof lockEntrySchema>;
export type Lockfile = z.infer<typeof lockfileSchema>;

/** Serialises a lockfile with every map sorted, so the same content is always the same bytes. */
export function serializeLockfile(lock: Lockfile): string {
  const skills: Record<string, LockEntry> = {};
  for (const name of Object.keys(lock.skills).sort()) {
    const entry = lock.skills[name];
    if (!entry) continue;
    skills[name] = {
      version: entry.version,
      resolved: entry.resolved,
      integrity: entry.integrity,
      digest: entry.digest,
      dependencies: sortRecord(entry.dependencies),
      ...(entry.skipVerify ? { skipVerify: true } : {}),
    };
  }
  return `${JSON.stringify({ lockfileVersion: lock.lockfileVersion, skills }, null, 2)}\n`;
}

export function sortRecord<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
