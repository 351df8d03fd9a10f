/** Finds a worker script that the build wrote to dist/, from source (tests) or from the bundle. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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
