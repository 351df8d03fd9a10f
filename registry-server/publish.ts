/**
 * Publishing one version: unpack safely, validate, check name, scope and version, verify in the
 * sandbox (with the skill's dependencies from this registry), then insert everything in one
 * transaction. Any failure leaves the database exactly as it was.
 */
import semver from 'semver';
import { SkillsError } from '../schema/errors';
import { parsePackageName } from '../schema/names';
import { validatePackage, validationError, type PackageValidation } from '../schema/package';
import { decodeUtf8 } from '../schema/utf8';
import type { PackageFile } from '../schema/package-files';
import { summarizeAudit } from '../schema/audit-report';
import type { Provenance, PublishResponse, VerificationSummary } from '../schema/registry';
import { recordAdminAction } from './admin-log';
import { auditUpload } from './publish-audit';
import { tarballPath } from '../schema/registry';
import type { VerificationReport } from '../sandbox/verify';
import { contentDigest, integrityOf, sha256Hex } from '../tarball/digest';
import { unpack } from '../tarball/unpack';
import { resolve, type AvailableSkill, type ResolvedSkill } from '../schema/resolve';
import type { Caller, ScopeRow } from './auth';
import { scopeNotFound, type Services } from './context';
import { compactReport, excerpt } from './report';
import type { SkillRow, SkillsStore } from './skills-store';
import { sha256Of, versionTrust } from './version-trust';

export interface PublishRequest {
  name: string;
  /** From `publishTarget`, checked before the body was read. */
  scope: ScopeRow;
  tarball: Uint8Array;
  tag: string | undefined;
  /** `?version=`: a plain skill's version; with skill.json it must equal skill.json's. */
  version: string | undefined;
  /** The `Skills-Provenance` header, parsed; stored as declared. */
  provenance: Provenance | undefined;
  caller: Caller;
  /** The client's address, for the admin log (null in process). */
  address: string | null;
  origin: string;
}

/**
 * The scope a caller may publish `name` into, checked before the upload is read. A private scope
 * the caller cannot read answers exactly like a scope that does not exist.
 */
export async function publishTarget(services: Services, caller: Caller, name: string): Promise<ScopeRow> {
  const { auth } = services;
  const parsed = parsePackageName(name);
  if (!parsed) throw new SkillsError('ENAMEINVALID', `${name} is not a skill name`, { status: 400 });
  const scope = await auth.scope(parsed.scope);
  if (!scope || !(await auth.canRead(caller, scope))) throw scopeNotFound(parsed.scope);
  if (!(await auth.canPublish(caller, scope))) {
    throw new SkillsError('ESCOPEFORBIDDEN', `your token cannot publish to ${parsed.scope}`, { status: 403, hint: "publishing needs a publish token of a member of the scope's team" });
  }
  return scope;
}

export async function publish(services: Services, request: PublishRequest): Promise<PublishResponse> {
  const { store, deps } = services;
  const { name, caller, scope } = request;

  const files = await unpack(request.tarball, deps.config.unpackLimits);
  // A plain skill (no skill.json) is named from the URL's scope; its version comes from ?version=.
  const validation = validatePackage(files, { requireFixtures: true, derive: { scope: scope.name, version: request.version } });
  if (!validation.ok || !validation.manifest || !validation.skill) {
    throw validationError('the uploaded skill', validation.problems, 'run `skills validate` locally and fix every problem');
  }
  const manifest = validation.manifest;
  if (validation.kind === 'code' && request.version !== undefined && request.version !== manifest.version) {
    throw new SkillsError('EVERSIONMISMATCH', `the upload asks for version ${request.version}, but its skill.json says ${manifest.version}`, { status: 400, hint: 'a skill with skill.json takes its version from there: leave out --version, or change skill.json' });
  }
  if (manifest.name !== name) {
    throw new SkillsError('ENAMEMISMATCH', `the tarball holds ${manifest.name}, but was uploaded to ${name}`, { status: 400, hint: 'publish it to its own name' });
  }
  const bump = validation.kind === 'code' ? 'bump the version in skill.json' : 'bump metadata.version in SKILL.md, or publish with another --version';
  if (await store.versionUsed(name, manifest.version)) {
    throw new SkillsError('EVERSIONEXISTS', `${name}@${manifest.version} was already published; versions are immutable`, { status: 409, hint: bump });
  }
  if (request.tag !== undefined && semver.valid(request.tag)) throw new SkillsError('ETAGINVALID', 'a dist-tag cannot look like a version', { status: 400 });

  // The static audit runs before the sandbox: a refused upload costs no verification.
  const audit = await auditUpload(services, name, manifest.version, files);
  // Only a code skill has something to run; a plain skill's trust comes from its files alone.
  const verification = validation.kind === 'code' ? await verifyCode(services, request, validation, files) : nothingToRun();
  const trust = versionTrust(files, validation.kind, verification.ok);

  const skillMdFile = files.find((f) => f.path === 'SKILL.md');
  const skillMd = skillMdFile ? (decodeUtf8(skillMdFile.bytes) ?? '') : '';
  const integrity = integrityOf(request.tarball);
  const skill = validation.skill;
  const record = {
    name,
    scopeId: scope.id,
    version: manifest.version,
    manifest,
    skillMd,
    body: skill.body,
    description: skill.frontmatter.description,
    integrity,
    digest: contentDigest(files),
    files: files.map((f) => ({ path: f.path, size: f.bytes.byteLength, sha256: sha256Hex(f.bytes) })),
    unpackedSize: files.reduce((n, f) => n + f.bytes.byteLength, 0),
    tarball: request.tarball,
    verification,
    publishedBy: caller.userId,
    tag: request.tag,
    kind: validation.kind,
    trust: trust.trust,
    trustReasons: trust.trustReasons,
    provenance: request.provenance,
    tarballSha256: sha256Of(request.tarball),
    skillMdSha256: sha256Of(skillMd),
  };
  let tag = 'none';
  // The tarball is stored first, by its digest: the version row that names it commits after it,
  // so no reader ever finds a version without its bytes.
  await store.saveTarball(record.tarballSha256, request.tarball);
  try {
    // The version and its audit entry land in one transaction: a crash leaves both or neither.
    tag = await store.atomically(async (tx) => {
      const set = await store.insertVersion(tx, record);
      await services.audits.save(tx, name, manifest.version, audit);
      await recordAdminAction(tx, { userId: caller.userId, tokenId: caller.tokenId, address: request.address }, { action: 'publish', target: `${name}@${manifest.version}`, details: { integrity, tag: set, kind: validation.kind, trust: trust.trust, ...(request.provenance ? { provenance: request.provenance } : {}) } });
      return set;
    });
  } catch (error) {
    // Another publish of the same version won the race between our check and our insert.
    if (store.db.isUniqueViolation(error)) {
      throw new SkillsError('EVERSIONEXISTS', `${name}@${manifest.version} was already published; versions are immutable`, { status: 409, hint: bump });
    }
    throw error;
  }
  return {
    name,
    version: manifest.version,
    tag,
    integrity,
    digest: contentDigest(files),
    tarball: `${request.origin}${tarballPath(name, manifest.version)}`,
    size: request.tarball.byteLength,
    verification,
    kind: validation.kind,
    trust: trust.trust,
    trustReasons: trust.trustReasons,
    audit: summarizeAudit(audit),
  };
}

/** A code skill's sandbox verification, with its dependencies from this registry; throws unless every case passes. */
async function verifyCode(services: Services, request: PublishRequest, validation: PackageValidation, files: readonly PackageFile[]): Promise<VerificationSummary> {
  const { deps } = services;
  const { name, caller, scope } = request;
  const manifest = validation.manifest;
  const skill = validation.skill;
  if (!manifest || !skill) throw new SkillsError('EVALIDATION', 'the uploaded skill is not valid', { status: 400 });
  const { config } = deps;
  if (validation.fixtures.size > config.maxVerifyCases) {
    throw new SkillsError('ETOOMANYFIXTURES', `${name}@${manifest.version} has ${validation.fixtures.size} fixtures; this registry verifies at most ${config.maxVerifyCases} per upload`, {
      status: 422,
      hint: 'keep the cases that matter; each fixture is a case run in the sandbox at every publish',
    });
  }
  const dependencies = await dependencyFiles(services, caller, { name, version: manifest.version, folder: skill.id, scope, dependencies: manifest.dependencies });
  const verify = () => deps.verify(files, dependencies, { failFast: true, budgetMs: config.verifyBudgetMs });
  const report = deps.metrics ? await deps.metrics.timeStep('verify', verify, (r) => (!r.ok ? 'error' : r.value.ok ? 'passed' : r.value.stopped === 'budget' ? 'budget' : 'failed')) : await verify();
  const verification = summarize(report);
  if (!report.ok) {
    const details = { report: compactReport(report, { maxBytes: config.maxReportBytes, excerptBytes: config.reportExcerptBytes }) };
    if (report.stopped === 'budget') {
      throw new SkillsError('EVERIFYBUDGET', `${name}@${manifest.version} did not finish verification within this registry's ${config.verifyBudgetMs} ms budget (${report.passed} of ${report.cases.length + report.notRun} cases passed)`, {
        status: 422,
        hint: 'make the cases faster or fewer; run `skills verify` locally to see each case\'s time',
        details,
      });
    }
    const first = report.cases.find((c) => c.status === 'failed');
    throw new SkillsError('EVERIFICATIONFAILED', `${name}@${manifest.version} failed sandbox verification${first ? `: case ${excerpt(first.case, 100)} ${first.code ?? ''}: ${excerpt(first.message ?? '', 300)}` : ''}`, {
      status: 422,
      hint: 'run `skills verify` locally (it runs every case; the registry stops at the first that fails)',
      details,
    });
  }
  return verification;
}

/** A plain skill's verification summary: no cases, because there is nothing the sandbox could run. */
function nothingToRun(): VerificationSummary {
  return { ok: true, passed: 0, failed: 0, cases: [], verifiedAt: new Date().toISOString() };
}

export function summarize(report: VerificationReport): VerificationSummary {
  return {
    ok: report.ok,
    passed: report.passed,
    failed: report.failed,
    cases: report.cases.map((c) => ({ case: c.case, status: c.status, ...(c.code ? { code: c.code } : {}), durationMs: c.durationMs })),
    verifiedAt: new Date().toISOString(),
  };
}

/** At most this many skills in one upload's dependency tree, and this many unpacked bytes of them. */
const MAX_DEPENDENCY_SKILLS = 100;
const MAX_DEPENDENCY_BYTES = 100 * 1024 * 1024;

interface Dependent {
  name: string;
  version: string;
  folder: string;
  scope: ScopeRow;
  dependencies: Record<string, string>;
}

/**
 * The files of every dependency (transitively), by folder name, as an install would put them side
 * by side in ./skills: chosen by the same resolver installs use (schema/resolve.ts), from what the
 * caller may read. A skill may depend on a private skill only from a private scope of the same
 * team (the same readers), so no private name shows in a public packument.
 */
async function dependencyFiles(services: Services, caller: Caller, self: Dependent): Promise<Record<string, readonly PackageFile[]>> {
  const { store, auth, deps } = services;
  const found = new Map<string, { skill: SkillRow; scope: ScopeRow; versions: Awaited<ReturnType<SkillsStore['resolvable']>> }>();
  const available = new Map<string, AvailableSkill>();
  const root = `${self.name}@${self.version}`;
  let chosen: Map<string, ResolvedSkill>;
  for (;;) {
    let result: ReturnType<typeof resolve>;
    try {
      result = resolve({ requested: self.dependencies, available, root });
    } catch (error) {
      throw dependencyError(error);
    }
    if (result.ok) {
      chosen = result.skills;
      break;
    }
    for (const depName of result.missing) {
      const parsed = parsePackageName(depName);
      const skill = parsed ? await store.skill(depName) : undefined;
      const scope = parsed ? await auth.scope(parsed.scope) : undefined;
      // Missing and unreadable answer alike.
      if (!skill || !scope || !(await auth.canRead(caller, scope))) {
        throw new SkillsError('EDEPENDENCYNOTFOUND', `the dependency ${depName} is not on this registry`, { status: 400, hint: 'publish it first' });
      }
      if (found.size >= MAX_DEPENDENCY_SKILLS) {
        throw new SkillsError('EDEPENDENCYLIMIT', `${root} depends on more than ${MAX_DEPENDENCY_SKILLS} skills in all`, { status: 400, hint: 'depend on fewer skills' });
      }
      const versions = await store.resolvable(skill);
      found.set(depName, { skill, scope, versions });
      available.set(depName, { versions, distTags: await store.distTags(skill.id) });
    }
  }

  let bytes = 0;
  for (const [depName, pick] of chosen) {
    const entry = found.get(depName);
    const folder = parsePackageName(depName)?.name;
    if (!entry || folder === undefined) throw new SkillsError('EDEPENDENCYNOTFOUND', `the dependency ${depName} is not on this registry`, { status: 400 });
    if (folder === self.folder) {
      throw new SkillsError('EDEPENDENCYCONFLICT', `${depName} and ${self.name} would both install as skills/${folder}`, { status: 400, hint: 'skills install flat by SKILL.md name; a skill cannot depend on a skill of its own name' });
    }
    const dep = entry.scope;
    if (dep.private === 1 && !(self.scope.private === 1 && dep.team_id === self.scope.team_id)) {
      throw new SkillsError(
        'EPRIVATEDEPENDENCY',
        self.scope.private === 1
          ? `${self.name} depends on ${depName}, private to another team: readers of ${self.scope.name} could not install it`
          : `${self.name} is public but depends on ${depName}, which is private: its name would show in a public packument`,
        { status: 400, hint: 'depend only on public skills, or publish both into private scopes of the same team' },
      );
    }
    bytes += entry.versions.find((v) => v.version === pick.version)?.unpackedSize ?? 0;
    if (bytes > MAX_DEPENDENCY_BYTES) {
      throw new SkillsError('EDEPENDENCYLIMIT', `the dependencies of ${root} unpack to more than ${MAX_DEPENDENCY_BYTES} bytes`, { status: 400, hint: 'depend on fewer or smaller skills' });
    }
  }

  const out: Record<string, readonly PackageFile[]> = {};
  for (const [depName, pick] of chosen) {
    const entry = found.get(depName);
    const folder = parsePackageName(depName)?.name;
    if (!entry || folder === undefined) continue;
    const tarball = await store.tarball(entry.skill, pick.version);
    if (!tarball) throw new SkillsError('EDEPENDENCYNOTFOUND', `${depName}@${pick.version} has no tarball`, { status: 500 });
    out[folder] = await unpack(new Uint8Array(tarball.buffer, tarball.byteOffset, tarball.byteLength), deps.config.unpackLimits);
  }
  return out;
}

/** The resolver's errors, as the registry's dependency codes (the explanation is kept). */
function dependencyError(error: unknown): unknown {
  if (!(error instanceof SkillsError)) return error;
  if (error.code === 'ERESOLVE') {
    const requirements = (error.details as { requirements?: unknown[] } | undefined)?.requirements ?? [];
    const code = requirements.length <= 1 ? 'EDEPENDENCYNOTFOUND' : 'EDEPENDENCYCONFLICT';
    return new SkillsError(code, error.message, { status: 400, hint: code === 'EDEPENDENCYNOTFOUND' ? 'publish a version that satisfies the range first' : 'loosen a range so one version satisfies every requirement', details: error.details });
  }
  if (error.code === 'ENAMECONFLICT') return new SkillsError('EDEPENDENCYCONFLICT', error.message, { status: 400, ...(error.hint ? { hint: error.hint } : {}) });
  if (error.code === 'ERESOLVESTEPS') return new SkillsError('EDEPENDENCYLIMIT', error.message, { status: 400, ...(error.hint ? { hint: error.hint } : {}) });
  return error;
}
