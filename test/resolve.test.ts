import { describe, expect, it } from 'vitest';
import { resolve, type AvailableSkill } from '../schema/resolve';

function registry(spec: Record<string, Record<string, Record<string, string> | { deps?: Record<string, string>; yanked?: boolean }>>, tags: Record<string, Record<string, string>> = {}): Map<string, AvailableSkill> {
  const map = new Map<string, AvailableSkill>();
  for (const [name, versions] of Object.entries(spec)) {
    map.set(name, {
      distTags: tags[name] ?? {},
      versions: Object.entries(versions).map(([version, v]) => {
        const rich = 'deps' in v || 'yanked' in v ? (v as { deps?: Record<string, string>; yanked?: boolean }) : { deps: v as Record<string, string> };
        return { version, dependencies: rich.deps ?? {}, yanked: rich.yanked ?? false };
      }),
    });
  }
  return map;
}

function versions(result: ReturnType<typeof resolve>): Record<string, string> {
  if (!result.ok) throw new Error(`missing ${result.missing.join(', ')}`);
  return Object.fromEntries([...result.skills].map(([n, s]) => [n, s.version]));
}

describe('resolver', () => {
  it('picks the newest satisfying versions, transitively, with exact dependency edges', () => {
    const available = registry({
      '@a/x': { '1.0.0': { '@a/y': '^1.0.0' }, '1.2.0': { '@a/y': '^1.1.0' }, '2.0.0': { '@a/y': '^2.0.0' } },
      '@a/y': { '1.0.0': {}, '1.1.0': {}, '1.5.0': {}, '2.0.0': {} },
    });
    const result = resolve({ requested: { '@a/x': '^1.0.0' }, available });
    expect(versions(result)).toEqual({ '@a/x': '1.2.0', '@a/y': '1.5.0' });
    if (result.ok) expect(result.skills.get('@a/x')?.dependencies).toEqual({ '@a/y': '1.5.0' });
  });

  it('reports names it still needs to load', () => {
    const available = registry({ '@a/x': { '1.0.0': { '@a/y': '^1.0.0' } } });
    expect(resolve({ requested: { '@a/x': '*' }, available })).toEqual({ ok: false, missing: ['@a/y'] });
  });

  it('backtracks to an older version when the newest conflicts', () => {
    const available = registry({
      '@a/app': { '1.0.0': { '@a/x': '*', '@a/y': '^1.0.0' } },
      '@a/x': { '1.0.0': { '@a/y': '^1.0.0' }, '2.0.0': { '@a/y': '^2.0.0' } },
      '@a/y': { '1.0.0': {}, '2.0.0': {} },
    });
    expect(versions(resolve({ requested: { '@a/app': '1.0.0' }, available }))).toEqual({ '@a/app': '1.0.0', '@a/x': '1.0.0', '@a/y': '1.0.0' });
  });

  it('explains a conflict with the path through which it arises', () => {
    const available = registry({
      '@a/x': { '2.1.0': { '@a/y': '^1.0.0' } },
      '@a/y': { '1.0.0': {}, '2.0.0': {} },
    });
    expect(() => resolve({ requested: { '@a/x': '^2.0.0', '@a/y': '^2.0.0' }, available })).toThrowError(
      expect.objectContaining({ code: 'ERESOLVE', message: expect.stringMatching(/@a\/x@2\.1\.0 needs @a\/y \^1\.0\.0|the workspace needs @a\/y \^2\.0\.0/) }),
    );
    try {
      resolve({ requested: { '@a/x': '^2.0.0', '@a/y': '^2.0.0' }, available });
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain('the workspace needs @a/y ^2.0.0');
      expect(message).toContain('@a/x@2.1.0 needs @a/y ^1.0.0');
    }
  });

  it('explains an unsatisfiable range', () => {
    const available = registry({ '@a/x': { '1.0.0': {} } });
    expect(() => resolve({ requested: { '@a/x': '^3.0.0' }, available })).toThrowError(expect.objectContaining({ code: 'ERESOLVE', message: 'the workspace needs @a/x ^3.0.0, but no version satisfies all of them' }));
  });

  it('skips yanked versions unless the lockfile pins them', () => {
    const available = registry({ '@a/x': { '1.0.0': {}, '1.1.0': { yanked: true } } });
    expect(versions(resolve({ requested: { '@a/x': '^1.0.0' }, available }))).toEqual({ '@a/x': '1.0.0' });
    expect(versions(resolve({ requested: { '@a/x': '^1.0.0' }, available, locked: { '@a/x': '1.1.0' } }))).toEqual({ '@a/x': '1.1.0' });
  });

  it('prefers locked versions, and unlocks them for update', () => {
    const available = registry({ '@a/x': { '1.0.0': {}, '1.3.0': {} } });
    expect(versions(resolve({ requested: { '@a/x': '^1.0.0' }, available, locked: { '@a/x': '1.0.0' } }))).toEqual({ '@a/x': '1.0.0' });
    expect(versions(resolve({ requested: { '@a/x': '^1.0.0' }, available, locked: { '@a/x': '1.0.0' }, unlock: 'all' }))).toEqual({ '@a/x': '1.3.0' });
  });

  it('resolves dist-tags', () => {
    const available = registry({ '@a/x': { '1.0.0': {}, '2.0.0-rc.1': {} } }, { '@a/x': { latest: '1.0.0', next: '2.0.0-rc.1' } });
    expect(versions(resolve({ requested: { '@a/x': 'next' }, available }))).toEqual({ '@a/x': '2.0.0-rc.1' });
  });

  it('allows consistent cycles and rejects inconsistent ones', () => {
    const ok = registry({ '@a/x': { '1.0.0': { '@a/y': '^1.0.0' } }, '@a/y': { '1.0.0': { '@a/x': '^1.0.0' } } });
    expect(versions(resolve({ requested: { '@a/x': '*' }, available: ok }))).toEqual({ '@a/x': '1.0.0', '@a/y': '1.0.0' });
    const bad = registry({ '@a/x': { '1.0.0': { '@a/y': '^1.0.0' } }, '@a/y': { '1.0.0': { '@a/x': '^2.0.0' } } });
    expect(() => resolve({ requested: { '@a/x': '*' }, available: bad })).toThrowError(expect.objectContaining({ code: 'ERESOLVE' }));
  });

  it('refuses two scopes with the same skill name (./skills is flat)', () => {
    const available = registry({ '@a/utils': { '1.0.0': {} }, '@b/utils': { '1.0.0': {} } });
    expect(() => resolve({ requested: { '@a/utils': '*', '@b/utils': '*' }, available })).toThrowError(expect.objectContaining({ code: 'ENAMECONFLICT' }));
  });

  it('resolves a 500-skill graph trying one version per skill (work, not wall time, is bounded)', () => {
    const spec: Record<string, Record<string, Record<string, string>>> = {};
    for (let i = 0; i < 500; i++) {
      const deps: Record<string, string> = {};
      for (const j of [i + 1, i + 7, i * 3 + 2]) if (j < 500) deps[`@g/s${j}`] = '^1.0.0';
      spec[`@g/s${i}`] = { '1.0.0': deps, '1.1.0': deps, '1.2.0': deps, '2.0.0': {} };
    }
    // A step is one version tried: with no conflict each skill takes its first candidate, so 500
    // steps suffice; a resolver that backtracked or retried would throw ERESOLVESTEPS here.
    const result = resolve({ requested: { '@g/s0': '^1.0.0' }, available: registry(spec), maxSteps: 500 });
    expect(Object.keys(versions(result)).length).toBe(500);
    expect(() => resolve({ requested: { '@g/s0': '^1.0.0' }, available: registry(spec), maxSteps: 499 })).toThrowError(expect.objectContaining({ code: 'ERESOLVESTEPS' }));
  });
});
