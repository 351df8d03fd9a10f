import { describe, expect, it } from 'vitest';
import type { PackageFile } from '../schema/package-files';
import { validatePackage } from '../schema/package';

const enc = new TextEncoder();
const skillMd = (name = 'csv-export') => `---\nname: ${name}\ndescription: Exports rows.\n---\nBody\n`;
const manifest = (overrides: Record<string, unknown> = {}) =>
  JSON.stringify({ name: '@acme/csv-export', version: '1.2.0', mcp: { sheets: ['get_sheet'] }, ...overrides });
const fixture = (overrides: Record<string, unknown> = {}) =>
  JSON.stringify({
    call: { export: 'run', args: [] },
    mcp: [{ server: 'sheets', tool: 'get_sheet', arguments: { id: 1 }, result: { content: [{ type: 'text', text: '1' }] } }],
    expect: { returns: 1 },
    ...overrides,
  });

function files(entries: Record<string, string | Uint8Array | undefined>): PackageFile[] {
  const base: Record<string, string | Uint8Array | undefined> = {
    'SKILL.md': skillMd(),
    'skill.json': manifest(),
    'index.ts': 'export const run = () => 1;',
    'fixtures/basic.json': fixture(),
    ...entries,
  };
  return Object.entries(base)
    .filter((e): e is [string, string | Uint8Array] => e[1] !== undefined)
    .map(([path, content]) => ({ path, bytes: typeof content === 'string' ? enc.encode(content) : content }));
}
const codes = (entries: Record<string, string | Uint8Array | undefined>, folderName = 'csv-export') =>
  validatePackage(files(entries), { folderName }).problems.map((p) => p.code);

describe('validatePackage', () => {
  it('accepts a valid package and returns the manifest, skill and fixtures', () => {
    const result = validatePackage(files({}), { folderName: 'csv-export' });
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.manifest).toMatchObject({ name: '@acme/csv-export', version: '1.2.0', entry: 'index.ts', dependencies: {} });
    expect(result.skill?.frontmatter.name).toBe('csv-export');
    expect([...result.fixtures.keys()]).toEqual(['basic']);
  });

  it.each([
    ['a non-semver version', { 'skill.json': manifest({ version: '1.2' }) }, 'EVERSIONINVALID'],
    ['a v-prefixed version', { 'skill.json': manifest({ version: 'v1.2.0' }) }, 'EVERSIONINVALID'],
    ['a range that is not a range', { 'skill.json': manifest({ dependencies: { '@acme/common': 'not a range' } }) }, 'ERANGEINVALID'],
    ['an unscoped name', { 'skill.json': manifest({ name: 'csv-export' }) }, 'ENAMEUNSCOPED'],
    ['a malformed scoped name', { 'skill.json': manifest({ name: '@Acme/csv-export' }) }, 'EMANIFESTNAME'],
    ['a name that disagrees with SKILL.md', { 'skill.json': manifest({ name: '@acme/other' }) }, 'ENAMEMISMATCH'],
    ['a dependency that is not a skill name', { 'skill.json': manifest({ dependencies: { lodash: '^1' } }) }, 'EDEPENDENCIES'],
    ['an mcp declaration that is not a map of lists', { 'skill.json': manifest({ mcp: { sheets: 'get_sheet' } }) }, 'EMCPDECLARATION'],
    ['an entry outside the folder', { 'skill.json': manifest({ entry: '../index.ts' }) }, 'EENTRYINVALID'],
    ['an entry that does not exist', { 'skill.json': manifest({ entry: 'main.ts' }) }, 'EENTRYMISSING'],
    ['skill.json that is not JSON', { 'skill.json': '{ name: ' }, 'EMANIFESTJSON'],
    ['skill.json that is an array', { 'skill.json': '[]' }, 'EMANIFESTJSON'],
    ['no SKILL.md', { 'SKILL.md': undefined }, 'ESKILLMDMISSING'],
    ['a SKILL.md of binary garbage', { 'SKILL.md': new Uint8Array([0xff, 0xfe, 0x00, 0xc3, 0x28, 0x80]) }, 'EENCODING'],
    ['a SKILL.md holding a NUL character', { 'SKILL.md': `${skillMd()}a\u0000b\n` }, 'EENCODING'],
    ['a description with a YAML-escaped NUL', { 'SKILL.md': '---\nname: csv-export\ndescription: "Exports\\0rows."\n---\nBody\n' }, 'EENCODING'],
    ['a description with a YAML-escaped unpaired surrogate', { 'SKILL.md': '---\nname: csv-export\ndescription: "Exports \\ud800 rows."\n---\nBody\n' }, 'EENCODING'],
    ['a fixture that is not JSON', { 'fixtures/bad.json': '{' }, 'EFIXTUREJSON'],
    ['a fixture without expect', { 'fixtures/bad.json': fixture({ expect: undefined }) }, 'EFIXTURE'],
    ['a fixture expecting both returns and throws', { 'fixtures/bad.json': fixture({ expect: { returns: 1, throws: 'x' } }) }, 'EFIXTURE'],
    [
      'a fixture recording an undeclared tool',
      { 'fixtures/bad.json': fixture({ mcp: [{ server: 'sheets', tool: 'delete_sheet', arguments: {}, result: { content: [] } }] }) },
      'EFIXTUREUNDECLARED',
    ],
  ])('rejects %s', (_label, entries, code) => {
    expect(codes(entries)).toEqual([code]);
  });

  it('packs binary garbage outside SKILL.md as an ordinary asset', () => {
    const garbage = new Uint8Array(4096).map((_, i) => (i * 7919) % 256);
    expect(codes({ 'assets/blob.bin': garbage })).toEqual([]);
  });

  it('warns (not fails) on unknown skill.json keys', () => {
    const result = validatePackage(files({ 'skill.json': manifest({ homepage: 'x' }) }), { folderName: 'csv-export' });
    expect(result.ok).toBe(true);
    expect(result.problems.map((p) => [p.severity, p.code, p.path])).toEqual([['warning', 'WMANIFESTKEY', 'skill.json#homepage']]);
  });

  it('warns about missing fixtures when drafting and fails when publishing', () => {
    const draft = validatePackage(files({ 'fixtures/basic.json': undefined }), { folderName: 'csv-export' });
    expect(draft.ok).toBe(true);
    expect(draft.problems.map((p) => p.code)).toEqual(['WNOFIXTURES']);
    const publish = validatePackage(files({ 'fixtures/basic.json': undefined }), { requireFixtures: true });
    expect(publish.ok).toBe(false);
    expect(publish.problems.map((p) => p.code)).toEqual(['ENOFIXTURES']);
  });

  it('reports problems of SKILL.md and skill.json together', () => {
    expect(codes({ 'SKILL.md': skillMd('Bad'), 'skill.json': manifest({ version: 'x' }) }, 'csv-export').sort()).toEqual(
      ['ENAMECASE', 'ENAMEFOLDER', 'EVERSIONINVALID'].sort(),
    );
  });

  describe('refuses paths no install can write (at pack, validate and publish)', () => {
    it.each([
      ['a 300-byte file name', `assets/${'a'.repeat(300)}.txt`, 'EPATHTOOLONG'],
      ['a 256-byte folder name', `${'b'.repeat(256)}/x.txt`, 'EPATHTOOLONG'],
      ['a name of 128 two-byte characters (256 bytes, 128 characters)', `assets/${'\u00e9'.repeat(128)}`, 'EPATHTOOLONG'],
      ['a name that fits composed but not decomposed (HFS+ stores NFD)', `assets/${'\u00e9'.repeat(100)}`, 'EPATHTOOLONG'],
      ['a path over 512 bytes of short names', `${'abcdefgh/'.repeat(57)}x.txt`, 'EPATHTOOLONG'],
      ['a name ending in a dot', 'assets/notes.', 'EPATHNAME'],
      ['a folder ending in a space', 'assets /x.txt', 'EPATHNAME'],
      ['a NUL byte', 'assets/a\u0000b', 'EPATHNAME'],
      ['a control character', 'assets/a\u001bb', 'EPATHNAME'],
      ['an empty segment', 'assets//x', 'EPATHNAME'],
      ['a .. segment', 'assets/../x', 'EPATHNAME'],
    ])('%s', (_label, path, code) => {
      expect(codes({ [path]: 'x' })).toEqual([code]);
    });

    it('accepts names up to 255 bytes and paths up to 512 bytes', () => {
      expect(codes({ [`assets/${'a'.repeat(255)}`]: 'x' })).toEqual([]);
      expect(codes({ [`${'a'.repeat(255)}/${'b'.repeat(255)}`]: 'x' })).toEqual([]);
      expect(codes({ [`assets/${'\u00e9'.repeat(63)}.md`]: 'x' })).toEqual([]);
      expect(codes({ 'assets/.hidden': 'x', 'assets/a.b.c': 'x', 'assets/with space.txt': 'x' })).toEqual([]);
    });
  });
});

describe('plain skills (SKILL.md and files, no skill.json)', () => {
  const plain = (entries: Record<string, string | Uint8Array | undefined>) => files({ 'skill.json': undefined, 'index.ts': undefined, 'fixtures/basic.json': undefined, ...entries });
  const versioned = `---\nname: csv-export\ndescription: Exports rows.\nmetadata:\n  version: "2.0.1"\n---\nBody\n`;

  it('derives @scope/<SKILL.md name> and the version from metadata.version, with no fixtures needed', () => {
    const result = validatePackage(plain({ 'SKILL.md': versioned, 'scripts/run.py': 'print(1)\n' }), { derive: { scope: '@acme' }, requireFixtures: true });
    expect(result.problems).toEqual([]);
    expect(result.kind).toBe('plain');
    expect(result.manifest).toMatchObject({ name: '@acme/csv-export', version: '2.0.1', dependencies: {}, mcp: {}, description: 'Exports rows.' });
    expect(result.fixtures.size).toBe(0);
  });

  it('takes a given version over metadata.version', () => {
    expect(validatePackage(plain({ 'SKILL.md': versioned }), { derive: { scope: '@acme', version: '3.0.0' } }).manifest?.version).toBe('3.0.0');
  });

  it('treats fixtures/*.json in a plain skill as ordinary files', () => {
    expect(validatePackage(plain({ 'SKILL.md': versioned, 'fixtures/data.json': '{ not a fixture' }), { derive: { scope: '@acme' } }).ok).toBe(true);
  });

  it.each([
    ['no scope', {}, ['ESCOPEMISSING', 'EVERSIONMISSING']],
    ['no version', { scope: '@acme' }, ['EVERSIONMISSING']],
    ['a bad scope', { scope: 'acme', version: '1.0.0' }, ['EMANIFESTNAME']],
    ['a version that is not semver', { scope: '@acme', version: '1.0' }, ['EVERSIONINVALID']],
  ])('refuses %s', (_label, derive, expected) => {
    expect(validatePackage(plain({}), { derive }).problems.map((p) => p.code)).toEqual(expected);
  });

  it('keeps the code-skill rules when skill.json exists (derive is ignored)', () => {
    const result = validatePackage(files({}), { derive: { scope: '@other', version: '9.9.9' } });
    expect(result.kind).toBe('code');
    expect(result.manifest).toMatchObject({ name: '@acme/csv-export', version: '1.2.0' });
  });
});
