/** `skills install <source> --list`: every skill folder a source holds, with its name, version and trust, or why it cannot be installed. */
import { SkillsError } from '../../../schema/errors';
import type { TrustLevel } from '../../../schema/trust';
import { Cache } from '../registry/cache';
import { readConfig } from '../registry/config';
import { checkScope } from '../package/scope';
import { computeTrust } from '../trust/levels';
import { loadWorkspace } from '../workspace/files';
import { listSource } from './index';
import { fallbackScope, offerCandidate } from './offer';
import { parseSourceSpec, specEnv, type SourceSpec } from './spec';
import { newSourceContext, type SourceContext } from './types';

/** One skill folder of a source, as --list shows it. */
export interface ListedSkill {
  path: string;
  name: string | null;
  version: string | null;
  kind: 'code' | 'plain' | null;
  trust: TrustLevel | null;
  trustReasons: { path: string; why: string }[];
  spec: string | null;
  error: { code: string; message: string } | null;
}

export async function listSourceSkills(options: { spec: string; root: string; env: NodeJS.ProcessEnv; scope?: string | undefined; progress(m: string): void; warn(m: string): void }): Promise<{ source: string; resolved: string; skills: ListedSkill[] }> {
  const spec: SourceSpec = parseSourceSpec(options.spec, specEnv(options.env));
  if (spec.type === 'registry') throw new SkillsError('EUSAGE', '--list shows what a source (git, folder, https) holds; for a registry skill use `skills info`');
  const ctx: SourceContext = newSourceContext({ env: options.env, root: options.root, cache: Cache.fromEnv(options.env), progress: options.progress, warn: () => undefined });
  const listing = await listSource(spec, ctx);
  const { workspace } = await loadWorkspace(options.root).catch(() => ({ workspace: undefined }));
  const scope = options.scope !== undefined ? checkScope(options.scope) : (workspace?.scope ?? (await readConfig(options.env)).scope ?? fallbackScope(listing));
  const skills: ListedSkill[] = [];
  await listing.prefetch?.(listing.candidates.filter((c) => !c.error));
  for (const candidate of listing.candidates) {
    try {
      const offer = await offerCandidate(listing, candidate, { scope }, ctx);
      // Before install nothing ran in the sandbox: a code skill shows as not verified yet.
      const trust = computeTrust(offer.files, offer.skill.kind, offer.skill.kind === 'code' ? 'no-fixtures' : 'not-code');
      skills.push({ path: candidate.path, name: offer.skill.name, version: offer.skill.version, kind: offer.skill.kind, trust: trust.level, trustReasons: trust.because, spec: offer.skill.spec, error: null });
    } catch (error) {
      if (!(error instanceof SkillsError)) throw error;
      skills.push({ path: candidate.path, name: null, version: null, kind: null, trust: null, trustReasons: [], spec: null, error: { code: error.code, message: error.message } });
    }
  }
  return { source: spec.raw, resolved: listing.describe, skills };
}
