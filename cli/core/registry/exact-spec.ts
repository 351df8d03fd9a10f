/** Reading `@scope/name@1.2.3` arguments for commands that act on one exact version. */
import semver from 'semver';
import { SkillsError } from '../../../schema/errors';
import { parsePackageSpec } from '../../../schema/names';

export function exactVersionSpec(spec: string): { name: string; version: string } {
  const parsed = parsePackageSpec(spec);
  if (!parsed || parsed.range === undefined || semver.valid(parsed.range) !== parsed.range) {
    throw new SkillsError('ESPECINVALID', `"${spec}" is not @scope/name@version with an exact version`, { hint: 'e.g. @acme/csv-export@1.2.0' });
  }
  return { name: parsed.name, version: parsed.range };
}

export function nameSpec(spec: string): string {
  const parsed = parsePackageSpec(spec);
  if (!parsed || parsed.range !== undefined) throw new SkillsError('ESPECINVALID', `"${spec}" is not @scope/name`, { hint: 'e.g. @acme/csv-export' });
  return parsed.name;
}
