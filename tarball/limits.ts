/** Size and count limits shared by packing (read from disk) and unpacking (read from a tarball). */
export interface PackageLimits {
  /** Most entries (files) a package may hold. */
  maxEntries: number;
  /** Most bytes all files together may hold, unpacked. */
  maxUnpackedBytes: number;
  /** Most bytes one file may hold. */
  maxFileBytes: number;
}

export interface UnpackLimits extends PackageLimits {
  /**
   * Largest inflated/compressed ratio accepted once more than `ratioGraceBytes` have inflated.
   * Text packages compress 3-10:1; a ratio far above that is a decompression bomb.
   */
  maxCompressionRatio: number;
  ratioGraceBytes: number;
}

export const MiB = 1024 * 1024;

export const DEFAULT_PACKAGE_LIMITS: Readonly<PackageLimits> = Object.freeze({
  maxEntries: 1000,
  maxUnpackedBytes: 50 * MiB,
  maxFileBytes: 10 * MiB,
});

export const DEFAULT_UNPACK_LIMITS: Readonly<UnpackLimits> = Object.freeze({
  ...DEFAULT_PACKAGE_LIMITS,
  maxCompressionRatio: 200,
  ratioGraceBytes: 1 * MiB,
});
