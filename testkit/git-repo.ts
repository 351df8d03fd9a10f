/** Real git repositories made in a test (there is no network to GitHub here): files, links, tags, commits. */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** A file's content, an executable file, or a symbolic link. */
export type RepoFile = string | Uint8Array | { content: string | Uint8Array; executable: true } | { link: string };

const GIT_ENV = { GIT_AUTHOR_NAME: 'test', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'test', GIT_COMMITTER_EMAIL: 't@example.com', GIT_CONFIG_NOSYSTEM: '1', HOME: '/nonexistent-home' };

export async function git(repo: string, args: string[], input?: string): Promise<string> {
  const child = exec('git', ['-C', repo, ...args], { env: { ...process.env, ...GIT_ENV }, maxBuffer: 64 * 1024 * 1024 });
  if (input !== undefined) child.child.stdin?.end(input);
  return (await child).stdout.trim();
}

export async function writeRepoFiles(repo: string, files: Record<string, RepoFile>): Promise<void> {
  for (const [rel, value] of Object.entries(files)) {
    const file = path.join(repo, ...rel.split('/'));
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.rm(file, { force: true });
    if (typeof value === 'string' || value instanceof Uint8Array) await fs.writeFile(file, value);
    else if ('link' in value) await fs.symlink(value.link, file);
    else await fs.writeFile(file, value.content, { mode: 0o755 });
  }
}

/** Makes a repository (branch main) with one commit of `files`; returns its path. */
export async function makeRepo(dir: string, files: Record<string, RepoFile>, options: { tag?: string } = {}): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  await exec('git', ['init', '--quiet', '--initial-branch=main', dir], { env: { ...process.env, ...GIT_ENV } });
  await writeRepoFiles(dir, files);
  await commit(dir, 'first', options.tag);
  return dir;
}

/** Commits everything in the work tree (and tags it); returns the commit id. */
export async function commit(repo: string, message: string, tag?: string): Promise<string> {
  await git(repo, ['add', '--all']);
  await git(repo, ['commit', '--quiet', '--allow-empty', '-m', message]);
  if (tag) await git(repo, ['tag', tag]);
  return git(repo, ['rev-parse', 'HEAD']);
}

/** A SKILL.md with `name` and a description (and metadata lines, e.g. `version: "1.0.0"`). */
export function skillMd(name: string, metadata: Record<string, string> = {}, body = `# ${name}\n\nUse this skill for tests.\n`): string {
  const meta = Object.keys(metadata).length > 0 ? `metadata:\n${Object.entries(metadata).map(([k, v]) => `  ${k}: ${v}\n`).join('')}` : '';
  return `---\nname: ${name}\ndescription: The ${name} skill, written by a test.\n${meta}---\n\n${body}`;
}
