/**
 * "alias" in the install plan, without disk or network: the folder a skill installs as, recorded
 * in its lock entry; two skills of one name side by side; a rename moves the folder; a skill
 * another depends on (and imports as ../<name>) cannot be renamed (EALIAS).
 */
import { describe, expect, it } from 'vitest';
import { planInstall, type PlanInput, type PlanOutcome } from '../cli/core/install/plan';
import type { InstallPackumentView } from '../schema/registry';
import type { Workspace } from '../schema/workspace';

const D = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
const I = (n: number) => `sha512-${Buffer.alloc(64, n).toString('base64')}`;

function packument(name: string, n: number, dependencies: Record<string, string> = {}): InstallPackumentView {
  return {
    name,
    distTags: { latest: '1.0.0' },
    versions: { '1.0.0': { version: '1.0.0', dependencies, mcp: {}, yanked: false, deprecated: null, dist: { tarball: `http://r/${name}.tgz`, integrity: I(n), digest: D(n), fileCount: 1, unpackedSize: 1, size: 1 } } },
  };
}

const docs = new Map([
  ['@a/pdf', packument('@a/pdf', 1)],
  ['@b/pdf', packument('@b/pdf', 2)],
  ['@c/report', packument('@c/report', 3, { '@b/pdf': '^1.0.0' })],
]);

function plan(workspace: Partial<Workspace>, extra: Partial<PlanInput> = {}): PlanOutcome {
  return planInstall({
    workspace: { dependencies: {}, servers: {}, ...workspace },
    lock: { lockfileVersion: 1, skills: {} },
    add: [],
    remove: [],
    frozen: false,
    update: undefined,
    packuments: docs,
    offers: new Map(),
    disk: new Map(),
    ...extra,
  });
}

function ok(outcome: PlanOutcome) {
  if (outcome.status !== 'ok') throw new Error(`needs ${JSON.stringify(outcome)}`);
  return outcome.plan;
}

describe('alias in the install plan', () => {
  it('two skills named pdf: ENAMECONFLICT with the alias to write; with it, both install', () => {
    expect(() => plan({ dependencies: { '@a/pdf': '^1.0.0', '@b/pdf': '^1.0.0' } })).toThrow(expect.objectContaining({ code: 'ENAMECONFLICT', hint: expect.stringContaining('"alias": { "@b/pdf": "pdf-b" }') }));
    const p = ok(plan({ dependencies: { '@a/pdf': '^1.0.0', '@b/pdf': '^1.0.0' }, alias: { '@b/pdf': 'pdf-b' } }));
    expect(p.targets.map((t) => [t.name, t.folder])).toEqual([
      ['@a/pdf', 'pdf'],
      ['@b/pdf', 'pdf-b'],
    ]);
  });

  it('renaming an installed skill moves its folder', () => {
    const lock = { lockfileVersion: 1 as const, skills: { '@b/pdf': { version: '1.0.0', resolved: 'http://r/@b/pdf.tgz', integrity: I(2), digest: D(2), dependencies: {} } } };
    const p = ok(plan({ dependencies: { '@b/pdf': '^1.0.0' }, alias: { '@b/pdf': 'pdf-b' } }, { lock, disk: new Map([['pdf', { digest: D(2) }]]) }));
    expect(p.fetch).toEqual(['@b/pdf']);
    expect(p.removeFolders).toEqual(['pdf']);
    expect(p.targets[0]?.folder).toBe('pdf-b');
  });

  it('a skill another depends on cannot be renamed: EALIAS', () => {
    expect(() => plan({ dependencies: { '@c/report': '^1.0.0' }, alias: { '@b/pdf': 'pdf-b' } })).toThrow(expect.objectContaining({ code: 'EALIAS', message: expect.stringContaining('@c/report depends on it') }));
  });

  it('uninstall drops the alias with the skill', () => {
    const lock = { lockfileVersion: 1 as const, skills: { '@b/pdf': { version: '1.0.0', resolved: 'http://r/@b/pdf.tgz', integrity: I(2), digest: D(2), dependencies: {}, folder: 'pdf-b' } } };
    const p = ok(plan({ dependencies: { '@b/pdf': '^1.0.0' }, alias: { '@b/pdf': 'pdf-b' } }, { lock, remove: ['@b/pdf'], disk: new Map([['pdf-b', { digest: D(2) }]]) }));
    expect(p.removeFolders).toEqual(['pdf-b']);
    expect(p.workspace.alias).toEqual({});
  });
});
