/**
 * From a source's listing to the skills it offers an install: choose the candidates (`--skill`,
 * `--all`, the path in the spec, or the only one), read and validate each, name it (skill.json's
 * name, or `@<scope>/<SKILL.md name>` for a plain skill) and give it a version (SKILL.md
 * `metadata.version`, else the candidate's fallback: a semver tag, or one made from the commit).
 */
import { SkillsError } from '../../../schema/errors';
import { parsePackageName, SCOPE_RE } from '../../../schema/names';
import { validatePackage, validationError, type PackageValidation } from '../../../schema/package';
import type { PackageFile } from '../../../schema/package-files';
import type { Problem } from '../../../schema/problems';
import { contentDigest } from '../../../tarball/digest';
import type { OfferedSkill } from '../install-plan';
import { pinnedSpec, shown } from './spec';
import { spend, type Candidate, type SourceContext, type SourceListing } from './types';

export interface Offer {
  skill: OfferedSkill;
  files: PackageFile[];
  validation: PackageValidation;
}

/** The scope plain skills from a source get when nothing names one: `github:owner/...` gives @owner, else @local. */
export function fallbackScope(listing: SourceListing): string {
  const owner = listing.spec.type === 'git' ? listing.spec.github?.owner.toLowerCase() : undefined;
  return owner !== undefined && SCOPE_RE.test(`@${owner}`) ? `@${owner}` : '@local';
}

/** Which candidates an install takes: those named with --skill, all with --all, the spec's path, or the only one. */
export function selectCandidates(listing: SourceListing, names: readonly string[] | undefined, all: boolean): Candidate[] {
  const { candidates } = listing;
  const label = shown(listing.spec.raw);
  if (candidates.length === 0) {
    throw new SkillsError('ESKILLNOTFOUND', `${label} holds no skill (no SKILL.md${listing.spec.type === 'git' && listing.spec.path !== undefined ? ` in ${listing.spec.path || 'the root'}` : ''})`, {
      hint: 'a skill is a folder with a SKILL.md; check the path and ref',
    });
  }
  if (names !== undefined && names.length > 0) {
    const chosen = candidates.filter((c) => names.includes(c.label));
    const missing = names.filter((n) => !candidates.some((c) => c.label === n));
    if (missing.length > 0) {
      throw new SkillsError('ESKILLNOTFOUND', `${label} has no skill named ${missing.join(', ')}`, { hint: `it holds: ${candidates.map((c) => c.label).slice(0, 50).join(', ')}` });
    }
    return chosen;
  }
  if (all || candidates.length === 1) return candidates;
  throw new SkillsError('ESKILLCHOICE', `${label} holds ${candidates.length} skills; choose with --skill <name> (or --all)`, {
    hint: `it holds: ${candidates.map((c) => c.label).slice(0, 50).join(', ')}${candidates.length > 50 ? ', ...' : ''}; see them with --list`,
  });
}

const VERSION_PROBLEMS = new Set(['EVERSIONMISSING', 'EVERSIONINVALID']);

/**
 * Reads, validates and names one candidate. `expected`: the name skills.json already records for
 * this spec (its scope names a plain skill, and the skill must still be that one); `recordAs`: the
 * spec as skills.json writes it (default: the source's spec pinned to this candidate's folder).
 */
export async function offerCandidate(listing: SourceListing, candidate: Candidate, options: { scope: string; expected?: string | undefined; recordAs?: string | undefined }, ctx: SourceContext): Promise<Offer> {
  const where = `${candidate.label} in ${shown(listing.spec.raw)}`;
  if (candidate.error) throw candidate.error;
  const files = await candidate.load();
  spend(ctx, files.reduce((sum, f) => sum + f.bytes.byteLength, 0), where);
  const expectedScope = options.expected !== undefined ? parsePackageName(options.expected)?.scope : undefined;
  const scope = expectedScope ?? options.scope;
  const folderName = candidate.folderName ?? undefined;
  let validation = validatePackage(files, { ...(folderName === undefined ? {} : { folderName }), derive: { scope } });
  const errors = (v: PackageValidation): Problem[] => v.problems.filter((p) => p.severity === 'error');
  if (!validation.ok && validation.kind === 'plain' && errors(validation).every((p) => VERSION_PROBLEMS.has(p.code))) {
    const given = validation.skill?.frontmatter.metadata?.version;
    ctx.warn(`${where}: ${given === undefined ? 'SKILL.md gives no metadata.version' : `metadata.version "${given}" is not semver`}; installed as ${candidate.fallbackVersion}`);
    validation = validatePackage(files, { ...(folderName === undefined ? {} : { folderName }), derive: { scope, version: candidate.fallbackVersion } });
  }
  if (!validation.ok || !validation.manifest || !validation.skill) throw validationError(where, validation.problems, 'the source does not hold a valid skill there; nothing was installed');
  const { manifest } = validation;
  if (options.expected !== undefined && manifest.name !== options.expected) {
    throw new SkillsError('ESOURCENAME', `${shown(listing.spec.raw)} now holds ${manifest.name}, not ${options.expected}; nothing was installed`, {
      hint: `install it under its new name (skills uninstall ${options.expected}, then skills install ${shown(listing.spec.raw)})`,
    });
  }
  const digest = contentDigest(files);
  const spec = options.recordAs ?? pinnedSpec(listing.spec, { path: candidate.path, name: candidate.path });
  await ctx.cache.putContent(digest, files);
  return {
    files,
    validation,
    skill: {
      name: manifest.name,
      folder: validation.skill.frontmatter.name,
      version: manifest.version,
      dependencies: manifest.dependencies,
      mcp: manifest.mcp,
      kind: validation.kind,
      digest,
      spec,
      resolved: candidate.resolved,
      source: candidate.lockSource(spec, digest),
    },
  };
}
