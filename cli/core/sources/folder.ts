/**
 * A local folder: one skill (it holds SKILL.md), or a tree of them (a local copy of a skills
 * repository). Read with the packing rules (no links, no devices, size limits). It is read again
 * on every install, and `skills ci` refuses it when its files no longer match the lockfile.
 */
import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { SkillsError } from '../../../schema/errors';
import { SKILL_MD } from '../../../schema/skill-md';
import { collectFiles } from '../../../tarball/collect';
import { checkDigest, type Candidate, type SkillSource } from './types';
import type { FolderSpec } from './spec';

const MAX_DEPTH = 8;
const MAX_FOLDERS = 10_000;
const MAX_SKILLS = 1000;
const SKIPPED = new Set(['node_modules', '.git']);

export const folderSource: SkillSource<FolderSpec> = {
  async list(spec, ctx) {
    const absolute = path.resolve(ctx.root, spec.path);
    const stat = await fs.lstat(absolute).catch(() => undefined);
    if (!stat?.isDirectory()) {
      throw new SkillsError('ENOTDIR', `${spec.path} is not a folder${stat?.isSymbolicLink() ? ' (it is a link)' : ''}`, { hint: 'give the folder that holds SKILL.md, or a folder of skill folders' });
    }
    const paths = await skillFolders(absolute);
    const candidates: Candidate[] = paths.map((rel) => {
      const dir = rel === '' ? absolute : path.join(absolute, ...rel.split('/'));
      const written = rel === '' ? spec.path : `${spec.path.replace(/\/+$/, '')}/${rel}`;
      return {
        path: rel,
        label: path.basename(dir),
        folderName: path.basename(dir),
        fallbackVersion: '0.0.0-local',
        resolved: written,
        load: () => collectFiles(dir),
        lockSource: (recorded) => ({ type: 'folder', spec: recorded, path: written }),
      };
    });
    return { spec, describe: absolute, candidates };
  },

  async files(entry, name, ctx) {
    if (entry.source.type !== 'folder') throw new SkillsError('EINTERNAL', `${name} is not from a folder`);
    const dir = path.resolve(ctx.root, entry.source.path);
    const files = await collectFiles(dir);
    return checkDigest(files, entry.digest, `${name} from ${entry.source.path}`, `the folder changed since the lockfile was written: run \`skills install\` to take its new content`);
  },
};

/** Folders holding SKILL.md, relative to `root` ('' when root itself is one); links are never followed. */
async function skillFolders(root: string): Promise<string[]> {
  if (await isFile(path.join(root, SKILL_MD))) return [''];
  const found: string[] = [];
  let visited = 0;
  const walk = async (rel: string, depth: number): Promise<void> => {
    if (depth > MAX_DEPTH) return;
    const entries = await fs.readdir(path.join(root, rel), { withFileTypes: true }).catch(() => []);
    entries.sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
      if (!e.isDirectory() || SKIPPED.has(e.name)) continue;
      if (++visited > MAX_FOLDERS) throw new SkillsError('ESOURCETOOLARGE', `${root} holds more than ${MAX_FOLDERS} folders to search for skills`, { hint: 'point at the skill folder itself, or at a smaller folder' });
      const child = rel === '' ? e.name : `${rel}/${e.name}`;
      if (await isFile(path.join(root, child, SKILL_MD))) {
        found.push(child);
        if (found.length > MAX_SKILLS) throw new SkillsError('ESOURCETOOLARGE', `${root} holds more than ${MAX_SKILLS} skills`, { hint: 'point at the skill folder itself' });
        continue;
      }
      await walk(child, depth + 1);
    }
  };
  await walk('', 1);
  return found;
}

async function isFile(file: string): Promise<boolean> {
  try {
    const handle = await fs.open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      return (await handle.stat()).isFile();
    } finally {
      await handle.close();
    }
  } catch {
    return false;
  }
}
