/**
 * Git repositories as a source, through the system `git` (git-run.ts says how it is run safely).
 *
 * A ref is resolved with `git ls-remote` (a full commit id needs nothing). Each repository and
 * commit is fetched once, shallow (`--depth 1`), into its own bare repository in the cache,
 * `git/<url hash>/<commit>.git`, made aside and renamed into place, and never with submodules. Its
 * tree is read into a listing (every SKILL.md folder with the exact files it would carry, see
 * git-tree.ts) kept in the cache by URL and commit, with each skill's content digest once read; the
 * files themselves are kept by digest. So a second install of the same commit runs no git at all
 * when its lockfile names the commit (and only `ls-remote` when it names a ref), and installing
 * 15 skills of one repository clones it once.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import semver from 'semver';
import { z } from 'zod';
import { isErrorCode, SkillsError, type ErrorCode } from '../../../schema/errors';
import type { PackageFile } from '../../../schema/package-files';
import { parseSkillMd, SKILL_MD } from '../../../schema/skill-md';
import { contentDigest } from '../../../tarball/digest';
import type { Cache } from '../registry/cache';
import { blobsToPlan, findSkillFolders, parseLsTree, planCandidate, type CandidatePlan, type TreeEntry } from './git-tree';
import { fetchHint, folderBytes, gitLimits, runGit, type GitLimits } from './git-run';
import { parseSourceSpec, pinnedSpec, shown, type GitSpec } from './spec';
import { checkDigest, once, type Candidate, type SkillSource, type SourceContext, type SourceListing } from './types';

const COMMIT_RE = /^[0-9a-f]{40}$/;
const MAX_LS_REMOTE_BYTES = 32 * 1024 * 1024;
const MAX_TREE_BYTES = 64 * 1024 * 1024;
const LISTING_KIND = 'git-listings';
const LISTING_VERSION = 1;

const listingSchema = z.object({
  v: z.literal(LISTING_VERSION),
  url: z.string(),
  commit: z.string().regex(COMMIT_RE),
  /** The root SKILL.md's name, for the root skill's label. */
  rootName: z.string().nullable(),
  candidates: z.array(
    z.object({
      path: z.string(),
      files: z.array(z.object({ path: z.string(), oid: z.string().regex(COMMIT_RE), size: z.number().int().nonnegative(), executable: z.boolean() })),
      error: z.object({ code: z.custom<ErrorCode>(isErrorCode), message: z.string() }).nullable(),
      digest: z.string().regex(/^sha256:[0-9a-f]{64}$/).nullable(),
    }),
  ),
});
type Listing = z.infer<typeof listingSchema>;

function urlKey(url: string): string {
  return createHash('sha256').update(url).digest('hex').slice(0, 32);
}

function gitDir(cache: Cache, url: string): string {
  return path.join(cache.dir, 'git', urlKey(url));
}

/** The commit a spec names: a full commit id as is, else from `git ls-remote`. */
function resolveCommit(spec: GitSpec, ctx: SourceContext, limits: GitLimits): Promise<{ commit: string; tag: string | undefined; fetchRef: string | undefined }> {
  return once(ctx, `git-ref\0${spec.url}\0${spec.ref ?? ''}\0${spec.semverRange ?? ''}`, () => lsRemote(spec, ctx, limits));
}

async function lsRemote(spec: GitSpec, ctx: SourceContext, limits: GitLimits): Promise<{ commit: string; tag: string | undefined; fetchRef: string | undefined }> {
  if (spec.ref !== undefined && COMMIT_RE.test(spec.ref)) return { commit: spec.ref, tag: undefined, fetchRef: undefined };
  ctx.progress(`git ls-remote ${shown(spec.url)}`);
  const { stdout } = await runGit({ args: ['ls-remote', '--', spec.url], protocol: spec.protocol, maxOutput: MAX_LS_REMOTE_BYTES, timeoutMs: limits.timeoutMs, what: `listing the refs of ${shown(spec.url)}` }, ctx.env).catch((error: unknown) => {
    throw asFetchError(error, spec);
  });
  const refs = new Map<string, string>();
  for (const line of stdout.toString('utf8').split('\n')) {
    const match = /^([0-9a-f]{40})\t(\S+)$/.exec(line);
    if (match) refs.set(match[2] as string, match[1] as string);
  }
  // An annotated tag's commit is on its peeled line (`refs/tags/v1^{}`).
  const tagCommit = (tag: string) => refs.get(`refs/tags/${tag}^{}`) ?? refs.get(`refs/tags/${tag}`);
  if (spec.semverRange !== undefined) {
    const tags = [...refs.keys()].filter((r) => r.startsWith('refs/tags/') && !r.endsWith('^{}')).map((r) => r.slice('refs/tags/'.length));
    const versions = new Map<string, string>();
    for (const tag of tags) {
      const v = semver.valid(tag.replace(/^v/, ''));
      if (v && !versions.has(v)) versions.set(v, tag);
    }
    const best = semver.maxSatisfying([...versions.keys()], spec.semverRange);
    const tag = best ? versions.get(best) : undefined;
    const commit = tag ? tagCommit(tag) : undefined;
    if (!tag || !commit) {
      throw new SkillsError('EGITREF', `${shown(spec.raw)}: no tag of the repository is a version inside ${spec.semverRange}`, { hint: `its version tags: ${[...versions.keys()].sort(semver.rcompare).slice(0, 10).join(', ') || 'none'}` });
    }
    return { commit, tag, fetchRef: `refs/tags/${tag}` };
  }
  if (spec.ref === undefined) {
    const head = refs.get('HEAD');
    if (!head) throw new SkillsError('EGITREF', `${shown(spec.url)} has no HEAD (an empty repository?)`, { hint: 'name a branch or tag: #<ref>' });
    return { commit: head, tag: undefined, fetchRef: 'HEAD' };
  }
  const ref = spec.ref;
  const tagged = tagCommit(ref);
  if (tagged) return { commit: tagged, tag: ref, fetchRef: `refs/tags/${ref}` };
  for (const full of [`refs/heads/${ref}`, ref.startsWith('refs/') ? ref : `refs/${ref}`]) {
    const commit = refs.get(full);
    if (commit) return { commit, tag: undefined, fetchRef: full };
  }
  const known = [...refs.keys()].filter((r) => r.startsWith('refs/heads/') || (r.startsWith('refs/tags/') && !r.endsWith('^{}'))).map((r) => r.replace(/^refs\/(heads|tags)\//, ''));
  throw new SkillsError('EGITREF', `${shown(spec.url)} has no branch or tag named ${ref}${/^[0-9a-f]{7,39}$/.test(ref) ? ' (an abbreviated commit id: give all 40 hex digits)' : ''}; nothing was written`, {
    hint: `it has: ${known.slice(0, 15).join(', ') || 'no branches or tags'}`,
  });
}

function asFetchError(error: unknown, spec: GitSpec): unknown {
  if (!(error instanceof SkillsError) || error.code !== 'EGITFETCH') return error;
  const stderr = (error as SkillsError & { gitStderr?: string }).gitStderr ?? '';
  return new SkillsError('EGITFETCH', `cannot fetch ${shown(spec.url)}: ${error.message.replace(/^git failed while [^:]*: /, '')}`, { hint: fetchHint(stderr) });
}

/** The bare repository holding `commit`, fetched (shallow) when the cache does not have it. */
function repositoryAt(spec: Pick<GitSpec, 'url' | 'protocol' | 'raw'>, commit: string, fetchRef: string | undefined, ctx: SourceContext, limits: GitLimits): Promise<string> {
  return once(ctx, `git-repo\0${spec.url}\0${commit}`, () => fetchRepository(spec, commit, fetchRef, ctx, limits));
}

async function fetchRepository(spec: Pick<GitSpec, 'url' | 'protocol' | 'raw'>, commit: string, fetchRef: string | undefined, ctx: SourceContext, limits: GitLimits): Promise<string> {
  const base = gitDir(ctx.cache, spec.url);
  const repo = path.join(base, `${commit}.git`);
  // Renamed into place only once its fetch succeeded: if it is there, it is whole.
  if (await fs.stat(path.join(repo, 'objects')).then((s) => s.isDirectory(), () => false)) return repo;
  await fs.mkdir(base, { recursive: true });
  const tmp = path.join(base, `.tmp-${randomBytes(6).toString('hex')}`);
  try {
    await runGit({ args: ['init', '--bare', '--quiet', '--template=', tmp], maxOutput: 64 * 1024, timeoutMs: limits.timeoutMs, what: 'making a repository' }, ctx.env);
    ctx.progress(`git fetch ${shown(spec.url)} ${commit.slice(0, 12)}`);
    const watch = async () => ((await folderBytes(tmp, limits.maxBytes)) > limits.maxBytes ? new SkillsError('EGITTOOLARGE', `${shown(spec.url)} at ${commit.slice(0, 12)} is over ${limits.maxBytes} bytes; nothing was written`, { hint: 'skills repositories are small; SKILLS_GIT_MAX_BYTES sets the limit' }) : undefined);
    const fetch = (what: string) =>
      runGit({ repo: tmp, args: ['fetch', '--depth', '1', '--no-tags', '--no-recurse-submodules', '--no-write-fetch-head', '--quiet', '--', spec.url, `${what}:refs/skills/fetched`], protocol: spec.protocol, maxOutput: 1024 * 1024, timeoutMs: limits.timeoutMs, watch, what: `fetching ${shown(spec.url)}` }, ctx.env);
    try {
      await fetch(commit);
    } catch (error) {
      // Servers that refuse fetching by commit id: the ref it was resolved from, checked to be that commit.
      if (!(error instanceof SkillsError) || error.code !== 'EGITFETCH' || fetchRef === undefined) throw asFetchError(error, spec as GitSpec);
      await fetch(fetchRef).catch((e: unknown) => {
        throw asFetchError(e, spec as GitSpec);
      });
      const { stdout } = await runGit({ repo: tmp, args: ['rev-parse', '--verify', 'refs/skills/fetched^{commit}'], maxOutput: 1024, timeoutMs: limits.timeoutMs, what: 'reading the fetched commit' }, ctx.env);
      if (stdout.toString('utf8').trim() !== commit) throw new SkillsError('EGITREF', `${shown(spec.url)}: ${fetchRef} no longer points at ${commit}, and the server does not serve commits by id`, { hint: 'run `skills update` to move to where the ref points now' });
    }
    // Checked while it runs (to stop a huge clone early) and once more when it is done.
    const over = await watch();
    if (over) throw over;
    await fs.rename(tmp, repo).catch(async (error: NodeJS.ErrnoException) => {
      // Another run fetched the same commit first: use theirs.
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
    });
    return repo;
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

/** Reads blobs by id with one `git cat-file --batch`; sizes are known and bounded beforehand. */
async function readBlobs(repo: string, oids: readonly string[], ctx: SourceContext, limits: GitLimits): Promise<Map<string, Uint8Array>> {
  const unique = [...new Set(oids)];
  const blobs = new Map<string, Uint8Array>();
  if (unique.length === 0) return blobs;
  const { stdout } = await runGit({ repo, args: ['cat-file', '--batch'], input: new TextEncoder().encode(`${unique.join('\n')}\n`), maxOutput: 1024 * 1024 * 1024, timeoutMs: limits.timeoutMs, what: 'reading files' }, ctx.env);
  let offset = 0;
  for (const oid of unique) {
    const newline = stdout.indexOf(0x0a, offset);
    const header = stdout.toString('utf8', offset, newline);
    const match = /^([0-9a-f]{40}) blob (\d+)$/.exec(header);
    if (newline === -1 || !match || match[1] !== oid) throw new SkillsError('EGITFETCH', `git could not read ${oid} (${header.slice(0, 80) || 'no answer'})`);
    const size = Number(match[2]);
    const start = newline + 1;
    blobs.set(oid, new Uint8Array(stdout.subarray(start, start + size)));
    offset = start + size + 1;
  }
  return blobs;
}

/** The listing of a commit: from the cache, or read from its tree (fetching the commit if needed). */
function listingOf(spec: GitSpec, commit: string, fetchRef: string | undefined, ctx: SourceContext, limits: GitLimits): Promise<Listing> {
  return once(ctx, `git-listing\0${spec.url}\0${commit}`, () => readListing(spec, commit, fetchRef, ctx, limits));
}

async function readListing(spec: GitSpec, commit: string, fetchRef: string | undefined, ctx: SourceContext, limits: GitLimits): Promise<Listing> {
  const key = `${spec.url}\0${commit}`;
  const cached = listingSchema.safeParse(await ctx.cache.document(LISTING_KIND, key, 64 * 1024 * 1024));
  if (cached.success && cached.data.url === spec.url && cached.data.commit === commit) return cached.data;
  const repo = await repositoryAt(spec, commit, fetchRef, ctx, limits);
  const tree = await runGit({ repo, args: ['ls-tree', '-r', '-z', '-l', '--full-tree', commit], maxOutput: MAX_TREE_BYTES, timeoutMs: limits.timeoutMs, what: 'listing the commit' }, ctx.env);
  const entries = parseLsTree(tree.stdout);
  const folders = findSkillFolders(entries);
  const first = await readBlobs(repo, [...folders.flatMap((f) => blobsToPlan(entries, f)), ...rootSkillMd(entries)], ctx, limits);
  const plans: CandidatePlan[] = folders.map((folder) => planCandidate(entries, folder, (oid) => first.get(oid)));
  const rootEntry = entries.find((e) => e.path === SKILL_MD && e.mode !== '120000' && e.mode !== '160000');
  const rootBytes = rootEntry ? first.get(rootEntry.oid) : undefined;
  const rootName = rootBytes ? (parseSkillMd(new TextDecoder().decode(rootBytes)).frontmatter?.name ?? null) : null;
  const listing: Listing = { v: LISTING_VERSION, url: spec.url, commit, rootName, candidates: plans.map((p) => ({ path: p.path, files: p.files, error: p.error, digest: null })) };
  await ctx.cache.putDocument(LISTING_KIND, key, listing);
  return listing;
}

function rootSkillMd(entries: readonly TreeEntry[]): string[] {
  const root = entries.find((e) => e.path === SKILL_MD && e.mode !== '120000' && e.mode !== '160000' && (e.size ?? 0) <= 1024 * 1024);
  return root ? [root.oid] : [];
}

/** The files of one candidate: the cache by digest, else its blobs from the commit's repository. */
async function candidateFiles(spec: GitSpec, listing: Listing, index: number, fetchRef: string | undefined, ctx: SourceContext, limits: GitLimits): Promise<PackageFile[]> {
  const [files] = await candidatesFiles(spec, listing, [index], fetchRef, ctx, limits);
  if (!files) throw new SkillsError('EINTERNAL', 'no such candidate');
  return files;
}

/** The files of several candidates, reading every blob the cache does not have with one `git cat-file`. */
async function candidatesFiles(spec: GitSpec, listing: Listing, indexes: readonly number[], fetchRef: string | undefined, ctx: SourceContext, limits: GitLimits): Promise<PackageFile[][]> {
  const out = new Map<number, PackageFile[]>();
  for (const index of indexes) {
    const digest = listing.candidates[index]?.digest;
    const cached = digest ? await ctx.cache.content(digest) : undefined;
    if (cached) out.set(index, cached);
  }
  const missing = indexes.filter((i) => !out.has(i) && listing.candidates[i] && !listing.candidates[i]?.error);
  if (missing.length > 0) {
    const repo = await repositoryAt(spec, listing.commit, fetchRef, ctx, limits);
    const blobs = await readBlobs(repo, missing.flatMap((i) => listing.candidates[i]?.files.map((f) => f.oid) ?? []), ctx, limits);
    let changed = false;
    for (const index of missing) {
      const candidate = listing.candidates[index];
      if (!candidate) continue;
      const files = candidate.files.map((f) => {
        const bytes = blobs.get(f.oid);
        if (!bytes || bytes.byteLength !== f.size) throw new SkillsError('EGITFETCH', `git gave ${f.path} with a size other than its tree says`);
        return f.executable ? { path: f.path, bytes, executable: true } : { path: f.path, bytes };
      });
      const digest = contentDigest(files);
      await ctx.cache.putContent(digest, files);
      if (candidate.digest !== digest) {
        candidate.digest = digest;
        changed = true;
      }
      out.set(index, files);
    }
    if (changed) await ctx.cache.putDocument(LISTING_KIND, `${spec.url}\0${listing.commit}`, listing);
  }
  return indexes.map((i) => out.get(i) ?? []);
}

function fallbackVersion(tag: string | undefined, commit: string): string {
  const fromTag = tag !== undefined ? semver.valid(tag.replace(/^v/, '')) : null;
  return fromTag ?? `0.0.0-git-${commit.slice(0, 12)}`;
}

function describeRef(spec: GitSpec): string | undefined {
  return spec.semverRange !== undefined ? `semver:${spec.semverRange}` : spec.ref;
}

export const gitSource: SkillSource<GitSpec> & { commitOf(spec: GitSpec, ctx: SourceContext): Promise<string> } = {
  async commitOf(spec, ctx) {
    return (await resolveCommit(spec, ctx, gitLimits(ctx.env))).commit;
  },

  async list(spec, ctx): Promise<SourceListing> {
    const limits = gitLimits(ctx.env);
    const { commit, tag, fetchRef } = await resolveCommit(spec, ctx, limits);
    const listing = await listingOf(spec, commit, fetchRef, ctx, limits);
    const pinned = (folder: string) => pinnedSpec({ ...spec, ref: commit, semverRange: undefined }, { path: folder, name: folder });
    const chosen = listing.candidates.map((c, index) => ({ c, index })).filter(({ c }) => spec.path === undefined || c.path === spec.path);
    if (spec.path !== undefined && chosen.length === 0) {
      throw new SkillsError('ESKILLNOTFOUND', `${shown(spec.raw)}: there is no SKILL.md in ${spec.path || 'the root'} of ${shown(spec.url)} at ${commit.slice(0, 12)}`, {
        hint: `its skills: ${listing.candidates.map((c) => c.path || '(root)').slice(0, 30).join(', ') || 'none'}`,
      });
    }
    const repoName = path.posix.basename(spec.url.replace(/\.git$/, '').replace(/\/+$/, '').replace(/^.*:/, ''));
    const loaded = new Map<number, Promise<PackageFile[]>>();
    const candidates: Candidate[] = chosen.map(({ c, index }) => ({
      path: c.path,
      label: c.path === '' ? (listing.rootName ?? repoName) : path.posix.basename(c.path),
      folderName: c.path === '' ? null : path.posix.basename(c.path),
      ...(c.error ? { error: new SkillsError(c.error.code, `${shown(spec.url)} at ${commit.slice(0, 12)}: ${c.error.message}`, { hint: 'that skill cannot be installed from this commit; nothing was written' }) } : {}),
      fallbackVersion: fallbackVersion(tag, commit),
      resolved: pinned(c.path),
      load: () => loaded.get(index) ?? candidateFiles(spec, listing, index, fetchRef, ctx, limits),
      lockSource: (recorded) => {
        const ref = describeRef(spec);
        return { type: 'git', spec: recorded, url: spec.url, commit, path: c.path, ...(ref === undefined ? {} : { ref }) };
      },
    }));
    const indexOf = new Map(candidates.map((candidate, i) => [candidate, chosen[i]?.index ?? -1]));
    return {
      spec,
      describe: `${shown(spec.url)} at ${commit}`,
      candidates,
      prefetch: async (some) => {
        const indexes = some.map((candidate) => indexOf.get(candidate) ?? -1).filter((i) => i >= 0 && !loaded.has(i));
        const all = candidatesFiles(spec, listing, indexes, fetchRef, ctx, limits);
        indexes.forEach((index, i) => {
          const one = all.then((files) => files[i] ?? []);
          one.catch(() => undefined);
          loaded.set(index, one);
        });
        await all;
      },
      provenance: (candidate) => {
        const ref = describeRef(spec);
        return { type: 'git', url: spec.url, commit, path: candidate.path, ...(ref === undefined ? {} : { ref }) };
      },
    };
  },

  async files(entry, name, ctx) {
    if (entry.source.type !== 'git') throw new SkillsError('EINTERNAL', `${name} is not from git`);
    const { source } = entry;
    const hint = 'the repository changed under the same commit, or the lockfile was edited; nothing was installed';
    const cached = await ctx.cache.content(entry.digest);
    if (cached) return cached;
    const limits = gitLimits(ctx.env);
    const spec = parseSourceSpec(source.spec, { githubBase: ctx.env.SKILLS_GITHUB_BASE === '' ? undefined : ctx.env.SKILLS_GITHUB_BASE });
    const gitSpec: GitSpec = spec.type === 'git' && spec.url === source.url ? spec : { type: 'git', raw: source.spec, url: source.url, protocol: protocolOf(source.url), ref: undefined, semverRange: undefined, path: source.path, github: undefined };
    const fetchRef = source.ref !== undefined && !source.ref.startsWith('semver:') ? source.ref : undefined;
    const listing = await listingOf(gitSpec, source.commit, fetchRef, ctx, limits);
    const index = listing.candidates.findIndex((c) => c.path === source.path);
    const candidate = listing.candidates[index];
    if (!candidate) throw new SkillsError('EINTEGRITY', `${name}: ${shown(source.url)} at ${source.commit.slice(0, 12)} has no skill in ${source.path || 'the root'}; nothing was installed`, { hint });
    if (candidate.error) throw new SkillsError(candidate.error.code, `${name}: ${candidate.error.message}`);
    return checkDigest(await candidateFiles(gitSpec, listing, index, fetchRef, ctx, limits), entry.digest, `${name} from ${shown(source.url)} at ${source.commit.slice(0, 12)}`, hint);
  },
};

function protocolOf(url: string): GitSpec['protocol'] {
  if (url.startsWith('file://')) return 'file';
  if (url.startsWith('https://')) return 'https';
  if (url.startsWith('http://')) return 'http';
  return 'ssh';
}
