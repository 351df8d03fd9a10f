/**
 * Where a registry's storage is named when no flag names it: shared by `skills serve` (through
 * registry-server/settings.ts) and the `skills registry` commands that open a registry's storage.
 */
export const DEFAULT_REGISTRY_DB = '.skills-registry/registry.db';
/** A `postgres://` URL for the metadata (a password stays out of the command line). */
export const DATABASE_ENV = 'SKILLS_DATABASE_URL';
/** An `s3://` URL for the tarballs. */
export const BLOBS_ENV = 'SKILLS_BLOBS_URL';
