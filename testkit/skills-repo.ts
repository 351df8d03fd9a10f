/**
 * A git repository shaped like the public skills repositories (skills/<name>/SKILL.md, written
 * for the tests): instructions only, scripts/*.py, references/, assets/ with binary files, an
 * executable shell script, and one skill whose metadata.version is an unquoted YAML number.
 */
import path from 'node:path';
import { makeRepo, skillMd, type RepoFile } from './git-repo';

/** A PNG's first bytes and some binary after them (NULs included): an image asset, not text. */
export const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0xff, 0x00, 0x7f, 0x80]);
export const FONT = new Uint8Array([0x00, 0x01, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x80, 0x00, 0x03, 0x00, 0x20]);

const INSTRUCTIONS = ['writing-style', 'meeting-notes', 'api-docs', 'glossary', 'changelog', 'brand-voice', 'sql-style', 'review-checklist', 'research'];

export const SKILLS_REPO_NAMES = [...INSTRUCTIONS, 'pdf-tools', 'csv-clean', 'slides', 'fonts', 'deploy', 'data-viz', 'legacy-version'].sort();

export async function makeSkillsRepo(dir: string, tag = 'v1.0.0'): Promise<string> {
  const files: Record<string, RepoFile> = { 'README.md': '# Skills for the tests\n', 'LICENSE': 'MIT\n' };
  for (const name of INSTRUCTIONS) {
    files[`skills/${name}/SKILL.md`] = skillMd(name, { version: '"1.0.0"' }, `# ${name}\n\nRead [the guide](references/guide.md).\n`);
    files[`skills/${name}/references/guide.md`] = `# ${name} guide\n\nDetails.\n`;
  }
  files['skills/pdf-tools/SKILL.md'] = skillMd('pdf-tools', { version: '"1.2.0"' }, '# PDF tools\n\nRun scripts/extract.py <file>.\n');
  files['skills/pdf-tools/scripts/extract.py'] = 'import sys\nprint("extracting", sys.argv[1:])\n';
  files['skills/pdf-tools/scripts/fill.py'] = 'print("filling")\n';
  files['skills/csv-clean/SKILL.md'] = skillMd('csv-clean', { version: '"0.3.0"' });
  files['skills/csv-clean/scripts/clean.py'] = 'print("clean")\n';
  files['skills/csv-clean/references/formats.md'] = '# Formats\n';
  files['skills/slides/SKILL.md'] = skillMd('slides', { version: '"2.0.0"' }, '# Slides\n\nUse assets/logo.png on the title slide.\n');
  files['skills/slides/assets/logo.png'] = PNG;
  files['skills/slides/references/layouts.md'] = '# Layouts\n';
  files['skills/fonts/SKILL.md'] = skillMd('fonts', { version: '"1.0.0"' });
  files['skills/fonts/assets/brand.ttf'] = FONT;
  files['skills/deploy/SKILL.md'] = skillMd('deploy', { version: '"1.0.0"' });
  files['skills/deploy/scripts/deploy.sh'] = { content: '#!/bin/sh\necho "deploying $1"\n', executable: true };
  files['skills/data-viz/SKILL.md'] = skillMd('data-viz', { version: '"1.1.0"' });
  files['skills/data-viz/assets/palette.json'] = '{"primary":"#123456"}\n';
  files['skills/data-viz/references/charts.md'] = '# Charts\n';
  // As authors write it: YAML reads 1.0 as a number (issue 12 item 7 reads it as the string "1.0").
  files['skills/legacy-version/SKILL.md'] = skillMd('legacy-version', { version: '1.0' });
  return makeRepo(path.resolve(dir), files, { tag });
}
