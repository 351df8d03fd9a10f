/** Reading `@scope/name` and versions out of route parameters. */
import semver from 'semver';
import { SkillsError } from '../schema/errors';
import { parsePackageName } from '../schema/names';
import type { Ctx } from './context';

export function routeName(c: Ctx): string {
  const full = `${c.req.param('scope') ?? ''}/${c.req.param('name') ?? ''}`;
  if (!parsePackageName(full)) {
    throw new SkillsError('ENAMEINVALID', `${JSON.stringify(full.slice(0, 100))} is not a skill name`, { status: 400, hint: 'names are @scope/name in lower case' });
  }
  return full;
}

export function routeVersion(c: Ctx): string {
  const version = c.req.param('version') ?? '';
  if (semver.valid(version) !== version) throw new SkillsError('EVERSIONINVALID', `${JSON.stringify(version.slice(0, 100))} is not a semver version`, { status: 400 });
  return version;
}

/** `?version=` of a publish: a strict semver version, or undefined when absent. */
export function queryVersion(c: Ctx): string | undefined {
  const version = c.req.query('version');
  if (version === undefined) return undefined;
  if (version.length > 256 || semver.valid(version) !== version) {
    throw new SkillsError('EVERSIONINVALID', `${JSON.stringify(version.slice(0, 100))} is not a semver version`, { status: 400, hint: 'give a version such as 1.2.0' });
  }
  return version;
}
