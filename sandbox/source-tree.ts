/**
 * Where the bundler reads skill sources from: memory (the registry, verifying a tarball it never
 * writes out) or disk (the CLI). Paths are `<folder>/<relative path>`, where `<folder>` is a
 * skill's folder under the workspace's `skills/`. Nothing else is readable.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { SkillsError } from '../schema/errors';
import { manifestSchema, type Manifest } from '../schema/manifest';
import { decodeUtf8 } from '../schema/utf8';
import type { PackageFile } from '../schema/package-files';
import { collectFiles } from '../tarball/collect';

export interface SourceTree {
  /** The folders that exist (loading them if needed); undefined when `folder` is not a skill here. */
  files(folder: string): Promise<ReadonlyMap<string, Uint8Array> | undefined>;
}

export class MemorySourceTree implements SourceTree {
  readonly #folders = new Map<string, Map<string, Uint8Array>>();

  constructor(folders: Record<string, readonly PackageFile[]> | Map<string, readonly PackageFile[]>) {
    const entries = folders instanceof Map ? [...folders.entries()] : Object.entries(folders);
    for (const [folder, files] of entries) this.#folders.set(folder, new Map(files.map((f) => [f.path, f.bytes])));
  }

  async files(folder: string): Promise<ReadonlyMap<string, Uint8Array> | undefined> {
    return this.#folders.get(folder);
  }
}

/**
 * Reads `root/<folder>` with the packer's rules (ignore files, no symlinks, size limits). `root`
 * is the workspace's `skills/`; when a skill folder lives anywhere else, only that one folder is
 * readable (pass `only`). Links are never followed: a skill folder that is a link (e.g. a sibling
 * pointing elsewhere) or a linked file inside one fails with EBUNDLELINK.
 */
export class DiskSourceTree implements SourceTree {
  readonly #cache = new Map<string, Promise<ReadonlyMap<string, Uint8Array> | undefined>>();

  constructor(
    readonly root: string,
    readonly only?: string,
  ) {}

  files(folder: string): Promise<ReadonlyMap<string, Uint8Array> | undefined> {
    if (this.only !== undefined && folder !== this.only) return Promise.resolve(undefined);
    if (folder.startsWith('.') || folder.includes('/') || folder.includes('\\')) return Promise.resolve(undefined);
    let loaded = this.#cache.get(folder);
    if (!loaded) {
      loaded = (async () => {
        const dir = path.join(this.root, folder);
        const stat = await fs.lstat(dir).catch(() => undefined);
        if (stat?.isSymbolicLink()) throw linkError(`${path.basename(this.root)}/${folder} is a link to another place`);
        if (!stat?.isDirectory()) return undefined;
        let files: PackageFile[];
        try {
          files = await collectFiles(dir);
        } catch (error) {
          if (error instanceof SkillsError && error.code === 'EPACKSYMLINK') throw linkError(`in ${path.basename(this.root)}/${folder}: ${error.message}`);
          throw error;
        }
        return new Map(files.map((f) => [f.path, f.bytes]));
      })();
      this.#cache.set(folder, loaded);
    }
    return loaded;
  }
}

function linkError(what: string): SkillsError {
  return new SkillsError('EBUNDLELINK', `${what}; skill code is never read through a link`, {
    hint: 'replace the link with a copy of the folder or file (skills install copies skills into ./skills)',
  });
}

/** The parsed skill.json of a folder, or undefined when it is missing or invalid. */
export function readManifest(files: ReadonlyMap<string, Uint8Array>): Manifest | undefined {
  const bytes = files.get('skill.json');
  if (!bytes) return undefined;
  const text = decodeUtf8(bytes);
  if (text === undefined) return undefined;
  try {
    const parsed = manifestSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
