/**
 * The install's first phase: read everything the plan needs (the workspace after recovering an
 * interrupted install, the skills this command names from the registry or from sources, what
 * ./skills holds), and, while the plan asks for more, fetch the packuments and re-read the sources
 * it names. The data goes on as `Gathered`; `Sources` holds the cache and the (lazily made)
 * registry connection the later phases download through.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { SkillsError } from '../../../schema/errors';
import type { InstallPackumentView } from '../../../schema/registry';
import type { Lockfile, Workspace } from '../../../schema/workspace';
import { collectFiles } from '../../../tarball/collect';
import { contentDigest } from '../../../tarball/digest';
import { linkScope, withLinkSettings } from '../agents/install';
import type { LinkScope } from '../agents/scope';
import { checkScope } from '../package/scope';
import { Cache } from '../registry/cache';
import { registryClient } from '../registry/client';
import { readConfig } from '../registry/config';
import { Fetcher, mapLimit } from '../registry/fetcher';
import { listSource } from '../sources/index';
import { dedupeOffers, fallbackScope, offerCandidate, selectCandidates, type Offer } from '../sources/offer';
import { parseSourceSpec, shown, specEnv } from '../sources/spec';
import { newSourceContext, type Candidate, type SourceContext, type SourceListing } from '../sources/types';
import { emptyLockfile, loadWorkspace, LOCKFILE, WORKSPACE_FILE, workspaceDirs } from '../workspace/files';
import { unknownKeyWarning } from '../workspace/text';
import { recover, type Recovered } from './journal';
import type { InstallRequest } from './request';
import { lockedFolderOf, type AddedSpec, type DiskFolder, type OfferedSkill, type PlanInput, type PlanOutcome } from './plan';

export const CONCURRENCY = 8;

/** What gathering needs of the install request. */
export type GatherRequest = Omit<InstallRequest, 'skipVerify' | 'allowUnverified' | 'trustWorkspace' | 'force' | 'command'>;

/** Where skills are downloaded from: the cache, the registry (connected on first use), and the sources' shared budget. */
export interface Sources {
  cache: Cache;
  ctx: SourceContext;
  /** The registry client, made on first use. */
  registry(): Promise<Fetcher>;
  /** The registry client if something has used it already (else undefined: nothing is connected for it). */
  connected(): Fetcher | undefined;
}

/** Everything the plan is computed from, as read from disk and the sources. */
export interface Gathered {
  root: string;
  recovered: Recovered;
  /** skills.json as on disk (undefined: there is none). */
  loaded: Workspace | undefined;
  /** skills.json with this command's link settings (--agent, --copy) applied. */
  workspace: Workspace;
  lock: Lockfile;
  scope: LinkScope;
  strict: boolean;
  /** The skills this command names. */
  add: AddedSpec[];
  packuments: Map<string, InstallPackumentView>;
  /** What non-registry sources offered this run, by skill name (with their files). */
  offered: Map<string, Offer>;
  /** The workspace's real root, and its ./skills when it exists. */
  dirs: { root: string; skills: string | undefined };
  /** ./skills (to be created when absent). */
  dir: string;
  /** The folders the old lockfile owns. */
  owned: Set<string>;
  disk: Map<string, DiskFolder>;
  /** Sources already offered again at the plan's request (each at most once). */
  reOffered: Set<string>;
}

/** Reads the workspace and what this command names; fails before anything is written. */
export async function gather(request: GatherRequest): Promise<{ gathered: Gathered; sources: Sources }> {
  const { root } = request;
  const recovered = await recover(root, request.env);
  const loaded = await loadWorkspace(root);
  for (const key of loaded.unknownKeys) request.warn(unknownKeyWarning(WORKSPACE_FILE, key));
  const scope = await linkScope(root, request.env, request);
  const workspace: Workspace = await withLinkSettings(loaded.workspace ?? { dependencies: {}, servers: {} }, scope, request);
  const lock = loaded.lockfile ?? emptyLockfile();
  if (request.frozen && !loaded.lockfile) {
    throw new SkillsError('ELOCKMISSING', `there is no ${LOCKFILE} in ${root}, and \`skills ci\` (install --frozen-lockfile) installs exactly what it says`, { hint: `run \`skills install${request.global ? ' -g' : ''}\` to resolve ${WORKSPACE_FILE} and write it (commit it, then \`skills ci\` installs the same everywhere); nothing was changed` });
  }
  const sources = openSources(request, workspace);
  const strict = request.strict === true || workspace.strict === true;
  const offered = new Map<string, Offer>();
  const add = await namedSkills(request, workspace, sources, strict, offered);
  // What is in ./skills now (paths below are under the workspace's real path; ./skills is refused if it is a link).
  const dirs = await workspaceDirs(root);
  const owned = new Set(Object.entries(lock.skills).map(([name, entry]) => lockedFolderOf(name, entry)));
  const disk = await inspectDisk(dirs.skills, owned);
  const gathered: Gathered = { root, recovered, loaded: loaded.workspace, workspace, lock, scope, strict, add, packuments: new Map(), offered, dirs, dir: dirs.skills ?? path.join(dirs.root, 'skills'), owned, disk, reOffered: new Set() };
  return { gathered, sources };
}

/** The plan's input from what was gathered so far. */
export function planInput(gathered: Gathered, request: Pick<GatherRequest, 'remove' | 'frozen' | 'update'>): PlanInput {
  return {
    workspace: gathered.workspace,
    lock: gathered.lock,
    add: gathered.add,
    remove: request.remove ?? [],
    frozen: request.frozen === true,
    update: request.update,
    packuments: gathered.packuments,
    offers: new Map([...gathered.offered].map(([name, offer]) => [name, offer.skill] as [string, OfferedSkill])),
    disk: gathered.disk,
  };
}

/** Fetches what the plan asked for: packuments, and the skills.json sources it names (read again). */
export async function gatherMore(gathered: Gathered, sources: Sources, need: Extract<PlanOutcome, { status: 'need' }>, request: GatherRequest): Promise<void> {
  if (need.packuments.length > 0) {
    request.progress('resolving');
    const f = await sources.registry();
    const docs = await mapLimit(need.packuments, CONCURRENCY, (name) => f.packument(name));
    for (const doc of docs) gathered.packuments.set(doc.name, doc);
  }
  for (const { name, spec } of need.offers) {
    if (gathered.reOffered.has(name)) throw new SkillsError('EINTERNAL', `the source of ${name} was offered twice`);
    gathered.reOffered.add(name);
    const parsed = parseSourceSpec(spec, specEnv(request.env));
    if (parsed.type === 'registry') throw new SkillsError('EINTERNAL', `${name}: ${spec} is not a source`);
    const listing = await listSource(parsed, sources.ctx);
    const [candidate] = await selectCandidates(listing, undefined, false, sources.ctx);
    if (!candidate) throw new SkillsError('ESKILLNOTFOUND', `${shown(spec)} holds no skill`);
    const offer = await offerCandidate(listing, candidate, { scope: (await configScope(request, gathered.workspace)) ?? fallbackScope(listing), expected: name, recordAs: spec, strict: gathered.strict }, sources.ctx);
    gathered.offered.set(name, offer);
  }
}

function openSources(request: GatherRequest, workspace: Workspace): Sources {
  const cache = Cache.fromEnv(request.env);
  let fetcher: Fetcher | undefined;
  return {
    cache,
    ctx: newSourceContext({ env: request.env, root: request.root, cache, progress: request.progress, warn: request.warn }),
    registry: async () => {
      fetcher ??= new Fetcher(await registryClient({ env: request.env, flag: request.registry, workspace }), cache, request.timeoutMs ?? (Number(request.env.SKILLS_FETCH_TIMEOUT_MS) || 15_000));
      return fetcher;
    },
    connected: () => fetcher,
  };
}

async function configScope(request: GatherRequest, workspace: Workspace): Promise<string | undefined> {
  return request.scope !== undefined ? checkScope(request.scope) : (workspace.scope ?? (await readConfig(request.env)).scope);
}

/** Skills named on the command line: registry names as they are, sources listed and chosen now. */
async function namedSkills(request: GatherRequest, workspace: Workspace, sources: Sources, strict: boolean, offered: Map<string, Offer>): Promise<AddedSpec[]> {
  const { ctx } = sources;
  const add: AddedSpec[] = [];
  const specs = (request.add ?? []).map((s) => parseSourceSpec(s, specEnv(request.env)));
  if (request.registryOnly) {
    const other = specs.find((s) => s.type !== 'registry');
    if (other) throw new SkillsError('ESPECINVALID', `"${shown(other.raw)}" is not a registry skill; only @scope/name[@range] can be installed here`, { hint: 'install skills from git, folders or other hosts with the skills CLI' });
  }
  if ((request.skills?.length ?? 0) > 0 && !specs.some((s) => s.type !== 'registry')) throw new SkillsError('EUSAGE', '--skill chooses among the skills of a source (git, folder, https); no source was given');
  const listings: SourceListing[] = [];
  for (const spec of specs) {
    if (spec.type === 'registry') add.push({ type: 'registry', name: spec.name, range: spec.range });
    else listings.push(await listSource(spec, ctx));
  }
  const wanted = request.skills ?? [];
  const found = new Set<string>();
  for (const listing of listings) {
    // `owner/repo@skill` names its skill in the spec itself.
    const own = listing.spec.type === 'git' && listing.spec.skill !== undefined ? [listing.spec.skill] : undefined;
    const here = wanted.filter((n) => listing.candidates.some((c) => c.label === n));
    here.forEach((n) => found.add(n));
    if (own === undefined && wanted.length > 0 && here.length === 0 && listings.length > 1) continue;
    const chosen = await selectCandidates(listing, own ?? (wanted.length > 0 && listings.length > 1 ? here : wanted), request.all === true, ctx);
    const scope = (await configScope(request, workspace)) ?? fallbackScope(listing);
    await listing.prefetch?.(chosen.filter((c) => !c.error));
    const offers: { offer: Offer; candidate: Candidate }[] = [];
    for (const candidate of chosen) offers.push({ offer: await offerCandidate(listing, candidate, { scope, strict }, ctx), candidate });
    for (const offer of dedupeOffers(listing, offers)) {
      add.push({ type: 'source', skill: offer.skill });
      offered.set(offer.skill.name, offer);
    }
  }
  const unmatched = listings.length > 1 ? wanted.filter((n) => !found.has(n)) : [];
  if (unmatched.length > 0) throw new SkillsError('ESKILLNOTFOUND', `no source given holds a skill named ${unmatched.join(', ')}`, { hint: 'see what each holds with --list' });
  return add;
}

/**
 * What ./skills holds: every entry by name, with the content digest of the folders the lockfile
 * owns (null when they cannot be read as a package, e.g. a link put there).
 */
async function inspectDisk(skillsDir: string | undefined, owned: ReadonlySet<string>): Promise<Map<string, DiskFolder>> {
  const disk = new Map<string, DiskFolder>();
  if (!skillsDir) return disk;
  const entries = await fs.readdir(skillsDir, { withFileTypes: true });
  await mapLimit(entries, CONCURRENCY, async (e) => {
    if (!owned.has(e.name)) {
      disk.set(e.name, { digest: null });
      return;
    }
    const files = e.isDirectory() && !e.isSymbolicLink() ? await collectFiles(path.join(skillsDir, e.name)).catch(() => undefined) : undefined;
    disk.set(e.name, { digest: files ? contentDigest(files) : null });
  });
  return disk;
}
