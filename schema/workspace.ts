/** A workspace's `skills.json` (what it wants) and `skills-lock.json` (what it has, exactly). */
import { z } from 'zod';
import { failOnSchema } from './audit-report';
import { semverVersionSchema } from './manifest';
import { packageNameSchema, SCOPE_RE, SERVER_NAME_RE, SKILL_NAME_MAX, SKILL_NAME_RE } from './names';
import { trustLevelSchema } from './trust';

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

/** The install policy of a workspace: which `unverified` skills it accepts, by name. */
export const workspaceTrustSchema = z.object({
  allowUnverified: z.array(packageNameSchema).max(10_000).default([]),
});

/** A folder name under ./skills (and of the links to it): a SKILL.md name. */
export const skillFolderSchema = z.string().max(SKILL_NAME_MAX).regex(SKILL_NAME_RE, 'a skill folder is lower-case words joined by single hyphens');

/** An agent id from the agent table (`skills agents`); checked against the table when used. */
export const agentIdSchema = z.string().max(64).regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'an agent id is lower-case words joined by single hyphens');

/** The static audit's install policy: a new skill with a finding at or above `failOn` is refused. */
export const auditPolicySchema = z.object({ failOn: failOnSchema.default('high') });

export const workspaceSchema = z.object({
  /** The JSON Schema editors check the file against (schema/json/skills.schema.json); skills ignores it. */
  $schema: z.string().max(4096).optional(),
  /** For people and other tools; skills ignores them. */
  name: z.string().max(4096).optional(),
  description: z.string().max(4096).optional(),
  registry: z.url().optional(),
  /** The scope of plain skills (no skill.json) packed, published or installed here without --scope. */
  scope: z.string().regex(SCOPE_RE, 'a scope is @ followed by lower-case words joined by single hyphens').optional(),
  /**
   * Requested skills: name -> semver range or dist-tag (the registry), or a source spec:
   * `github:owner/repo[/path][#ref]`, `git+https|ssh|file://...[#ref][&path:dir]`, `./folder`, `https://host`.
   */
  dependencies: z.record(packageNameSchema, z.string().min(1).max(4096)).default({}),
  servers: z.record(z.string().regex(SERVER_NAME_RE), serverConfigSchema).default({}),
  privacy: privacySchema.optional(),
  trust: workspaceTrustSchema.optional(),
  audit: auditPolicySchema.optional(),
  /** The agents whose folders get a link per skill, besides the shared `.agents/skills` (absent: the agents detected here). */
  agents: z.array(agentIdSchema).max(64).refine((ids) => new Set(ids).size === ids.length, 'an agent is listed twice').optional(),
  /** Take in only skills whose SKILL.md follows the Agent Skills spec (as `--strict` does); default: what an agent would load, with warnings. */
  strict: z.boolean().optional(),
  /** How skills appear in agent folders: relative links into ./skills (default), or copies. */
  link: z.enum(['link', 'copy']).optional(),
  /** Installed skills given another folder name (under ./skills and in every agent folder), e.g. to install @a/pdf and @b/pdf side by side. */
  alias: z.record(packageNameSchema, skillFolderSchema).optional(),
});

const sha256DigestSchema = z.string().regex(/^sha256:[0-9a-f]{64}$/);

/** Where a locked skill came from, when not the registry (absent: the registry, `resolved` is its tarball URL). */
export const lockSourceSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('git'),
      /** The spec in skills.json this entry satisfies. */
      spec: z.string().min(1).max(4096),
      /** The repository URL git fetched (credentials are never allowed in it). */
      url: z.string().min(1).max(2048),
      commit: z.string().regex(/^[0-9a-f]{40}$/),
      /** The skill's folder in the repository ('' for the root). */
      path: z.string().max(1024),
      /** The ref asked for (branch, tag, `semver:<range>`), when one was. */
      ref: z.string().max(1024).optional(),
    })
    .strict(),
  z.object({ type: z.literal('folder'), spec: z.string().min(1).max(4096), path: z.string().min(1).max(4096) }).strict(),
  z
    .object({
      type: z.literal('well-known'),
      spec: z.string().min(1).max(4096),
      /** The discovery index (`/.well-known/agent-skills/index.json`). */
      index: z.string().min(1).max(2048),
      /** The artifact the index named, and its digest as the index gave it (checked before use). */
      url: z.string().min(1).max(2048),
      artifactDigest: sha256DigestSchema,
    })
    .strict(),
]);

export const lockEntrySchema = z.object({
  version: semverVersionSchema,
  /** The tarball URL it was fetched from; for other sources, the spec pinned to what was fetched. */
  resolved: z.string().min(1),
  /** sha512 SRI of the registry's tarball bytes (other sources are identified by `digest`). */
  integrity: z.string().regex(/^sha512-[A-Za-z0-9+/]+={0,2}$/).optional(),
  /** sha256 over the sorted file list and file hashes. */
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  /** Exact versions of this skill's dependencies as resolved. */
  dependencies: z.record(packageNameSchema, semverVersionSchema).default({}),
  /** Set when the skill was installed with --skip-verify. */
  skipVerify: z.boolean().optional(),
  /** How far this version is trusted, as computed on this install (absent in lockfiles written before trust levels). */
  trust: trustLevelSchema.optional(),
  /** Absent for registry skills. */
  source: lockSourceSchema.optional(),
  /** The folder under ./skills when it is not the SKILL.md name (an alias in skills.json). */
  folder: skillFolderSchema.optional(),
}).refine((entry) => entry.source !== undefined || entry.integrity !== undefined, { message: 'a registry skill needs its tarball integrity', path: ['integrity'] });

export const lockfileSchema = z.object({
  lockfileVersion: z.literal(LOCKFILE_VERSION),
  skills: z.record(packageNameSchema, lockEntrySchema).default({}),
});

export type StdioServerConfig = z.infer<typeof stdioServerSchema>;
export type HttpServerConfig = z.infer<typeof httpServerSchema>;
export type ServerConfig = z.infer<typeof serverConfigSchema>;
export type Workspace = z.infer<typeof workspaceSchema>;
export type LockEntry = z.infer<typeof lockEntrySchema>;
export type LockSource = z.infer<typeof lockSourceSchema>;
export type WorkspaceTrust = z.infer<typeof workspaceTrustSchema>;
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
      ...(entry.integrity === undefined ? {} : { integrity: entry.integrity }),
      digest: entry.digest,
      dependencies: sortRecord(entry.dependencies),
      ...(entry.skipVerify ? { skipVerify: true } : {}),
      ...(entry.trust ? { trust: entry.trust } : {}),
      ...(entry.source ? { source: orderedSource(entry.source) } : {}),
      ...(entry.folder !== undefined ? { folder: entry.folder } : {}),
    };
  }
  return `${JSON.stringify({ lockfileVersion: lock.lockfileVersion, skills }, null, 2)}\n`;
}

/** A lock source with its keys in one fixed order, so the lockfile's bytes do not depend on how it was built. */
function orderedSource(source: LockSource): LockSource {
  switch (source.type) {
    case 'git':
      return { type: 'git', spec: source.spec, url: source.url, commit: source.commit, path: source.path, ...(source.ref === undefined ? {} : { ref: source.ref }) };
    case 'folder':
      return { type: 'folder', spec: source.spec, path: source.path };
    case 'well-known':
      return { type: 'well-known', spec: source.spec, index: source.index, url: source.url, artifactDigest: source.artifactDigest };
  }
}

export function sortRecord<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
