/**
 * Publishing a skill: a folder on disk, or a skill taken from a source (a git repository, a folder,
 * a discovery index). Validate, verify a code skill locally, pack, upload. A plain skill is named
 * `@<scope>/<SKILL.md name>` and uploaded exactly as it is (nothing added to its files); the
 * registry validates it again and computes its trust itself.
 */
import { SkillsError } from '../../../schema/errors';
import type { PackageFile } from '../../../schema/package-files';
import { publishedViewSchema, type PublishedView } from '../../../schema/registry';
import { verifySkill, type VerifyInput } from '../../../sandbox/verify';
import { contentDigest } from '../../../tarball/digest';
import { pack } from '../../../tarball/pack';
import { auditGate } from '../audit/local';
import { assertValid, checkGivenVersion, describePackage, loadLocalPackage, type LocalPackage } from './local';
import { Cache } from '../registry/cache';
import { registryClient, type RegistryChoice } from '../registry/client';
import { listSource } from '../sources/index';
import { selectCandidates } from '../sources/offer';
import { parseSourceSpec, pinnedSpec, shown, specEnv } from '../sources/spec';
import { newSourceContext, type SourceContext } from '../sources/types';
import { computeTrust, type ComputedTrust } from '../trust/levels';

export interface PublishOptions {
  env: NodeJS.ProcessEnv;
  /** --registry. */
  registry?: string | undefined;
  /** The skills.json that names the registry after --registry and $SKILLS_REGISTRY (see registryClient). */
  registryWorkspace?: Pick<RegistryChoice, 'workspace' | 'dir'>;
  tag?: string | undefined;
  /** The scope of a plain skill. */
  scope?: string | undefined;
  /** The version of a plain skill (else SKILL.md metadata.version). */
  version?: string | undefined;
  /** Upload even with high audit findings (the registry audits again and may refuse). */
  skipAudit?: boolean | undefined;
  progress(message: string): void;
}

export interface PublishSource {
  /** What the files are, for messages (a folder path, or a source spec). */
  label: string;
  files: PackageFile[];
  /** SKILL.md `name` must equal this (null: not checked, e.g. a repository's root skill). */
  folderName: string | null;
  /** Sent as the Skills-Provenance header (git sources only). */
  provenance?: { type: 'git'; url: string; commit: string; path: string; ref?: string };
}

export type PublishResult = PublishedView & { registry: string; url: string; page: string; kind: 'code' | 'plain'; trust: ComputedTrust['level']; trustReasons: ComputedTrust['because']; provenance: PublishSource['provenance'] | null };

export async function publishFolder(options: PublishOptions & { dir: string }): Promise<PublishResult> {
  const pkg = await loadLocalPackage(options.dir, { requireFixtures: true, derive: { scope: options.scope, version: options.version } });
  return publishPackage(pkg, { dir: pkg.dir }, undefined, options);
}

/**
 * Publishes one skill from a source (`github:`, `git+...`, `https://host`, or a folder holding
 * several skills): chosen with `skill` when the source holds more than one. A git source's
 * repository, commit and folder are sent as the version's provenance.
 */
export async function publishFromSource(spec: string, options: PublishOptions & { root: string; skill?: string | undefined }): Promise<PublishResult> {
  const parsed = parseSourceSpec(spec, specEnv(options.env));
  if (parsed.type === 'registry') throw new SkillsError('EUSAGE', `${spec} is already in a registry`, { hint: 'publish a folder or a source: ./folder, github:owner/repo[/path], git+https://..., https://host' });
  const ctx: SourceContext = newSourceContext({ env: options.env, root: options.root, cache: Cache.fromEnv(options.env), progress: options.progress, warn: () => undefined });
  const listing = await listSource(parsed, ctx);
  const named = options.skill ?? (parsed.type === 'git' ? parsed.skill : undefined);
  const chosen = await selectCandidates(listing, named === undefined ? undefined : [named], false, ctx);
  const candidate = chosen[0];
  if (!candidate) throw new SkillsError('ESKILLCHOICE', `publish takes one skill; ${shown(spec)} gives none`, { hint: 'name it with --skill <name>' });
  if (candidate.error) throw candidate.error;
  const files = await candidate.load();
  // Copies of one skill in several folders are one skill when byte-identical.
  for (const other of chosen.slice(1)) {
    if (other.error) throw other.error;
    if (contentDigest(await other.load()) !== contentDigest(files)) {
      throw new SkillsError('ESOURCECONFLICT', `${shown(spec)} holds two different skills named ${named ?? candidate.label}: ${candidate.path || '(root)'} and ${other.path || '(root)'}; nothing was published`, {
        hint: `pick one by its path: skills publish ${pinnedSpec(parsed, { path: candidate.path, name: candidate.path })}`,
      });
    }
  }
  const provenance = listing.provenance?.(candidate);
  return publishFiles({ label: `${candidate.label} in ${shown(spec)}`, files, folderName: candidate.folderName, ...(provenance ? { provenance } : {}) }, options);
}

export async function publishFiles(source: PublishSource, options: PublishOptions): Promise<PublishResult> {
  const pkg = describePackage(source.label, source.files, { requireFixtures: true, folderName: source.folderName, derive: { scope: options.scope, version: options.version } });
  return publishPackage(pkg, { files: pkg.files }, source.provenance, options);
}

async function publishPackage(pkg: LocalPackage, verifyInput: VerifyInput, provenance: PublishSource['provenance'], options: PublishOptions): Promise<PublishResult> {
  assertValid(pkg);
  const { manifest, kind } = pkg.validation;
  auditGate(pkg.files, `${manifest.name}@${manifest.version}`, { skip: options.skipAudit, warn: options.progress });
  checkGivenVersion(kind, manifest.version, options.version);
  let local: ComputedTrust;
  if (kind === 'code') {
    options.progress(`verifying ${manifest.name}@${manifest.version} in the sandbox`);
    const report = await verifySkill(verifyInput);
    if (!report.ok) {
      const first = report.cases.find((c) => c.status === 'failed');
      throw new SkillsError('EVERIFICATIONFAILED', `${manifest.name}@${manifest.version} failed local verification: ${report.failed} of ${report.cases.length} cases failed${first ? `, first: ${first.case} ${first.code} ${first.message}` : ''}; nothing was uploaded`, {
        hint: `run \`skills verify ${pkg.dir}\``,
        details: { report },
      });
    }
    local = computeTrust(pkg.files, 'code', 'sandbox');
  } else {
    local = computeTrust(pkg.files, 'plain', 'not-code');
  }
  const packed = await pack(pkg.files);
  const client = await registryClient({ env: options.env, flag: options.registry, ...options.registryWorkspace });
  options.progress(`uploading ${packed.bytes.byteLength} bytes to ${client.url}`);
  const query = new URLSearchParams();
  if (options.tag) query.set('tag', options.tag);
  if (kind === 'plain') query.set('version', manifest.version);
  const search = query.size > 0 ? `?${query}` : '';
  const headers: Record<string, string> = provenance ? { 'Skills-Provenance': JSON.stringify(provenance) } : {};
  const published = await client.call(publishedViewSchema, 'PUT', `/v1/skills/${manifest.name}${search}`, { body: packed.bytes, timeoutMs: 120_000, headers });
  // The registry's own assessment when it gives one (it never takes ours); ours otherwise.
  return {
    ...published,
    registry: client.url,
    url: `${client.url}/v1/skills/${manifest.name}`,
    page: `${client.url}/${manifest.name}`,
    kind: published.kind ?? kind,
    trust: published.trust ?? local.level,
    trustReasons: published.trustReasons ?? local.because,
    provenance: provenance ?? null,
  };
}
