/**
 * The install's decide phase (cli/core/install/decide.ts) without disk or network: trust from the
 * files and the verification, the trust policy (--allow-unverified for the skills named on the
 * command line only; skills.json cannot lower trust without the user's own trust store), the audit
 * threshold and verdict, and the lockfile and skills.json the install writes when it adds, updates
 * and removes skills. Plans come from the pure planner, as in an install.
 */
import { describe, expect, it } from 'vitest';
import { auditThreshold, auditVerdict, decideTrust, installedSkills, needsAllowances, nextFiles, nextWorkspaceText, planWarnings, trustOf, type AuditPolicy, type TrustChoice } from '../cli/core/install/decide';
import type { Fetched } from '../cli/core/install/fetch';
import { planInstall, type AddedSpec, type InstallPlan, type PlanInput } from '../cli/core/install/plan';
import type { VerificationOutcome } from '../cli/core/trust/levels';
import { AUDITOR_VERSION, type AuditReport, type Finding, type Severity } from '../schema/audit-report';
import type { PackageFile } from '../schema/package-files';
import type { InstallPackumentView } from '../schema/registry';
import type { LockEntry, Workspace } from '../schema/workspace';

const D = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
const I = (n: number) => `sha512-${Buffer.alloc(64, n).toString('base64')}`;
const text = (path: string, body = 'x'): PackageFile => ({ path, bytes: new TextEncoder().encode(body) });

/** Files of a plain skill (instructions only), one with a shell script (unverified), and a code skill. */
const PLAIN = [text('SKILL.md', '---\nname: x\n---\n')];
const SCRIPT = [...PLAIN, text('scripts/run.sh', '#!/bin/sh\necho hi\n')];
const CODE = [...PLAIN, text('skill.json', '{}'), text('index.ts', 'export {}')];

function packument(name: string, versions: string[]): InstallPackumentView {
  return {
    name,
    distTags: { latest: versions.at(-1) ?? '1.0.0' },
    versions: Object.fromEntries(versions.map((version, i) => [version, { version, dependencies: {}, mcp: {}, yanked: false, deprecated: null, dist: { tarball: `http://r/${name}/${version}.tgz`, integrity: I(i + 1), digest: D(i + 1), fileCount: 1, unpackedSize: 1, size: 1 } }])),
  };
}

function plan(extra: Partial<PlanInput>): InstallPlan {
  const outcome = planInstall({ workspace: { dependencies: {}, servers: {} }, lock: { lockfileVersion: 1, skills: {} }, add: [], remove: [], frozen: false, update: undefined, packuments: new Map(), offers: new Map(), disk: new Map(), ...extra });
  if (outcome.status !== 'ok') throw new Error(`the plan asked for ${JSON.stringify(outcome)}`);
  return outcome.plan;
}

const add = (...names: string[]): AddedSpec[] => names.map((name) => ({ type: 'registry', name, range: undefined }));
const packuments = (...docs: InstallPackumentView[]) => new Map(docs.map((d) => [d.name, d]));

/** What fetching found: every fetched skill with these files and this verification. */
function fetched(p: InstallPlan, files: Record<string, PackageFile[]>, outcomes: Record<string, VerificationOutcome> = {}, keptFiles: Record<string, PackageFile[]> = {}): Fetched {
  const kind = (list: PackageFile[]) => ({ kind: list.some((f) => f.path === 'skill.json') ? ('code' as const) : ('plain' as const), fixtures: 0 });
  return {
    files: new Map(p.fetch.map((n) => [n, files[n] ?? PLAIN])),
    kinds: new Map(p.fetch.map((n) => [n, kind(files[n] ?? PLAIN)])),
    mcp: new Map(),
    outcomes: new Map(p.fetch.map((n) => [n, outcomes[n] ?? (kind(files[n] ?? PLAIN).kind === 'code' ? 'sandbox' : 'not-code')])),
    keptFiles: new Map(Object.entries(keptFiles)),
  };
}

const choice = (extra: Partial<TrustChoice> = {}): TrustChoice => ({ add: [], allowUnverified: false, trustWorkspace: false, update: undefined, accepted: () => false, ...extra });

/** Plans and decides trust the way installLocked does. */
function trustFor(p: InstallPlan, f: Fetched, c: TrustChoice) {
  const trusts = trustOf(p.targets, f);
  return { trusts, decision: decideTrust(p, trusts, f.outcomes, c) };
}

describe('trust and its policy', () => {
  const two = plan({ add: add('@a/x', '@a/y'), packuments: packuments(packument('@a/x', ['1.0.0']), packument('@a/y', ['1.0.0'])) });

  it('computes each new skill\'s trust from its files and verification', () => {
    const trusts = trustOf(two.targets, fetched(two, { '@a/x': CODE, '@a/y': SCRIPT }));
    expect(trusts.get('@a/x')?.level).toBe('verified');
    expect(trusts.get('@a/y')).toMatchObject({ level: 'unverified', because: [expect.objectContaining({ path: 'scripts/run.sh' })] });
    const plainOnly = trustOf(two.targets, fetched(two, {}));
    expect(plainOnly.get('@a/x')?.level).toBe('instructions');
  });

  it('accepts verified and instruction-only skills with nothing to record', () => {
    expect(trustFor(two, fetched(two, { '@a/x': CODE }), choice()).decision).toEqual({ accept: [], record: [] });
  });

  it('refuses an unverified skill nobody accepted (EUNVERIFIED naming its files)', () => {
    expect(() => trustFor(two, fetched(two, { '@a/y': SCRIPT }), choice({ add: add('@a/x', '@a/y') }))).toThrow(
      expect.objectContaining({ code: 'EUNVERIFIED', message: expect.stringContaining('scripts/run.sh'), hint: expect.stringContaining('--allow-unverified') }),
    );
  });

  it('--allow-unverified accepts the skills named on the command line, records them in skills.json and the trust store', () => {
    const { decision } = trustFor(two, fetched(two, { '@a/y': SCRIPT }), choice({ add: add('@a/x', '@a/y'), allowUnverified: true }));
    expect(decision).toEqual({ accept: [{ digest: D(1), name: '@a/y', about: 'unverified' }], record: ['@a/y'] });
  });

  it('--allow-unverified does not reach an unverified skill the command did not name (a dependency, or one skills.json already had)', () => {
    const p = plan({ workspace: { dependencies: { '@a/y': '^1.0.0' }, servers: {} }, add: add('@a/x'), packuments: packuments(packument('@a/x', ['1.0.0']), packument('@a/y', ['1.0.0'])) });
    expect(() => trustFor(p, fetched(p, { '@a/x': SCRIPT, '@a/y': SCRIPT }), choice({ add: add('@a/x'), allowUnverified: true }))).toThrow(
      expect.objectContaining({ code: 'EUNVERIFIED', details: { unverified: [expect.objectContaining({ name: '@a/y', requestedByWorkspace: false })] } }),
    );
  });

  it('update --allow-unverified names the skills it updates; with no names, those skills.json already allows', () => {
    const ws: Workspace = { dependencies: { '@a/x': '^1.0.0', '@a/y': '^1.0.0' }, servers: {}, trust: { allowUnverified: ['@a/x'] } };
    const p = plan({ workspace: ws, update: { names: 'all', latest: false }, packuments: packuments(packument('@a/x', ['1.0.0']), packument('@a/y', ['1.0.0'])) });
    const f = fetched(p, { '@a/x': SCRIPT });
    expect(trustFor(p, f, choice({ allowUnverified: true, update: { names: 'all' } })).decision.record).toEqual(['@a/x']);
    expect(trustFor(p, f, choice({ allowUnverified: true, update: { names: ['@a/x'] } })).decision.record).toEqual(['@a/x']);
    expect(() => trustFor(p, fetched(p, { '@a/y': SCRIPT }), choice({ allowUnverified: true, update: { names: ['@a/x'] } }))).toThrow(expect.objectContaining({ code: 'EUNVERIFIED' }));
  });

  it('skills.json asking for an unverified skill is a request: refused until the user accepts this content (their store, or --trust-workspace)', () => {
    const ws: Workspace = { dependencies: { '@a/y': '^1.0.0' }, servers: {}, trust: { allowUnverified: ['@a/y'] } };
    const p = plan({ workspace: ws, packuments: packuments(packument('@a/y', ['1.0.0'])) });
    const f = fetched(p, { '@a/y': SCRIPT });
    expect(() => trustFor(p, f, choice())).toThrow(expect.objectContaining({ code: 'EUNVERIFIED', hint: expect.stringContaining('--trust-workspace') }));
    // Accepted before, for this exact content: nothing more to record.
    expect(trustFor(p, f, choice({ accepted: (digest, about) => digest === D(1) && about === 'unverified' })).decision).toEqual({ accept: [], record: [] });
    // Accepted for other content, or about the audit only: still refused.
    expect(() => trustFor(p, f, choice({ accepted: (digest) => digest === D(2) }))).toThrow(expect.objectContaining({ code: 'EUNVERIFIED' }));
    expect(() => trustFor(p, f, choice({ accepted: (_, about) => about === 'audit' }))).toThrow(expect.objectContaining({ code: 'EUNVERIFIED' }));
    // --trust-workspace accepts it now (recorded in the store, not added to skills.json again).
    expect(trustFor(p, f, choice({ trustWorkspace: true })).decision).toEqual({ accept: [{ digest: D(1), name: '@a/y', about: 'unverified' }], record: [] });
    // --trust-workspace does not reach what skills.json does not ask for.
    const q = plan({ workspace: { ...ws, trust: { allowUnverified: [] } }, packuments: packuments(packument('@a/y', ['1.0.0'])) });
    expect(() => trustFor(q, fetched(q, { '@a/y': SCRIPT }), choice({ trustWorkspace: true }))).toThrow(expect.objectContaining({ code: 'EUNVERIFIED' }));
  });

  it('a code skill unverified only because --skip-verify kept the sandbox from running passes; other executables in it do not', () => {
    const p = plan({ add: add('@a/x'), packuments: packuments(packument('@a/x', ['1.0.0'])) });
    expect(trustFor(p, fetched(p, { '@a/x': CODE }, { '@a/x': 'skipped' }), choice({ add: add('@a/x') })).decision).toEqual({ accept: [], record: [] });
    expect(() => trustFor(p, fetched(p, { '@a/x': [...CODE, text('run.py', 'print(1)')] }, { '@a/x': 'skipped' }), choice({ add: add('@a/x') }))).toThrow(expect.objectContaining({ code: 'EUNVERIFIED' }));
  });

  it('kept skills: the lockfile\'s level when it has one; judged again from their installed files when it says unverified or nothing', () => {
    const entry = (n: number, extra: Partial<LockEntry>): LockEntry => ({ version: '1.0.0', resolved: `http://r/${n}.tgz`, integrity: I(1), digest: D(n), dependencies: {}, ...extra });
    const ws: Workspace = { dependencies: { '@a/v': '^1.0.0', '@a/u': '^1.0.0', '@a/old': '^1.0.0' }, servers: {} };
    const lock = { lockfileVersion: 1 as const, skills: { '@a/v': entry(1, { trust: 'verified' }), '@a/u': entry(2, { trust: 'unverified' }), '@a/old': entry(3, {}) } };
    const p = plan({ workspace: ws, lock, disk: new Map([['v', { digest: D(1) }], ['u', { digest: D(2) }], ['old', { digest: D(3) }]]) });
    expect(p.fetch).toEqual([]);
    const trusts = trustOf(p.targets, fetched(p, {}, {}, { '@a/u': SCRIPT, '@a/old': PLAIN }));
    expect(trusts.get('@a/v')?.level).toBe('verified');
    expect(trusts.get('@a/u')).toMatchObject({ level: 'unverified', because: [expect.objectContaining({ path: 'scripts/run.sh' })] });
    expect(trusts.get('@a/old')?.level).toBe('instructions');
    // The kept unverified skill is refused unless the workspace asks for it and the user accepted it.
    expect(() => decideTrust(p, trusts, new Map(), choice())).toThrow(expect.objectContaining({ code: 'EUNVERIFIED' }));
  });
});

describe('the audit policy', () => {
  const finding = (severity: Severity, extra: Partial<Finding> = {}): Finding => ({ rule: 'remote-exec', severity, file: 'SKILL.md', line: 3, message: 'pipes a download into a shell', excerpt: 'curl | sh', ...extra });
  const report = (...findings: Finding[]): AuditReport => {
    const counts = { high: 0, medium: 0, low: 0, info: 0 };
    for (const f of findings) counts[f.severity] += 1;
    return { auditor: AUDITOR_VERSION, files: 1, bytes: 1, counts, findings, truncated: 0, inventory: { languages: {}, executables: [], endpoints: [] } };
  };
  const policy = (requested: AuditPolicy['requested'], extra: Partial<AuditPolicy> = {}): AuditPolicy => ({ requested, trustWorkspace: false, accepted: () => false, ...extra });
  const skill = { name: '@a/x', version: '1.0.0', digest: D(7) };

  it('the threshold: the workspace may tighten it alone; "none" holds only for content the user accepted, before or now', () => {
    expect(auditThreshold(policy('high'), D(7))).toEqual({ failOn: 'high', acceptNow: false });
    expect(auditThreshold(policy('low'), D(7))).toEqual({ failOn: 'low', acceptNow: false });
    expect(auditThreshold(policy('none'), D(7))).toEqual({ failOn: 'high', acceptNow: false });
    expect(auditThreshold(policy('none', { accepted: (d) => d === D(7) }), D(7))).toEqual({ failOn: 'none', acceptNow: false });
    expect(auditThreshold(policy('none', { trustWorkspace: true }), D(7))).toEqual({ failOn: 'none', acceptNow: true });
  });

  it('a high finding refuses the install by default (EAUDIT); medium findings and up are warnings either way', () => {
    const verdict = auditVerdict(skill, report(finding('high'), finding('medium', { rule: 'hidden-text' }), finding('low', { rule: 'long-line' })), policy('high'));
    expect(verdict.error).toMatchObject({ code: 'EAUDIT', message: expect.stringContaining('@a/x@1.0.0 has 1 audit finding at or above high') });
    expect(verdict.warnings).toEqual([expect.stringMatching(/^audit @a\/x@1\.0\.0: high remote-exec/), expect.stringMatching(/^audit @a\/x@1\.0\.0: medium hidden-text/)]);
    expect(auditVerdict(skill, report(finding('medium')), policy('high')).error).toBeUndefined();
    expect(auditVerdict(skill, report(finding('medium')), policy('medium')).error).toMatchObject({ code: 'EAUDIT' });
  });

  it('a finding the scope owner allowed does not refuse; the registry is asked for allowances only when something reaches the threshold', () => {
    const allowed = report(finding('high', { allowed: true }));
    expect(auditVerdict(skill, allowed, policy('high'))).toMatchObject({ error: undefined, warnings: [expect.stringContaining('(allowed by the scope owner)')], summary: { allowed: 1 } });
    expect(needsAllowances(report(finding('high')), 'high')).toBe(true);
    expect(needsAllowances(report(finding('medium')), 'high')).toBe(false);
    expect(needsAllowances(allowed, 'high')).toBe(false);
  });

  it('skills.json "failOn": "none" is a request: refused with a --trust-workspace hint, accepted (and recorded) with it, or when accepted before', () => {
    const r = report(finding('high'));
    expect(auditVerdict(skill, r, policy('none')).error).toMatchObject({ code: 'EAUDIT', hint: expect.stringContaining('--trust-workspace') });
    expect(auditVerdict(skill, r, policy('none', { trustWorkspace: true }))).toMatchObject({ error: undefined, accept: { digest: D(7), name: '@a/x', about: 'audit' } });
    expect(auditVerdict(skill, r, policy('none', { accepted: () => true }))).toMatchObject({ error: undefined, accept: undefined });
    // Nothing the default would refuse: nothing to accept.
    expect(auditVerdict(skill, report(finding('medium')), policy('none', { trustWorkspace: true })).accept).toBeUndefined();
  });
});

describe('the lockfile and skills.json', () => {
  const x = packument('@a/x', ['1.0.0', '1.1.0', '2.0.0']);
  const onDisk = '// my skills\n{\n  "dependencies": {\n    "@a/x": "^1.0.0" // pinned to 1.x\n  }\n}\n';

  it('add: a lock entry with trust and integrity, ^version in skills.json, written whole when there was none', () => {
    const p = plan({ add: add('@a/x'), packuments: packuments(x) });
    const f = fetched(p, { '@a/x': CODE });
    const trusts = trustOf(p.targets, f);
    const next = nextFiles(p, undefined, trusts, f.outcomes, []);
    expect(next.lock.skills['@a/x']).toEqual({ version: '2.0.0', resolved: 'http://r/@a/x/2.0.0.tgz', integrity: I(3), digest: D(3), dependencies: {}, trust: 'verified' });
    expect(next.workspace.dependencies).toEqual({ '@a/x': '^2.0.0' });
    expect(JSON.parse(next.lockText)).toEqual(next.lock);
    const written = nextWorkspaceText(undefined, next, 'skills.json');
    expect(written).toEqual({ text: '{\n  "dependencies": {\n    "@a/x": "^2.0.0"\n  }\n}\n', created: true, changed: false });
    expect(installedSkills(p.targets, f.outcomes, trusts, new Map())).toEqual([{ name: '@a/x', version: '2.0.0', folder: 'skills/x', verified: 'sandbox', trust: 'verified', source: 'registry' }]);
  });

  it('add with --allow-unverified: the name joins "trust.allowUnverified", edited into the text the user keeps', () => {
    const before: Workspace = { dependencies: { '@a/x': '^1.0.0' }, servers: {} };
    const y = packument('@a/y', ['1.0.0']);
    const p = plan({ workspace: before, lock: { lockfileVersion: 1, skills: {} }, add: add('@a/y'), packuments: packuments(x, y) });
    const f = fetched(p, { '@a/y': SCRIPT });
    const trusts = trustOf(p.targets, f);
    const { record } = decideTrust(p, trusts, f.outcomes, choice({ add: add('@a/y'), allowUnverified: true }));
    const next = nextFiles(p, before, trusts, f.outcomes, record);
    expect(next.lock.skills['@a/y']?.trust).toBe('unverified');
    expect(next.workspace.trust).toEqual({ allowUnverified: ['@a/y'] });
    const written = nextWorkspaceText(onDisk, next, 'skills.json');
    expect(written.changed).toBe(true);
    expect(written.text).toContain('// my skills');
    expect(written.text).toContain('// pinned to 1.x');
    expect(JSON.parse(written.text.replace(/\/\/.*$/gm, ''))).toEqual({ dependencies: { '@a/x': '^1.0.0', '@a/y': '^1.0.0' }, trust: { allowUnverified: ['@a/y'] } });
  });

  it('update: the new version in the lockfile; --latest rewrites the range, a plain update keeps it', () => {
    const before: Workspace = { dependencies: { '@a/x': '^1.0.0' }, servers: {} };
    const lock = { lockfileVersion: 1 as const, skills: { '@a/x': { version: '1.0.0', resolved: 'http://r/@a/x/1.0.0.tgz', integrity: I(1), digest: D(1), dependencies: {}, trust: 'instructions' as const } } };
    const disk = new Map([['x', { digest: D(1) }]]);
    const within = plan({ workspace: before, lock, disk, update: { names: ['@a/x'], latest: false }, packuments: packuments(x) });
    const f1 = fetched(within, {});
    const n1 = nextFiles(within, before, trustOf(within.targets, f1), f1.outcomes, []);
    expect(n1.lock.skills['@a/x']).toMatchObject({ version: '1.1.0', digest: D(2), trust: 'instructions' });
    expect(n1.edits).toEqual([]);
    expect(nextWorkspaceText(onDisk, n1, 'skills.json')).toEqual({ text: onDisk, created: false, changed: false });
    const latest = plan({ workspace: before, lock, disk, update: { names: ['@a/x'], latest: true }, packuments: packuments(x) });
    const f2 = fetched(latest, {});
    const n2 = nextFiles(latest, before, trustOf(latest.targets, f2), f2.outcomes, []);
    expect(n2.lock.skills['@a/x']?.version).toBe('2.0.0');
    expect(nextWorkspaceText(onDisk, n2, 'skills.json').text).toBe(onDisk.replace('"^1.0.0"', '"^2.0.0"'));
  });

  it('remove: the entry leaves the lockfile, the name leaves "dependencies", "alias" and "trust.allowUnverified"', () => {
    const before: Workspace = { dependencies: { '@a/x': '^1.0.0', '@a/y': '^1.0.0' }, servers: {}, trust: { allowUnverified: ['@a/y'] } };
    const entry = (n: number): LockEntry => ({ version: '1.0.0', resolved: `http://r/${n}.tgz`, integrity: I(n), digest: D(n), dependencies: {}, trust: 'instructions' });
    const lock = { lockfileVersion: 1 as const, skills: { '@a/x': entry(1), '@a/y': { ...entry(2), trust: 'unverified' as const } } };
    const p = plan({ workspace: before, lock, remove: ['@a/y'], disk: new Map([['x', { digest: D(1) }], ['y', { digest: D(2) }]]) });
    expect(p.removeFolders).toEqual(['y']);
    const f = fetched(p, {});
    const next = nextFiles(p, before, trustOf(p.targets, f), f.outcomes, []);
    expect(Object.keys(next.lock.skills)).toEqual(['@a/x']);
    expect(next.lock.skills['@a/x']).toEqual(entry(1));
    const written = nextWorkspaceText('{\n  "dependencies": { "@a/x": "^1.0.0", "@a/y": "^1.0.0" },\n  "trust": { "allowUnverified": ["@a/y"] }\n}\n', next, 'skills.json');
    expect(JSON.parse(written.text)).toEqual({ dependencies: { '@a/x': '^1.0.0' }, trust: { allowUnverified: [] } });
  });

  it('--skip-verify is recorded in the lock entry; a skills.json that no longer reads at commit time stops the install', () => {
    const p = plan({ add: add('@a/x'), packuments: packuments(x) });
    const f = fetched(p, { '@a/x': CODE }, { '@a/x': 'skipped' });
    const next = nextFiles(p, undefined, trustOf(p.targets, f), f.outcomes, []);
    expect(next.lock.skills['@a/x']).toMatchObject({ skipVerify: true, trust: 'unverified' });
    expect(() => nextWorkspaceText('{ "dependencies": ', next, 'skills.json')).toThrow(expect.objectContaining({ code: 'EWORKSPACE' }));
  });

  it('warns about deprecated versions and MCP servers skills.json does not configure (from the fetched skill.json)', () => {
    const dep = packument('@a/x', ['1.0.0']);
    const v = dep.versions['1.0.0'];
    if (v) v.deprecated = 'use @a/z';
    const p = plan({ workspace: { dependencies: {}, servers: { files: { command: 'x', args: [], env: {} } } }, add: add('@a/x'), packuments: packuments(dep) });
    expect(planWarnings(p, new Map([['@a/x', { files: ['read'], memory: ['get'] }]]))).toEqual([
      '@a/x@1.0.0 is deprecated: use @a/z',
      '@a/x uses the MCP server "memory", which skills.json does not configure under "servers"',
    ]);
  });
});
