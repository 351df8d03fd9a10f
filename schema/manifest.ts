/** `skill.json`: the package-facing manifest of a skill (DESIGN.md "A skill package"). */
import semver from 'semver';
import { z } from 'zod';
import { refineJsonDepth } from './json-depth';
import { packageNameSchema, SERVER_NAME_RE, TOOL_NAME_RE } from './names';

export const semverVersionSchema = z
  .string()
  .refine((v) => semver.valid(v) === v, 'must be a strict semver version such as 1.2.0');

export const semverRangeSchema = z
  .string()
  .min(1)
  .refine((r) => semver.validRange(r) !== null, 'must be a semver range such as ^1.2.0');

/** Relative, forward-slash path inside the package, with no `..` segment. */
export const relativePathSchema = z
  .string()
  .min(1)
  .refine(
    (p) => !p.startsWith('/') && !p.includes('\\') && !p.split('/').some((s) => s === '..' || s === '' || s === '.'),
    'must be a relative path inside the skill folder',
  );

export const mcpDeclarationSchema = z.record(
  z.string().regex(SERVER_NAME_RE, 'server names are lower case letters, digits, and single - _ .'),
  z.array(z.string().regex(TOOL_NAME_RE, 'tool names are 1-128 letters, digits, _ - .')).min(1),
);

export const manifestSchema = z.object({
  name: packageNameSchema,
  version: semverVersionSchema,
  entry: relativePathSchema.refine((p) => /\.(ts|mts|js|mjs)$/.test(p), 'entry must be a .ts or .js file').default('index.ts'),
  description: z.string().max(1024).optional(),
  dependencies: z.record(packageNameSchema, semverRangeSchema).default({}),
  mcp: mcpDeclarationSchema.default({}),
  keywords: z.array(z.string().min(1).max(50)).max(20).default([]),
  license: z.string().min(1).optional(),
  repository: z.string().optional(),
})
  // No field is free-form JSON today; this keeps a parsed manifest shallow if one ever is.
  .superRefine(refineJsonDepth);

export type Manifest = z.infer<typeof manifestSchema>;
export type ManifestInput = z.input<typeof manifestSchema>;
export type McpDeclaration = z.infer<typeof mcpDeclarationSchema>;

export const MANIFEST_KEYS: readonly string[] = Object.keys(manifestSchema.shape);
