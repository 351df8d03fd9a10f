/**
 * Tarballs and other immutable files, content-addressed by the sha256 of their bytes (lowercase
 * hex). A blob is written before the metadata row that names it and never overwritten; a read
 * checks the digest again, so a blob altered where it is kept is refused, never served.
 */
export interface BlobStore {
  /** Where blobs live, for messages and logs (never a secret). */
  readonly description: string;
  /** Stores `bytes` under `sha256` unless a blob with that digest is already there. */
  put(sha256: string, bytes: Uint8Array): Promise<void>;
  /** The bytes, checked against the digest; undefined when there is no such blob. */
  get(sha256: string): Promise<Buffer | undefined>;
  /** Removes a blob no metadata row names any more (missing is not an error). */
  delete(sha256: string): Promise<void>;
  /** Checks at start that the store is reachable and writable. */
  check(): Promise<void>;
  close(): Promise<void>;
}

/** Lowercase hex sha256: the only key a blob store takes (so a key can never be a path). */
export const BLOB_KEY = /^[0-9a-f]{64}$/;
