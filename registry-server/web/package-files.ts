/**
 * The unpacked files of recently viewed versions (for the file viewer, package images and the
 * MCP calls of each verification case), kept up to a byte budget. Versions never change once
 * published, so an entry is valid until it is pushed out; concurrent requests for the same
 * version share one unpack.
 */
import type { PackageFile } from '../../schema/package-files';
import type { UnpackLimits } from '../../tarball/limits';
import { unpack } from '../../tarball/unpack';
import type { SkillRow, SkillsStore } from '../skills-store';

export type FileMap = ReadonlyMap<string, Uint8Array>;

export class PackageFiles {
  readonly #entries = new Map<string, { files: Promise<FileMap | undefined>; bytes: number }>();
  #bytes = 0;

  constructor(
    private readonly store: SkillsStore,
    private readonly limits: Partial<UnpackLimits> | undefined,
    private readonly budgetBytes = 32 * 1024 * 1024,
  ) {}

  get(skill: SkillRow, version: string): Promise<FileMap | undefined> {
    const key = `${skill.id} ${version}`;
    const hit = this.#entries.get(key);
    if (hit) {
      // Most recently used last.
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit.files;
    }
    const entry = { files: this.#load(skill, version), bytes: 0 };
    this.#entries.set(key, entry);
    entry.files.then(
      (files) => {
        if (!files || this.#entries.get(key) !== entry) return;
        let size = 0;
        for (const bytes of files.values()) size += bytes.byteLength;
        entry.bytes = size;
        this.#bytes += size;
        this.#evict();
      },
      () => this.#entries.delete(key),
    );
    return entry.files;
  }

  async #load(skill: SkillRow, version: string): Promise<FileMap | undefined> {
    const tarball = await this.store.tarball(skill, version);
    if (!tarball) return undefined;
    const files: PackageFile[] = await unpack(new Uint8Array(tarball.buffer, tarball.byteOffset, tarball.byteLength), this.limits);
    return new Map(files.map((f) => [f.path, f.bytes]));
  }

  #evict(): void {
    for (const [key, entry] of this.#entries) {
      if (this.#bytes <= this.budgetBytes || this.#entries.size <= 1) break;
      this.#entries.delete(key);
      this.#bytes -= entry.bytes;
    }
  }
}
