/**
 * Temporary folders for tests: `tempDir` is the one way tests make them, and every folder it makes
 * is removed when the test file ends (testkit/setup.ts drains the list in a file-level afterAll).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const made = new Set<string>();

export interface TempDirOptions {
  /** Make the folder inside this one instead of the system's temporary folder. */
  in?: string;
}

/**
 * A new empty folder `skills-<name>-XXXXXX`, its real path (macOS's /var/folders is a link), removed
 * with everything in it after the test file's own afterAll hooks ran. Outside vitest (benches)
 * nothing drains the list: call `removeTempDirs` yourself.
 */
export async function tempDir(name: string, options: TempDirOptions = {}): Promise<string> {
  const dir = await fs.realpath(await fs.mkdtemp(path.join(options.in ?? os.tmpdir(), `skills-${name}-`)));
  made.add(dir);
  return dir;
}

/** Removes every folder `tempDir` made in this process (children first), even ones made read-only. */
export async function removeTempDirs(): Promise<void> {
  const dirs = [...made].sort((a, b) => b.length - a.length);
  made.clear();
  for (const dir of dirs) await removeTree(dir);
}

async function removeTree(dir: string): Promise<void> {
  try {
    await fs.rm(dir, { recursive: true, force: true, maxRetries: 3 });
  } catch {
    // A test may leave folders without write or search permission (0500, 0000): open them up and retry.
    await makeWritable(dir);
    await fs.rm(dir, { recursive: true, force: true, maxRetries: 3 });
  }
}

async function makeWritable(dir: string): Promise<void> {
  await fs.chmod(dir, 0o700).catch(() => undefined);
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) if (e.isDirectory()) await makeWritable(path.join(dir, e.name));
}
