/**
 * The install pipeline: resolve (or take the lockfile), fetch packuments and tarballs, check
 * integrity and digests, unpack in memory, verify every new or changed skill in the sandbox
 * (with its dependencies), stage, and commit through the journal. Any failure before the commit
 * leaves ./skills, skills.json and the lockfile exactly as they were. The whole pipeline runs
 * under the workspace lock, so every caller (CLI commands, `skills mcp`) is serialised.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import semver from 'semver';
import { SkillsError } from '../../schema/errors';
import { parsePackageName, parsePackageSpec } from '../../schema/names';
import { validatePackage, validationError } from '../../schema/package';
import type { PackageFile } from '../../schema/package-files';
import type { InstallPackument } from '../../schema/registry';
import { resolve, type AvailableSkill, type ResolvedSkill } from '../../schema/resolve';
import type { LockEntry, Lockfile, Workspace } from '../../schema/workspace';
import { sharedWorkerPool } from '../../sandbox/pool';
import { verifySkill, type VerificationReport } from '../../sandbox/verify';
import { collectFiles } from '../../tarball/collect';
import { contentDigest, verifyIntegrity } from '../../tarball/digest';
import { unpack } from '../../tarball/unpack';
import { writeFiles } from '../../tarball/write';
import { Cache } from './cache';
import { writeCatalog, type WrittenCatalog } from './catalog';
import { resolveRegistry } from './config';
import { Fetcher, mapLimit } from './fetcher';
import { commitJournal, currentHash, JOURNAL, recover, type Recovered } from './journal';
import { journalKey } from './journal-key';
import { RegistryClient } from './registry-client';
import { emptyLockfile, loadWorkspace, LOCKFILE, serializeLockfile, serializeWorkspace, WORKSPACE_FILE, readWorkspaceFile, workspaceDirs } from './workspace';
import { withWorkspaceLock } from './workspace-lock';

/** Bumped when the sandbox's verdicts could change, so cached verifications are redone. */
const VERIFIER_VERSION = 'sandbox-1';
const CONCURRENCY = 8;

export interface InstallRequest {
  root: string;
  env: NodeJS.ProcessEnv;
  registry?: string | undefined;
  /** Specs to add: `@scope/name`, `@scope/name@^1.2.0`, `@scope/name@next`. */
  add?: string[];
  /** Names to remove from skills.json. */
  remove?: string[];
  /** Install exactly the lockfile; fail if skills.json disagrees with it. */
  frozen?: boolean;
  /** Re-resolve these names (or all) ignoring locked versions; `latest` also rewrites ranges. */
  update?: { names: string[] | 'all'; latest: boolean };
  /** Skips the sandbox only: integrity, digests and package validation still run. */
  skipVerify?: boolean;
  /** What the workspace lock names as its holder (default from the request: `skills install`, `skills ci`, ...). */
  command?: string;
  /** Per-request timeout for registry reads (default 15 s; also SKILLS_FETCH_TIMEOUT_MS). */
  timeoutMs?: number;
  progress(message: string): void;
  warn(message: string): void;
}

export interface InstallChange {
  name: string;
  from: string | null;
  to: string | null;
}

export interface InstallResult {
  root: string;
  changes: InstallChange[];
  skills: { name: string; version: string; folder: string; verified: 'sandbox' | 'cache' | 'skipped' | 'unchanged' }[];
  catalog: { file: string; chars: number; overBudget: boolean };
  recovered: Recovered;
}

interface Target {
  name: string;
  folder: string;
  version: string;
  dependencies: Record<string, string>;
  tarball: string;
  integrity: string;
  digest: string;
  deprecated: string | null;
  mcp: Record<string, string[]>;
}

function folderOf(name: string): string {
  return parsePackageName(name)?.name ?? name;
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

async function installLocked(request: InstallRequest): Promise<InstallResult> {
  const { root } = request;
  const recovered = await recover(root, request.env);
  const loaded = await loadWorkspace(root);
  const workspace: Workspace = loaded.workspace ?? { dependencies: {}, servers: {} };
  const oldLock = loaded.lockfile ?? emptyLockfile();
  const target = await resolveRegistry(request.env, request.registry, workspace.registry);
  const client = new RegistryClient(target);
  const cache = Cache.fromEnv(request.env);
  const fetcher = new Fetcher(client, cache, request.timeoutMs ?? (Number(request.env.SKILLS_FETCH_TIMEOUT_MS) || 15_000));

  // What the workspace asks for after this command.
  const requested: Record<string, string> = { ...workspace.dependencies };
  const added = new Map<string, string | undefined>();
  for (const spec of request.add ?? []) {
    const parsed = parsePackageSpec(spec);
    if (!parsed) throw new SkillsError('ESPECINVALID', `"${spec}" is not @scope/name or @scope/name@range`, { hint: 'e.g. @acme/csv-export or @acme/csv-export@^1.2.0' });
    added.set(parsed.name, parsed.range);
    requested[parsed.name] = parsed.range ?? 'latest';
  }
  for (const name of request.remove ?? []) {
    if (!(name in requested)) throw new SkillsError('ENOTINSTALLED', `${name} is not in ${WORKSPACE_FILE}`, { hint: 'see `skills list`' });
    delete requested[name];
  }
  if (request.frozen && (added.size > 0 || (request.remove ?? []).length > 0)) throw new SkillsError('EUSAGE', '--frozen-lockfile installs exactly the lockfile; it cannot add or remove skills');

  // Resolution: the lockfile when it satisfies (offline), else the registry.
  const packuments = new Map<string, InstallPackument>();
  let resolved: Map<string, ResolvedSkill>;
  const lockFits = lockSatisfies(oldLock, requested);
  if (request.frozen) {
    if (!loaded.lockfile) throw new SkillsError('ELOCKMISSING', `there is no ${LOCKFILE}`, { hint: 'run `skills install` to create it' });
    if (!lockFits.ok) throw new SkillsError('ELOCKMISMATCH', `${WORKSPACE_FILE} and ${LOCKFILE} disagree: ${lockFits.why}`, { hint: 'run `skills install` to update the lockfile' });
    resolved = lockFits.skills;
  } else if (lockFits.ok && request.update === undefined) {
    resolved = lockFits.skills;
  } else {
    request.progress('resolving');
    const available = new Map<string, AvailableSkill>();
    const locked = Object.fromEntries(Object.entries(oldLock.skills).map(([n, e]) => [n, e.version]));
    const unlock = request.update ? (request.update.names === 'all' ? ('all' as const) : new Set(request.update.names)) : new Set(added.keys());
    if (request.update?.latest) {
      for (const name of request.update.names === 'all' ? Object.keys(requested) : request.update.names) if (name in requested) requested[name] = 'latest';
    }
    for (;;) {
      const result = resolve({ requested, locked, available, unlock });
      if (result.ok) {
        resolved = result.skills;
        break;
      }
      const docs = await mapLimit(result.missing, CONCURRENCY, (name) => fetcher.packument(name));
      for (const doc of docs) {
        packuments.set(doc.name, doc);
        available.set(doc.name, {
          distTags: doc.distTags,
          versions: Object.values(doc.versions).map((v) => ({ version: v.version, dependencies: v.dependencies, yanked: v.yanked })),
        });
      }
    }
  }

  // Ranges written to skills.json: added skills get ^version (or the range asked for).
  const newWorkspace: Workspace = { ...workspace, dependencies: { ...requested } };
  for (const [name, range] of added) {
    const version = resolved.get(name)?.version;
    newWorkspace.dependencies[name] = range === undefined || (semver.validRange(range) === null && version) ? `^${version}` : range;
  }
  if (request.update?.latest) for (const name of Object.keys(requested)) if (requested[name] === 'latest') newWorkspace.dependencies[name] = `^${resolved.get(name)?.version}`;

  // Targets: every resolved skill, with where it comes from and what it must hash to.
  const targets: Target[] = [];
  for (const [name, pick] of resolved) {
    const doc = packuments.get(name)?.versions[pick.version];
    const lockEntry = oldLock.skills[name];
    const fromLock = lockEntry && lockEntry.version === pick.version ? lockEntry : undefined;
    if (doc && fromLock && doc.dist.integrity !== fromLock.integrity) {
      throw new SkillsError('EINTEGRITY', `${name}@${pick.version}: the registry's integrity ${doc.dist.integrity.slice(0, 20)}... differs from the lockfile's ${fromLock.integrity.slice(0, 20)}...`, {
        hint: 'the published tarball changed or the lockfile was edited; nothing was installed',
      });
    }
    const source = doc ? { tarball: doc.dist.tarball, integrity: doc.dist.integrity, digest: doc.dist.digest } : fromLock ? { tarball: fromLock.resolved, integrity: fromLock.integrity, digest: fromLock.digest } : undefined;
    if (!source) throw new SkillsError('EINTERNAL', `no source for ${name}@${pick.version}`);
    targets.push({
      name,
      folder: folderOf(name),
      version: pick.version,
      dependencies: pick.dependencies,
      ...source,
      deprecated: doc?.deprecated ?? null,
      mcp: doc?.mcp ?? {},
    });
  }

  // Local skills are never overwritten; installed ones are kept when their content is intact.
  // Paths below are under the workspace's real path; ./skills is refused if it is a link.
  const dirs = await workspaceDirs(root);
  const dir = dirs.skills ?? path.join(dirs.root, 'skills');
  const ownedFolders = new Set(Object.keys(oldLock.skills).map(folderOf));
  const unchanged = new Set<string>();
  const present = new Set<string>();
  for (const t of targets) {
    const folder = path.join(dir, t.folder);
    const exists = await fs.lstat(folder).then(() => true, () => false);
    if (!exists) continue;
    present.add(t.name);
    if (!ownedFolders.has(t.folder)) {
      throw new SkillsError('ECONFLICT', `skills/${t.folder} exists and is not an installed skill (no lockfile entry); ${t.name} would overwrite it`, {
        hint: `move or rename skills/${t.folder}, or uninstall the conflicting skill`,
      });
    }
    const lockEntry = oldLock.skills[t.name];
    if (lockEntry && lockEntry.version === t.version && lockEntry.digest === t.digest) {
      const files = await collectFiles(folder).catch(() => undefined);
      if (files && contentDigest(files) === t.digest) unchanged.add(t.name);
    }
  }
  const changed = targets.filter((t) => !unchanged.has(t.name));

  // Fetch, check and unpack what changed. Each skill's files are a promise, so verification of a
  // skill starts as soon as it and its dependencies have arrived instead of after every download.
  const changedNames = new Set(changed.map((t) => t.name));
  const fetching = new Map<string, Promise<PackageFile[]>>();
  const fetchFiles = (t: Target): Promise<PackageFile[]> => {
    let pending = fetching.get(t.name);
    if (!pending) {
      pending = fetchAndCheck(t);
      // Handled here so a failure while another branch is still running is not an unhandled rejection.
      pending.catch(() => undefined);
      fetching.set(t.name, pending);
    }
    return pending;
  };
  const fetchAndCheck = async (t: Target): Promise<PackageFile[]> => {
    let bytes = await cache.tarball(t.integrity);
    if (!bytes) {
      bytes = await fetcher.tarball(t.tarball);
      if (!verifyIntegrity(bytes, t.integrity)) {
        throw new SkillsError('EINTEGRITY', `${t.name}@${t.version}: the downloaded tarball does not match its integrity ${t.integrity.slice(0, 27)}...`, {
          hint: 'the tarball was altered after publishing, or the lockfile was edited; nothing was installed',
        });
      }
      await cache.putTarball(t.integrity, bytes);
    }
    const files = await unpack(bytes);
    if (contentDigest(files) !== t.digest) {
      throw new SkillsError('EINTEGRITY', `${t.name}@${t.version}: its files do not match the content digest ${t.digest}`, { hint: 'nothing was installed' });
    }
    // Validation runs for every skill, --skip-verify or not: that flag skips the sandbox only.
    const validation = validatePackage(files, { folderName: t.folder });
    const manifest = validation.manifest;
    if (!manifest || manifest.name !== t.name || manifest.version !== t.version) {
      throw new SkillsError('EINTEGRITY', `${t.name}@${t.version}: the tarball holds ${manifest ? `${manifest.name}@${manifest.version}` : 'no valid skill.json'}`);
    }
    if (!validation.ok) throw validationError(`${t.name}@${t.version}`, validation.problems, 'the published package does not validate; nothing was installed');
    t.mcp = manifest.mcp;
    return files;
  };
  // Unchanged dependencies are read from disk for verification.
  const fromDisk = new Map<string, Promise<PackageFile[]>>();
  const filesOf = (name: string): Promise<PackageFile[]> => {
    const target = targets.find((t) => t.name === name);
    if (target && changedNames.has(name)) return fetchFiles(target);
    let pending = fromDisk.get(name);
    if (!pending) {
      pending = collectFiles(path.join(dir, folderOf(name)));
      pending.catch(() => undefined);
      fromDisk.set(name, pending);
    }
    return pending;
  };
  if (changed.length > 0) request.progress(`fetching ${changed.length} skill${changed.length === 1 ? '' : 's'}`);
  const downloads = mapLimit(changed, CONCURRENCY, (t) => fetchFiles(t));
  downloads.catch(() => undefined);

  // Verify every new or changed skill with its dependency closure.
  const verified = new Map<string, 'sandbox' | 'cache' | 'skipped'>();
  if (request.skipVerify) {
    await downloads;
    if (changed.length > 0) request.warn(`--skip-verify: ${changed.length} skill${changed.length === 1 ? ' was' : 's were'} NOT verified in the sandbox; the lockfile records it`);
    for (const t of changed) verified.set(t.name, 'skipped');
  } else if (changed.length > 0) {
    request.progress(`verifying ${changed.length} skill${changed.length === 1 ? '' : 's'} in the sandbox`);
    const byName = new Map(targets.map((t) => [t.name, t]));
    const failures: VerificationReport[] = [];
    await mapLimit(changed, CONCURRENCY, async (t) => {
      const closure = dependencyClosure(t.name, byName);
      const key = `${VERIFIER_VERSION}|${t.digest}|${closure.map((n) => byName.get(n)?.digest).join(',')}`;
      if (await cache.wasVerified(key)) {
        await fetchFiles(t);
        verified.set(t.name, 'cache');
        return;
      }
      const dependencies: Record<string, PackageFile[]> = {};
      for (const dep of closure) dependencies[folderOf(dep)] = await filesOf(dep);
      const report = await verifySkill({ files: await filesOf(t.name), dependencies }, { runner: sharedWorkerPool() });
      if (!report.ok) failures.push(report);
      else {
        verified.set(t.name, 'sandbox');
        await cache.markVerified(key);
      }
    });
    if (failures.length > 0) {
      const first = failures[0];
      const firstCase = first?.cases.find((c) => c.status === 'failed');
      throw new SkillsError('EVERIFY', `${failures.map((f) => `${f.name}@${f.version}`).join(', ')} failed sandbox verification${firstCase ? `: ${firstCase.case} ${firstCase.code} ${firstCase.message}` : ''}; nothing was installed`, {
        hint: 'the published skill does not behave as its fixtures record; pick another version, or --skip-verify at your own risk',
        details: { reports: failures },
      });
    }
  }

  await downloads;
  for (const t of targets) {
    if (t.deprecated) request.warn(`${t.name}@${t.version} is deprecated: ${t.deprecated}`);
    for (const server of Object.keys(t.mcp)) {
      if (!(server in newWorkspace.servers)) request.warn(`${t.name} uses the MCP server "${server}", which ${WORKSPACE_FILE} does not configure under "servers"`);
    }
  }

  // The new lockfile and the folders to remove.
  const newLock: Lockfile = emptyLockfile();
  for (const t of targets) {
    const entry: LockEntry = { version: t.version, resolved: t.tarball, integrity: t.integrity, digest: t.digest, dependencies: t.dependencies };
    const skipped = verified.get(t.name) === 'skipped' || (unchanged.has(t.name) && oldLock.skills[t.name]?.skipVerify === true);
    newLock.skills[t.name] = skipped ? { ...entry, skipVerify: true } : entry;
  }
  const keep = new Set(targets.map((t) => t.folder));
  const remove = [...new Set(Object.keys(oldLock.skills).map(folderOf))].filter((f) => !keep.has(f));

  const workspaceText = serializeWorkspace(newWorkspace);
  const lockText = serializeLockfile(newLock);
  const changes: InstallChange[] = [];
  for (const t of targets) {
    const before = present.has(t.name) ? (oldLock.skills[t.name]?.version ?? null) : null;
    if (before !== t.version || changed.includes(t)) changes.push({ name: t.name, from: before, to: t.version });
  }
  for (const name of Object.keys(oldLock.skills)) {
    if (resolved.has(name)) continue;
    const existed = await fs.lstat(path.join(dir, folderOf(name))).then(() => true, () => false);
    if (existed) changes.push({ name, from: oldLock.skills[name]?.version ?? null, to: null });
  }

  // Stage and commit.
  const nothingToDo = changed.length === 0 && remove.length === 0;
  const currentWorkspaceText = await readWorkspaceFile(root, WORKSPACE_FILE);
  const currentLockText = await readWorkspaceFile(root, LOCKFILE);
  if (!nothingToDo || currentWorkspaceText !== workspaceText || currentLockText !== lockText) {
    // The key first: failing to make it must not leave a staging folder behind.
    const key = await journalKey(request.env, { create: true });
    if (!key) throw new SkillsError('EJOURNALKEY', 'no install journal key');
    const suffix = randomBytes(6).toString('hex');
    const staging = `.staging-${suffix}`;
    const createdSkillsDir = dirs.skills === undefined;
    const unstage = async () => {
      await fs.rm(path.join(dir, staging), { recursive: true, force: true }).catch(() => undefined);
      // A ./skills this run created goes too (rmdir: only while it is empty).
      if (createdSkillsDir) await fs.rmdir(dir).catch(() => undefined);
    };
    try {
      await fs.mkdir(dir, { recursive: true });
      await fs.mkdir(path.join(dir, staging));
      for (const t of changed) {
        const out = path.join(dir, staging, t.folder);
        await fs.mkdir(out);
        await writeFiles(out, await fetchFiles(t));
      }
    } catch (error) {
      await unstage();
      throw writeError(dir, error);
    }
    try {
      await commitJournal(
        dirs.root,
        {
          staging,
          trash: `.trash-${suffix}`,
          install: changed.map((t) => t.folder),
          remove,
          files: [
            { path: WORKSPACE_FILE, before: await currentHash(dirs.root, WORKSPACE_FILE), content: workspaceText },
            { path: LOCKFILE, before: await currentHash(dirs.root, LOCKFILE), content: lockText },
          ],
        },
        key,
      );
    } catch (error) {
      // Before the journal exists nothing was moved: undo the staging. After, the next command completes it.
      if (!(await fs.lstat(path.join(dir, JOURNAL)).then(() => true, () => false))) await unstage();
      throw writeError(dir, error);
    }
  }

  const catalog = await writeCatalog(root, new Set(targets.map((t) => t.folder)));
  if (catalog.overBudget) request.warn(`skills/INDEX.md lists ${catalog.chars} characters of skills, over the ${catalog.budget} character budget of current agent clients`);
  return {
    root,
    changes: changes.sort((a, b) => (a.name < b.name ? -1 : 1)),
    skills: targets.map((t) => ({ name: t.name, version: t.version, folder: `skills/${t.folder}`, verified: unchanged.has(t.name) ? 'unchanged' : (verified.get(t.name) ?? 'sandbox') })),
    catalog: { file: catalog.file, chars: catalog.chars, overBudget: catalog.overBudget },
    recovered,
  };
}

function writeError(dir: string, error: unknown): SkillsError {
  if (error instanceof SkillsError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  return new SkillsError('EWRITE', `cannot write to ${dir}: ${code ?? (error as Error).message}`, {
    hint: code === 'ENOSPC' ? 'free some disk space and run it again' : 'check the permissions of ./skills; nothing was changed',
  });
}

/** All transitive dependencies of a skill (not itself), sorted. */
function dependencyClosure(name: string, byName: ReadonlyMap<string, Target>): string[] {
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

/** Whether the lockfile alone satisfies the requested ranges (and is closed under dependencies). */
function lockSatisfies(lock: Lockfile, requested: Record<string, string>): { ok: true; skills: Map<string, ResolvedSkill> } | { ok: false; why: string } {
  const skills = new Map<string, ResolvedSkill>();
  const queue = Object.keys(requested);
  for (const [name, range] of Object.entries(requested)) {
    const entry = lock.skills[name];
    if (!entry) return { ok: false, why: `${name} is not in the lockfile` };
    if (semver.validRange(range) !== null && !semver.satisfies(entry.version, range)) return { ok: false, why: `the lockfile has ${name}@${entry.version}, which does not satisfy ${range}` };
    if (semver.validRange(range) === null && range !== 'latest') return { ok: false, why: `${name} asks for the dist-tag ${range}` };
  }
  while (queue.length > 0) {
    const name = queue.shift() as string;
    if (skills.has(name)) continue;
    const entry = lock.skills[name];
    if (!entry) return { ok: false, why: `${name} is missing from the lockfile` };
    skills.set(name, { version: entry.version, dependencies: entry.dependencies });
    queue.push(...Object.keys(entry.dependencies));
  }
  return { ok: true, skills: new Map([...skills.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) };
}
