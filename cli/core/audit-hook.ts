/**
 * Where the static audit (hidden Unicode, prompt injection, dangerous scripts, committed secrets)
 * plugs into installs: the executor calls the hook on every new or changed skill after
 * verification and before staging (install.ts), with the files it is about to write.
 */
import type { PackageFile } from '../../schema/package-files';

/** What the static audit (added separately) reports about one file of a skill. */
export interface AuditFinding {
  severity: 'error' | 'warning';
  code: string;
  path: string;
  message: string;
}

/**
 * Runs on every new or changed skill after verification and before staging: an `error` finding
 * refuses the install (EAUDIT), a `warning` is passed on.
 */
export type AuditHook = (skill: { name: string; version: string; files: readonly PackageFile[] }) => Promise<readonly AuditFinding[]> | readonly AuditFinding[];
