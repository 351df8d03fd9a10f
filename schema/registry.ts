/** The registry's wire types: what the server sends and the CLI reads (and the request bodies). */
import { z } from 'zod';
import { auditSummarySchema } from './audit-report';
import { manifestSchema, semverVersionSchema } from './manifest';
import { packageNameSchema, SCOPE_RE } from './names';

export const PERMISSIONS = ['read', 'publish', 'admin'] as const;
export const permissionSchema = z.enum(PERMISSIONS);
export type Permission = z.infer<typeof permissionSchema>;

export const DIST_TAG_RE = /^[a-z][a-z0-9-]{0,31}$/;
export const distTagSchema = z.string().regex(DIST_TAG_RE, 'dist-tags are lower-case words, e.g. latest, next, beta');
export const scopeNameSchema = z.string().regex(SCOPE_RE, 'a scope is @ followed by lower-case words joined by single hyphens');
export const userNameSchema = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,38}$/, 'user names are 1-39 lower-case letters, digits, _ or -');
export const teamNameSchema = userNameSchema;

export const verificationSummarySchema = z.object({
  ok: z.boolean(),
  passed: z.number().int(),
  failed: z.number().int(),
  cases: z.array(z.object({ case: z.string(), status: z.enum(['passed', 'failed']), code: z.string().optional(), durationMs: z.number() })),
  verifiedAt: z.string(),
});

export const distSchema = z.object({
  tarball: z.string(),
  integrity: z.string(),
  digest: z.string(),
  fileCount: z.number().int(),
  unpackedSize: z.number().int(),
  size: z.number().int(),
});

export const packumentVersionSchema = z.object({
  name: packageNameSchema,
  version: semverVersionSchema,
  description: z.string(),
  manifest: manifestSchema,
  dist: distSchema,
  skillMd: z.string(),
  publishedAt: z.string(),
  publishedBy: z.string().nullable(),
  yanked: z.boolean(),
  deprecated: z.string().nullable(),
  verification: verificationSummarySchema,
  /** The registry's audit at publish (counts; findings at /versions/:v/audit). Absent before audits. */
  audit: auditSummarySchema.optional(),
});

export const packumentSchema = z.object({
  name: packageNameSchema,
  description: z.string(),
  distTags: z.record(z.string(), semverVersionSchema),
  versions: z.record(semverVersionSchema, packumentVersionSchema),
  time: z.record(z.string(), z.string()),
  private: z.boolean(),
});

/**
 * The install packument: what resolution and installs need and nothing else (no SKILL.md, no
 * verification reports), so it stays small as versions accumulate. Requested with
 * `Accept: application/vnd.skills.install-v1+json`.
 */
export const INSTALL_PACKUMENT_TYPE = 'application/vnd.skills.install-v1+json';
export const installPackumentSchema = z.object({
  name: packageNameSchema,
  distTags: z.record(z.string(), semverVersionSchema),
  versions: z.record(
    semverVersionSchema,
    z.object({
      version: semverVersionSchema,
      dependencies: z.record(packageNameSchema, z.string()),
      mcp: z.record(z.string(), z.array(z.string())),
      dist: distSchema,
      yanked: z.boolean(),
      deprecated: z.string().nullable(),
    }),
  ),
});

export const publishResponseSchema = z.object({
  name: packageNameSchema,
  version: semverVersionSchema,
  tag: z.string(),
  integrity: z.string(),
  digest: z.string(),
  tarball: z.string(),
  size: z.number().int(),
  verification: verificationSummarySchema,
  audit: auditSummarySchema.optional(),
});

export const searchResultSchema = z.object({
  name: packageNameSchema,
  version: semverVersionSchema,
  description: z.string(),
  keywords: z.array(z.string()),
  servers: z.array(z.string()),
  score: z.number(),
});

export const searchResponseSchema = z.object({
  total: z.number().int(),
  results: z.array(searchResultSchema),
});

export const tokenInfoSchema = z.object({
  id: z.string(),
  user: z.string(),
  permission: permissionSchema,
  scopes: z.array(z.string()).nullable(),
  description: z.string().nullable(),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
});

export const whoamiSchema = z.object({
  user: z.string(),
  tokenId: z.string(),
  permission: permissionSchema,
  scopes: z.array(z.string()).nullable(),
  teams: z.array(z.object({ name: z.string(), role: z.enum(['owner', 'member']) })),
});

// Request bodies.
export const createTokenBodySchema = z.object({
  /** Whose token; defaults to the caller. Creating one for another user needs admin. */
  user: userNameSchema.optional(),
  permission: permissionSchema.default('read'),
  scopes: z.array(scopeNameSchema).min(1).max(100).optional(),
  description: z.string().max(200).optional(),
  expiresInDays: z.number().int().positive().max(3650).optional(),
});
export const createUserBodySchema = z.object({ name: userNameSchema });
export const createTeamBodySchema = z.object({ name: teamNameSchema });
export const addMemberBodySchema = z.object({ user: userNameSchema, role: z.enum(['owner', 'member']).default('member') });
export const createScopeBodySchema = z.object({ name: scopeNameSchema, team: teamNameSchema, private: z.boolean().default(false) });
export const deprecateBodySchema = z.object({ message: z.string().max(1024) });
export const distTagBodySchema = z.object({ version: semverVersionSchema });

export type Packument = z.infer<typeof packumentSchema>;
export type PackumentVersion = z.infer<typeof packumentVersionSchema>;
export type InstallPackument = z.infer<typeof installPackumentSchema>;
export type PublishResponse = z.infer<typeof publishResponseSchema>;
export type SearchResult = z.infer<typeof searchResultSchema>;
export type SearchResponse = z.infer<typeof searchResponseSchema>;
export type TokenInfo = z.infer<typeof tokenInfoSchema>;
export type Whoami = z.infer<typeof whoamiSchema>;
export type VerificationSummary = z.infer<typeof verificationSummarySchema>;

/** The tarball URL path: `/v1/skills/@scope/name/-/name-1.2.3.tgz`. */
export function tarballPath(name: string, version: string): string {
  const bare = name.slice(name.indexOf('/') + 1);
  return `/v1/skills/${name}/-/${bare}-${version}.tgz`;
}

// ---------------------------------------------------------------------------------------------
// CLI side: response schemas and download limits. Every registry answer the CLI reads is parsed
// with one of these (a registry is hostile until parsed); the limits bound what it will read.
// ---------------------------------------------------------------------------------------------

const MiB = 1024 * 1024;
/** The largest tarball the CLI downloads: the registry's default upload limit (`maxTarballBytes`). */
export const MAX_TARBALL_BYTES = 10 * MiB;
/** The largest install packument the CLI reads (installs fetch up to 8 at once). */
export const MAX_PACKUMENT_BYTES = 16 * MiB;
/** The largest full packument (with every version's SKILL.md) the CLI reads, one at a time. */
export const MAX_FULL_PACKUMENT_BYTES = 32 * MiB;
/** The largest other answer (search, tokens, publish reports, errors) the CLI reads. */
export const MAX_RESPONSE_BYTES = 8 * MiB;
/**
 * The most JSON values (elements, keys, containers) in one answer. Parsing allocates per value
 * (~100 bytes per object), so bytes alone do not bound memory; 10,000 versions use ~300,000.
 */
export const MAX_JSON_VALUES = 1_000_000;

export const registryErrorBodySchema = z.object({
  error: z.object({
    code: z.string().max(64).regex(/^E[A-Z0-9]+$/),
    message: z.string(),
    hint: z.string().optional(),
    details: z.unknown().optional(),
  }),
});
export const createdTokenSchema = tokenInfoSchema.extend({ token: z.string() });
export const tokenListSchema = z.object({ tokens: z.array(tokenInfoSchema) });
export const tokenRevokedSchema = z.object({ id: z.string(), revoked: z.boolean() });
export const createdUserSchema = z.object({ name: z.string() });
export const teamCreatedSchema = z.object({ name: z.string() });
export const teamMemberAddedSchema = z.object({ team: z.string(), user: z.string(), role: z.enum(['owner', 'member']) });
export const teamListSchema = z.object({
  teams: z.array(z.object({ name: z.string(), members: z.array(z.object({ user: z.string(), role: z.enum(['owner', 'member']) })), scopes: z.array(z.string()) })),
});
export const scopeInfoSchema = z.object({ name: z.string(), team: z.string(), private: z.boolean() });
export const scopeListSchema = z.object({ scopes: z.array(scopeInfoSchema) });
export const yankResponseSchema = z.object({ name: z.string(), version: z.string(), yanked: z.boolean() });
export const deprecateResponseSchema = z.object({ name: z.string(), version: z.string(), deprecated: z.string().nullable() });
export const distTagsResponseSchema = z.object({ name: z.string(), distTags: z.record(z.string(), semverVersionSchema) });

export type CreatedToken = z.infer<typeof createdTokenSchema>;
export type TeamList = z.infer<typeof teamListSchema>;
export type ScopeInfo = z.infer<typeof scopeInfoSchema>;
