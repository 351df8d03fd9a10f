// The CLI tests run the built bin and the sandbox pool loads dist/sandbox-worker.js, so every
// vitest run (not only `npm test`) builds first: a stale dist/ can never be what gets tested.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  execFileSync(process.execPath, [path.join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
}
