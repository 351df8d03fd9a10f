/** Publishing a local skill folder: validate, verify locally, pack, upload. */
import { SkillsError } from '../../schema/errors';
import { publishResponseSchema, type PublishResponse } from '../../schema/registry';
import { verifySkill } from '../../sandbox/verify';
import { pack } from '../../tarball/pack';
import { resolveRegistry } from './config';
import { auditGate } from './audit-local';
import { assertValid, loadLocalPackage } from './local-package';
import { RegistryClient } from './registry-client';

export interface PublishFolderOptions {
  dir: string;
  env: NodeJS.ProcessEnv;
  registry?: string | undefined;
  tag?: string | undefined;
  /** Upload even with high audit findings (the registry audits again and may refuse). */
  skipAudit?: boolean | undefined;
  progress(message: string): void;
}

export type PublishFolderResult = PublishResponse & { registry: string; url: string };

export async function publishFolder(options: PublishFolderOptions): Promise<PublishFolderResult> {
  const pkg = await loadLocalPackage(options.dir, { requireFixtures: true });
  assertValid(pkg);
  const { manifest } = pkg.validation;
  auditGate(pkg.files, `${manifest.name}@${manifest.version}`, { skip: options.skipAudit, warn: options.progress });
  options.progress(`verifying ${manifest.name}@${manifest.version} in the sandbox`);
  const report = await verifySkill({ dir: pkg.dir });
  if (!report.ok) {
    const first = report.cases.find((c) => c.status === 'failed');
    throw new SkillsError('EVERIFICATIONFAILED', `${manifest.name}@${manifest.version} failed local verification: ${report.failed} of ${report.cases.length} cases failed${first ? `, first: ${first.case} ${first.code} ${first.message}` : ''}; nothing was uploaded`, {
      hint: `run \`skills verify ${pkg.dir}\``,
      details: { report },
    });
  }
  const packed = await pack(pkg.files);
  const client = new RegistryClient(await resolveRegistry(options.env, options.registry));
  options.progress(`uploading ${packed.bytes.byteLength} bytes to ${client.url}`);
  const query = options.tag ? `?tag=${encodeURIComponent(options.tag)}` : '';
  const published = await client.call(publishResponseSchema, 'PUT', `/v1/skills/${manifest.name}${query}`, { body: packed.bytes, timeoutMs: 120_000 });
  return { registry: client.url, url: `${client.url}/v1/skills/${manifest.name}`, ...published };
}
