/** A byte-for-byte picture of a folder: every file, folder and link (helpers/workspace.ts `snapshot` sees files only). */
import fs from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';

/** relative path -> `file:<base64>`, `dir`, `link:<target>` or `special`; nothing is followed. */
export async function tree(dir: string, options: { ignore?: (rel: string) => boolean } = {}): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (rel: string) => {
    const entries = await fs.readdir(path.join(dir, rel), { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (options.ignore?.(p)) continue;
      const full = path.join(dir, p);
      if (e.isSymbolicLink()) out[p] = `link:${await fs.readlink(full)}`;
      else if (e.isDirectory()) {
        out[p] = 'dir';
        await walk(p);
      } else if (e.isFile()) out[p] = `file:${(await fs.readFile(full)).toString('base64')}`;
      // A named pipe or socket: never opened (reading a pipe would wait for a writer).
      else out[p] = 'special';
    }
  };
  await walk('');
  return out;
}

/**
 * Runs an action that must fail with `code` and checks it left `dir` exactly as it was; returns
 * the error for further checks of its message and hint.
 */
export async function expectNothingWritten(dir: string, action: () => Promise<unknown>, code: string): Promise<{ message: string; hint?: string }> {
  const before = await tree(dir);
  const error = await action().then(
    () => undefined,
    (e: unknown) => e as { code: string; message: string; hint?: string },
  );
  expect(error?.code, error?.message).toBe(code);
  expect(await tree(dir)).toEqual(before);
  return error as { message: string; hint?: string };
}
