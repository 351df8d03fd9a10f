/** Finds a worker script that the build wrote to dist/, from source (tests) or from the bundle. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SkillsError, type ErrorCode } from '../schema/errors';

/** The path of dist/<file> walking up from this module, or undefined when it was never built. */
export function builtWorkerPath(file: string): string | undefined {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    for (const candidate of [path.join(dir, file), path.join(dir, 'dist', file)]) {
      if (fs.existsSync(candidate)) return candidate;
    }
    dir = path.dirname(dir);
  }
  return undefined;
}

/** The path of dist/<file>; a build without it fails with `code` (500) telling to build. */
export function requireBuiltWorker(file: string, what: string, code: ErrorCode): string {
  const found = builtWorkerPath(file);
  if (found) return found;
  throw new SkillsError(code, `the ${what} worker (dist/${file}) is missing`, { hint: 'run `npm run build`', status: 500 });
}
