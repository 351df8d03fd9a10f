/**
 * File access confined to one folder that never follows a symbolic link, even one swapped in
 * while an operation runs. On Linux each folder on the way is opened with O_NOFOLLOW and the next
 * name is looked up through `/proc/self/fd/<fd>/<name>`, which names the folder already opened
 * (like openat): replacing a component with a link after it was checked changes nothing. The last
 * component is opened with O_NOFOLLOW too. Without /proc (macOS) the same checks run on paths,
 * which leaves a window between check and use (documented).
 */
import fs from 'node:fs';
import path from 'node:path';

const C = fs.constants;
const O_NOFOLLOW = C.O_NOFOLLOW ?? 0;
const O_DIRECTORY = C.O_DIRECTORY ?? 0;
const O_NONBLOCK = C.O_NONBLOCK ?? 0;
const HAS_PROC_FD = (() => {
  try {
    return fs.statSync('/proc/self/fd').isDirectory();
  } catch {
    return false;
  }
})();

/** Why a confined operation was refused: a link on the way, or a file where a folder must be. */
export class ConfinedError extends Error {
  constructor(
    readonly reason: 'link' | 'not-a-folder' | 'not-a-file',
    readonly where: string,
  ) {
    super(`${where} is ${reason === 'link' ? 'a link' : reason === 'not-a-folder' ? 'not a folder' : 'not a regular file'}`);
  }
}

/** An open folder inside the confined root; `child(name)` is a path that resolves inside it. */
export interface OpenDir {
  /** Names relative to the root, for messages. */
  readonly rel: string;
  child(name: string): string;
  close(): void;
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function isLink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * Opens `root/segments...` as a folder, creating missing folders when `create` is set (never
 * through a link). Returns undefined when a folder is missing and `create` is not set; throws
 * ConfinedError on a link or a file in the way. The root itself must not be a link either.
 */
export function openDir(root: string, segments: readonly string[], create: boolean): OpenDir | undefined {
  let current = openOne(root, '', '(the workspace folder)', create);
  if (!current) return undefined;
  for (let i = 0; i < segments.length; i++) {
    const rel = segments.slice(0, i + 1).join('/');
    const parent = current;
    try {
      current = openOne(parent.child(segments[i] ?? ''), rel, rel, create);
    } finally {
      parent.close();
    }
    if (!current) return undefined;
  }
  return current;
}

function openOne(p: string, rel: string, label: string, create: boolean): OpenDir | undefined {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      if (!HAS_PROC_FD) {
        const stat = fs.lstatSync(p);
        if (stat.isSymbolicLink()) throw new ConfinedError('link', label);
        if (!stat.isDirectory()) throw new ConfinedError('not-a-folder', label);
        return { rel, child: (name) => path.join(p, name), close: () => {} };
      }
      const fd = fs.openSync(p, C.O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
      let open = true;
      return {
        rel,
        child: (name) => `/proc/self/fd/${fd}/${name}`,
        close: () => {
          if (open) fs.closeSync(fd);
          open = false;
        },
      };
    } catch (error) {
      if (error instanceof ConfinedError) throw error;
      const code = errorCode(error);
      if (code === 'ELOOP' || (code === 'ENOTDIR' && isLink(p))) throw new ConfinedError('link', label);
      if (code === 'ENOTDIR') throw new ConfinedError('not-a-folder', label);
      if (code !== 'ENOENT' || !create || attempt > 0) {
        if (code === 'ENOENT') return undefined;
        throw error;
      }
      // mkdir never follows its last component; a link made there meanwhile fails the reopen.
      try {
        fs.mkdirSync(p);
      } catch (mkdirError) {
        if (errorCode(mkdirError) !== 'EEXIST') throw mkdirError;
      }
    }
  }
  return undefined;
}

export interface FileRead {
  bytes: Buffer;
  size: number;
}

/**
 * Reads a regular file named `name` in `dir` without following a link, at most `maxBytes`
 * (undefined when missing or not a regular file; `size` tells when it is larger).
 */
export function readFileNoFollow(dir: OpenDir, name: string, maxBytes: number): FileRead | undefined {
  let fd: number;
  try {
    fd = fs.openSync(dir.child(name), C.O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ELOOP' || (!HAS_PROC_FD && isLink(dir.child(name)))) throw new ConfinedError('link', join(dir.rel, name));
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENXIO') return undefined;
    throw error;
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) return undefined;
    if (stat.size > maxBytes) return { bytes: Buffer.alloc(0), size: stat.size };
    const bytes = Buffer.alloc(stat.size);
    let read = 0;
    while (read < bytes.length) {
      const n = fs.readSync(fd, bytes, read, bytes.length - read, read);
      if (n === 0) break;
      read += n;
    }
    return { bytes: bytes.subarray(0, read), size: stat.size };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Writes `bytes` to `name` in `dir`, creating it, never through a link. An existing file with
 * other hard links is refused: writing it in place would change the other names' content too.
 */
export function writeFileNoFollow(dir: OpenDir, name: string, bytes: Uint8Array): void {
  const target = dir.child(name);
  let fd: number;
  try {
    fd = fs.openSync(target, C.O_WRONLY | C.O_CREAT | O_NOFOLLOW | O_NONBLOCK, 0o644);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ELOOP' || isLink(target)) throw new ConfinedError('link', join(dir.rel, name));
    if (code === 'EISDIR' || code === 'ENXIO') throw new ConfinedError('not-a-file', join(dir.rel, name));
    throw error;
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new ConfinedError('not-a-file', join(dir.rel, name));
    if (stat.nlink > 1) throw new ConfinedError('link', `${join(dir.rel, name)} (a hard link)`);
    fs.ftruncateSync(fd, 0);
    let written = 0;
    while (written < bytes.length) written += fs.writeSync(fd, bytes, written, bytes.length - written, written);
  } finally {
    fs.closeSync(fd);
  }
}

/** Removes the file `name` in `dir`; a link is refused, a folder or a missing name is false. */
export function removeFileNoFollow(dir: OpenDir, name: string): boolean {
  const target = dir.child(name);
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(target);
  } catch {
    return false;
  }
  if (stat.isSymbolicLink()) throw new ConfinedError('link', join(dir.rel, name));
  if (stat.isDirectory()) return false;
  // unlink never follows its last component, and the folder is the one opened.
  try {
    fs.unlinkSync(target);
    return true;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false;
    throw error;
  }
}

export interface Usage {
  /** Regular files found, as paths relative to the root. */
  files: Map<string, number>;
  /** Entries that are neither files nor folders (links, sockets...): they take a name and count. */
  others: number;
  /** The walk stopped early (more entries or deeper folders than it looks at). */
  truncated: boolean;
}

/**
 * Walks the confined root without following links: every regular file with its size, up to
 * `maxEntries` entries and `maxDepth` folders deep, so a huge or deep tree costs a bounded walk.
 */
export function walkNoFollow(root: string, maxEntries: number, maxDepth: number): Usage {
  const usage: Usage = { files: new Map(), others: 0, truncated: false };
  let seen = 0;
  const visit = (dir: OpenDir, depth: number): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir.child('.'), { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (++seen > maxEntries) {
        usage.truncated = true;
        return;
      }
      const rel = join(dir.rel, entry.name);
      if (entry.isDirectory()) {
        if (depth >= maxDepth) {
          usage.truncated = true;
          continue;
        }
        let child: OpenDir | undefined;
        try {
          child = openOne(dir.child(entry.name), rel, rel, false);
        } catch {
          usage.others++;
          continue;
        }
        if (!child) continue;
        try {
          visit(child, depth + 1);
        } finally {
          child.close();
        }
      } else if (entry.isFile()) {
        try {
          usage.files.set(rel, fs.lstatSync(dir.child(entry.name)).size);
        } catch {
          // Gone meanwhile.
        }
      } else {
        usage.others++;
      }
      if (usage.truncated) return;
    }
  };
  let top: OpenDir | undefined;
  try {
    top = openDir(root, [], false);
  } catch {
    return usage;
  }
  if (!top) return usage;
  try {
    visit(top, 0);
  } finally {
    top.close();
  }
  return usage;
}

function join(rel: string, name: string): string {
  return rel === '' ? name : `${rel}/${name}`;
}
