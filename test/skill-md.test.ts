import { describe, expect, it } from 'vitest';
import { parseSkillMd } from '../schema/skill-md';

const md = (frontmatter: string, body = '# Body\n') => `---\n${frontmatter}\n---\n${body}`;
const codes = (raw: string, folderName?: string) =>
  parseSkillMd(raw, folderName === undefined ? {} : { folderName }).problems.map((p) => p.code);

describe('SKILL.md frontmatter', () => {
  it('accepts a valid file and returns frontmatter and body', () => {
    const parsed = parseSkillMd(md('name: csv-export\ndescription: Exports rows.\nlicense: MIT\nmetadata:\n  author: ada', 'Body text\n'), {
      folderName: 'csv-export',
    });
    expect(parsed.problems).toEqual([]);
    expect(parsed.frontmatter).toEqual({ name: 'csv-export', description: 'Exports rows.', license: 'MIT', metadata: { author: 'ada' } });
    expect(parsed.body).toBe('Body text\n');
  });

  it('accepts CRLF line endings and a byte-order mark', () => {
    const parsed = parseSkillMd('\uFEFF---\r\nname: a\r\ndescription: d\r\n---\r\nbody\r\n');
    expect(parsed.problems).toEqual([]);
    expect(parsed.frontmatter?.name).toBe('a');
  });

  it.each([
    ['no frontmatter', '# Just markdown\n', 'EFRONTMATTERMISSING'],
    ['unterminated frontmatter', '---\nname: a\ndescription: d\n', 'EFRONTMATTERUNTERMINATED'],
    ['invalid YAML', '---\nname: [unclosed\n---\n', 'EFRONTMATTERYAML'],
    ['YAML that is a list', '---\n- a\n- b\n---\n', 'EFRONTMATTERNOTMAP'],
    ['YAML that is a scalar', '---\njust text\n---\n', 'EFRONTMATTERNOTMAP'],
    ['duplicate keys', '---\nname: a\nname: b\ndescription: d\n---\n', 'EFRONTMATTERYAML'],
    ['an unresolved YAML alias (found by fuzzing)', '---\nname: *!\ndescription: \n---\nbody', 'EFRONTMATTERYAML'],
  ])('rejects %s', (_label, raw, code) => {
    expect(codes(raw)).toEqual([code]);
  });

  it('rejects unknown keys, one problem per key, with its path', () => {
    const parsed = parseSkillMd(md('name: a\ndescription: d\nversion: 1.0.0\ntags: [x]'));
    expect(parsed.problems.map((p) => [p.code, p.path])).toEqual([
      ['EFRONTMATTERKEY', 'SKILL.md#version'],
      ['EFRONTMATTERKEY', 'SKILL.md#tags'],
    ]);
    expect(parsed.frontmatter).toBeUndefined();
  });

  it.each([
    ['upper case', 'Csv-Export', 'ENAMECASE'],
    ['a leading hyphen', '-csv', 'ENAMEHYPHEN'],
    ['a trailing hyphen', 'csv-', 'ENAMEHYPHEN'],
    ['a double hyphen', 'csv--export', 'ENAMEHYPHEN'],
    ['65 characters', 'a'.repeat(65), 'ENAMELENGTH'],
    ['an underscore', 'csv_export', 'ENAMECHARS'],
    ['a number instead of a string', '42', 'ENAMECHARS'],
  ])('rejects a name with %s', (_label, name, code) => {
    expect(codes(md(`name: ${name}\ndescription: d`))).toEqual([code]);
  });

  it('accepts a name of exactly 64 characters', () => {
    expect(codes(md(`name: ${'a'.repeat(64)}\ndescription: d`))).toEqual([]);
  });

  it('rejects a name that does not match the folder', () => {
    expect(codes(md('name: csv-export\ndescription: d'), 'other')).toEqual(['ENAMEFOLDER']);
  });

  it('rejects a missing name', () => {
    expect(codes(md('description: d'))).toEqual(['ENAMEMISSING']);
  });

  it.each([
    ['with <script>', '"Runs <script>alert(1)</script>"', 'EDESCRIPTIONANGLE'],
    ['of 1025 characters', 'd'.repeat(1025), 'EDESCRIPTIONLENGTH'],
    ['that is empty', '""', 'EDESCRIPTIONMISSING'],
    ['that is blank', '"   "', 'EDESCRIPTIONMISSING'],
    ['that is a list', '[a, b]', 'EDESCRIPTIONTYPE'],
  ])('rejects a description %s', (_label, description, code) => {
    expect(codes(md(`name: a\ndescription: ${description}`))).toEqual([code]);
  });

  it('accepts a description of exactly 1024 characters', () => {
    expect(codes(md(`name: a\ndescription: ${'d'.repeat(1024)}`))).toEqual([]);
  });

  it('rejects a missing description', () => {
    expect(codes(md('name: a'))).toEqual(['EDESCRIPTIONMISSING']);
  });

  it('limits compatibility to 500 characters and metadata to a string map', () => {
    expect(codes(md(`name: a\ndescription: d\ncompatibility: ${'c'.repeat(501)}`))).toEqual(['ECOMPATIBILITY']);
    expect(codes(md(`name: a\ndescription: d\ncompatibility: ${'c'.repeat(500)}`))).toEqual([]);
    expect(codes(md('name: a\ndescription: d\nmetadata:\n  n: 1'))).toEqual(['EMETADATA']);
    expect(codes(md('name: a\ndescription: d\nmetadata: [a]'))).toEqual(['EMETADATA']);
  });

  it('returns every problem at once', () => {
    const problems = codes(md(`name: Bad--Name\ndescription: "<b>${'x'.repeat(1030)}"\nextra: 1`), 'folder');
    expect(problems.sort()).toEqual(
      ['EFRONTMATTERKEY', 'ENAMECASE', 'ENAMEHYPHEN', 'ENAMEFOLDER', 'EDESCRIPTIONLENGTH', 'EDESCRIPTIONANGLE'].sort(),
    );
  });

  it('warns when the body is over 5,000 tokens or 500 lines, without failing', () => {
    const long = parseSkillMd(md('name: a\ndescription: d', 'x'.repeat(20_004)));
    expect(long.problems.map((p) => [p.severity, p.code])).toEqual([['warning', 'WBODYTOKENS']]);
    expect(long.frontmatter).toBeDefined();
    const tall = parseSkillMd(md('name: a\ndescription: d', 'line\n'.repeat(501)));
    expect(tall.problems.map((p) => p.code)).toEqual(['WBODYLINES']);
  });
});
