/**
 * Where the bundler reads skill sources from: memory (the registry, verifying a tarball it never
 * writes out) or disk (the CLI). Paths are `<folder>/<relative path>`, where `<folder>` is a
 * skill's folder under the workspace's `skills/`. Nothing else is readable.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { manifestSchema, type Manifest } from '../schema/manifest';
import { decodeUtf8 } from '../schema/package';
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
 * readable (pass `only`).
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
        const stat = await fs.stat(dir).catch(() => undefined);
        if (!stat?.isDirectory()) return undefined;
        const files = await collectFiles(dir);
        return new Map(files.map((f) => [f.path, f.bytes]));
      })();
      this.#cache.set(folder, loaded);
    }
    return loaded;
  }
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
