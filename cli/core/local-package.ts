/** Reading and validating a skill folder on disk: the first step of validate, pack and publish. */
import path from 'node:path';
import { validatePackage, validationError, type PackageValidation } from '../../schema/package';
import type { PackageFile } from '../../schema/package-files';
import { skillTokenEstimates, type TokenEstimates } from '../../schema/tokens';
import { collectFiles } from '../../tarball/collect';

export interface LocalPackage {
  dir: string;
  files: PackageFile[];
  validation: PackageValidation;
  tokens: TokenEstimates | undefined;
}

export async function loadLocalPackage(dir: string, options: { requireFixtures?: boolean } = {}): Promise<LocalPackage> {
  const absolute = path.resolve(dir);
  const files = await collectFiles(absolute);
  const validation = validatePackage(files, { folderName: path.basename(absolute), requireFixtures: options.requireFixtures ?? false });
  const skill = validation.skill;
  const tokens = skill
    ? skillTokenEstimates(skill.frontmatter.name, skill.frontmatter.description, skill.body, `skills/${skill.frontmatter.name}/SKILL.md`)
    : undefined;
  return { dir: absolute, files, validation, tokens };
}

/** Throws EVALIDATION (with every problem in `details`) unless the package validated. */
export function assertValid(pkg: LocalPackage): asserts pkg is LocalPackage & { validation: { manifest: NonNullable<PackageValidation['manifest']> } } {
  if (pkg.validation.ok && pkg.validation.manifest) return;
  throw validationError(pkg.dir, pkg.validation.problems, `run \`skills validate ${pkg.dir}\` to see every problem`);
}
