/** The registry's wire types: what the server sends and the CLI reads (and the request bodies). */
import { z } from 'zod';
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
