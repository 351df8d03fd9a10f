/** The source modules by spec type: one place that knows them all. */
import { SkillsError } from '../../../schema/errors';
import type { PackageFile } from '../../../schema/package-files';
import type { LockEntry, LockSource } from '../../../schema/workspace';
import { folderSource } from './folder';
import { gitSource } from './git';
import { wellKnownSource } from './well-known';
import type { NonRegistrySpec, SourceContext, SourceListing } from './types';

export function listSource(spec: NonRegistrySpec, ctx: SourceContext): Promise<SourceListing> {
  switch (spec.type) {
    case 'git':
      return gitSource.list(spec, ctx);
    case 'folder':
      return folderSource.list(spec, ctx);
    case 'well-known':
      return wellKnownSource.list(spec, ctx);
  }
}

export function sourceFiles(entry: LockEntry & { source: LockSource }, name: string, ctx: SourceContext): Promise<PackageFile[]> {
  switch (entry.source.type) {
    case 'git':
      return gitSource.files(entry, name, ctx);
    case 'folder':
      return folderSource.files(entry, name, ctx);
    case 'well-known':
      return wellKnownSource.files(entry, name, ctx);
    default:
      throw new SkillsError('EINTERNAL', `unknown source of ${name}`);
  }
}
