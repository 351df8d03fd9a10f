/** Scans `./skills` and (re)writes `skills/INDEX.md`. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { CATALOG_BUDGET_CHARS, INDEX_FILE, renderCatalog, type CatalogEntry, type RenderedCatalog } from '../../../schema/catalog';
import { parsePackageName } from '../../../schema/names';
import type { Lockfile } from '../../../schema/workspace';
import { parseSkillMd, SKILL_MD } from '../../../schema/skill-md';
import type { TrustLevel } from '../../../schema/trust';
import { workspaceDirs } from './files';
import { writeFileAtomic } from './write-atomic';

export const SKILLS_DIR = 'skills';

export interface ScanResult {
  entries: CatalogEntry[];
  /** Folders under ./skills that are not valid skills, with the reason. */
  skipped: { folder: string; reason: string }[];
}

/** What the lockfile says of an installed folder. */
export interface InstalledInfo {
  name: string;
  version: string;
  trust: TrustLevel | null;
  /** The SKILL.md name, when the folder is an alias (skills.json "alias"). */
  skillName?: string;
}

/**
 * @param installed SKILL.md names (folder names) that the lockfile owns, with what it records of
 * each (package name, version, trust: a plain skill has no skill.json to read them from); the rest are local.
 */
export async function scanSkills(root: string, installed: ReadonlySet<string> | ReadonlyMap<string, InstalledInfo>): Promise<ScanResult> {
  const dir = path.join(root, SKILLS_DIR);
  const names = await fs.readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  const entries: CatalogEntry[] = [];
  const skipped: ScanResult['skipped'] = [];
  for (const dirent of names.filter((d) => d.isDirectory() && !d.name.startsWith('.')).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const folder = dirent.name;
    const raw = await fs.readFile(path.join(dir, folder, SKILL_MD), 'utf8').catch(() => undefined);
    if (raw === undefined) {
      skipped.push({ folder, reason: 'no SKILL.md' });
      continue;
    }
    const aliased = installed instanceof Map ? installed.get(folder)?.skillName : undefined;
    const parsed = parseSkillMd(raw, { folderName: aliased ?? folder, mode: 'lenient' });
    if (!parsed.frontmatter) {
      skipped.push({ folder, reason: parsed.problems.find((p) => p.severity === 'error')?.message ?? 'invalid SKILL.md' });
      continue;
    }
    const info = installed instanceof Map ? installed.get(folder) : undefined;
    const manifest = info ? { name: info.name, version: info.version } : await readManifest(path.join(dir, folder, 'skill.json'));
    entries.push({
      name: parsed.frontmatter.name,
      packageName: manifest.name,
      version: manifest.version,
      description: parsed.frontmatter.description,
      location: `${SKILLS_DIR}/${folder}/${SKILL_MD}`,
      source: installed.has(folder) ? 'installed' : 'local',
      ...(info ? { trust: info.trust } : {}),
    });
  }
  return { entries, skipped };
}

export interface WrittenCatalog extends RenderedCatalog {
  file: string;
  entries: CatalogEntry[];
  skipped: ScanResult['skipped'];
  budget: number;
}

export async function writeCatalog(root: string, installed: ReadonlySet<string> | ReadonlyMap<string, InstalledInfo>): Promise<WrittenCatalog> {
  const scan = await scanSkills(root, installed);
  const rendered = renderCatalog(scan.entries);
  // Never written through a link: workspaceDirs refuses a ./skills that is one.
  await workspaceDirs(root);
  const file = path.join(root, SKILLS_DIR, INDEX_FILE);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, rendered.markdown);
  return { ...rendered, file, entries: scan.entries, skipped: scan.skipped, budget: CATALOG_BUDGET_CHARS };
}

async function readManifest(file: string): Promise<{ name: string | null; version: string | null }> {
  try {
    const json = JSON.parse(await fs.readFile(file, 'utf8')) as { name?: unknown; version?: unknown };
    const name = typeof json.name === 'string' && parsePackageName(json.name) ? json.name : null;
    const version = typeof json.version === 'string' ? json.version : null;
    return { name, version };
  } catch {
    return { name: null, version: null };
  }
}

/** The catalog's view of the lockfile: folder -> package name, version and trust. */
export function catalogInstalled(lock: Lockfile): Map<string, InstalledInfo> {
  return new Map(
    Object.entries(lock.skills).map(([name, e]) => {
      const skillName = parsePackageName(name)?.name ?? name;
      return [e.folder ?? skillName, { name, version: e.version, trust: e.trust ?? null, ...(e.folder !== undefined ? { skillName } : {}) }];
    }),
  );
}
