/**
 * Real public skills for the audit's precision run: every folder holding a SKILL.md in the
 * mirrored repositories (`$SKILLS_CORPUS_DIR/<owner>+<name>/repo`, bare git repositories), read
 * at the commits pinned in audit/corpus/real-world-commits.json. A skill is its folder's files,
 * without the files of a nested skill folder (those are skills of their own).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { AuditFile } from '../../audit/types';

export interface RealSkill {
  repo: string;
  commit: string;
  /** The skill's folder in the repository ("" for the root). */
  dir: string;
  files: AuditFile[];
}

interface TreeEntry {
  mode: string;
  type: string;
  id: string;
  path: string;
}

function git(repo: string, args: string[], input?: string): Buffer {
  return execFileSync('git', ['-C', repo, ...args], { input, maxBuffer: 1024 * 1024 * 1024 });
}

function tree(gitDir: string, commit: string): TreeEntry[] {
  const out = git(gitDir, ['ls-tree', '-r', '-z', '--full-tree', commit]).toString('utf8');
  const entries: TreeEntry[] = [];
  for (const record of out.split('\0')) {
    if (record === '') continue;
    const tab = record.indexOf('\t');
    const [mode = '', type = '', id = ''] = record.slice(0, tab).split(' ');
    entries.push({ mode, type, id, path: record.slice(tab + 1) });
  }
  return entries;
}

/** The contents of blobs, by id, through one `git cat-file --batch`. */
function blobs(gitDir: string, ids: readonly string[]): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  if (ids.length === 0) return out;
  const data = git(gitDir, ['cat-file', '--batch'], `${ids.join('\n')}\n`);
  let at = 0;
  while (at < data.length) {
    const eol = data.indexOf(10, at);
    const header = data.subarray(at, eol).toString('utf8').split(' ');
    const size = Number(header[2] ?? 0);
    out.set(header[0] ?? '', data.subarray(eol + 1, eol + 1 + size));
    at = eol + 1 + size + 1;
  }
  return out;
}

export function loadCommits(root: string): Record<string, string> {
  const file = path.join(root, 'audit', 'corpus', 'real-world-commits.json');
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { repos: Record<string, string> }).repos;
}

/** Every skill of every pinned repository found under `corpusDir`; repositories not mirrored there are named in `missing`. */
export function loadRealSkills(corpusDir: string, commits: Record<string, string>): { skills: RealSkill[]; missing: string[] } {
  const skills: RealSkill[] = [];
  const missing: string[] = [];
  for (const [repo, commit] of Object.entries(commits)) {
    const gitDir = path.join(corpusDir, repo.replace('/', '+'), 'repo');
    if (!fs.existsSync(gitDir)) {
      missing.push(repo);
      continue;
    }
    const entries = tree(gitDir, commit).filter((e) => e.type === 'blob' && e.mode !== '120000' && e.mode !== '160000');
    const dirs = entries.filter((e) => e.path === 'SKILL.md' || e.path.endsWith('/SKILL.md')).map((e) => e.path.slice(0, Math.max(0, e.path.length - 'SKILL.md'.length - 1)));
    const dirSet = new Set(dirs);
    /** The nearest skill folder holding `file`, or undefined. */
    const ownerOf = (file: string): string | undefined => {
      for (let slash = file.lastIndexOf('/'); slash > 0; slash = file.lastIndexOf('/', slash - 1)) {
        const dir = file.slice(0, slash);
        if (dirSet.has(dir)) return dir;
      }
      return dirSet.has('') ? '' : undefined;
    };
    const byDir = new Map<string, TreeEntry[]>();
    for (const e of entries) {
      const dir = ownerOf(e.path);
      if (dir === undefined) continue;
      const list = byDir.get(dir) ?? [];
      list.push(e);
      byDir.set(dir, list);
    }
    for (const dir of [...dirs].sort()) {
      const own = byDir.get(dir) ?? [];
      const contents = blobs(gitDir, own.map((e) => e.id));
      const files: AuditFile[] = own.map((e) => ({
        path: dir === '' ? e.path : e.path.slice(dir.length + 1),
        bytes: new Uint8Array(contents.get(e.id) ?? Buffer.alloc(0)),
        ...(e.mode === '100755' ? { executable: true } : {}),
      }));
      skills.push({ repo, commit, dir, files });
    }
  }
  return { skills, missing };
}
