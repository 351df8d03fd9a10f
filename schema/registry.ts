/** The registry's wire types: what the server sends and the CLI reads (and the request bodies). */
import { z } from 'zod';
import { auditSummarySchema } from './audit-report';
import { manifestSchema, semverVersionSchema } from './manifest';
import { packageNameSchema, SCOPE_RE, SKILL_NAME_MAX, SKILL_NAME_RE } from './names';
import { codePoints, DESCRIPTION_MAX } from './skill-md';
import { trustLevelSchema } from './trust';
import { UNSTORABLE_MESSAGE, isStorableText } from './utf8';

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

/** `code`: the package has skill.json (an entry the sandbox runs). `plain`: SKILL.md and files only. */
export const packageKindSchema = z.enum(['code', 'plain']);
export type PackageKind = z.infer<typeof packageKindSchema>;

/** A file that kept a version's trust level from being higher, and why (at most 20 per version). */
export const trustReasonSchema = z.object({ path: z.string(), why: z.string() });
export type TrustReason = z.infer<typeof trustReasonSchema>;

/**
 * Where a version came from, as its publisher declared it in the `Skills-Provenance` request
 * header (JSON, at most 2 KiB, printable ASCII: other characters escaped as `\uXXXX`). The
 * registry checks its shape, never its truth; it is shown as declared.
 */
export const PROVENANCE_HEADER = 'Skills-Provenance';
export const MAX_PROVENANCE_BYTES = 2048;
/** Control and format characters (bidi overrides, zero-width) would make a shown value lie. */
const UNSHOWABLE = /[\p{Cc}\p{Cf}]/u;
const showable = (max: number) => z.string().max(max).refine((v) => !UNSHOWABLE.test(v), 'contains control or invisible formatting characters');

/**
 * True when a repository URL may carry a secret: a password (`user:pass@`, also in the scp form
 * `user:pass@host:path`), any user name or query string in an http(s) URL (tokens travel there).
 */
export function urlHasCredentials(url: string): boolean {
  const match = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)/i.exec(url);
  if (!match) {
    const userinfo = url.split('@')[0] ?? '';
    return url.includes('@') && userinfo.includes(':') && !userinfo.includes('/');
  }
  const authority = match[2] ?? '';
  const userinfo = authority.includes('@') ? authority.slice(0, authority.lastIndexOf('@')) : undefined;
  const http = /(^|\+)https?$/.test((match[1] ?? '').toLowerCase());
  return (userinfo !== undefined && (userinfo.includes(':') || http)) || (http && /[?]/.test(url));
}

/** A folder inside a repository: `''` for its root, else relative segments without `.`, `..` or backslashes. */
function isRepoPath(path: string): boolean {
  return path === '' || (!path.startsWith('/') && !path.includes('\\') && path.split('/').every((s) => s !== '' && s !== '.' && s !== '..'));
}

export const provenanceSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('git'),
    url: showable(1024).min(1).refine((u) => !urlHasCredentials(u), 'the URL may carry credentials (a password, a user name or a query in an http(s) URL); send it without them'),
    commit: z.string().regex(/^[0-9a-f]{40}$/, 'commit is the full 40-character hex SHA'),
    path: showable(512).refine(isRepoPath, "path is a folder inside the repository ('' for its root), without '.', '..' or backslashes"),
    ref: showable(256).min(1).optional(),
  }),
  z.object({ type: z.literal('folder') }),
]);
export type Provenance = z.infer<typeof provenanceSchema>;

/** The header value for a provenance: its JSON with every non-ASCII character escaped. */
export function provenanceHeaderValue(provenance: Provenance): string {
  return JSON.stringify(provenance).replace(/[\u007f-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

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
  /** For a plain skill: no cases (there is nothing to run); `trust` says how far it is trusted. */
  verification: verificationSummarySchema,
  kind: packageKindSchema,
  trust: trustLevelSchema,
  trustReasons: z.array(trustReasonSchema),
  provenance: provenanceSchema.nullable(),
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
  /** Tarball downloads: all time, the last 7 UTC days (today included), and all time per version. */
  downloads: z.object({ total: z.number().int(), lastWeek: z.number().int(), versions: z.record(z.string(), z.number().int()) }).optional(),
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
      kind: packageKindSchema,
      trust: trustLevelSchema,
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
  kind: packageKindSchema,
  trust: trustLevelSchema,
  trustReasons: z.array(trustReasonSchema),
  audit: auditSummarySchema.optional(),
});

export const searchResultSchema = z.object({
  name: packageNameSchema,
  version: semverVersionSchema,
  description: z.string(),
  keywords: z.array(z.string()),
  servers: z.array(z.string()),
  score: z.number(),
  /** The trust level of the version shown. */
  trust: trustLevelSchema,
});

export const searchResponseSchema = z.object({
  /** Exact unless `totalCapped`: then a lower bound (the registry counts matches only up to 1,000). */
  total: z.number().int(),
  /** Sent by registries that cap the count; absent from older ones. */
  totalCapped: z.boolean().optional(),
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

/**
 * The Agent Skills discovery index, `/.well-known/agent-skills/index.json`, schema v0.2.0 (the
 * "Agent Skills Discovery via Well-Known URIs" RFC): `$schema` names the version; each entry has
 * a spec skill `name`, a `type` (`skill-md`: the URL is one SKILL.md; `archive`: a .tar.gz or
 * .zip of the skill folder with SKILL.md at its root), a `description`, a `url` (resolved
 * against the index URL) and the `digest` `sha256:<64 lower-case hex>` of the exact bytes at
 * `url`. Unknown fields are ignored, as the RFC requires of clients.
 */
export const DISCOVERY_SCHEMA_URI = 'https://schemas.agentskills.io/discovery/0.2.0/schema.json';
export const DISCOVERY_INDEX_PATH = '/.well-known/agent-skills/index.json';
export const discoveryEntrySchema = z.object({
  name: z.string().max(SKILL_NAME_MAX).regex(SKILL_NAME_RE, 'a skill name: 1-64 lower-case letters, digits and single hyphens'),
  type: z.enum(['skill-md', 'archive']),
  description: z.string().min(1).refine((d) => codePoints(d) <= DESCRIPTION_MAX, `at most ${DESCRIPTION_MAX} characters`),
  url: z.string().min(1).refine((u) => URL.canParse(u, `https://example.invalid${DISCOVERY_INDEX_PATH}`), 'a URL, absolute or relative to the index'),
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'sha256: and 64 lower-case hex digits'),
});
export const discoveryIndexSchema = z.object({
  $schema: z.literal(DISCOVERY_SCHEMA_URI),
  skills: z.array(discoveryEntrySchema),
});
export type DiscoveryEntry = z.infer<typeof discoveryEntrySchema>;
export type DiscoveryIndex = z.infer<typeof discoveryIndexSchema>;

/**
 * What this registry puts in each index entry beyond the RFC's fields (clients ignore them):
 * the full package name, the version listed and its trust level.
 */
export const registryDiscoveryEntrySchema = discoveryEntrySchema.extend({
  package: packageNameSchema,
  version: semverVersionSchema,
  trust: trustLevelSchema,
});
export type RegistryDiscoveryEntry = z.infer<typeof registryDiscoveryEntrySchema>;

// Request bodies.
export const createTokenBodySchema = z.object({
  /** Whose token; defaults to the caller. Creating one for another user needs admin. */
  user: userNameSchema.optional(),
  permission: permissionSchema.default('read'),
  scopes: z.array(scopeNameSchema).min(1).max(100).optional(),
  description: z.string().max(200).refine(isStorableText, UNSTORABLE_MESSAGE).optional(),
  expiresInDays: z.number().int().positive().max(3650).optional(),
});
export const createUserBodySchema = z.object({ name: userNameSchema });
export const createTeamBodySchema = z.object({ name: teamNameSchema });
export const addMemberBodySchema = z.object({ user: userNameSchema, role: z.enum(['owner', 'member']).default('member') });
export const createScopeBodySchema = z.object({ name: scopeNameSchema, team: teamNameSchema, private: z.boolean().default(false) });
export const deprecateBodySchema = z.object({ message: z.string().max(1024).refine(isStorableText, UNSTORABLE_MESSAGE) });
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
const teamMemberSchema = z.object({ user: z.string(), role: z.enum(['owner', 'member']) });
/** The registry answers with the members (its creator, owner); the CLI's --json passes them on as docs/cli.md says. */
export const teamCreatedSchema = z.object({ name: z.string(), members: z.array(teamMemberSchema) });
export const teamMemberAddedSchema = z.object({ team: z.string(), user: z.string(), role: z.enum(['owner', 'member']) });
export const teamListSchema = z.object({
  teams: z.array(z.object({ name: z.string(), members: z.array(teamMemberSchema), scopes: z.array(z.string()) })),
});
export const scopeInfoSchema = z.object({ name: z.string(), team: z.string(), private: z.boolean() });
export const scopeListSchema = z.object({ scopes: z.array(scopeInfoSchema) });
export const yankResponseSchema = z.object({ name: z.string(), version: z.string(), yanked: z.boolean() });
export const deprecateResponseSchema = z.object({ name: z.string(), version: z.string(), deprecated: z.string().nullable() });
export const distTagsResponseSchema = z.object({ name: z.string(), distTags: z.record(z.string(), semverVersionSchema) });

/** `GET /v1/admin/log`: one entry of the admin log (docs/http-api.md). */
export const adminLogEntrySchema = z.object({
  id: z.number().int(),
  at: z.string().max(64),
  user: z.string().max(256).nullable(),
  tokenId: z.string().max(64).nullable(),
  address: z.string().max(256).nullable(),
  action: z.string().max(64),
  target: z.string().max(1024),
  details: z.unknown(),
});
export const adminLogPageSchema = z.object({ entries: z.array(adminLogEntrySchema).max(1000), next: z.number().int().nullable() });
export type AdminLogEntryView = z.infer<typeof adminLogEntrySchema>;

/** The most entries one page of the admin log holds (`limit`); the default is 50. */
export const MAX_ADMIN_LOG_LIMIT = 500;

const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

/**
 * An ISO 8601 date (`2025-06-01`, UTC midnight) or date-time with its zone
 * (`2025-06-01T12:00:00Z`, `...+02:00`), as toISOString writes it; undefined for anything else,
 * a day that does not exist (2025-02-30) included.
 */
export function parseIsoTime(text: string): string | undefined {
  if (!ISO_TIME.test(text)) return undefined;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) return undefined;
  // Date.parse rolls 2025-02-30 over into March.
  const day = new Date(0);
  day.setUTCFullYear(Number(text.slice(0, 4)), Number(text.slice(5, 7)) - 1, Number(text.slice(8, 10)));
  if (day.toISOString().slice(0, 10) !== text.slice(0, 10)) return undefined;
  return new Date(ms).toISOString();
}

export type CreatedToken = z.infer<typeof createdTokenSchema>;
export type TeamList = z.infer<typeof teamListSchema>;
export type ScopeInfo = z.infer<typeof scopeInfoSchema>;

// Trust, kind and provenance as the CLI reads them (issue 12). The registry adds these fields to
// the shapes above; here they are optional so the CLI also reads a registry that predates them
// (and shows "unknown"), and so these views never contradict the shapes they extend.
export const trustReasonsSchema = z.array(z.object({ path: z.string().max(1024), why: z.string().max(1024) })).max(100);
const trustFieldsView = {
  kind: z.enum(['code', 'plain']).optional(),
  trust: trustLevelSchema.optional(),
  trustReasons: trustReasonsSchema.optional(),
};
/** Where a version came from, as its publisher declared it (shown, never checked). */
export const provenanceViewSchema = z.object({
  type: z.string().max(32),
  url: z.string().max(2048).optional(),
  commit: z.string().max(64).optional(),
  path: z.string().max(1024).optional(),
  ref: z.string().max(1024).optional(),
});
export const publishedViewSchema = publishResponseSchema.extend({ ...trustFieldsView, verification: verificationSummarySchema.nullable().optional() });
export const packumentVersionViewSchema = packumentVersionSchema.extend({ ...trustFieldsView, verification: verificationSummarySchema.nullable().optional(), provenance: provenanceViewSchema.nullable().optional() });
export const packumentViewSchema = packumentSchema.extend({ versions: z.record(semverVersionSchema, packumentVersionViewSchema) });
export const searchResultViewSchema = searchResultSchema.extend({ trust: trustLevelSchema.optional() });
export const searchResponseViewSchema = searchResponseSchema.extend({ results: z.array(searchResultViewSchema) });
export const installPackumentViewSchema = installPackumentSchema.extend({
  versions: z.record(semverVersionSchema, installPackumentSchema.shape.versions.valueType.extend({ kind: trustFieldsView.kind, trust: trustFieldsView.trust })),
});
export type PublishedView = z.infer<typeof publishedViewSchema>;
export type PackumentVersionView = z.infer<typeof packumentVersionViewSchema>;
export type InstallPackumentView = z.infer<typeof installPackumentViewSchema>;

/**
 * The discovery index as a client reads another host's (`/.well-known/agent-skills/index.json`,
 * v0.2.0), more leniently than `discoveryIndexSchema` above, which is what this registry serves: each
 * skill is one artifact, a SKILL.md (`skill-md`) or an archive (`archive`), at `url` (resolved
 * against the index URL) with the sha256 of its exact bytes. Unknown fields are ignored; an entry
 * of an unknown `type` is kept here and skipped by the client.
 */
export const DISCOVERY_SCHEMA_V0_2_0 = DISCOVERY_SCHEMA_URI;
export const MAX_DISCOVERY_SKILLS = 1000;
export const clientDiscoveryEntrySchema = z.object({
  name: z.string().min(1).max(SKILL_NAME_MAX).regex(SKILL_NAME_RE),
  type: z.string().min(1).max(64),
  description: z.string().max(1024),
  url: z.string().min(1).max(2048),
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be sha256: and 64 lower-case hex digits'),
});
export const clientDiscoveryIndexSchema = z.object({
  $schema: z.string().max(2048).optional(),
  skills: z.array(clientDiscoveryEntrySchema).max(MAX_DISCOVERY_SKILLS),
});
export type ClientDiscoveryEntry = z.infer<typeof clientDiscoveryEntrySchema>;
