/**
 * The install plan, pure: from what the workspace asks for (skills.json plus this command's
 * additions and removals), what it has (the lockfile, and the digest of each installed folder on
 * disk), and what each source offers (registry packuments, skills offered by git, folder and
 * discovery-index sources), decide every skill the workspace will hold, which of them must be
 * fetched, which folders go, what changes, and the new skills.json. No disk, no network: the
 * executor (install.ts) gathers the inputs, loops while the plan asks for more, and carries it out.
 */
import semver from 'semver';
import { SkillsError } from '../../../schema/errors';
import { parsePackageName } from '../../../schema/names';
import type { InstallPackumentView } from '../../../schema/registry';
import { resolve, type AvailableSkill, type ResolvedSkill } from '../../../schema/resolve';
import type { TrustLevel } from '../../../schema/trust';
import type { LockEntry, Lockfile, LockSource, Workspace } from '../../../schema/workspace';

export const WORKSPACE_FILE_NAME = 'skills.json';
export const LOCKFILE_NAME = 'skills-lock.json';

/** A skill a non-registry source offers: one version, known content. */
export interface OfferedSkill {
  name: string;
  /** The SKILL.md name: the folder under ./skills. */
  folder: string;
  version: string;
  /** Registry ranges from skill.json (a plain skill has none). */
  dependencies: Record<string, string>;
  mcp: Record<string, string[]>;
  kind: 'code' | 'plain';
  digest: string;
  /** The spec skills.json records: it names this skill alone. */
  spec: string;
  /** The spec pinned to what was fetched (a commit, an artifact digest), for the lockfile. */
  resolved: string;
  source: LockSource;
}

/** A skill named by this command. */
export type AddedSpec = { type: 'registry'; name: string; range: string | undefined } | { type: 'source'; skill: OfferedSkill };

/** An installed folder as found on disk: the content digest of its files, or null when they cannot be read as a package. */
export interface DiskFolder {
  digest: string | null;
}

export interface PlanInput {
  workspace: Workspace;
  lock: Lockfile;
  add: readonly AddedSpec[];
  remove: readonly string[];
  frozen: boolean;
  update: { names: readonly string[] | 'all'; latest: boolean } | undefined;
  /** Registry packuments fetched so far, by name. */
  packuments: ReadonlyMap<string, InstallPackumentView>;
  /** Skills offered by non-registry sources this run, by name (from `add`, and re-offered skills.json specs). */
  offers: ReadonlyMap<string, OfferedSkill>;
  /** Folders under ./skills that exist, by folder name. */
  disk: ReadonlyMap<string, DiskFolder>;
}

export interface PlanTarget {
  name: string;
  folder: string;
  version: string;
  /** Exact versions of its dependencies. */
  dependencies: Record<string, string>;
  mcp: Record<string, string[]>;
  deprecated: string | null;
  digest: string;
  /** The lockfile's `resolved`: a tarball URL (registry) or the pinned spec (other sources). */
  resolved: string;
  /** sha512 of the registry tarball; absent for other sources (their identity is the digest). */
  integrity: string | undefined;
  /** Absent: the registry. */
  source: LockSource | undefined;
  /** Set when it stays as installed: the lock entry it keeps. */
  kept: LockEntry | undefined;
}

export interface InstallChange {
  name: string;
  from: string | null;
  to: string | null;
}

export interface InstallPlan {
  workspace: Workspace;
  /** Every skill after the install, sorted by name. */
  targets: PlanTarget[];
  /** Names to fetch, verify and stage (new, changed, or missing on disk). */
  fetch: string[];
  /** Folders to remove (owned by the old lockfile, not kept). */
  removeFolders: string[];
  /** Installed folders this plan would replace or remove although their files changed since install. */
  localChanges: { name: string; folder: string }[];
  changes: InstallChange[];
}

export type PlanOutcome =
  | { status: 'need'; packuments: string[]; offers: { name: string; spec: string }[] }
  | { status: 'ok'; plan: InstallPlan };

export function folderOf(name: string): string {
  return parsePackageName(name)?.name ?? name;
}

/** The folder of an installed skill as its lock entry records it (an alias), else its SKILL.md name. */
export function lockedFolderOf(name: string, entry: LockEntry | undefined): string {
  return entry?.folder ?? folderOf(name);
}

/** Whether a skills.json dependency value is a source spec (git, folder, discovery index) rather than a registry range or tag. */
export function isSourceValue(value: string): boolean {
  return /^(github:|git\+|https?:\/\/|\.\.?(\/|$)|\/)/.test(value);
}

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export function planInstall(input: PlanInput): PlanOutcome {
  const { lock } = input;
  const alias: Record<string, string> = input.workspace.alias ?? {};
  const requested: Record<string, string> = { ...input.workspace.dependencies };
  const addedRegistry = new Map<string, string | undefined>();
  const addedSource = new Map<string, OfferedSkill>();
  if (input.frozen && (input.add.length > 0 || input.remove.length > 0)) throw new SkillsError('EUSAGE', '--frozen-lockfile installs exactly the lockfile; it cannot add or remove skills');
  for (const spec of input.add) {
    const name = spec.type === 'registry' ? spec.name : spec.skill.name;
    const value = spec.type === 'registry' ? (spec.range ?? 'latest') : spec.skill.spec;
    const twice = addedRegistry.has(name) ? (requested[name] ?? '') : addedSource.get(name)?.spec;
    if (twice !== undefined && twice !== value) {
      throw new SkillsError('ESOURCECONFLICT', `two sources give ${name}: ${twice} and ${value}; nothing was changed`, { hint: 'install it from one of them (./skills holds one skill per name)' });
    }
    if (spec.type === 'registry') addedRegistry.set(name, spec.range);
    else addedSource.set(name, spec.skill);
    requested[name] = value;
  }
  for (const name of input.remove) {
    if (!(name in requested)) throw new SkillsError('ENOTINSTALLED', `${name} is not in ${WORKSPACE_FILE_NAME}`, { hint: 'see `skills list`' });
    delete requested[name];
  }
  const updating = (name: string) => input.update !== undefined && (input.update.names === 'all' || input.update.names.includes(name));
  if (input.update?.latest) {
    for (const name of Object.keys(requested)) if (updating(name) && !isSourceValue(requested[name] ?? '')) requested[name] = 'latest';
  }

  // Skills from other sources: this run's offer, else the lock entry recorded for the same spec.
  const sources = new Map<string, OfferedSkill | LockEntry>();
  const needOffers: { name: string; spec: string }[] = [];
  for (const [name, value] of Object.entries(requested)) {
    if (!isSourceValue(value)) continue;
    const offered = input.offers.get(name);
    if (offered && offered.spec === value) {
      sources.set(name, offered);
      continue;
    }
    const entry = lock.skills[name];
    const locked = entry?.source !== undefined && entry.source.spec === value ? entry : undefined;
    if (input.frozen) {
      if (!locked) throw new SkillsError('ELOCKMISMATCH', `${WORKSPACE_FILE_NAME} and ${LOCKFILE_NAME} disagree: ${name} is ${value} in ${WORKSPACE_FILE_NAME}, ${entry ? `${entry.source?.spec ?? entry.version} in the lockfile` : 'missing from the lockfile'}`, { hint: 'run `skills install` to update the lockfile' });
      sources.set(name, locked);
      continue;
    }
    // A folder is read again on every install; a git ref or an index only on update or when the spec changed.
    if (locked && !updating(name) && locked.source?.type !== 'folder') sources.set(name, locked);
    else needOffers.push({ name, spec: value });
  }

  const registryRequested = Object.fromEntries(Object.entries(requested).filter(([, v]) => !isSourceValue(v)));
  // Registry skills: the lockfile when it satisfies every range (no network), else the resolver.
  let resolved: Map<string, ResolvedSkill> | undefined;
  const fits = lockSatisfies(lock, registryRequested, sources);
  if (input.frozen) {
    if (!fits.ok) throw new SkillsError('ELOCKMISMATCH', `${WORKSPACE_FILE_NAME} and ${LOCKFILE_NAME} disagree: ${fits.why}`, { hint: 'run `skills install` to update the lockfile' });
    resolved = fits.skills;
  } else if (fits.ok && !Object.keys(registryRequested).some(updating) && addedRegistry.size === 0) {
    resolved = fits.skills;
  }
  if (needOffers.length > 0) return { status: 'need', packuments: [], offers: needOffers };

  if (!resolved) {
    const available = new Map<string, AvailableSkill>();
    for (const [name, doc] of input.packuments) {
      available.set(name, { distTags: doc.distTags, versions: Object.values(doc.versions).map((v) => ({ version: v.version, dependencies: v.dependencies, yanked: v.yanked })) });
    }
    const resolverRequested = { ...registryRequested };
    for (const [name, skill] of sources) {
      // A source's skill is one fixed version; its registry dependencies (exact versions in a lock entry) resolve like any other's.
      available.set(name, { distTags: { latest: skill.version }, versions: [{ version: skill.version, dependencies: skill.dependencies, yanked: false }] });
      resolverRequested[name] = skill.version;
    }
    const locked = Object.fromEntries(Object.entries(lock.skills).filter(([n, e]) => e.source === undefined && !sources.has(n)).map(([n, e]) => [n, e.version]));
    const unlock = input.update ? (input.update.names === 'all' ? ('all' as const) : new Set(input.update.names)) : new Set(addedRegistry.keys());
    const result = resolve({ requested: resolverRequested, locked, available, unlock, folderOf: (n) => alias[n] ?? folderOf(n) });
    if (!result.ok) return { status: 'need', packuments: result.missing.filter((n) => !sources.has(n)), offers: [] };
    resolved = result.skills;
  }

  // Targets: every resolved skill with where it comes from and what it must hash to.
  const targets: PlanTarget[] = [];
  for (const [name, pick] of resolved) {
    const skill = sources.get(name);
    if (skill) {
      const target = sourceTarget(name, skill, pick, lock.skills[name]);
      targets.push({ ...target, folder: alias[name] ?? target.folder });
      continue;
    }
    const doc = input.packuments.get(name)?.versions[pick.version];
    const lockEntry = lock.skills[name];
    const fromLock = lockEntry && lockEntry.source === undefined && lockEntry.version === pick.version ? lockEntry : undefined;
    if (doc && fromLock?.integrity !== undefined && doc.dist.integrity !== fromLock.integrity) {
      throw new SkillsError('EINTEGRITY', `${name}@${pick.version}: the registry's integrity ${doc.dist.integrity.slice(0, 20)}... differs from the lockfile's ${fromLock.integrity.slice(0, 20)}...`, {
        hint: 'the published tarball changed or the lockfile was edited; nothing was installed',
      });
    }
    const where = doc ? { resolved: doc.dist.tarball, integrity: doc.dist.integrity, digest: doc.dist.digest } : fromLock ? { resolved: fromLock.resolved, integrity: fromLock.integrity, digest: fromLock.digest } : undefined;
    if (!where || where.integrity === undefined) throw new SkillsError('EINTERNAL', `no source for ${name}@${pick.version}`);
    targets.push({ name, folder: alias[name] ?? folderOf(name), version: pick.version, dependencies: pick.dependencies, mcp: doc?.mcp ?? {}, deprecated: doc?.deprecated ?? null, ...where, source: undefined, kept: undefined });
  }
  targets.sort(byName);
  checkFolders(targets);
  checkAliases(targets);

  // What is on disk: kept when intact, else fetched; a folder the lockfile does not own is never touched.
  const ownerOf = new Map<string, string>();
  for (const [name, entry] of Object.entries(lock.skills)) ownerOf.set(lockedFolderOf(name, entry), name);
  const fetch: string[] = [];
  const localChanges: { name: string; folder: string }[] = [];
  const edited = (folder: string): boolean => {
    const owner = ownerOf.get(folder);
    const onDisk = input.disk.get(folder);
    return owner !== undefined && onDisk !== undefined && onDisk.digest !== lock.skills[owner]?.digest;
  };
  for (const t of targets) {
    const onDisk = input.disk.get(t.folder);
    const owner = ownerOf.get(t.folder);
    if (onDisk && owner === undefined) {
      throw new SkillsError('ECONFLICT', `skills/${t.folder} exists and is not an installed skill (no lockfile entry); ${t.name} would overwrite it`, {
        hint: `move or rename skills/${t.folder}, or uninstall the conflicting skill`,
      });
    }
    const entry = lock.skills[t.name];
    const same = entry !== undefined && owner === t.name && entry.version === t.version && entry.digest === t.digest && (t.source === undefined) === (entry.source === undefined);
    if (same && onDisk?.digest === t.digest) {
      t.kept = entry;
      continue;
    }
    fetch.push(t.name);
    if (edited(t.folder) && owner !== undefined) localChanges.push({ name: owner, folder: t.folder });
  }
  const keep = new Set(targets.map((t) => t.folder));
  const removeFolders = [...new Set(Object.entries(lock.skills).map(([name, entry]) => lockedFolderOf(name, entry)))].filter((f) => !keep.has(f)).sort();
  for (const folder of removeFolders) if (edited(folder)) localChanges.push({ name: ownerOf.get(folder) ?? folder, folder });

  // skills.json after the command: added registry skills get ^version (or the range asked for).
  const dependencies = { ...requested };
  for (const [name, range] of addedRegistry) {
    const version = resolved.get(name)?.version;
    dependencies[name] = range === undefined || (semver.validRange(range) === null && version) ? `^${version}` : range;
  }
  if (input.update?.latest) for (const name of Object.keys(requested)) if (requested[name] === 'latest') dependencies[name] = `^${resolved.get(name)?.version}`;
  const workspace: Workspace = { ...input.workspace, dependencies };
  if (input.workspace.alias && input.remove.length > 0) {
    workspace.alias = Object.fromEntries(Object.entries(input.workspace.alias).filter(([n]) => !input.remove.includes(n)));
  }
  if (input.workspace.trust && input.remove.length > 0) {
    workspace.trust = { allowUnverified: input.workspace.trust.allowUnverified.filter((n) => !input.remove.includes(n)) };
  }

  const changes: InstallChange[] = [];
  const fetching = new Set(fetch);
  for (const t of targets) {
    const before = input.disk.has(t.folder) && ownerOf.get(t.folder) === t.name ? (lock.skills[t.name]?.version ?? null) : null;
    if (before !== t.version || fetching.has(t.name)) changes.push({ name: t.name, from: before, to: t.version });
  }
  for (const [name, entry] of Object.entries(lock.skills)) {
    if (resolved.has(name) || !input.disk.has(lockedFolderOf(name, entry))) continue;
    changes.push({ name, from: entry.version, to: null });
  }
  changes.sort(byName);
  return { status: 'ok', plan: { workspace, targets, fetch: fetch.sort(), removeFolders, localChanges: localChanges.sort(byName), changes } };
}

function sourceTarget(name: string, skill: OfferedSkill | LockEntry, pick: ResolvedSkill, lockEntry: LockEntry | undefined): PlanTarget {
  if ('spec' in skill) {
    return { name, folder: skill.folder, version: skill.version, dependencies: pick.dependencies, mcp: skill.mcp, deprecated: null, digest: skill.digest, resolved: skill.resolved, integrity: undefined, source: skill.source, kept: undefined };
  }
  return { name, folder: folderOf(name), version: skill.version, dependencies: pick.dependencies, mcp: {}, deprecated: null, digest: skill.digest, resolved: skill.resolved, integrity: undefined, source: skill.source ?? lockEntry?.source, kept: undefined };
}

/** ./skills is flat: two skills may not share a folder (also across sources). */
function checkFolders(targets: readonly PlanTarget[]): void {
  const seen = new Map<string, string>();
  for (const t of targets) {
    const other = seen.get(t.folder);
    if (other !== undefined) {
      throw new SkillsError('ENAMECONFLICT', `${other} and ${t.name} would both install as skills/${t.folder}`, {
        hint: `./skills (and every agent folder) is flat by SKILL.md name: depend on only one of them, or give one another folder in skills.json, e.g. "alias": { "${t.name}": "${t.folder}-${parsePackageName(t.name)?.scope.slice(1) ?? 'b'}" }`,
      });
    }
    seen.set(t.folder, t.name);
  }
}

/**
 * An aliased skill lives in another folder than its SKILL.md name. Code that depends on it imports
 * it by that name (`../pdf`), so a skill another installed skill depends on cannot be renamed.
 */
function checkAliases(targets: readonly PlanTarget[]): void {
  for (const t of targets) {
    if (t.folder === folderOf(t.name)) continue;
    const user = targets.find((u) => u.name !== t.name && t.name in u.dependencies);
    if (user) {
      throw new SkillsError('EALIAS', `${t.name} cannot be installed as skills/${t.folder}: ${user.name} depends on it and imports it as ../${folderOf(t.name)}`, {
        hint: `remove "${t.name}" from "alias" in skills.json, or alias the other skill of that name instead`,
      });
    }
  }
}

/**
 * Whether the lockfile alone satisfies the requested registry ranges and the registry dependencies
 * of the source skills (and is closed under dependencies).
 */
export function lockSatisfies(
  lock: Lockfile,
  requested: Record<string, string>,
  sources: ReadonlyMap<string, OfferedSkill | LockEntry> = new Map(),
): { ok: true; skills: Map<string, ResolvedSkill> } | { ok: false; why: string } {
  const skills = new Map<string, ResolvedSkill>();
  const registryEntry = (name: string) => {
    const entry = lock.skills[name];
    return entry && entry.source === undefined ? entry : undefined;
  };
  const check = (name: string, range: string, by: string): string | undefined => {
    const entry = sources.has(name) ? sources.get(name) : registryEntry(name);
    if (!entry) return `${name} is not in the lockfile`;
    if (semver.validRange(range) !== null && !semver.satisfies(entry.version, range, { includePrerelease: entry.version === range })) return `the lockfile has ${name}@${entry.version}, which does not satisfy ${range}${by}`;
    if (semver.validRange(range) === null && range !== 'latest') return `${name} asks for the dist-tag ${range}`;
    return undefined;
  };
  for (const [name, range] of Object.entries(requested)) {
    const why = check(name, range, '');
    if (why) return { ok: false, why };
  }
  for (const [name, skill] of sources) {
    if ('spec' in skill) {
      for (const [dep, range] of Object.entries(skill.dependencies)) {
        const why = check(dep, range, ` (needed by ${name})`);
        if (why) return { ok: false, why };
      }
    }
  }
  const queue = [...Object.keys(requested), ...sources.keys()];
  while (queue.length > 0) {
    const name = queue.shift() as string;
    if (skills.has(name)) continue;
    const source = sources.get(name);
    if (source) {
      // Exact versions of its dependencies, from the lockfile.
      const deps: Record<string, string> = {};
      for (const dep of Object.keys(source.dependencies).sort()) {
        const v = (sources.get(dep) ?? registryEntry(dep))?.version;
        if (v === undefined) return { ok: false, why: `${dep} is missing from the lockfile` };
        deps[dep] = v;
      }
      skills.set(name, { version: source.version, dependencies: deps });
      queue.push(...Object.keys(deps));
      continue;
    }
    const entry = registryEntry(name);
    if (!entry) return { ok: false, why: `${name} is missing from the lockfile` };
    skills.set(name, { version: entry.version, dependencies: entry.dependencies });
    queue.push(...Object.keys(entry.dependencies));
  }
  return { ok: true, skills: new Map([...skills.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) };
}

/** The lock entry of a target once its trust is known. */
export function lockEntryOf(t: PlanTarget, trust: TrustLevel | undefined, skipVerify: boolean): LockEntry {
  return {
    version: t.version,
    resolved: t.resolved,
    ...(t.integrity === undefined ? {} : { integrity: t.integrity }),
    digest: t.digest,
    dependencies: t.dependencies,
    ...(skipVerify ? { skipVerify: true } : {}),
    ...(trust === undefined ? {} : { trust }),
    ...(t.source === undefined ? {} : { source: t.source }),
    ...(t.folder === folderOf(t.name) ? {} : { folder: t.folder }),
  };
}
