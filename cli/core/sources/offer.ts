/**
 * From a source's listing to the skills it offers an install: choose the candidates (`--skill`,
 * `--all`, the path in the spec, or the only one), read and validate each, name it (skill.json's
 * name, or `@<scope>/<SKILL.md name>` for a plain skill) and give it a version (SKILL.md
 * `metadata.version`, else the candidate's fallback: a semver tag, or one made from the commit).
 */
import { SkillsError } from '../../../schema/errors';
import { parsePackageName, SCOPE_RE } from '../../../schema/names';
import { validatePackage, validationError, type PackageValidation } from '../../../schema/package';
import { decodeUtf8 } from '../../../schema/utf8';
import type { PackageFile } from '../../../schema/package-files';
import { problemPlace, type Problem } from '../../../schema/problems';
import { isIntakeWarning, parseSkillMd, SKILL_MD, type SpecMode } from '../../../schema/skill-md';
import { contentDigest } from '../../../tarball/digest';
import type { OfferedSkill } from '../install/plan';
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

/**
 * Which candidates an install takes: those named with --skill (by folder name, else by SKILL.md
 * name), all with --all, the spec's path, or the only one. Candidates the names match twice are
 * all returned: `dedupeOffers` keeps one of byte-identical copies and refuses differing ones.
 */
export async function selectCandidates(listing: SourceListing, names: readonly string[] | undefined, all: boolean, ctx: SourceContext): Promise<Candidate[]> {
  const { candidates } = listing;
  const label = shown(listing.spec.raw);
  if (candidates.length === 0) {
    throw new SkillsError('ESKILLNOTFOUND', `${label} holds no skill (no SKILL.md${listing.spec.type === 'git' && listing.spec.path !== undefined ? ` in ${listing.spec.path || 'the root'}` : ''})`, {
      hint: 'a skill is a folder with a SKILL.md; check the path and ref',
    });
  }
  if (names !== undefined && names.length > 0) {
    const chosen = new Set(candidates.filter((c) => names.includes(c.label)));
    let missing = names.filter((n) => !candidates.some((c) => c.label === n));
    const byName = missing.length > 0 ? await skillMdNames(listing, ctx) : new Map<Candidate, string[]>();
    for (const [candidate, known] of byName) if (missing.some((n) => known.includes(n))) chosen.add(candidate);
    missing = missing.filter((n) => ![...byName.values()].some((known) => known.includes(n)));
    if (missing.length > 0) {
      throw new SkillsError('ESKILLNOTFOUND', `${label} has no skill named ${missing.join(', ')} (by folder or SKILL.md name)`, { hint: `it holds: ${candidates.map((c) => c.label).slice(0, 50).join(', ')}` });
    }
    return candidates.filter((c) => chosen.has(c));
  }
  if (all || candidates.length === 1) return candidates;
  throw new SkillsError('ESKILLCHOICE', `${label} holds ${candidates.length} skills; choose with --skill <name> (or --all)`, {
    hint: `it holds: ${candidates.map((c) => c.label).slice(0, 50).join(', ')}${candidates.length > 50 ? ', ...' : ''}; see them with --list`,
  });
}

/**
 * The names each loadable candidate's SKILL.md gives (as written, and as installed), read leniently.
 * What is read counts against the command's source budget, like any skill taken from a source.
 */
async function skillMdNames(listing: SourceListing, ctx: SourceContext): Promise<Map<Candidate, string[]>> {
  const loadable = listing.candidates.filter((c) => !c.error);
  await listing.prefetch?.(loadable);
  const names = new Map<Candidate, string[]>();
  for (const candidate of loadable) {
    // A candidate that cannot be loaded has no name to offer; the budget is still enforced.
    const files = await candidate.load().catch(() => undefined);
    if (files) spend(ctx, files.reduce((sum, f) => sum + f.bytes.byteLength, 0), `${candidate.label} in ${shown(listing.spec.raw)}`);
    const skillMd = files?.find((f) => f.path === SKILL_MD);
    const text = skillMd ? decodeUtf8(skillMd.bytes) : undefined;
    if (text === undefined) continue;
    const parsed = parseSkillMd(text, { mode: 'lenient', ...(candidate.folderName === null ? {} : { folderName: candidate.folderName }) });
    if (parsed.frontmatter && parsed.id !== undefined) names.set(candidate, [...new Set([parsed.frontmatter.name, parsed.id])]);
  }
  return names;
}

/**
 * One offer per skill name: byte-identical copies of a skill in several folders of one source are
 * one skill (the first path is kept); copies that differ are refused, naming each path and the
 * spec that picks one.
 */
export function dedupeOffers(listing: SourceListing, offers: readonly { offer: Offer; candidate: Candidate }[]): Offer[] {
  const kept = new Map<string, { offer: Offer; candidate: Candidate }>();
  for (const item of offers) {
    const first = kept.get(item.offer.skill.name);
    if (!first) {
      kept.set(item.offer.skill.name, item);
      continue;
    }
    if (first.offer.skill.digest === item.offer.skill.digest) continue;
    const pick = (c: Candidate) => pinnedSpec(listing.spec, { path: c.path, name: c.path });
    throw new SkillsError('ESOURCECONFLICT', `${shown(listing.spec.raw)} holds two different skills named ${item.offer.skill.name}: ${first.candidate.path || '(root)'} and ${item.candidate.path || '(root)'}; nothing was changed`, {
      hint: `pick one by its path: skills install ${pick(first.candidate)} (or ${pick(item.candidate)})`,
    });
  }
  return [...kept.values()].map((k) => k.offer);
}

const VERSION_PROBLEMS = new Set(['EVERSIONMISSING', 'EVERSIONINVALID']);

/**
 * Reads, validates and names one candidate. `expected`: the name skills.json already records for
 * this spec (its scope names a plain skill, and the skill must still be that one); `recordAs`: the
 * spec as skills.json writes it (default: the source's spec pinned to this candidate's folder).
 */
export async function offerCandidate(listing: SourceListing, candidate: Candidate, options: { scope: string; expected?: string | undefined; recordAs?: string | undefined; strict?: boolean | undefined }, ctx: SourceContext): Promise<Offer> {
  const where = `${candidate.label} in ${shown(listing.spec.raw)}`;
  if (candidate.error) throw candidate.error;
  const files = await candidate.load();
  spend(ctx, files.reduce((sum, f) => sum + f.bytes.byteLength, 0), where);
  const expectedScope = options.expected !== undefined ? parsePackageName(options.expected)?.scope : undefined;
  const scope = expectedScope ?? options.scope;
  const folderName = candidate.folderName ?? undefined;
  const mode: SpecMode = options.strict ? 'strict' : 'lenient';
  let validation = validatePackage(files, { ...(folderName === undefined ? {} : { folderName }), derive: { scope }, mode });
  const errors = (v: PackageValidation): Problem[] => v.problems.filter((p) => p.severity === 'error');
  if (!validation.ok && validation.kind === 'plain' && errors(validation).every((p) => VERSION_PROBLEMS.has(p.code))) {
    const given = validation.skill?.frontmatter.metadata?.version;
    ctx.warn(`${where}: ${given === undefined ? 'SKILL.md gives no metadata.version' : `metadata.version "${given}" is not semver`}; installed as ${candidate.fallbackVersion}`);
    validation = validatePackage(files, { ...(folderName === undefined ? {} : { folderName }), derive: { scope, version: candidate.fallbackVersion }, mode });
  }
  if (!validation.ok || !validation.manifest || !validation.skill) {
    throw validationError(where, validation.problems, mode === 'strict' ? 'the source does not hold a skill that follows the spec there (--strict, or "strict" in skills.json); nothing was installed' : 'the source does not hold a skill an agent could load there; nothing was installed');
  }
  for (const problem of validation.problems) if (isIntakeWarning(problem.code)) ctx.warn(`${where}: ${problem.code} ${problemPlace(problem)}: ${problem.message}`);
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
      folder: validation.skill.id,
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
