/** The in-memory form of a skill package: what packing reads and unpacking returns. */
export interface PackageFile {
  /** Forward-slash path relative to the package root, never starting with `/` or containing `..`. */
  path: string;
  bytes: Uint8Array;
  /** True when the file should be unpacked executable (mode 0755); everything else is 0644. */
  executable?: boolean;
}
