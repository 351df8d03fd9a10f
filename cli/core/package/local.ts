/** Reading and validating a skill folder on disk: the first step of validate, pack and publish. */
import path from 'node:path';
import { SkillsError } from '../../../schema/errors';
import { validatePackage, validationError, type PackageValidation } from '../../../schema/package';
import type { PackageFile } from '../../../schema/package-files';
import { skillTokenEstimates, type TokenEstimates } from '../../../schema/tokens';
import { collectFiles } from '../../../tarball/collect';

export interface LocalPackage {
  dir: string;
  files: PackageFile[];
  validation: PackageValidation;
  tokens: TokenEstimates | undefined;
}

export interface LoadOptions {
  requireFixtures?: boolean;
  /** For a plain skill (no skill.json): the scope and version of its derived name. */
  derive?: { scope?: string | undefined; version?: string | undefined };
  /** The folder name SKILL.md `name` must equal (default: the folder's base name; null: not checked). */
  folderName?: string | null;
}

export async function loadLocalPackage(dir: string, options: LoadOptions = {}): Promise<LocalPackage> {
  const absolute = path.resolve(dir);
  const files = await collectFiles(absolute);
  return describePackage(absolute, files, options);
}

/** Validation and token estimates of package files already in memory (a folder, or a skill from a source). */
export function describePackage(dir: string, files: PackageFile[], options: LoadOptions = {}): LocalPackage {
  const folderName = options.folderName === null ? undefined : (options.folderName ?? path.basename(dir));
  const validation = validatePackage(files, {
    ...(folderName === undefined ? {} : { folderName }),
    requireFixtures: options.requireFixtures ?? false,
    ...(options.derive ? { derive: options.derive } : {}),
  });
  const skill = validation.skill;
  const tokens = skill
    ? skillTokenEstimates(skill.id, skill.frontmatter.description, skill.body, `skills/${skill.id}/SKILL.md`)
    : undefined;
  return { dir, files, validation, tokens };
}

/**
 * Throws unless the package validated: ESCOPEMISSING or EVERSIONMISSING when that is all that is
 * missing (a plain skill needs both to be named), else EVALIDATION; every problem is in `details`.
 */
export function assertValid(pkg: LocalPackage): asserts pkg is LocalPackage & { validation: { manifest: NonNullable<PackageValidation['manifest']> } } {
  if (pkg.validation.ok && pkg.validation.manifest) return;
  const errors = pkg.validation.problems.filter((p) => p.severity === 'error');
  const only = errors.every((p) => p.code === 'ESCOPEMISSING' || p.code === 'EVERSIONMISSING') ? errors[0] : undefined;
  if (only) {
    const scope = errors.some((p) => p.code === 'ESCOPEMISSING');
    const version = errors.some((p) => p.code === 'EVERSIONMISSING');
    const hint = [
      scope ? 'pass --scope @yours (or set "scope" in skills.json or in the user config)' : '',
      version ? 'pass --version 1.0.0 (or set metadata.version in SKILL.md)' : '',
    ]
      .filter((h) => h !== '')
      .join(' and ');
    throw new SkillsError(only.code as 'ESCOPEMISSING' | 'EVERSIONMISSING', `${pkg.dir}: ${errors.map((p) => p.message).join('; ')}`, { hint, details: { problems: pkg.validation.problems } });
  }
  throw validationError(pkg.dir, pkg.validation.problems, `run \`skills validate ${pkg.dir}\` to see every problem`);
}

/** --version names a plain skill's version; for a code skill it may only repeat skill.json's. */
export function checkGivenVersion(kind: 'code' | 'plain', version: string, given: string | undefined): void {
  if (kind === 'code' && given !== undefined && given !== version) {
    throw new SkillsError('EVERSIONMISMATCH', `--version ${given} differs from skill.json's version ${version}`, { hint: 'a skill with skill.json takes its version from there: edit skill.json, or leave --version out' });
  }
}
