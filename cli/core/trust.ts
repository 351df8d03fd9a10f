/**
 * Trust levels as the CLI computes them (schema/trust.ts decides the level from the files and the
 * sandbox's verdict), the sandbox-verification cache key shared by pack and install, and the
 * install policy: `unverified` skills install only when the workspace allows them by name.
 */
import { SkillsError } from '../../schema/errors';
import type { PackageValidation } from '../../schema/package';
import type { PackageFile } from '../../schema/package-files';
import { assessTrust, type TrustAssessment, type TrustLevel } from '../../schema/trust';
import { contentDigest } from '../../tarball/digest';
import type { Cache } from './cache';

/** Bumped when the sandbox's verdicts could change, so cached verifications are redone. */
export const VERIFIER_VERSION = 'sandbox-1';

/** The cache key of "this content, with these dependencies, passed every fixture in the sandbox". */
export function verificationKey(digest: string, dependencyDigests: readonly (string | undefined)[]): string {
  return `${VERIFIER_VERSION}|${digest}|${dependencyDigests.join(',')}`;
}

/** How the sandbox's verdict was reached: run now, remembered from an earlier run, or not run (and why). */
export type VerificationOutcome = 'sandbox' | 'cache' | 'failed' | 'skipped' | 'no-fixtures' | 'not-code';

export function verificationVerdict(outcome: VerificationOutcome): 'passed' | 'failed' | 'not-run' {
  return outcome === 'sandbox' || outcome === 'cache' ? 'passed' : outcome === 'failed' ? 'failed' : 'not-run';
}

export interface ComputedTrust extends TrustAssessment {
  kind: 'code' | 'plain';
  verification: VerificationOutcome;
}

export function computeTrust(files: readonly PackageFile[], kind: 'code' | 'plain', verification: VerificationOutcome): ComputedTrust {
  const assessed = assessTrust({ files, kind, verification: verificationVerdict(verification) });
  const because = verification === 'skipped' && kind === 'code' ? assessed.because.map((b) => (b.path === 'skill.json' ? { ...b, why: 'installed with --skip-verify: the sandbox did not run it' } : b)) : assessed.because;
  return { level: assessed.level, because, kind, verification };
}

/**
 * The trust of a validated folder being packed. A code skill without dependencies reuses a
 * verification this machine already ran on the same content (the key install uses); otherwise
 * its fixtures run in the sandbox now. Pack never fails on a failing case: the level says it.
 */
export async function packTrust(dir: string, files: readonly PackageFile[], validation: PackageValidation, cache: Cache, options: { skipVerify: boolean }): Promise<ComputedTrust> {
  if (validation.kind === 'plain') return computeTrust(files, 'plain', 'not-code');
  if (options.skipVerify) return computeTrust(files, 'code', 'skipped');
  if (validation.fixtures.size === 0) return computeTrust(files, 'code', 'no-fixtures');
  const standalone = Object.keys(validation.manifest?.dependencies ?? {}).length === 0;
  const key = verificationKey(contentDigest(files), []);
  if (standalone && (await cache.wasVerified(key))) return computeTrust(files, 'code', 'cache');
  const { verifySkill } = await import('../../sandbox/verify');
  const report = await verifySkill({ dir });
  if (report.ok && standalone) await cache.markVerified(key);
  return computeTrust(files, 'code', report.ok ? 'sandbox' : 'failed');
}

/** A skill an install would put in place, as the policy sees it. */
export interface PolicySubject {
  name: string;
  trust: TrustLevel;
  because: readonly { path: string; why: string }[];
  /** Installed with --skip-verify: the user already took that risk for this command. */
  skipped: boolean;
}

/**
 * Refuses `unverified` skills the workspace does not allow by name (EUNVERIFIED, naming the files
 * that made each one so). A code skill that is unverified only because --skip-verify kept the
 * sandbox from running passes: that flag is its own, louder, opt-out.
 */
export function checkInstallPolicy(subjects: readonly PolicySubject[], allowed: ReadonlySet<string>): void {
  const refused = subjects.filter((s) => s.trust === 'unverified' && !allowed.has(s.name) && !(s.skipped && s.because.every((b) => b.path === 'skill.json')));
  if (refused.length === 0) return;
  const describe = (s: PolicySubject) => `${s.name} (${s.because.slice(0, 3).map((b) => `${b.path}: ${b.why}`).join('; ')}${s.because.length > 3 ? `; and ${s.because.length - 3} more` : ''})`;
  const names = refused.map((s) => s.name);
  throw new SkillsError('EUNVERIFIED', `${refused.length === 1 ? 'a skill is' : `${refused.length} skills are`} unverified, holding executable content the sandbox cannot run: ${refused.map(describe).join(', ')}; nothing was installed`, {
    hint: `read those files; to install anyway, run it again with --allow-unverified (recorded in skills.json "trust.allowUnverified" for ${names.join(', ')})`,
    details: { unverified: refused.map((s) => ({ name: s.name, because: s.because })) },
  });
}
