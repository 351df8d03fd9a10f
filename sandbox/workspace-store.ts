/**
 * The sandbox's `workspace` API, so long tasks can save intermediate results and resume: read,
 * write, list and remove text files under `./workspace/` only, with size caps. Replay uses an
 * in-memory folder seeded from the fixture; live runs use the real folder and remember what they
 * read, so a recording can seed the replay with exactly that.
 */
import fs from 'node:fs';
import path from 'node:path';
import { checkEntryPath } from '../tarball/paths';

export interface WorkspaceLimits {
  maxFileBytes: number;
  maxTotalBytes: number;
  maxFiles: number;
}

export const DEFAULT_WORKSPACE_LIMITS: WorkspaceLimits = { maxFileBytes: 1024 * 1024, maxTotalBytes: 10 * 1024 * 1024, maxFiles: 1000 };

export class WorkspaceError extends Error {
  constructor(
    readonly code: 'EWORKSPACEPATH' | 'EWORKSPACEFULL',
    message: string,
  ) {
    super(message);
  }
}

export interface WorkspaceStore {
  read(file: string): string | null;
  write(file: string, text: string): void;
  list(prefix?: string): string[];
  remove(file: string): boolean;
}

export function checkWorkspacePath(file: string): string {
  const normalized = String(file).replace(/^\.\/+/, '').replace(/^workspace\//, '');
  const problem = checkEntryPath(normalized);
  if (problem) throw new WorkspaceError('EWORKSPACEPATH', `workspace path ${JSON.stringify(String(file).slice(0, 100))} is not allowed: ${problem.message}`);
  return normalized;
}

export class MemoryWorkspace implements WorkspaceStore {
  readonly files = new Map<string, string>();

  constructor(
    seed: Record<string, string> = {},
    readonly limits: WorkspaceLimits = DEFAULT_WORKSPACE_LIMITS,
  ) {
    for (const [file, text] of Object.entries(seed)) this.files.set(checkWorkspacePath(file), text);
  }

  read(file: string): string | null {
    return this.files.get(checkWorkspacePath(file)) ?? null;
  }

  write(file: string, text: string): void {
    const key = checkWorkspacePath(file);
    const size = Buffer.byteLength(text);
    if (size > this.limits.maxFileBytes) throw new WorkspaceError('EWORKSPACEFULL', `workspace file ${key} would be ${size} bytes, over the ${this.limits.maxFileBytes} limit`);
    const total = [...this.files.entries()].reduce((n, [k, v]) => n + (k === key ? 0 : Buffer.byteLength(v)), 0) + size;
    if (total > this.limits.maxTotalBytes) throw new WorkspaceError('EWORKSPACEFULL', `the workspace would hold ${total} bytes, over the ${this.limits.maxTotalBytes} limit`);
    if (!this.files.has(key) && this.files.size >= this.limits.maxFiles) throw new WorkspaceError('EWORKSPACEFULL', `the workspace already holds ${this.limits.maxFiles} files`);
    this.files.set(key, text);
  }

  list(prefix = ''): string[] {
    const p = prefix === '' ? '' : checkWorkspacePath(prefix);
    return [...this.files.keys()].filter((k) => p === '' || k === p || k.startsWith(`${p}/`)).sort();
  }

  remove(file: string): boolean {
    return this.files.delete(checkWorkspacePath(file));
  }
}

/** The real `./workspace` folder of a workspace, for live runs. */
export class DiskWorkspace implements WorkspaceStore {
  /** Contents of files as first read during this run: the seed a recording needs. */
  readonly reads = new Map<string, string>();

  constructor(
    readonly root: string,
    readonly limits: WorkspaceLimits = DEFAULT_WORKSPACE_LIMITS,
  ) {}

  #abs(key: string): string {
    return path.join(this.root, ...key.split('/'));
  }

  read(file: string): string | null {
    const key = checkWorkspacePath(file);
    try {
      const stat = fs.lstatSync(this.#abs(key));
      if (!stat.isFile() || stat.size > this.limits.maxFileBytes) return null;
      const text = fs.readFileSync(this.#abs(key), 'utf8');
      if (!this.reads.has(key)) this.reads.set(key, text);
      return text;
    } catch {
      return null;
    }
  }

  write(file: string, text: string): void {
    const key = checkWorkspacePath(file);
    const size = Buffer.byteLength(text);
    if (size > this.limits.maxFileBytes) throw new WorkspaceError('EWORKSPACEFULL', `workspace file ${key} would be ${size} bytes, over the ${this.limits.maxFileBytes} limit`);
    const total = this.list().reduce((n, k) => (k === key ? n : n + fs.statSync(this.#abs(k)).size), 0) + size;
    if (total > this.limits.maxTotalBytes) throw new WorkspaceError('EWORKSPACEFULL', `the workspace would hold ${total} bytes, over the ${this.limits.maxTotalBytes} limit`);
    fs.mkdirSync(path.dirname(this.#abs(key)), { recursive: true });
    fs.writeFileSync(this.#abs(key), text);
  }

  list(prefix = ''): string[] {
    const out: string[] = [];
    const walk = (rel: string) => {
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(path.join(this.root, rel), { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const p = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) walk(p);
        else if (e.isFile()) out.push(p);
      }
    };
    walk('');
    const p = prefix === '' ? '' : checkWorkspacePath(prefix);
    return out.filter((k) => p === '' || k === p || k.startsWith(`${p}/`)).sort();
  }

  remove(file: string): boolean {
    const key = checkWorkspacePath(file);
    try {
      fs.rmSync(this.#abs(key));
      return true;
    } catch {
      return false;
    }
  }
}
