/**
 * Running the static audit from the CLI: on a folder (what `pack` would put in the tarball), on
 * every skill of a workspace, on a published version (downloaded, integrity-checked, unpacked in
 * memory), and as the gate `pack` and `publish` pass before anything is written or uploaded.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import semver from 'semver';
import { auditFiles } from '../../../audit/audit';
import { auditError, failingCount } from '../../../audit/verdict';
import { summarizeAudit, type AuditReport, type AuditSummary, type FailOn } from '../../../schema/audit-report';
import { SkillsError } from '../../../schema/errors';
import { parsePackageSpec } from '../../../schema/names';
import { pickVersion } from '../../../schema/pick-version';
import { collectFiles } from '../../../tarball/collect';
import { verifyIntegrity } from '../../../tarball/digest';
import { unpack } from '../../../tarball/unpack';
import { Cache } from '../registry/cache';
import { Fetcher } from '../registry/fetcher';
import { registryClient } from '../registry/client';
import { workspaceDirs } from '../workspace/files';

export interface AuditedTarget {
  target: string;
  /** The package name and version when known (skill.json, or the registry's). */
  name: string | null;
  version: string | null;
  report: AuditReport;
  failed: boolean;
}

function nameOf(files: readonly { path: string; bytes: Uint8Array }[]): { name: string | null; version: string | null } {
  const manifest = files.find((f) => f.path === 'skill.json');
  if (!manifest) return { name: null, version: null };
  try {
    const parsed = JSON.parse(new TextDecoder().decode(manifest.bytes)) as { name?: unknown; version?: unknown };
    return { name: typeof parsed.name === 'string' ? parsed.name.slice(0, 214) : null, version: typeof parsed.version === 'string' ? parsed.version.slice(0, 64) : null };
  } catch {
    return { name: null, version: null };
  }
}

/** A skill folder, as `pack` reads it (.skillsignore applies, links are refused). */
export async function auditFolder(dir: string, failOn: FailOn): Promise<AuditedTarget> {
  const files = await collectFiles(dir);
  const report = auditFiles(files);
  return { target: dir, ...nameOf(files), report, failed: failingCount(report, failOn) > 0 };
}

/** Every skill folder of a workspace's ./skills. */
export async function auditWorkspace(root: string, failOn: FailOn): Promise<AuditedTarget[]> {
  const dirs = await workspaceDirs(root);
  if (!dirs.skills) return [];
  const entries = (await fs.readdir(dirs.skills, { withFileTypes: true })).filter((e) => e.isDirectory() && !e.name.startsWith('.')).sort((a, b) => (a.name < b.name ? -1 : 1));
  const out: AuditedTarget[] = [];
  for (const entry of entries) {
    const dir = path.join(dirs.skills, entry.name);
    const hasSkillMd = await fs.lstat(path.join(dir, 'SKILL.md')).then((s) => s.isFile()).catch(() => false);
    if (hasSkillMd) out.push({ ...(await auditFolder(dir, failOn)), target: `skills/${entry.name}` });
  }
  return out;
}

/** Whether `dir` is a workspace to audit as a whole: no SKILL.md, but a skills/ folder. */
export async function isWorkspaceRoot(dir: string): Promise<boolean> {
  const skillMd = await fs.lstat(path.join(dir, 'SKILL.md')).catch(() => undefined);
  if (skillMd) return false;
  const skills = await fs.lstat(path.join(dir, 'skills')).catch(() => undefined);
  return skills?.isDirectory() === true;
}

/** A published version: `@scope/name`, `@scope/name@1.2.0`, a range or a dist-tag. */
export async function auditPublished(spec: string, options: { root: string; env: NodeJS.ProcessEnv; registry?: string | undefined; failOn: FailOn }): Promise<AuditedTarget> {
  const parsed = parsePackageSpec(spec);
  if (!parsed) throw new SkillsError('ESPECINVALID', `"${spec}" is not @scope/name[@version]`);
  const client = await registryClient({ env: options.env, flag: options.registry, dir: options.root });
  const fetcher = new Fetcher(client, Cache.fromEnv(options.env));
  const doc = await fetcher.packument(parsed.name);
  const all = Object.keys(doc.versions).sort(semver.compare);
  const wanted = parsed.range ?? 'latest';
  const version = pickVersion(wanted, all, doc.distTags);
  const entry = version ? doc.versions[version] : undefined;
  if (!entry) throw new SkillsError('ENOTFOUND', `${parsed.name} has no version matching ${wanted}`, { hint: `versions: ${all.slice(-20).join(', ')}` });
  const bytes = await fetcher.tarball(entry.dist.tarball);
  if (!verifyIntegrity(bytes, entry.dist.integrity)) {
    throw new SkillsError('EINTEGRITY', `the tarball of ${parsed.name}@${entry.version} does not match its integrity ${entry.dist.integrity}`, { hint: 'the registry or a proxy served different bytes; nothing was audited' });
  }
  const files = await unpack(bytes);
  const report = auditFiles(files);
  return { target: `${parsed.name}@${entry.version}`, name: parsed.name, version: entry.version, report, failed: failingCount(report, options.failOn) > 0 };
}

export interface AuditGateOptions {
  /** Skip the refusal (the report is still made and returned). */
  skip?: boolean | undefined;
  failOn?: FailOn;
  warn(message: string): void;
}

/**
 * The check `pack` and `publish` run before writing or uploading: EAUDIT at a high finding (or
 * `failOn`), a warning per medium finding. Returns the summary to show.
 */
export function auditGate(files: readonly { path: string; bytes: Uint8Array; executable?: boolean }[], label: string, options: AuditGateOptions): { summary: AuditSummary; report: AuditReport } {
  const report = auditFiles(files);
  const failOn = options.failOn ?? 'high';
  const error = auditError(label, report, failOn, { hint: `run \`skills audit\` to see every finding; fix them, or pass --skip-audit (the registry audits again: a team owner can allow a rule with \`skills audit allow ${label.replace(/@[^@/]*$/, '')} <rule> --reason ...\`)` });
  if (error && options.skip !== true) throw error;
  if (error) options.warn(`audit: ${error.message} (--skip-audit: the registry audits again)`);
  for (const f of report.findings.filter((x) => x.severity === 'medium')) options.warn(`audit ${f.rule} ${f.file}${f.line > 0 ? `:${f.line}` : ''}: ${f.message}`);
  return { summary: summarizeAudit(report), report };
}

