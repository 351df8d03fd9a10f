/**
 * The install executor. Gathers what the plan needs (cli/core/install/plan.ts decides, purely: which skills,
 * from where, what changes), then carries it out: fetch each new or changed skill (the cache first),
 * check integrity and digests, unpack in memory, validate, verify code skills in the sandbox (with
 * their dependencies), compute trust and apply the install policy, audit them, stage, and
 * commit through the journal. Any failure before the commit leaves ./skills, skills.json and the
 * lockfile exactly as they were. The whole pipeline runs under the workspace lock, so every caller
 * (CLI commands, `skills mcp`) is serialised.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { SkillsError } from '../../../schema/errors';
import { parsePackageName } from '../../../schema/names';
import { validatePackage, validationError } from '../../../schema/package';
import type { PackageFile } from '../../../schema/package-files';
import type { AuditSummary } from '../../../schema/audit-report';
import type { InstallPackumentView } from '../../../schema/registry';
import type { TrustLevel } from '../../../schema/trust';
import type { Lockfile, Workspace } from '../../../schema/workspace';
import type { VerificationReport } from '../../../sandbox/verify';
import { collectFiles } from '../../../tarball/collect';
import { contentDigest } from '../../../tarball/digest';
import { Cache } from '../registry/cache';
import { catalogInstalled, writeCatalog } from '../workspace/catalog';
import { readConfig, resolveRegistry } from '../registry/config';
import { Fetcher, mapLimit } from '../registry/fetcher';
import { folderOf, lockedFolderOf, lockEntryOf, planInstall, type AddedSpec, type DiskFolder, type InstallChange, type InstallPlan, type OfferedSkill, type PlanTarget } from './plan';
import { recover, type Recovered } from './journal';
import { RegistryClient } from '../registry/client';
import { checkScope } from '../package/scope';
import { dedupeOffers, fallbackScope, offerCandidate, selectCandidates, type Offer } from '../sources/offer';
import { registryFiles } from '../sources/registry';
import { listSource, sourceFiles } from '../sources/index';
import { parseSourceSpec, shown, specEnv } from '../sources/spec';
import { newSourceContext, type Candidate, type SourceContext, type SourceListing } from '../sources/types';
import { computeTrust, decideInstallTrust, verificationKey, type ComputedTrust, type VerificationOutcome } from '../trust/levels';
import { readTrustStore, recordAcceptances } from '../trust/store';
import { emptyLockfile, loadWorkspace, LOCKFILE, readWorkspaceFile, serializeLockfile, serializeWorkspace, WORKSPACE_FILE, workspaceDirs } from '../workspace/files';
import { applyWorkspaceEdits, parseWorkspaceText, unknownKeyWarning, workspaceEdits } from '../workspace/text';
import { withWorkspaceLock } from '../workspace/lock';
import { auditInstall, contractProblems, DEFAULT_FAIL_ON } from './checks';
import { localChangesError } from './local-changes';
import { stageAndCommit } from './stage';
import { checkLinks, linkScope, linkSummary, withLinkSettings, type LinkRequest, type LinkSummary } from '../agents/install';
import { hasWork } from '../agents/link';
import { commitLinks } from './journal';

export { listSourceSkills, type ListedSkill } from '../sources/list';

const CONCURRENCY = 8;

export interface InstallRequest extends LinkRequest {
  root: string;
  env: NodeJS.ProcessEnv;
  registry?: string | undefined;
  /** Specs to add: `@scope/name[@range]`, or a source (git, folder, discovery index). */
  add?: string[];
  /** Names to remove from skills.json. */
  remove?: string[];
  /** Install exactly the lockfile; fail if skills.json disagrees with it. */
  frozen?: boolean;
  /** Re-resolve these names (or all) ignoring locked versions and commits; `latest` also rewrites ranges. */
  update?: { names: string[] | 'all'; latest: boolean };
  /** Skips the sandbox only: integrity, digests and package validation still run. */
  skipVerify?: boolean;
  /** From sources holding several skills: these (by SKILL.md name). */
  skills?: string[];
  /** From sources holding several skills: all of them. */
  all?: boolean;
  /** The scope plain skills from sources are named under (else skills.json "scope", the user config's, the GitHub owner, @local). */
  scope?: string | undefined;
  /** Accept `unverified` skills this command names (its specs, or update's names), for their content; record their names in skills.json. */
  allowUnverified?: boolean;
  /** Accept, for the content at hand, what skills.json asks for (trust.allowUnverified, audit.failOn "none"); recorded in the user's trust store. */
  trustWorkspace?: boolean;
  /** Replace or remove installed skills even when their files were changed locally. */
  force?: boolean;
  /** Take in only skills whose SKILL.md follows the spec (else what an agent would load, with warnings); also "strict" in skills.json. */
  strict?: boolean;
  /** Accept registry names only (the MCP tool an agent calls). */
  registryOnly?: boolean;
  /** What the workspace lock names as its holder (default from the request: `skills install`, `skills ci`, ...). */
  command?: string;
  /** Per-request timeout for registry reads (default 15 s; also SKILLS_FETCH_TIMEOUT_MS). */
  timeoutMs?: number;
  progress(message: string): void;
  warn(message: string): void;
}

export type { InstallChange };
export { catalogInstalled };

export interface InstalledSkill {
  name: string;
  version: string;
  folder: string;
  verified: 'sandbox' | 'cache' | 'skipped' | 'unchanged' | 'not-run';
  trust: TrustLevel;
  source: 'registry' | 'git' | 'folder' | 'well-known';
  /** The static audit's counts, for the skills this install added or changed. */
  audit?: AuditSummary | undefined;
}

export interface InstallResult {
  root: string;
  changes: InstallChange[];
  skills: InstalledSkill[];
  catalog: { file: string; chars: number; overBudget: boolean };
  recovered: Recovered;
  /** What changed in the agent folders. */
  links: LinkSummary;
  /** skills.json: whether this command created it (there was none) or changed it. */
  workspaceFile: { file: string; created: boolean; changed: boolean };
}

function commandOf(request: InstallRequest): string {
  if (request.command) return request.command;
  if (request.frozen) return 'skills ci';
  if (request.update) return 'skills update';
  if ((request.remove ?? []).length > 0) return 'skills uninstall';
  return 'skills install';
}

export async function install(request: InstallRequest): Promise<InstallResult> {
  return withWorkspaceLock(request.root, { command: commandOf(request), env: request.env, progress: request.progress }, () => installLocked(request));
}

/** Everything one install run reads from the network and the cache, kept together. */
interface Gathered {
  packuments: Map<string, InstallPackumentView>;
  offers: Map<string, OfferedSkill>;
  offered: Map<string, Offer>;
}

async function installLocked(request: InstallRequest): Promise<InstallResult> {
  const { root } = request;
  const recovered = await recover(root, request.env);
  const loaded = await loadWorkspace(root);
  for (const key of loaded.unknownKeys) request.warn(unknownKeyWarning(WORKSPACE_FILE, key));
  const scope = await linkScope(root, request.env, request);
  const workspace: Workspace = await withLinkSettings(loaded.workspace ?? { dependencies: {}, servers: {} }, scope, request);
  const oldLock = loaded.lockfile ?? emptyLockfile();
  if (request.frozen && !loaded.lockfile) {
    throw new SkillsError('ELOCKMISSING', `there is no ${LOCKFILE} in ${root}, and \`skills ci\` (install --frozen-lockfile) installs exactly what it says`, { hint: `run \`skills install${request.global ? ' -g' : ''}\` to resolve ${WORKSPACE_FILE} and write it (commit it, then \`skills ci\` installs the same everywhere); nothing was changed` });
  }
  const cache = Cache.fromEnv(request.env);
  let fetcher: Fetcher | undefined;
  const registry = async (): Promise<Fetcher> => {
    fetcher ??= new Fetcher(new RegistryClient(await resolveRegistry(request.env, request.registry, workspace.registry)), cache, request.timeoutMs ?? (Number(request.env.SKILLS_FETCH_TIMEOUT_MS) || 15_000));
    return fetcher;
  };
  const ctx: SourceContext = newSourceContext({ env: request.env, root, cache, progress: request.progress, warn: request.warn });
  const gathered: Gathered = { packuments: new Map(), offers: new Map(), offered: new Map() };
  const strict = request.strict === true || workspace.strict === true;
  const configScope = async () => (request.scope !== undefined ? checkScope(request.scope) : (workspace.scope ?? (await readConfig(request.env)).scope));

  // Skills named on the command line: registry names as they are, sources listed and chosen now.
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
    const scope = (await configScope()) ?? fallbackScope(listing);
    await listing.prefetch?.(chosen.filter((c) => !c.error));
    const offers: { offer: Offer; candidate: Candidate }[] = [];
    for (const candidate of chosen) offers.push({ offer: await offerCandidate(listing, candidate, { scope, strict }, ctx), candidate });
    for (const offer of dedupeOffers(listing, offers)) {
      add.push({ type: 'source', skill: offer.skill });
      gathered.offers.set(offer.skill.name, offer.skill);
      gathered.offered.set(offer.skill.name, offer);
    }
  }
  const unmatched = listings.length > 1 ? wanted.filter((n) => !found.has(n)) : [];
  if (unmatched.length > 0) throw new SkillsError('ESKILLNOTFOUND', `no source given holds a skill named ${unmatched.join(', ')}`, { hint: 'see what each holds with --list' });

  // What is in ./skills now (paths below are under the workspace's real path; ./skills is refused if it is a link).
  const dirs = await workspaceDirs(root);
  const dir = dirs.skills ?? path.join(dirs.root, 'skills');
  const owned = new Set(Object.entries(oldLock.skills).map(([name, entry]) => lockedFolderOf(name, entry)));
  const disk = await inspectDisk(dirs.skills, owned);

  // Plan, fetching what it asks for until it has everything.
  let plan: InstallPlan | undefined;
  const reOffered = new Set<string>();
  while (!plan) {
    const outcome = planInstall({
      workspace,
      lock: oldLock,
      add,
      remove: request.remove ?? [],
      frozen: request.frozen === true,
      update: request.update,
      packuments: gathered.packuments,
      offers: gathered.offers,
      disk,
    });
    if (outcome.status === 'ok') {
      plan = outcome.plan;
      break;
    }
    if (outcome.packuments.length > 0) {
      request.progress('resolving');
      const f = await registry();
      const docs = await mapLimit(outcome.packuments, CONCURRENCY, (name) => f.packument(name));
      for (const doc of docs) gathered.packuments.set(doc.name, doc);
    }
    for (const { name, spec } of outcome.offers) {
      if (reOffered.has(name)) throw new SkillsError('EINTERNAL', `the source of ${name} was offered twice`);
      reOffered.add(name);
      const parsed = parseSourceSpec(spec, specEnv(request.env));
      if (parsed.type === 'registry') throw new SkillsError('EINTERNAL', `${name}: ${spec} is not a source`);
      const listing = await listSource(parsed, ctx);
      const [candidate] = await selectCandidates(listing, undefined, false, ctx);
      if (!candidate) throw new SkillsError('ESKILLNOTFOUND', `${shown(spec)} holds no skill`);
      const offer = await offerCandidate(listing, candidate, { scope: (await configScope()) ?? fallbackScope(listing), expected: name, recordAs: spec, strict }, ctx);
      gathered.offers.set(name, offer.skill);
      gathered.offered.set(name, offer);
    }
  }

  if (plan.localChanges.length > 0 && !request.force) throw await localChangesError(plan, oldLock, dir, cache, fetcher);
  const targets = plan.targets;
  const byName = new Map(targets.map((t) => [t.name, t]));
  const fetching = new Set(plan.fetch);
  const changed = targets.filter((t) => fetching.has(t.name));

  // Fetch, check, unpack and validate what changed. Each skill's files are a promise, so the
  // sandbox starts on a skill as soon as it and its dependencies have arrived.
  const kinds = new Map<string, { kind: 'code' | 'plain'; fixtures: number }>();
  const pending = new Map<string, Promise<PackageFile[]>>();
  const fetchFiles = (t: PlanTarget): Promise<PackageFile[]> => {
    let p = pending.get(t.name);
    if (!p) {
      p = (async () => {
        const files = await filesFor(t);
        const parsed = parsePackageName(t.name);
        // Validation runs for every skill, --skip-verify or not: that flag skips the sandbox only.
        // Checked against its SKILL.md name: an alias renames the folder it is installed as, not the skill.
        const validation = validatePackage(files, { folderName: folderOf(t.name), derive: { scope: parsed?.scope, version: t.version }, mode: strict ? 'strict' : 'lenient' });
        const manifest = validation.manifest;
        if (!manifest || manifest.name !== t.name || manifest.version !== t.version) {
          throw new SkillsError('EINTEGRITY', `${t.name}@${t.version}: the package holds ${manifest ? `${manifest.name}@${manifest.version}` : 'no valid skill'}`);
        }
        if (!validation.ok) throw validationError(`${t.name}@${t.version}`, validation.problems, 'the package does not validate; nothing was installed');
        kinds.set(t.name, { kind: validation.kind, fixtures: validation.fixtures.size });
        t.mcp = manifest.mcp;
        return files;
      })();
      // Handled here so a failure while another branch is still running is not an unhandled rejection.
      p.catch(() => undefined);
      pending.set(t.name, p);
    }
    return p;
  };
  const filesFor = async (t: PlanTarget): Promise<PackageFile[]> => {
    const offer = gathered.offered.get(t.name);
    if (offer && offer.skill.digest === t.digest) return offer.files;
    if (t.source) {
      const entry = oldLock.skills[t.name];
      if (!entry?.source) throw new SkillsError('EINTERNAL', `no source for ${t.name}`);
      return sourceFiles({ ...entry, source: entry.source }, t.name, ctx);
    }
    if (t.integrity === undefined) throw new SkillsError('EINTERNAL', `no integrity for ${t.name}`);
    return registryFiles({ name: t.name, version: t.version, resolved: t.resolved, integrity: t.integrity, digest: t.digest }, await registry(), cache);
  };
  // Unchanged dependencies are read from disk for verification.
  const fromDisk = new Map<string, Promise<PackageFile[]>>();
  const filesOf = (name: string): Promise<PackageFile[]> => {
    const target = byName.get(name);
    if (target && fetching.has(name)) return fetchFiles(target);
    let p = fromDisk.get(name);
    if (!p) {
      p = collectFiles(path.join(dir, byName.get(name)?.folder ?? folderOf(name)));
      p.catch(() => undefined);
      fromDisk.set(name, p);
    }
    return p;
  };
  if (changed.length > 0) request.progress(`fetching ${changed.length} skill${changed.length === 1 ? '' : 's'}`);
  const downloads = mapLimit(changed, CONCURRENCY, (t) => fetchFiles(t));
  downloads.catch(() => undefined);
  // Each verdict is looked up once, by the head start and the verification alike.
  const verdicts = new Map<string, Promise<boolean>>();
  const wasVerified = (key: string): Promise<boolean> => {
    let known = verdicts.get(key);
    if (!known) {
      known = cache.wasVerified(key);
      verdicts.set(key, known);
    }
    return known;
  };
  if (!request.skipVerify) void warmSandboxIfNeeded(changed, byName, wasVerified);

  // Verify every new or changed code skill with its dependency closure; plain skills have nothing to run.
  const outcomes = new Map<string, VerificationOutcome>();
  if (request.skipVerify) {
    await downloads;
    const code = changed.filter((t) => kinds.get(t.name)?.kind === 'code');
    if (code.length > 0) request.warn(`--skip-verify: ${code.length} skill${code.length === 1 ? ' was' : 's were'} NOT verified in the sandbox; the lockfile records it`);
    for (const t of changed) outcomes.set(t.name, kinds.get(t.name)?.kind === 'code' ? 'skipped' : 'not-code');
  } else if (changed.length > 0) {
    const failures: VerificationReport[] = [];
    let announced = false;
    await mapLimit(changed, CONCURRENCY, async (t) => {
      const files = await fetchFiles(t);
      const kind = kinds.get(t.name);
      if (kind?.kind !== 'code') return void outcomes.set(t.name, 'not-code');
      if (kind.fixtures === 0) return void outcomes.set(t.name, 'no-fixtures');
      if (!announced) {
        announced = true;
        request.progress('verifying in the sandbox');
      }
      const closure = dependencyClosure(t.name, byName);
      const key = verificationKey(t.digest, closure.map((n) => byName.get(n)?.digest));
      if (await wasVerified(key)) return void outcomes.set(t.name, 'cache');
      const dependencies: Record<string, PackageFile[]> = {};
      for (const dep of closure) dependencies[folderOf(dep)] = await filesOf(dep);
      // The sandbox (esbuild, QuickJS) loads only when something is left to verify.
      const [{ verifySkill }, { sharedWorkerPool }] = await Promise.all([import('../../../sandbox/verify'), import('../../../sandbox/pool')]);
      const report = await verifySkill({ files, dependencies }, { runner: sharedWorkerPool() });
      if (!report.ok) failures.push(report);
      else {
        outcomes.set(t.name, 'sandbox');
        await cache.markVerified(key);
      }
    });
    if (failures.length > 0) {
      const first = failures[0];
      const firstCase = first?.cases.find((c) => c.status === 'failed');
      throw new SkillsError('EVERIFY', `${failures.map((f) => `${f.name}@${f.version}`).join(', ')} failed sandbox verification${firstCase ? `: ${firstCase.case} ${firstCase.code} ${firstCase.message}` : ''}; nothing was installed`, {
        hint: 'the skill does not behave as its fixtures record; pick another version, or --skip-verify at your own risk',
        details: { reports: failures },
      });
    }
  }
  await downloads;

  // Trust of every skill the workspace will hold, and the policy on it.
  const trusts = new Map<string, ComputedTrust>();
  for (const t of changed) {
    const kind = kinds.get(t.name)?.kind ?? 'code';
    trusts.set(t.name, computeTrust(await fetchFiles(t), kind, outcomes.get(t.name) ?? 'not-code'));
  }
  for (const t of targets) {
    if (trusts.has(t.name) || !t.kept) continue;
    if (t.kept.trust !== undefined && t.kept.trust !== 'unverified') trusts.set(t.name, { level: t.kept.trust, because: [], kind: 'code', verification: 'cache' });
    else if (t.kept.trust === 'unverified') {
      // The files that make it so, for the policy's message.
      const files = await filesOf(t.name);
      const kind = files.some((f) => f.path === 'skill.json') ? 'code' : 'plain';
      const computed = computeTrust(files, kind, t.kept.skipVerify ? 'skipped' : kind === 'code' ? 'no-fixtures' : 'not-code');
      trusts.set(t.name, { ...computed, level: 'unverified' });
    } else {
      // A lockfile written before trust levels: judged from the installed files.
      const files = await filesOf(t.name);
      trusts.set(t.name, computeTrust(files, files.some((f) => f.path === 'skill.json') ? 'code' : 'plain', t.kept.skipVerify ? 'skipped' : files.some((f) => f.path === 'skill.json') ? 'cache' : 'not-code'));
    }
  }
  // Trust is lowered only by the person at the keyboard: skills this command names with
  // --allow-unverified, content their own trust store accepted, or --trust-workspace.
  const store = await readTrustStore(request.env);
  const requested = new Set(plan.workspace.trust?.allowUnverified ?? []);
  // `update --allow-unverified` with no names accepts new content of the skills the workspace already allows.
  const updated = request.update ? (request.update.names === 'all' ? [...requested] : request.update.names) : [];
  const named = new Set(request.allowUnverified ? [...add.map((a) => (a.type === 'registry' ? a.name : a.skill.name)), ...updated] : []);
  const trustDecision = decideInstallTrust({
    subjects: targets.map((t) => {
      const trust = trusts.get(t.name);
      const skipped = t.kept ? t.kept.skipVerify === true : outcomes.get(t.name) === 'skipped';
      // A kept skill whose reasons are not in the lockfile: the policy names the lock entry.
      const because = trust && trust.because.length > 0 ? trust.because : [{ path: LOCKFILE, why: 'recorded as unverified' }];
      return { name: t.name, digest: t.digest, trust: trust?.level ?? 'unverified', because, skipped };
    }),
    named,
    requested,
    trustWorkspace: request.trustWorkspace === true,
    accepted: (digest, about) => store.has(digest, about),
  });
  const newlyAllowed = trustDecision.record;

  // The static audit of every new or changed skill, under the workspace's policy.
  const registryClient = fetcher?.client;
  const audited = await auditInstall(
    await Promise.all(changed.map(async (t) => ({ name: t.name, version: t.version, files: await fetchFiles(t), registry: t.source ? undefined : registryClient }))),
    { requested: plan.workspace.audit?.failOn ?? DEFAULT_FAIL_ON, trustWorkspace: request.trustWorkspace === true, accepted: (digest) => store.has(digest, 'audit') },
    request.warn,
    cache,
  );
  const audits = audited.summaries;

  for (const t of targets) {
    if (t.deprecated) request.warn(`${t.name}@${t.version} is deprecated: ${t.deprecated}`);
    for (const server of Object.keys(t.mcp)) {
      if (!(server in plan.workspace.servers)) request.warn(`${t.name} uses the MCP server "${server}", which ${WORKSPACE_FILE} does not configure under "servers"`);
    }
  }

  // The new lockfile and skills.json.
  const newLock: Lockfile = emptyLockfile();
  for (const t of targets) {
    const skipped = outcomes.get(t.name) === 'skipped' || (t.kept?.skipVerify === true);
    newLock.skills[t.name] = lockEntryOf(t, trusts.get(t.name)?.level, skipped);
  }
  const newWorkspace: Workspace = { ...plan.workspace };
  const listed = plan.workspace.trust?.allowUnverified ?? [];
  const toAllow = [...new Set(newlyAllowed)].filter((n) => !listed.includes(n)).sort();
  if (toAllow.length > 0) newWorkspace.trust = { allowUnverified: [...listed, ...toAllow] };
  const lockText = serializeLockfile(newLock);
  // skills.json changes by these key-level edits, applied at commit time to the text as it is then.
  const edits = workspaceEdits(loaded.workspace ?? { dependencies: {}, servers: {} }, newWorkspace);
  const workspaceFile = { file: path.join(root, WORKSPACE_FILE), created: false, changed: false };
  const workspaceText = (current: string | undefined): string => {
    workspaceFile.created = current === undefined;
    if (current === undefined) return serializeWorkspace(newWorkspace);
    // What is on disk now may have been edited while this ran: it must still read.
    parseWorkspaceText(current, workspaceFile.file);
    const next = applyWorkspaceEdits(current, edits);
    try {
      parseWorkspaceText(next, workspaceFile.file);
    } catch (error) {
      throw new SkillsError('EINTERNAL', `editing ${WORKSPACE_FILE} would leave it unreadable (${(error as Error).message}); nothing was installed`, { cause: error });
    }
    workspaceFile.changed = next !== current;
    return next;
  };

  // Every agent folder must be able to hold the new set of skills before anything is written.
  const links = await checkLinks(scope, newWorkspace, newLock, owned, plan.removeFolders);
  for (const left of links.left) request.warn(left.message);

  // Stage and commit (the commit links too).
  const nothingToDo = changed.length === 0 && plan.removeFolders.length === 0;
  if (!nothingToDo || edits.length > 0 || (await readWorkspaceFile(root, WORKSPACE_FILE)) === undefined || (await readWorkspaceFile(root, LOCKFILE)) !== lockText) {
    await stageAndCommit({ env: request.env, dirs, dir, folders: await Promise.all(changed.map(async (t) => ({ folder: t.folder, files: await fetchFiles(t) }))), remove: plan.removeFolders, workspaceText, lockText });
  } else if (hasWork(links)) {
    await commitLinks(root, request.env);
  }

  // Recorded once the workspace holds them: a failed install leaves the trust store as it was.
  await recordAcceptances(request.env, [...trustDecision.accept, ...audited.accept]);

  // What the new skills expect of the workspace's MCP tools, against what `servers sync` last saw.
  for (const p of await contractProblems(root, new Set(changed.map((t) => t.folder)))) request.warn(`${p.code} ${p.message} (run \`skills doctor\` against the live servers)`);

  const catalog = await writeCatalog(root, catalogInstalled(newLock));
  if (catalog.overBudget) request.warn(`skills/INDEX.md lists ${catalog.chars} characters of skills, over the ${catalog.budget} character budget of current agent clients`);
  return {
    root,
    changes: plan.changes,
    skills: targets.map((t) => ({
      name: t.name,
      version: t.version,
      folder: `skills/${t.folder}`,
      verified: t.kept ? 'unchanged' : verifiedLabel(outcomes.get(t.name)),
      trust: trusts.get(t.name)?.level ?? 'unverified',
      source: t.source?.type ?? 'registry',
      ...(audits.has(t.name) ? { audit: audits.get(t.name) } : {}),
    })),
    catalog: { file: catalog.file, chars: catalog.chars, overBudget: catalog.overBudget },
    recovered,
    links: linkSummary(links),
    workspaceFile: { ...workspaceFile, changed: workspaceFile.created || workspaceFile.changed },
  };
}

function verifiedLabel(outcome: VerificationOutcome | undefined): InstalledSkill['verified'] {
  if (outcome === 'sandbox' || outcome === 'cache' || outcome === 'skipped') return outcome;
  return 'not-run';
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

/**
 * The sandbox takes a few hundred milliseconds to start (esbuild's service, worker threads with
 * QuickJS): when a registry skill being installed has no verdict on this machine yet, start it
 * while the tarballs download. A warm install (every verdict cached) loads none of it; a plain
 * skill (unknown until its files arrive) may start it for nothing, which costs only idle time.
 */
async function warmSandboxIfNeeded(changed: readonly PlanTarget[], byName: ReadonlyMap<string, PlanTarget>, wasVerified: (key: string) => Promise<boolean>): Promise<void> {
  try {
    for (const t of changed) {
      if (t.source) continue;
      const key = verificationKey(t.digest, dependencyClosure(t.name, byName).map((n) => byName.get(n)?.digest));
      if (await wasVerified(key)) continue;
      const [{ warmBundler }, { sharedWorkerPool }] = await Promise.all([import('../../../sandbox/bundle'), import('../../../sandbox/pool')]);
      sharedWorkerPool().warm();
      await warmBundler();
      return;
    }
  } catch {
    // Only a head start: verification reports whatever is wrong.
  }
}

/** All transitive dependencies of a skill (not itself), sorted. */
function dependencyClosure(name: string, byName: ReadonlyMap<string, PlanTarget>): string[] {
  const seen = new Set<string>();
  const stack = Object.keys(byName.get(name)?.dependencies ?? {});
  while (stack.length > 0) {
    const next = stack.pop() as string;
    if (seen.has(next) || next === name) continue;
    seen.add(next);
    stack.push(...Object.keys(byName.get(next)?.dependencies ?? {}));
  }
  return [...seen].sort();
}
