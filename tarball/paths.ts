/**
 * The path rules every package entry obeys, whether it comes from a folder being packed or a
 * tarball being unpacked: relative, forward slashes, no `..`, no Windows forms, and no two paths
 * that a case-insensitive or normalising file system would write to the same place.
 */
import type { ErrorCode } from '../schema/errors';

export interface PathProblem {
  code: ErrorCode;
  message: string;
}

/** Checks one path; returns the first problem or undefined. */
export function checkEntryPath(p: string): PathProblem | undefined {
  if (p.length === 0) return { code: 'ETARNAME', message: 'an entry has an empty path' };
  if (p.includes('\0')) return { code: 'ETARNAME', message: `entry path ${JSON.stringify(p)} contains a NUL byte` };
  // Control characters make paths that print one way and write another.
  if (/[\u0001-\u001f\u007f]/.test(p)) return { code: 'ETARNAME', message: `entry path ${JSON.stringify(p)} contains a control character` };
  if (p.includes('\\')) return { code: 'ETARBACKSLASH', message: `entry path ${JSON.stringify(p)} contains a backslash` };
  if (/^[A-Za-z]:/.test(p)) return { code: 'ETARDRIVE', message: `entry path ${JSON.stringify(p)} starts with a drive letter` };
  if (p.startsWith('/')) return { code: 'ETARABSOLUTE', message: `entry path ${JSON.stringify(p)} is absolute` };
  const segments = p.split('/');
  if (segments.includes('..')) return { code: 'ETARDOTDOT', message: `entry path ${JSON.stringify(p)} contains a .. segment` };
  if (segments.some((s) => s === '' || s === '.')) {
    return { code: 'ETARNAME', message: `entry path ${JSON.stringify(p)} has an empty or "." segment` };
  }
  if (p.length > 1024) return { code: 'ETARNAME', message: `entry path starting ${JSON.stringify(p.slice(0, 40))} is longer than 1024 characters` };
  return undefined;
}

/** Checks a whole list of paths for duplicates and collisions, after each passed checkEntryPath. */
export function checkPathSet(paths: readonly string[]): PathProblem | undefined {
  const exact = new Set<string>();
  const nfc = new Map<string, string>();
  const folded = new Map<string, string>();
  for (const p of paths) {
    if (exact.has(p)) return { code: 'ETARDUPLICATE', message: `entry path ${JSON.stringify(p)} appears twice` };
    exact.add(p);
    const n = p.normalize('NFC');
    const seenNfc = nfc.get(n);
    if (seenNfc !== undefined) {
      return { code: 'ETARNFCCOLLISION', message: `entry paths ${JSON.stringify(seenNfc)} and ${JSON.stringify(p)} are the same after Unicode NFC normalisation` };
    }
    nfc.set(n, p);
    const f = n.toLowerCase();
    const seenFolded = folded.get(f);
    if (seenFolded !== undefined) {
      return { code: 'ETARCASECOLLISION', message: `entry paths ${JSON.stringify(seenFolded)} and ${JSON.stringify(p)} differ only in case` };
    }
    folded.set(f, p);
  }
  // A path that is both a file and a folder of another file cannot be written.
  for (const p of paths) {
    const segments = p.split('/');
    for (let i = 1; i < segments.length; i++) {
      const prefix = segments.slice(0, i).join('/');
      if (exact.has(prefix)) return { code: 'ETARPATHCONFLICT', message: `${JSON.stringify(prefix)} is a file and also a folder of ${JSON.stringify(p)}` };
    }
  }
  return undefined;
}
