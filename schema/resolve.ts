/**
 * The resolver: chooses exactly one version per skill (./skills is flat), newest first, honouring
 * transitive dependencies, skipping yanked versions unless the lockfile pins them, preferring
 * locked versions that still satisfy every requirement. Backtracks on conflict; when there is no
 * solution it explains which requirements collide and through which path, PubGrub style:
 * `@a/x@2.1.0 needs @a/y ^1, but the workspace needs @a/y ^2`. Pure: the caller loads packuments.
 */
import semver from 'semver';
import { SkillsError } from './errors';
import { parsePackageName } from './names';

export interface AvailableVersion {
  version: string;
  dependencies: Record<string, string>;
  yanked: boolean;
}

export interface AvailableSkill {
  versions: readonly AvailableVersion[];
  distTags: Record<string, string>;
}

export interface ResolveInput {
  /** What the workspace asks for: name -> semver range or dist-tag. */
  requested: Record<string, string>;
  /** Exact versions from the lockfile, preferred when they still satisfy. */
  locked?: Record<string, string>;
  /** Packuments loaded so far; a missing name is reported in `missing`. */
  available: ReadonlyMap<string, AvailableSkill>;
  /** Prefer the newest versions over locked ones for these names (update). */
  unlock?: ReadonlySet<string> | 'all';
  /** The folder a skill installs as (default: its SKILL.md name; skills.json "alias" renames it). */
  folderOf?: (name: string) => string;
  /** Who asks for `requested`, in explanations: "the workspace" unless told (e.g. `@a/x@1.0.0`). */
  root?: string;
  /** Most versions tried before giving up (backtracking on hostile graphs is exponential). */
  maxSteps?: number;
}

export const DEFAULT_RESOLVE_STEPS = 100_000;

export interface ResolvedSkill {
  version: string;
  dependencies: Record<string, string>;
}

export type ResolveResult = { ok: true; skills: Map<string, ResolvedSkill> } | { ok: false; missing: string[] };

interface Requirement {
  range: string;
  /** Who asks: "the workspace" or "@a/x@2.1.0". */
  by: string;
  /** The chain from the workspace to the asker, for the explanation. */
  path: string[];
}

const WORKSPACE = 'the workspace';

export function resolve(input: ResolveInput): ResolveResult {
  const root = input.root ?? WORKSPACE;
  const maxSteps = input.maxSteps ?? DEFAULT_RESOLVE_STEPS;
  let steps = 0;
  const missing = new Set<string>();
  const requirements = new Map<string, Requirement[]>();
  const chosen = new Map<string, ResolvedSkill>();
  const order: string[] = [];
  let deepest: { name: string; reqs: Requirement[]; why: string } | undefined;

  const addReq = (name: string, req: Requirement) => {
    const list = requirements.get(name);
    if (list) list.push(req);
    else requirements.set(name, [req]);
  };
  const removeReq = (name: string, req: Requirement) => {
    const list = requirements.get(name);
    if (!list) return;
    const i = list.lastIndexOf(req);
    if (i !== -1) list.splice(i, 1);
    if (list.length === 0) requirements.delete(name);
  };

  const exactRange = (name: string, range: string): string => {
    if (semver.validRange(range) !== null) return range;
    const tagged = input.available.get(name)?.distTags[range];
    return tagged ?? range;
  };

  for (const [name, range] of Object.entries(input.requested).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!input.available.has(name)) missing.add(name);
    addReq(name, { range, by: root, path: [] });
    order.push(name);
  }
  if (missing.size > 0) return { ok: false, missing: [...missing].sort() };

  const candidates = (name: string): string[] => {
    const skill = input.available.get(name);
    if (!skill) return [];
    const reqs = requirements.get(name) ?? [];
    const locked = input.locked?.[name];
    const unlocked = input.unlock === 'all' || input.unlock?.has(name) === true;
    const ok = skill.versions
      .filter((v) => !v.yanked || (locked === v.version && !unlocked))
      .map((v) => v.version)
      .filter((v) => reqs.every((r) => satisfies(v, exactRange(name, r.range))));
    ok.sort((a, b) => semver.rcompare(a, b));
    if (locked && !unlocked && ok.includes(locked)) return [locked, ...ok.filter((v) => v !== locked)];
    return ok;
  };

  const search = (queue: readonly string[]): boolean => {
    const pending = queue.filter((n) => !chosen.has(n));
    const name = pending[0];
    if (name === undefined) return true;
    const skill = input.available.get(name);
    if (!skill) {
      missing.add(name);
      return false;
    }
    const list = candidates(name);
    if (list.length === 0) {
      const reqs = [...(requirements.get(name) ?? [])];
      const reqsNow = requirements.get(name) ?? [];
      const yankedFits = skill.versions.some((v) => v.yanked && reqsNow.every((r) => satisfies(v.version, exactRange(name, r.range))));
      const why =
        skill.versions.length === 0
          ? 'it has no published versions'
          : skill.versions.every((v) => v.yanked)
            ? 'every version is yanked'
            : yankedFits
              ? 'the versions that satisfy them are yanked'
              : 'no version satisfies all of them';
      if (!deepest || reqs.length >= deepest.reqs.length) deepest = { name, reqs, why };
      return false;
    }
    for (const version of list) {
      if (++steps > maxSteps) {
        throw new SkillsError('ERESOLVESTEPS', `no solution found after trying ${maxSteps} versions; nothing was changed`, {
          hint: 'the versions on offer conflict in too many ways to search; pin exact versions or narrower ranges, or check the registry URL',
        });
      }
      const info = skill.versions.find((v) => v.version === version);
      if (!info) continue;
      const asker = `${name}@${version}`;
      const req = requirements.get(name)?.[0];
      const path = [...(req?.path ?? []), asker];
      // A dependency already chosen must satisfy this version's range (cycles included).
      const clash = Object.entries(info.dependencies).find(([dep, range]) => {
        const have = chosen.get(dep);
        return have !== undefined && !satisfies(have.version, exactRange(dep, range));
      });
      if (clash) {
        const [dep, range] = clash;
        const reqs = [...(requirements.get(dep) ?? []), { range, by: asker, path }];
        if (!deepest || reqs.length >= deepest.reqs.length) deepest = { name: dep, reqs, why: `${dep}@${chosen.get(dep)?.version} is already chosen` };
        continue;
      }
      const added: [string, Requirement][] = [];
      for (const [dep, range] of Object.entries(info.dependencies)) {
        const r: Requirement = { range, by: asker, path };
        addReq(dep, r);
        added.push([dep, r]);
        if (!input.available.has(dep)) missing.add(dep);
      }
      chosen.set(name, { version, dependencies: {} });
      if (missing.size === 0 && search([...pending.slice(1), ...Object.keys(info.dependencies).sort()])) return true;
      chosen.delete(name);
      for (const [dep, r] of added) removeReq(dep, r);
      if (missing.size > 0) return false;
    }
    return false;
  };

  const solved = search(order);
  if (missing.size > 0) return { ok: false, missing: [...missing].sort() };
  if (!solved) throw conflictError(deepest, root);

  // Exact dependency versions per skill, now that everything is chosen.
  for (const [name, pick] of chosen) {
    const info = input.available.get(name)?.versions.find((v) => v.version === pick.version);
    const deps: Record<string, string> = {};
    for (const dep of Object.keys(info?.dependencies ?? {}).sort()) {
      const v = chosen.get(dep)?.version;
      if (v) deps[dep] = v;
    }
    pick.dependencies = deps;
  }
  checkFlatNames(chosen, input.folderOf);
  return { ok: true, skills: new Map([...chosen.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) };
}

function satisfies(version: string, range: string): boolean {
  return semver.satisfies(version, range, { includePrerelease: semver.prerelease(version) !== null && semver.validRange(range) === version });
}

function describeReq(name: string, r: Requirement, root: string): string {
  const via = r.path.length > 1 ? ` (via ${r.path.slice(0, -1).join(' -> ')})` : '';
  return r.by === root ? `${root} needs ${name} ${r.range}` : `${r.by}${via} needs ${name} ${r.range}`;
}

function conflictError(deepest: { name: string; reqs: Requirement[]; why: string } | undefined, root: string): SkillsError {
  if (!deepest) return new SkillsError('ERESOLVE', 'no set of versions satisfies every requirement', { hint: 'loosen a range in skills.json' });
  const parts = deepest.reqs.map((r) => describeReq(deepest.name, r, root));
  const message = parts.length > 1 ? `${parts.slice(0, -1).join(', ')}, but ${parts.at(-1)}: ${deepest.why}` : `${parts[0] ?? deepest.name}, but ${deepest.why}`;
  return new SkillsError('ERESOLVE', message, {
    hint: 'loosen a range in skills.json, or publish a version that satisfies every requirement',
    details: { skill: deepest.name, requirements: deepest.reqs.map((r) => ({ range: r.range, by: r.by, path: r.path })) },
  });
}

/** ./skills is flat by SKILL.md name: @a/utils and @b/utils cannot both be installed. */
function checkFlatNames(chosen: ReadonlyMap<string, ResolvedSkill>, folderOf?: (name: string) => string): void {
  const byFolder = new Map<string, string>();
  for (const name of chosen.keys()) {
    const folder = folderOf?.(name) ?? parsePackageName(name)?.name ?? name;
    const other = byFolder.get(folder);
    if (other !== undefined) {
      throw new SkillsError('ENAMECONFLICT', `${other} and ${name} would both install as skills/${folder}`, {
        hint: `./skills is flat by SKILL.md name: depend on only one of them, or give one another folder in skills.json, e.g. "alias": { "${name}": "${folder}-${parsePackageName(name)?.scope.slice(1) ?? 'b'}" }`,
      });
    }
    byFolder.set(folder, name);
  }
}
