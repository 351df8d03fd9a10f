/**
 * The content-addressed cache (`~/.cache/skills`, `$XDG_CACHE_HOME/skills` or `$SKILLS_CACHE_DIR`):
 * tarballs by their sha512 integrity, packuments with their ETag, the files of skills from other
 * sources by content digest, listings of git commits, and markers for content that already passed
 * sandbox verification on this machine. Everything read back is re-checked.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { MAX_PACKUMENT_BYTES } from '../../../schema/registry';
import type { PackageFile } from '../../../schema/package-files';
import { contentDigest, verifyIntegrity } from '../../../tarball/digest';
import { pack } from '../../../tarball/pack';
import { unpack } from '../../../tarball/unpack';
import { writeFileAtomic } from '../workspace/write-atomic';

const cachedPackumentSchema = z.object({ etag: z.string(), body: z.string() });

export class Cache {
  constructor(readonly dir: string) {}

  static fromEnv(env: NodeJS.ProcessEnv): Cache {
    return new Cache(env.SKILLS_CACHE_DIR ?? path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'skills'));
  }

  #tarballFile(integrity: string): string {
    const hex = Buffer.from(integrity.replace(/^sha512-/, ''), 'base64').toString('hex');
    return path.join(this.dir, 'tarballs', hex.slice(0, 2), `${hex}.tgz`);
  }

  /** A cached tarball, only if its bytes still match the integrity. */
  async tarball(integrity: string): Promise<Uint8Array | undefined> {
    const bytes = await fs.readFile(this.#tarballFile(integrity)).catch(() => undefined);
    if (!bytes) return undefined;
    const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return verifyIntegrity(view, integrity) ? view : undefined;
  }

  async putTarball(integrity: string, bytes: Uint8Array): Promise<void> {
    const file = this.#tarballFile(integrity);
    await this.#quietly(async () => {
      await fs.mkdir(path.dirname(file), { recursive: true });
      await writeFileAtomic(file, bytes);
    });
  }

  #packumentFile(registry: string, name: string): string {
    const key = createHash('sha256').update(`${registry}\0${name}`).digest('hex');
    return path.join(this.dir, 'packuments', `${key}.json`);
  }

  /** A cached packument body with its ETag; anything damaged or oversized counts as a miss. */
  async packument(registry: string, name: string): Promise<{ etag: string; body: string } | undefined> {
    const file = this.#packumentFile(registry, name);
    const stat = await fs.stat(file).catch(() => undefined);
    // The JSON wrapper escapes the body, so allow it twice the size the network may send.
    if (!stat?.isFile() || stat.size > 2 * MAX_PACKUMENT_BYTES) return undefined;
    const text = await fs.readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) return undefined;
    try {
      const parsed = cachedPackumentSchema.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  async putPackument(registry: string, name: string, etag: string, body: string): Promise<void> {
    const file = this.#packumentFile(registry, name);
    await this.#quietly(async () => {
      await fs.mkdir(path.dirname(file), { recursive: true });
      await writeFileAtomic(file, JSON.stringify({ etag, body }));
    });
  }

  #contentFile(digest: string): string {
    const hex = digest.replace(/^sha256:/, '');
    return path.join(this.dir, 'contents', hex.slice(0, 2), `${hex}.tgz`);
  }

  /**
   * The files of a skill from a source other than the registry (git, a folder, a discovery index),
   * by content digest: only if they still hash to it.
   */
  async content(digest: string): Promise<PackageFile[] | undefined> {
    if (!/^sha256:[0-9a-f]{64}$/.test(digest)) return undefined;
    const bytes = await fs.readFile(this.#contentFile(digest)).catch(() => undefined);
    if (!bytes) return undefined;
    const files = await unpack(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)).catch(() => undefined);
    return files && contentDigest(files) === digest ? files : undefined;
  }

  async putContent(digest: string, files: readonly PackageFile[]): Promise<void> {
    const file = this.#contentFile(digest);
    await this.#quietly(async () => {
      if (await fs.stat(file).then((s) => s.isFile(), () => false)) return;
      const packed = await pack(files);
      await fs.mkdir(path.dirname(file), { recursive: true });
      await writeFileAtomic(file, packed.bytes);
    });
  }

  /** A small JSON document kept by key (a git commit's listing of skills); undefined when absent or damaged. */
  async document(kind: string, key: string, maxBytes = 4 * 1024 * 1024): Promise<unknown> {
    const file = path.join(this.dir, kind, `${createHash('sha256').update(key).digest('hex')}.json`);
    const stat = await fs.stat(file).catch(() => undefined);
    if (!stat?.isFile() || stat.size > maxBytes) return undefined;
    try {
      return JSON.parse(await fs.readFile(file, 'utf8')) as unknown;
    } catch {
      return undefined;
    }
  }

  async putDocument(kind: string, key: string, value: unknown): Promise<void> {
    const file = path.join(this.dir, kind, `${createHash('sha256').update(key).digest('hex')}.json`);
    await this.#quietly(async () => {
      await fs.mkdir(path.dirname(file), { recursive: true });
      await writeFileAtomic(file, JSON.stringify(value));
    });
  }

  #verifiedFile(key: string): string {
    return path.join(this.dir, 'verified', createHash('sha256').update(key).digest('hex'));
  }

  async wasVerified(key: string): Promise<boolean> {
    return fs.access(this.#verifiedFile(key)).then(
      () => true,
      () => false,
    );
  }

  async markVerified(key: string): Promise<void> {
    const file = this.#verifiedFile(key);
    await this.#quietly(async () => {
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(file, key);
    });
  }

  /** The cache is an optimisation: failing to write it (read-only home, full disk) is not an error. */
  async #quietly(write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch {
      // ignored on purpose
    }
  }
}
