/**
 * The install plan without disk or network (like the resolver's tests): what it asks for, what it
 * keeps, fetches and removes, and the refusals it makes on its own (conflicts, local changes,
 * lockfile mismatches, two sources for one name).
 */
import { describe, expect, it } from 'vitest';
import { planInstall, type DiskFolder, type InstallPlan, type OfferedSkill, type PlanInput, type PlanOutcome } from '../cli/core/install/plan';
import type { InstallPackumentView } from '../schema/registry';
import type { LockEntry, Lockfile } from '../schema/workspace';

const D = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
const I = (n: number) => `sha512-${Buffer.alloc(64, n).toString('base64')}`;

function packument(name: string, versions: Record<string, Record<string, string>>, latest?: string): InstallPackumentView {
  const entries = Object.entries(versions);
  return {
    name,
    distTags: { latest: latest ?? entries.at(-1)?.[0] ?? '1.0.0' },
    versions: Object.fromEntries(
      entries.map(([version, dependencies], i) => [
        version,
        { version, dependencies, mcp: {}, yanked: false, deprecated: null, dist: { tarball: `http://r/${name}/${version}.tgz`, integrity: I(i + 1), digest: D(i + 1), fileCount: 1, unpackedSize: 1, size: 1 } },
      ]),
    ),
  };
}

function registryEntry(version: string, n: number, dependencies: Record<string, string> = {}, extra: Partial<LockEntry> = {}): LockEntry {
  return { version, resolved: `http://r/x/${version}.tgz`, integrity: I(n), digest: D(n), dependencies, ...extra };
}

function gitOffer(name: string, version: string, digestN: number, extra: Partial<OfferedSkill> = {}): OfferedSkill {
  const folder = name.slice(name.indexOf('/') + 1);
  const spec = `git+file:///repo#main&path:skills/${folder}`;
  return {
    name,
    folder,
    version,
    dependencies: {},
    mcp: {},
    kind: 'plain',
    digest: D(digestN),
    spec,
    resolved: `git+file:///repo#${'a'.repeat(40)}&path:skills/${folder}`,
    source: { type: 'git', spec, url: 'file:///repo', commit: 'a'.repeat(40), path: `skills/${folder}`, ref: 'main' },
    ...extra,
  };
}

function input(extra: Partial<PlanInput>): PlanInput {
  return { workspace: { dependencies: {}, servers: {} }, lock: { lockfileVersion: 1, skills: {} }, add: [], remove: [], frozen: false, update: undefined, packuments: new Map(), offers: new Map(), disk: new Map(), ...extra };
}

function ok(outcome: PlanOutcome): InstallPlan {
  if (outcome.status !== 'ok') throw new Error(`the plan asked for ${JSON.stringify(outcome)}`);
  return outcome.plan;
}

const lock = (skills: Record<string, LockEntry>): Lockfile => ({ lockfileVersion: 1, skills });
const disk = (entries: Record<string, string | null>): Map<string, DiskFolder> => new Map(Object.entries(entries).map(([k, digest]) => [k, { digest }]));

describe('planInstall', () => {
  it('installs from the lockfile alone when it satisfies skills.json, keeping intact folders', () => {
    const plan = ok(
      planInstall(
        input({
          workspace: { dependencies: { '@a/x': '^1.0.0' }, servers: {} },
          lock: lock({ '@a/x': registryEntry('1.0.0', 1, { '@a/y': '1.0.0' }), '@a/y': registryEntry('1.0.0', 2) }),
          disk: disk({ x: D(1), y: D(2) }),
        }),
      ),
    );
    expect(plan.targets.map((t) => [t.name, t.version, t.kept !== undefined])).toEqual([
      ['@a/x', '1.0.0', true],
      ['@a/y', '1.0.0', true],
    ]);
    expect(plan.fetch).toEqual([]);
    expect(plan.changes).toEqual([]);
  });

  it('asks for packuments when the lockfile does not satisfy, then resolves and records ^version', () => {
    const base = input({ add: [{ type: 'registry', name: '@a/x', range: undefined }] });
    expect(planInstall(base)).toEqual({ status: 'need', packuments: ['@a/x'], offers: [] });
    const withX = { ...base, packuments: new Map([['@a/x', packument('@a/x', { '1.0.0': { '@a/y': '^1.0.0' } })]]) };
    expect(planInstall(withX)).toEqual({ status: 'need', packuments: ['@a/y'], offers: [] });
    const plan = ok(planInstall({ ...withX, packuments: new Map([...withX.packuments, ['@a/y', packument('@a/y', { '1.0.0': {}, '1.1.0': {} })]]) }));
    expect(plan.workspace.dependencies).toEqual({ '@a/x': '^1.0.0' });
    expect(plan.targets.map((t) => [t.name, t.version, t.dependencies])).toEqual([
      ['@a/x', '1.0.0', { '@a/y': '1.1.0' }],
      ['@a/y', '1.1.0', {}],
    ]);
    expect(plan.fetch).toEqual(['@a/x', '@a/y']);
  });

  it('takes a skill offered by a source, records its spec, and resolves its registry dependencies', () => {
    const offered = gitOffer('@g/tool', '0.0.0-git-aaaaaaaaaaaa', 9, { kind: 'code', dependencies: { '@a/y': '^1.0.0' } });
    const outcome = planInstall(input({ add: [{ type: 'source', skill: offered }], offers: new Map([[offered.name, offered]]) }));
    expect(outcome).toEqual({ status: 'need', packuments: ['@a/y'], offers: [] });
    const plan = ok(planInstall(input({ add: [{ type: 'source', skill: offered }], offers: new Map([[offered.name, offered]]), packuments: new Map([['@a/y', packument('@a/y', { '1.0.0': {} })]]) })));
    expect(plan.workspace.dependencies).toEqual({ '@g/tool': offered.spec });
    const tool = plan.targets.find((t) => t.name === '@g/tool');
    expect(tool).toMatchObject({ source: offered.source, digest: D(9), dependencies: { '@a/y': '1.0.0' }, integrity: undefined });
  });

  it('keeps a git skill at its locked commit on install, and asks for a new offer on update and when the spec changed', () => {
    const offered = gitOffer('@g/notes', '1.0.0', 5);
    const locked = lock({ '@g/notes': { version: '1.0.0', resolved: offered.resolved, digest: D(5), dependencies: {}, trust: 'instructions', source: offered.source } });
    const workspace = { dependencies: { '@g/notes': offered.spec }, servers: {} };
    const plan = ok(planInstall(input({ workspace, lock: locked, disk: disk({ notes: D(5) }) })));
    expect(plan.targets[0]?.kept?.trust).toBe('instructions');
    expect(planInstall(input({ workspace, lock: locked, update: { names: 'all', latest: false } }))).toEqual({ status: 'need', packuments: [], offers: [{ name: '@g/notes', spec: offered.spec }] });
    const edited = { dependencies: { '@g/notes': 'git+file:///repo#v2&path:skills/notes' }, servers: {} };
    expect(planInstall(input({ workspace: edited, lock: locked }))).toMatchObject({ status: 'need', offers: [{ name: '@g/notes' }] });
    expect(() => planInstall(input({ workspace: edited, lock: locked, frozen: true }))).toThrow(expect.objectContaining({ code: 'ELOCKMISMATCH' }));
  });

  it('reads a folder source again on every install, but not in ci', () => {
    const spec = './my-skill';
    const source = { type: 'folder' as const, spec, path: spec };
    const locked = lock({ '@local/my-skill': { version: '0.0.0-local', resolved: spec, digest: D(3), dependencies: {}, source } });
    const workspace = { dependencies: { '@local/my-skill': spec }, servers: {} };
    expect(planInstall(input({ workspace, lock: locked }))).toMatchObject({ status: 'need', offers: [{ name: '@local/my-skill', spec }] });
    expect(ok(planInstall(input({ workspace, lock: locked, frozen: true, disk: disk({ 'my-skill': D(3) }) }))).fetch).toEqual([]);
  });

  it('reports installed folders it would replace or remove after a local edit, and not a folder that is gone', () => {
    const workspace = { dependencies: { '@a/x': '^1.0.0' }, servers: {} };
    const old = lock({ '@a/x': registryEntry('1.0.0', 1), '@a/gone': registryEntry('1.0.0', 4) });
    const plan = ok(planInstall(input({ workspace, lock: old, disk: disk({ x: D(77), gone: D(78) }) })));
    expect(plan.fetch).toEqual(['@a/x']);
    expect(plan.removeFolders).toEqual(['gone']);
    expect(plan.localChanges).toEqual([
      { name: '@a/gone', folder: 'gone' },
      { name: '@a/x', folder: 'x' },
    ]);
    const missing = ok(planInstall(input({ workspace, lock: old, disk: disk({}) })));
    expect(missing.localChanges).toEqual([]);
    expect(missing.fetch).toEqual(['@a/x']);
  });

  it('refuses a folder it does not own, two sources for one name, and two names for one folder', () => {
    expect(() => planInstall(input({ add: [{ type: 'source', skill: gitOffer('@g/x', '1.0.0', 1) }], offers: new Map([['@g/x', gitOffer('@g/x', '1.0.0', 1)]]), disk: disk({ x: null }) }))).toThrow(
      expect.objectContaining({ code: 'ECONFLICT' }),
    );
    const a = gitOffer('@g/x', '1.0.0', 1);
    const b = gitOffer('@g/x', '2.0.0', 2, { spec: 'git+file:///other' });
    expect(() => planInstall(input({ add: [{ type: 'source', skill: a }, { type: 'source', skill: b }] }))).toThrow(expect.objectContaining({ code: 'ESOURCECONFLICT' }));
    const c = gitOffer('@h/x', '1.0.0', 3);
    expect(() => planInstall(input({ add: [{ type: 'source', skill: a }, { type: 'source', skill: c }], offers: new Map([[a.name, a], [c.name, c]]) }))).toThrow(expect.objectContaining({ code: 'ENAMECONFLICT' }));
  });

  it('uninstall drops the name from trust.allowUnverified too', () => {
    const offered = gitOffer('@g/run', '1.0.0', 5);
    const plan = ok(
      planInstall(
        input({
          workspace: { dependencies: { '@g/run': offered.spec }, servers: {}, trust: { allowUnverified: ['@g/run', '@g/other'] } },
          lock: lock({ '@g/run': { version: '1.0.0', resolved: offered.resolved, digest: D(5), dependencies: {}, source: offered.source } }),
          remove: ['@g/run'],
          disk: disk({ run: D(5) }),
        }),
      ),
    );
    expect(plan.workspace.trust).toEqual({ allowUnverified: ['@g/other'] });
    expect(plan.removeFolders).toEqual(['run']);
    expect(plan.changes).toEqual([{ name: '@g/run', from: '1.0.0', to: null }]);
  });
});
