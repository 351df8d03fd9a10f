/**
 * A git commit's tree, read as hostile input and turned into skills, without I/O: the entries of
 * `git ls-tree -r -z -l`, the folders holding SKILL.md, and for one such folder the exact files a
 * package would carry. The rules are the packing rules (tarball/collect.ts) applied to a tree
 * instead of a folder: `node_modules`, `.git`, `.DS_Store` and `.skillsignore` matches are left
 * out; sizes and counts are checked from the tree before a byte is read; a symbolic link is
 * carried as a copy of the file it names when that file is in the repository, and refused when
 * it points outside it (or at a folder, or nowhere); a submodule is refused, never fetched.
 */
import { SkillsError, type ErrorCode } from '../../../schema/errors';
import { SKILL_MD } from '../../../schema/skill-md';
import { ALWAYS_IGNORED, parseIgnoreFile } from '../../../tarball/ignore';
import { DEFAULT_PACKAGE_LIMITS, type PackageLimits } from '../../../tarball/limits';
import { checkEntryPath, checkPathSet } from '../../../tarball/paths';

export interface TreeEntry {
  /** 100644, 100755, 120000 (link), 160000 (submodule). */
  mode: string;
  oid: string;
  /** Bytes of a blob (null for a submodule). */
  size: number | null;
  path: string;
}

export interface FilePlan {
  /** Relative to the skill folder. */
  path: string;
  /** The blob whose bytes it carries (for a link: the file the link names). */
  oid: string;
  size: number;
  executable: boolean;
}

export interface CandidatePlan {
  /** The skill folder in the repository ('' for the root). */
  path: string;
  files: FilePlan[];
  error: { code: ErrorCode; message: string } | null;
}

export const MAX_TREE_ENTRIES = 200_000;
export const MAX_SKILLS_PER_REPO = 1000;
const MAX_LINK_HOPS = 8;
const MAX_LINK_BYTES = 4096;
export const IGNORE_FILE = '.skillsignore';

/** Parses `git ls-tree -r -z -l --full-tree` output: `<mode> SP <type> SP <oid> SP+ <size> TAB <path> NUL`. */
export function parseLsTree(output: Uint8Array, maxEntries = MAX_TREE_ENTRIES): TreeEntry[] {
  const text = Buffer.from(output.buffer, output.byteOffset, output.byteLength).toString('utf8');
  const entries: TreeEntry[] = [];
  for (const record of text.split('\0')) {
    if (record === '') continue;
    const tab = record.indexOf('\t');
    const match = /^(\d{6}) (blob|commit|tree) ([0-9a-f]{40}) +(\d+|-)$/.exec(tab === -1 ? '' : record.slice(0, tab));
    if (!match) throw new SkillsError('EGITFETCH', 'git listed the commit in a form this tool does not read', { hint: 'check the git version (2.20 or newer)' });
    const [, mode, , oid, size] = match as unknown as [string, string, string, string, string];
    entries.push({ mode, oid, size: size === '-' ? null : Number(size), path: record.slice(tab + 1) });
    if (entries.length > maxEntries) {
      throw new SkillsError('EGITTOOLARGE', `the repository holds more than ${maxEntries} files at that commit`, { hint: 'skills are small folders; point at a smaller repository' });
    }
  }
  return entries;
}

/** Folders holding a SKILL.md file (or link), sorted; '' is the root. */
export function findSkillFolders(entries: readonly TreeEntry[]): string[] {
  const folders = new Set<string>();
  for (const e of entries) {
    const slash = e.path.lastIndexOf('/');
    const base = e.path.slice(slash + 1);
    if (base !== SKILL_MD || e.mode === '160000') continue;
    const folder = slash === -1 ? '' : e.path.slice(0, slash);
    if (folder.split('/').some((s) => ALWAYS_IGNORED.has(s))) continue;
    folders.add(folder);
  }
  const sorted = [...folders].sort();
  if (sorted.length > MAX_SKILLS_PER_REPO) {
    throw new SkillsError('EGITTOOLARGE', `the repository holds more than ${MAX_SKILLS_PER_REPO} skills at that commit`, { hint: 'install from a path inside it: github:owner/repo/<folder> or #path:<folder>' });
  }
  return sorted;
}

function inFolder(folder: string, p: string): string | undefined {
  if (folder === '') return p;
  return p.startsWith(`${folder}/`) ? p.slice(folder.length + 1) : undefined;
}

/** Blobs a plan needs to read first: the folder's .skillsignore and its links' targets (their text). */
export function blobsToPlan(entries: readonly TreeEntry[], folder: string): string[] {
  const oids: string[] = [];
  for (const e of entries) {
    const rel = inFolder(folder, e.path);
    if (rel === undefined) continue;
    if (rel === IGNORE_FILE && e.mode !== '160000') oids.push(e.oid);
    else if (e.mode === '120000' && (e.size ?? 0) <= MAX_LINK_BYTES) oids.push(e.oid);
  }
  return oids;
}

/**
 * The files one skill folder carries. `blob` gives the bytes of the blobs `blobsToPlan` named.
 * Problems are returned (not thrown) so one bad skill does not hide the others of a repository.
 */
export function planCandidate(entries: readonly TreeEntry[], folder: string, blob: (oid: string) => Uint8Array | undefined, limits: Partial<PackageLimits> = {}): CandidatePlan {
  const max = { ...DEFAULT_PACKAGE_LIMITS, ...limits };
  const fail = (code: ErrorCode, message: string): CandidatePlan => ({ path: folder, files: [], error: { code, message } });
  const where = (rel: string) => (folder === '' ? rel : `${folder}/${rel}`);
  const byPath = new Map(entries.map((e) => [e.path, e]));
  const folders = new Set<string>();
  for (const e of entries) {
    const parts = e.path.split('/');
    for (let i = 1; i < parts.length; i++) folders.add(parts.slice(0, i).join('/'));
  }
  const ignoreEntry = byPath.get(where(IGNORE_FILE));
  const ignoreBytes = ignoreEntry && ignoreEntry.mode !== '120000' ? blob(ignoreEntry.oid) : undefined;
  const ignored = parseIgnoreFile(ignoreBytes ? new TextDecoder().decode(ignoreBytes) : '');
  const isIgnored = (rel: string): boolean => {
    const parts = rel.split('/');
    if (parts.some((p) => ALWAYS_IGNORED.has(p))) return true;
    for (let i = 1; i < parts.length; i++) if (ignored(parts.slice(0, i).join('/'), true)) return true;
    return ignored(rel, false);
  };

  const files: FilePlan[] = [];
  let total = 0;
  for (const e of entries) {
    const rel = inFolder(folder, e.path);
    if (rel === undefined || isIgnored(rel)) continue;
    if (e.mode === '160000') return fail('EGITSUBMODULE', `${e.path} is a git submodule: its files are not in this repository, and submodules are never fetched`);
    const problem = checkEntryPath(rel);
    if (problem) return fail(problem.code, problem.message);
    let target = e;
    if (e.mode === '120000') {
      const resolved = followLink(e, byPath, folders, blob);
      if ('error' in resolved) return fail('EGITSYMLINK', resolved.error);
      target = resolved.entry;
    }
    const size = target.size ?? 0;
    if (size > max.maxFileBytes) return fail('EPACKFILETOOBIG', `${e.path} is ${size} bytes, over the ${max.maxFileBytes} byte limit for one file`);
    total += size;
    if (total > max.maxUnpackedBytes) return fail('EPACKTOOBIG', `${folder || 'the repository root'} holds more than ${max.maxUnpackedBytes} bytes`);
    files.push({ path: rel, oid: target.oid, size, executable: target.mode === '100755' });
    if (files.length > max.maxEntries) return fail('EPACKTOOMANY', `${folder || 'the repository root'} holds more than ${max.maxEntries} files`);
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const collision = checkPathSet(files.map((f) => f.path));
  if (collision) return fail(collision.code, collision.message);
  return { path: folder, files, error: null };
}

/** Where a link leads inside the repository: a file entry, or why it is refused. */
function followLink(link: TreeEntry, byPath: ReadonlyMap<string, TreeEntry>, folders: ReadonlySet<string>, blob: (oid: string) => Uint8Array | undefined): { entry: TreeEntry } | { error: string } {
  let current = link;
  for (let hop = 0; hop < MAX_LINK_HOPS; hop++) {
    if ((current.size ?? 0) > MAX_LINK_BYTES) return { error: `${current.path} is a link with a ${current.size}-byte target` };
    const bytes = blob(current.oid);
    if (!bytes) return { error: `${current.path} is a link whose target could not be read` };
    const target = new TextDecoder().decode(bytes);
    if (target.startsWith('/') || target.includes('\0') || target.includes('\\')) return { error: `${link.path} is a link to ${JSON.stringify(target.slice(0, 200))}, outside the repository` };
    const parts = current.path.split('/').slice(0, -1);
    for (const segment of target.split('/')) {
      if (segment === '' || segment === '.') continue;
      if (segment === '..') {
        if (parts.length === 0) return { error: `${link.path} is a link to ${JSON.stringify(target.slice(0, 200))}, outside the repository` };
        parts.pop();
      } else parts.push(segment);
    }
    const resolved = parts.join('/');
    const next = byPath.get(resolved);
    if (!next) return { error: folders.has(resolved) ? `${link.path} is a link to a folder (${resolved}); only links to files are carried, as copies` : `${link.path} is a link to ${resolved}, which is not in the repository` };
    if (next.mode === '160000') return { error: `${link.path} is a link into the submodule ${resolved}` };
    if (next.mode !== '120000') return { entry: next };
    current = next;
  }
  return { error: `${link.path} is a chain of more than ${MAX_LINK_HOPS} links` };
}
