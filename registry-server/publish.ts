/**
 * Publishing one version: unpack safely, validate, check name, scope and version, verify in the
 * sandbox (with the skill's dependencies from this registry), then insert everything in one
 * transaction. Any failure leaves the database exactly as it was.
 */
import semver from 'semver';
import { SkillsError } from '../schema/errors';
import { parsePackageName } from '../schema/names';
import { decodeUtf8, validatePackage, validationError } from '../schema/package';
import type { PackageFile } from '../schema/package-files';
import type { PublishResponse, VerificationSummary } from '../schema/registry';
import { tarballPath } from '../schema/registry';
import type { VerificationReport } from '../sandbox/verify';
import { contentDigest, integrityOf, sha256Hex } from '../tarball/digest';
import { unpack } from '../tarball/unpack';
import type { Caller } from './auth';
import { scopeNotFound, type Services } from './context';

export interface PublishRequest {
  name: string;
  tarball: Uint8Array;
  tag: string | undefined;
  caller: Caller;
  origin: string;
}

export async function publish(services: Services, request: PublishRequest): Promise<PublishResponse> {
  const { auth, store, deps } = services;
  const { name, caller } = request;
  const parsed = parsePackageName(name);
  if (!parsed) throw new SkillsError('ENAMEINVALID', `${name} is not a skill name`, { status: 400 });
  const scope = auth.scope(parsed.scope);
  // A private scope the caller cannot read answers exactly like a scope that does not exist.
  if (!scope || !auth.canRead(caller, scope)) throw scopeNotFound(parsed.scope);
  if (!auth.canPublish(caller, scope)) {
    throw new SkillsError('ESCOPEFORBIDDEN', `your token cannot publish to ${parsed.scope}`, { status: 403, hint: "publishing needs a publish token of a member of the scope's team" });
  }

  const files = await unpack(request.tarball, deps.config.unpackLimits);
  const validation = validatePackage(files, { requireFixtures: true });
  if (!validation.ok || !validation.manifest || !validation.skill) {
    throw validationError('the uploaded skill', validation.problems, 'run `skills validate` locally and fix every problem');
  }
  const manifest = validation.manifest;
  if (manifest.name !== name) {
    throw new SkillsError('ENAMEMISMATCH', `the tarball holds ${manifest.name}, but was uploaded to ${name}`, { status: 400, hint: 'publish it to its own name' });
  }
  if (store.versionUsed(name, manifest.version)) {
    throw new SkillsError('EVERSIONEXISTS', `${name}@${manifest.version} was already published; versions are immutable`, { status: 409, hint: 'bump the version in skill.json' });
  }
  if (request.tag !== undefined && semver.valid(request.tag)) throw new SkillsError('ETAGINVALID', 'a dist-tag cannot look like a version', { status: 400 });

  const dependencies = dependencyFiles(services, caller, manifest.dependencies, validation.skill.frontmatter.name);
  const report = await deps.verify(files, await dependencies);
  const verification = summarize(report);
  if (!report.ok) {
    const first = report.cases.find((c) => c.status === 'failed');
    throw new SkillsError('EVERIFICATIONFAILED', `${name}@${manifest.version} failed sandbox verification: ${report.failed} of ${report.cases.length} case${report.cases.length === 1 ? '' : 's'} failed${first ? `, first: ${first.case} ${first.code}: ${first.message}` : ''}`, {
      status: 422,
      hint: 'run `skills verify` locally',
      details: { report },
    });
  }

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
  };
  let tag = 'none';
  try {
    // The version and its audit entry land in one transaction: a crash leaves both or neither.
    tag = store.atomically(() => {
      const set = store.insertVersion(record);
      store.audit({ userId: caller.userId, tokenId: caller.tokenId, action: 'publish', target: `${name}@${manifest.version}`, details: { integrity, tag: set } });
      return set;
    });
  } catch (error) {
    // Another publish of the same version won the race between our check and our insert.
    if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || (error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
      throw new SkillsError('EVERSIONEXISTS', `${name}@${manifest.version} was already published; versions are immutable`, { status: 409, hint: 'bump the version in skill.json' });
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
  };
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

/**
 * The files of every dependency (transitively), by folder name, as installed side by side in
 * ./skills: the highest non-yanked version satisfying each range.
 */
async function dependencyFiles(services: Services, caller: Caller, direct: Record<string, string>, self: string): Promise<Record<string, readonly PackageFile[]>> {
  const { store, auth } = services;
  const out: Record<string, readonly PackageFile[]> = {};
  const owners = new Map<string, string>([[self, '(the skill itself)']]);
  const queue: [string, string][] = Object.entries(direct);
  const seen = new Set<string>();
  while (queue.length > 0) {
    const [depName, range] = queue.shift() as [string, string];
    const key = `${depName}@${range}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const parsed = parsePackageName(depName);
    const skill = store.skill(depName);
    const scope = parsed ? auth.scope(parsed.scope) : undefined;
    if (!parsed || !skill || !scope || !auth.canRead(caller, scope)) {
      throw new SkillsError('EDEPENDENCYNOTFOUND', `the dependency ${depName} is not on this registry`, { status: 400, hint: 'publish it first' });
    }
    const candidates = store.versionsOf(skill).filter((v) => !v.yanked).map((v) => v.version);
    const version = semver.maxSatisfying(candidates, range);
    if (!version) throw new SkillsError('EDEPENDENCYNOTFOUND', `no published version of ${depName} satisfies ${range}`, { status: 400, hint: 'publish a matching version first' });
    const owner = owners.get(parsed.name);
    if (owner !== undefined && owner !== depName) {
      throw new SkillsError('EDEPENDENCYCONFLICT', `${depName} and ${owner} would both install as skills/${parsed.name}`, { status: 400, hint: 'skills install flat by SKILL.md name; rename one of them' });
    }
    owners.set(parsed.name, depName);
    if (out[parsed.name]) continue;
    const bytes = store.tarball(skill, version);
    if (!bytes) throw new SkillsError('EDEPENDENCYNOTFOUND', `${depName}@${version} has no tarball`, { status: 500 });
    const files = await unpack(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    out[parsed.name] = files;
    const depManifest = validatePackage(files, {}).manifest;
    for (const entry of Object.entries(depManifest?.dependencies ?? {})) queue.push(entry);
  }
  return out;
}
