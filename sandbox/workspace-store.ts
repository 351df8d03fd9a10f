/**
 * The sandbox's `workspace` API, so long tasks can save intermediate results and resume: read,
 * write, list and remove text files under `./workspace/` only, with the same caps in both modes
 * (files, bytes per file and in all, path length and depth). Replay uses an in-memory folder
 * seeded from the fixture; live runs use the real folder, counting what is already on disk, never
 * following a link (sandbox/confined-dir.ts), and remember what they read so that a recording can
 * seed the replay with exactly that.
 */
import { checkEntryPath } from '../tarball/paths';
import { ConfinedError, openDir, readFileNoFollow, removeFileNoFollow, walkNoFollow, writeFileNoFollow, type OpenDir, type Usage } from './confined-dir';

export interface WorkspaceLimits {
  maxFileBytes: number;
  maxTotalBytes: number;
  maxFiles: number;
}

export const DEFAULT_WORKSPACE_LIMITS: WorkspaceLimits = { maxFileBytes: 1024 * 1024, maxTotalBytes: 10 * 1024 * 1024, maxFiles: 1000 };

/** Folders deep a workspace path may go, and bytes in one of its names (what file systems hold). */
export const MAX_WORKSPACE_DEPTH = 16;
export const MAX_WORKSPACE_NAME_BYTES = 255;

export type WorkspaceErrorCode = 'EWORKSPACEPATH' | 'EWORKSPACEFULL' | 'EWORKSPACELINK';

export class WorkspaceError extends Error {
  constructor(
    readonly code: WorkspaceErrorCode,
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
  const shown = JSON.stringify(String(file).slice(0, 100));
  const problem = checkEntryPath(normalized);
  if (problem) throw new WorkspaceError('EWORKSPACEPATH', `workspace path ${shown} is not allowed: ${problem.message}`);
  const segments = normalized.split('/');
  if (segments.length > MAX_WORKSPACE_DEPTH) throw new WorkspaceError('EWORKSPACEPATH', `workspace path ${shown} is more than ${MAX_WORKSPACE_DEPTH} folders deep`);
  if (segments.some((s) => Buffer.byteLength(s) > MAX_WORKSPACE_NAME_BYTES)) {
    throw new WorkspaceError('EWORKSPACEPATH', `workspace path ${shown} has a name longer than ${MAX_WORKSPACE_NAME_BYTES} bytes`);
  }
  return normalized;
}

function tooBig(key: string, size: number, limits: WorkspaceLimits): WorkspaceError {
  return new WorkspaceError('EWORKSPACEFULL', `workspace file ${key} is ${size} bytes, over the ${limits.maxFileBytes} limit`);
}

/** The caps a write must stay within, given what the workspace holds now. */
function checkWrite(key: string, size: number, existing: ReadonlyMap<string, number>, others: number, limits: WorkspaceLimits): void {
  if (size > limits.maxFileBytes) throw tooBig(key, size, limits);
  // A file cannot also be a folder, in memory as on disk.
  const segments = key.split('/');
  for (let i = 1; i < segments.length; i++) {
    const folder = segments.slice(0, i).join('/');
    if (existing.has(folder)) throw new WorkspaceError('EWORKSPACEPATH', `workspace path ${key}: ${folder} is a file, not a folder`);
  }
  for (const k of existing.keys()) if (k.startsWith(`${key}/`)) throw new WorkspaceError('EWORKSPACEPATH', `workspace path ${key} is a folder`);
  let total = size;
  for (const [k, n] of existing) if (k !== key) total += n;
  if (total > limits.maxTotalBytes) throw new WorkspaceError('EWORKSPACEFULL', `the workspace would hold ${total} bytes, over the ${limits.maxTotalBytes} limit`);
  if (!existing.has(key) && existing.size + others >= limits.maxFiles) throw new WorkspaceError('EWORKSPACEFULL', `the workspace already holds ${limits.maxFiles} files`);
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
    const key = checkWorkspacePath(file);
    const text = this.files.get(key);
    if (text !== undefined && Buffer.byteLength(text) > this.limits.maxFileBytes) throw tooBig(key, Buffer.byteLength(text), this.limits);
    return text ?? null;
  }

  write(file: string, text: string): void {
    const key = checkWorkspacePath(file);
    const sizes = new Map([...this.files].map(([k, v]) => [k, Buffer.byteLength(v)]));
    checkWrite(key, Buffer.byteLength(text), sizes, 0, this.limits);
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

/**
 * The real `./workspace` folder of a workspace, for live runs. Every operation walks from the
 * folder down without following links: a link anywhere on the way (or the folder itself being
 * one) fails with EWORKSPACELINK, so nothing outside `./workspace` is read, written or removed.
 */
export class DiskWorkspace implements WorkspaceStore {
  /** Contents of files as first read during this run: the seed a recording needs. */
  readonly reads = new Map<string, string>();
  /**
   * What the folder holds: walked from disk once (and again on every list), then kept up to date
   * with this run's own writes, so a thousand writes do not walk a thousand files each.
   */
  #known: Usage | undefined;

  constructor(
    readonly root: string,
    readonly limits: WorkspaceLimits = DEFAULT_WORKSPACE_LIMITS,
  ) {}

  read(file: string): string | null {
    const key = checkWorkspacePath(file);
    const found = this.#inFolder(key, false, (dir, name) => readFileNoFollow(dir, name, this.limits.maxFileBytes));
    if (!found) return null;
    if (found.size > this.limits.maxFileBytes) throw tooBig(key, found.size, this.limits);
    const text = found.bytes.toString('utf8');
    if (!this.reads.has(key)) this.reads.set(key, text);
    return text;
  }

  write(file: string, text: string): void {
    const key = checkWorkspacePath(file);
    const bytes = Buffer.from(text, 'utf8');
    if (bytes.length > this.limits.maxFileBytes) throw tooBig(key, bytes.length, this.limits);
    const usage = this.#usage();
    if (usage.truncated && !usage.files.has(key)) throw new WorkspaceError('EWORKSPACEFULL', `the workspace holds more than ${this.limits.maxFiles} entries`);
    checkWrite(key, bytes.length, usage.files, usage.others, this.limits);
    this.#inFolder(key, true, (dir, name) => writeFileNoFollow(dir, name, bytes));
    usage.files.set(key, bytes.length);
  }

  list(prefix = ''): string[] {
    const p = prefix === '' ? '' : checkWorkspacePath(prefix);
    this.#known = undefined;
    return [...this.#usage().files.keys()].filter((k) => p === '' || k === p || k.startsWith(`${p}/`)).sort();
  }

  remove(file: string): boolean {
    const key = checkWorkspacePath(file);
    const removed = this.#inFolder(key, false, (dir, name) => removeFileNoFollow(dir, name)) ?? false;
    if (removed) this.#known?.files.delete(key);
    return removed;
  }

  #usage(): Usage {
    this.#known ??= walkNoFollow(this.root, this.limits.maxFiles * 2 + 16, MAX_WORKSPACE_DEPTH);
    return this.#known;
  }

  /** Runs `op` on the folder that holds `key` (created when `create`); undefined when it is missing. */
  #inFolder<T>(key: string, create: boolean, op: (dir: OpenDir, name: string) => T): T | undefined {
    const segments = key.split('/');
    const name = segments.pop() ?? '';
    try {
      const dir = openDir(this.root, segments, create);
      if (!dir) return undefined;
      try {
        return op(dir, name);
      } finally {
        dir.close();
      }
    } catch (error) {
      if (error instanceof ConfinedError) {
        const link = error.reason === 'link';
        throw new WorkspaceError(link ? 'EWORKSPACELINK' : 'EWORKSPACEPATH', `workspace path ${key}: ${error.message}${link ? '; the workspace API never follows links' : ''}`);
      }
      throw error;
    }
  }
}
