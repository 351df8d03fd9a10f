/**
 * `skills outdated` for skills from git, folders and discovery indexes: the spec in skills.json is
 * resolved as `skills update` resolves it (a branch or tag to where it points now, `#semver:` to
 * the newest tag inside it, a folder or index to what it holds now), and the skill is outdated when
 * what it gives differs from the lockfile's digest. So the two commands agree by construction.
 */
import { SkillsError } from '../../../schema/errors';
import { parsePackageName } from '../../../schema/names';
import type { LockEntry } from '../../../schema/workspace';
import { listSource } from './index';
import { offerCandidate, selectCandidates } from './offer';
import { parseSourceSpec, specEnv } from './spec';
import type { SourceContext } from './types';

export interface SourceOutdated {
  /** The version update would install (the skill's metadata.version, a semver tag, or one made from the commit). */
  latest: string;
  /** What changed: the commit for git (current and latest), else the content digest. */
  current: string;
  next: string;
  changed: boolean;
}

export async function sourceOutdated(name: string, spec: string, entry: LockEntry | undefined, ctx: SourceContext): Promise<SourceOutdated> {
  const parsed = parseSourceSpec(spec, specEnv(ctx.env));
  if (parsed.type === 'registry') throw new SkillsError('EINTERNAL', `${name}: ${spec} is not a source`);
  const listing = await listSource(parsed, ctx);
  const [candidate] = await selectCandidates(listing, undefined, false, ctx);
  if (!candidate) throw new SkillsError('ESKILLNOTFOUND', `${spec} holds no skill`);
  const scope = parsePackageName(name)?.scope ?? '@local';
  const offer = await offerCandidate(listing, candidate, { scope, expected: name, recordAs: spec }, ctx);
  const source = offer.skill.source;
  const current = entry?.source?.type === 'git' ? entry.source.commit : (entry?.digest ?? '');
  const next = source.type === 'git' ? source.commit : offer.skill.digest;
  return { latest: offer.skill.version, current, next, changed: entry === undefined || entry.digest !== offer.skill.digest };
}
