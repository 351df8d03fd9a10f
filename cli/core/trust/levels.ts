/**
 * Trust levels as the CLI computes them (schema/trust.ts decides the level from the files and the
 * sandbox's verdict), the sandbox-verification cache key shared by pack and install, and the
 * install policy: `unverified` skills install only when the workspace allows them by name.
 */
import { SkillsError } from '../../../schema/errors';
import type { PackageValidation } from '../../../schema/package';
import type { PackageFile } from '../../../schema/package-files';
import { assessTrust, type TrustAssessment, type TrustLevel } from '../../../schema/trust';
import { contentDigest } from '../../../tarball/digest';
import type { Cache } from '../registry/cache';
import { TRUST_FILE, type AcceptedAbout, type Acceptance } from './store';

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
  const { verifySkill } = await import('../../../sandbox/verify');
  const report = await verifySkill({ dir });
  if (report.ok && standalone) await cache.markVerified(key);
  return computeTrust(files, 'code', report.ok ? 'sandbox' : 'failed');
}

/** A skill an install would put in place, as the policy sees it. */
export interface PolicySubject {
  name: string;
  /** Its content digest: what an acceptance names. */
  digest: string;
  trust: TrustLevel;
  because: readonly { path: string; why: string }[];
  /** Installed with --skip-verify: the user already took that risk for this command. */
  skipped: boolean;
}

export interface TrustPolicyInput {
  subjects: readonly PolicySubject[];
  /** Skills this command names (its specs, or update's names) when it runs with --allow-unverified: accepted now, by the person who typed them. */
  named: ReadonlySet<string>;
  /** `skills.json` "trust.allowUnverified": what the workspace asks for. Taken only with --trust-workspace, or for content this user accepted before. */
  requested: ReadonlySet<string>;
  /** --trust-workspace: accept, for the content at hand, what skills.json asks for. */
  trustWorkspace: boolean;
  /** Whether the user's own trust store accepted this content already. */
  accepted(digest: string, about: AcceptedAbout): boolean;
}

export interface TrustDecision {
  /** Acceptances to record in the user's trust store. */
  accept: Acceptance[];
  /** Names to add to skills.json "trust.allowUnverified" (the skills named with --allow-unverified). */
  record: string[];
}

/**
 * Who may let an `unverified` skill in: the person at the keyboard, never a file that arrived with
 * the workspace. A skill passes when this command names it with --allow-unverified (recorded in
 * skills.json and the user's trust store), or when skills.json asks for it and the user accepted
 * its exact content, before (the store) or now (--trust-workspace, recorded). skills.json alone
 * can only tighten: a name taken out of it is refused again. Everything else is refused
 * (EUNVERIFIED, naming the files that make each one so). A code skill that is unverified only
 * because --skip-verify kept the sandbox from running passes: that flag is its own opt-out.
 */
export function decideInstallTrust(input: TrustPolicyInput): TrustDecision {
  const accept: Acceptance[] = [];
  const record: string[] = [];
  const refused: PolicySubject[] = [];
  for (const s of input.subjects) {
    if (s.trust !== 'unverified' || (s.skipped && s.because.every((b) => b.path === 'skill.json'))) continue;
    if (input.named.has(s.name)) {
      accept.push({ digest: s.digest, name: s.name, about: 'unverified' });
      record.push(s.name);
    } else if (!input.requested.has(s.name)) refused.push(s);
    else if (input.accepted(s.digest, 'unverified')) continue;
    else if (input.trustWorkspace) accept.push({ digest: s.digest, name: s.name, about: 'unverified' });
    else refused.push(s);
  }
  if (refused.length === 0) return { accept, record: [...new Set(record)].sort() };
  const describe = (s: PolicySubject) => `${s.name} (${s.because.slice(0, 3).map((b) => `${b.path}: ${b.why}`).join('; ')}${s.because.length > 3 ? `; and ${s.because.length - 3} more` : ''})`;
  const names = refused.map((s) => s.name);
  const asked = refused.filter((s) => input.requested.has(s.name)).map((s) => s.name);
  const hint = asked.length > 0
    ? `skills.json asks to allow ${asked.join(', ')}, but you have not accepted this content on this machine (a workspace cannot lower its own trust): read those files, then run \`skills install --trust-workspace\` (or \`skills install --allow-unverified ${asked.join(' ')}\`)`
    : `read those files; to install anyway, name them: \`skills install ${names.join(' ')} --allow-unverified\` (recorded in skills.json "trust.allowUnverified", and accepted for this content in your own ${TRUST_FILE})`;
  throw new SkillsError('EUNVERIFIED', `${refused.length === 1 ? 'a skill is' : `${refused.length} skills are`} unverified, holding executable content the sandbox cannot run: ${refused.map(describe).join(', ')}; nothing was installed`, {
    hint,
    details: { unverified: refused.map((s) => ({ name: s.name, because: s.because, requestedByWorkspace: input.requested.has(s.name) })) },
  });
}
