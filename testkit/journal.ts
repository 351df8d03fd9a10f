/** Install journals as stage.ts writes them, for recovery tests that stop an install at a chosen point. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { JOURNAL, sealJournal, sha256, type Journal } from '../cli/core/install/journal';

const SUFFIX = '0a1b2c3d4e5f';
export const STAGING = `.staging-${SUFFIX}`;
export const TRASH = `.trash-${SUFFIX}`;

const read = (dir: string, file: string) => fs.readFile(path.join(dir, file), 'utf8');

/**
 * Writes into `ws` the sealed journal of the install from the workspace `before` (undefined: none)
 * to the workspace `after`, installing and removing the folders named.
 */
export async function writeJournal(ws: string, key: Buffer, j: { install: string[]; remove: string[]; before: string | undefined; after: string }): Promise<void> {
  const hash = async (file: string) => (j.before ? sha256(await read(j.before, file)) : null);
  const journal: Journal = {
    staging: STAGING,
    trash: TRASH,
    install: j.install,
    remove: j.remove,
    files: [
      { path: 'skills.json', before: await hash('skills.json'), content: await read(j.after, 'skills.json') },
      { path: 'skills-lock.json', before: await hash('skills-lock.json'), content: await read(j.after, 'skills-lock.json') },
    ],
  };
  await fs.writeFile(path.join(ws, 'skills', JOURNAL), sealJournal(journal, key));
}
