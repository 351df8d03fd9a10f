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

  it('keeps unknown keys and reports them once, as a warning naming each and the first one\'s line', () => {
    const parsed = parseSkillMd(md('name: a\ndescription: d\nversion: 1.0.0\ntags: [x]'));
    expect(parsed.problems.map((p) => [p.severity, p.code, p.path, p.line])).toEqual([['warning', 'WFRONTMATTERKEY', 'SKILL.md#version', 4]]);
    expect(parsed.problems[0]?.message).toContain('"version", "tags"');
    expect(parsed.unknownKeys).toEqual(['version', 'tags']);
    expect(parsed.frontmatter).toEqual({ name: 'a', description: 'd' });
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
    expect(codes(md('name: a\ndescription: d\nmetadata:\n  n: [1]'))).toEqual(['EMETADATA']);
    expect(codes(md('name: a\ndescription: d\nmetadata:\n  n:'))).toEqual(['EMETADATA']);
    expect(codes(md('name: a\ndescription: d\nmetadata:\n  n: {a: b}'))).toEqual(['EMETADATA']);
    expect(codes(md('name: a\ndescription: d\nmetadata: [a]'))).toEqual(['EMETADATA']);
  });

  it('returns every problem at once', () => {
    const problems = codes(md(`name: Bad--Name\ndescription: "<b>${'x'.repeat(1030)}"\nextra: 1`), 'folder');
    expect(problems.sort()).toEqual(
      ['WFRONTMATTERKEY', 'ENAMECASE', 'ENAMEHYPHEN', 'ENAMEFOLDER', 'EDESCRIPTIONLENGTH', 'WDESCRIPTIONANGLE'].sort(),
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

describe('SKILL.md as the spec reads it (issue 12, item 7)', () => {
  it('counts description and compatibility in code points, not UTF-16 units', () => {
    // 1024 emoji are 2048 UTF-16 units but 1024 characters: exactly at the limit.
    expect(codes(md(`name: a\ndescription: ${'😀'.repeat(1024)}`))).toEqual([]);
    expect(codes(md(`name: a\ndescription: ${'😀'.repeat(1025)}`))).toEqual(['EDESCRIPTIONLENGTH']);
    expect(parseSkillMd(md(`name: a\ndescription: ${'😀'.repeat(1025)}`)).problems[0]?.message).toContain('1025 characters');
    expect(codes(md(`name: a\ndescription: d\ncompatibility: ${'𝔸'.repeat(500)}`))).toEqual([]);
    expect(codes(md(`name: a\ndescription: d\ncompatibility: ${'𝔸'.repeat(501)}`))).toEqual(['ECOMPATIBILITY']);
  });

  it.each([
    ['an empty string', 'compatibility: ""'],
    ['blank', 'compatibility: "  "'],
    ['no value', 'compatibility:'],
  ])('refuses a compatibility that is %s', (_label, line) => {
    const parsed = parseSkillMd(md(`name: a\ndescription: d\n${line}`));
    expect(parsed.problems.map((p) => p.code)).toEqual(['ECOMPATIBILITY']);
    expect(parsed.problems[0]?.message).toContain('empty');
  });

  it('reads an unquoted metadata scalar as the text written, with a warning', () => {
    const parsed = parseSkillMd(md('name: a\ndescription: d\nmetadata:\n  version: 1.0\n  build: 010\n  beta: true\n  exp: 1e3\n  author: ada\n  quoted: "2.0"'));
    expect(parsed.frontmatter?.metadata).toEqual({ version: '1.0', build: '010', beta: 'true', exp: '1e3', author: 'ada', quoted: '2.0' });
    expect(parsed.problems.map((p) => [p.severity, p.code, p.path])).toEqual([
      ['warning', 'WMETADATASCALAR', 'SKILL.md#metadata.version'],
      ['warning', 'WMETADATASCALAR', 'SKILL.md#metadata.build'],
      ['warning', 'WMETADATASCALAR', 'SKILL.md#metadata.beta'],
      ['warning', 'WMETADATASCALAR', 'SKILL.md#metadata.exp'],
    ]);
    expect(parsed.problems[0]?.message).toContain('version: "1.0"');
  });

  it('warns (never refuses) for < or > in a description', () => {
    const parsed = parseSkillMd(md('name: a\ndescription: "Converts <csv> to -> json"'));
    expect(parsed.problems.map((p) => [p.severity, p.code])).toEqual([['warning', 'WDESCRIPTIONANGLE']]);
    expect(parsed.frontmatter?.description).toBe('Converts <csv> to -> json');
  });

  it.each([
    ['Cyrillic letters', 'навык'],
    ['a Cyrillic look-alike of an ASCII name', 'pdf-tооls'],
    ['Chinese characters', '技能'],
    ['a decomposed accent', 'cafe\u0301'],
  ])('keeps names ASCII: refuses %s', (_label, name) => {
    expect(codes(md(`name: ${name}\ndescription: d`))).toEqual(['ENAMECHARS']);
  });
});

/**
 * The reference validator's own cases (agentskills/agentskills, skills-ref/tests/test_validator.py
 * and test_parser.py), ported: same input, our code for the same verdict. Where we differ on
 * purpose (Unicode names) the case is above, with the reason.
 */
describe('SKILL.md: the reference validator cases', () => {
  const valid = (raw: string, folder = 'my-skill') => expect(parseSkillMd(raw, { folderName: folder }).problems.filter((p) => p.severity === 'error')).toEqual([]);
  const fails = (raw: string, folder: string, code: string) => expect(codes(raw, folder)).toContain(code);

  it('test_valid_skill', () => valid('---\nname: my-skill\ndescription: A test skill\n---\n# My Skill\n'));
  it('test_invalid_name_uppercase', () => fails('---\nname: MySkill\ndescription: A test skill\n---\nBody\n', 'MySkill', 'ENAMECASE'));
  it('test_name_too_long', () => fails(`---\nname: ${'a'.repeat(70)}\ndescription: A test skill\n---\nBody\n`, 'a'.repeat(70), 'ENAMELENGTH'));
  it('test_name_leading_hyphen', () => fails('---\nname: -my-skill\ndescription: A test skill\n---\nBody\n', '-my-skill', 'ENAMEHYPHEN'));
  it('test_name_consecutive_hyphens', () => fails('---\nname: my--skill\ndescription: A test skill\n---\nBody\n', 'my--skill', 'ENAMEHYPHEN'));
  it('test_name_invalid_characters', () => fails('---\nname: my_skill\ndescription: A test skill\n---\nBody\n', 'my_skill', 'ENAMECHARS'));
  it('test_name_directory_mismatch', () => fails('---\nname: correct-name\ndescription: A test skill\n---\nBody\n', 'wrong-name', 'ENAMEFOLDER'));
  // Differs on purpose: agents define their own keys, so an unknown one is kept and warned about, not refused.
  it('test_unexpected_fields', () => {
    valid('---\nname: my-skill\ndescription: A test skill\nunknown_field: should not be here\n---\nBody\n');
    expect(codes('---\nname: my-skill\ndescription: A test skill\nunknown_field: should not be here\n---\nBody\n', 'my-skill')).toEqual(['WFRONTMATTERKEY']);
  });
  it('test_valid_with_all_fields', () => valid('---\nname: my-skill\ndescription: A test skill\nlicense: MIT\nmetadata:\n  author: Test\n---\nBody\n'));
  it('test_allowed_tools_accepted', () => valid('---\nname: my-skill\ndescription: A test skill\nallowed-tools: Bash(jq:*) Bash(git:*)\n---\nBody\n'));
  it('test_i18n_russian_uppercase_rejected', () => fails('---\nname: НАВЫК\ndescription: A skill with Russian uppercase name\n---\nBody\n', 'НАВЫК', 'ENAMECHARS'));
  it('test_description_too_long', () => fails(`---\nname: my-skill\ndescription: ${'x'.repeat(1100)}\n---\nBody\n`, 'my-skill', 'EDESCRIPTIONLENGTH'));
  it('test_valid_compatibility', () => valid('---\nname: my-skill\ndescription: A test skill\ncompatibility: Requires Python 3.11+\n---\nBody\n'));
  it('test_compatibility_too_long', () => fails(`---\nname: my-skill\ndescription: A test skill\ncompatibility: ${'x'.repeat(550)}\n---\nBody\n`, 'my-skill', 'ECOMPATIBILITY'));
  it('test_valid_frontmatter', () => {
    const parsed = parseSkillMd('---\nname: my-skill\ndescription: A test skill\n---\n# My Skill\n\nInstructions here.\n');
    expect(parsed.frontmatter).toMatchObject({ name: 'my-skill', description: 'A test skill' });
    expect(parsed.body).toContain('# My Skill');
  });
  it('test_missing_frontmatter', () => fails('# No frontmatter here', 'x', 'EFRONTMATTERMISSING'));
  it('test_unclosed_frontmatter', () => fails('---\nname: my-skill\ndescription: A test skill\n', 'my-skill', 'EFRONTMATTERUNTERMINATED'));
  it('test_invalid_yaml', () => fails('---\nname: [invalid\ndescription: broken\n---\nBody here\n', 'x', 'EFRONTMATTERYAML'));
  it('test_non_dict_frontmatter', () => fails('---\n- just\n- a\n- list\n---\nBody\n', 'x', 'EFRONTMATTERNOTMAP'));
  it('test_read_with_metadata', () => {
    const parsed = parseSkillMd('---\nname: my-skill\ndescription: A test skill\nmetadata:\n  author: Test Author\n  version: 1.0\n---\nBody\n');
    expect(parsed.frontmatter?.metadata).toEqual({ author: 'Test Author', version: '1.0' });
  });
  it('test_missing_name', () => fails('---\ndescription: A test skill\n---\nBody\n', 'my-skill', 'ENAMEMISSING'));
  it('test_missing_description', () => fails('---\nname: my-skill\n---\nBody\n', 'my-skill', 'EDESCRIPTIONMISSING'));
});

describe('SKILL.md taken in leniently (issue 21): what an agent would load installs, with a warning per rule', () => {
  const lenient = (raw: string, folderName?: string) => parseSkillMd(raw, { mode: 'lenient', ...(folderName === undefined ? {} : { folderName }) });
  const summary = (raw: string, folderName?: string) => lenient(raw, folderName).problems.map((p) => [p.severity, p.code, p.line]);

  it('recognises the keys agents document, without a warning, and keeps their values', () => {
    const parsed = lenient(md('name: a\ndescription: d\ndisable-model-invocation: true\nuser-invocable: false\nargument-hint: "[file]"\nmodel: sonnet\ncontext: fork\nagent: Explore\nhooks:\n  PreToolUse: []'));
    expect(parsed.problems).toEqual([]);
    expect(parsed.agentKeys).toEqual({ 'disable-model-invocation': true, 'user-invocable': false, 'argument-hint': '[file]', model: 'sonnet', context: 'fork', agent: 'Explore', hooks: { PreToolUse: [] } });
  });

  it('takes allowed-tools as a string or a YAML list, in both modes', () => {
    expect(parseSkillMd(md('name: a\ndescription: d\nallowed-tools:\n  - Read\n  - Bash(git:*)')).frontmatter?.['allowed-tools']).toEqual(['Read', 'Bash(git:*)']);
    expect(parseSkillMd(md('name: a\ndescription: d\nallowed-tools: Read Grep')).frontmatter?.['allowed-tools']).toBe('Read Grep');
    expect(codes(md('name: a\ndescription: d\nallowed-tools: {a: 1}'))).toEqual(['EALLOWEDTOOLS']);
  });

  it.each([
    ['a name that differs from the folder', 'name: pdf\ndescription: d', 'pdf-tools', 'WNAMEFOLDER', 'pdf'],
    ['upper case', 'name: PDF-Tools\ndescription: d', 'pdf-tools', 'WNAMECASE', 'pdf-tools'],
    ['an underscore', 'name: pdf_tools\ndescription: d', 'pdf_tools', 'WNAMECHARS', 'pdf-tools'],
    ['a description over 1,024 characters', `name: a\ndescription: ${'d'.repeat(1068)}`, 'a', 'WDESCRIPTIONLENGTH', 'a'],
    ['an empty compatibility', 'name: a\ndescription: d\ncompatibility: ""', 'a', 'WCOMPATIBILITY', 'a'],
    ['metadata that is a list', 'name: a\ndescription: d\nmetadata: [x]', 'a', 'WMETADATA', 'a'],
  ])('warns for %s, names the rule and line, and installs under the documented name', (_label, frontmatter, folder, code, id) => {
    const parsed = lenient(md(frontmatter), folder);
    expect(parsed.frontmatter).toBeDefined();
    expect(parsed.id).toBe(id);
    const problem = parsed.problems.find((p) => p.code === code);
    expect(problem?.severity).toBe('warning');
    expect(problem?.line).toBeGreaterThanOrEqual(2);
    expect(problem?.message).toContain(`spec rule E${code.slice(1)}`);
    // The same file under --strict is refused with the rule's E code.
    expect(parseSkillMd(md(frontmatter), { folderName: folder }).problems.map((p) => p.code)).toContain(`E${code.slice(1)}`);
  });

  it('falls back to the folder name when nothing of the name is in a-z and 0-9, and refuses when neither is', () => {
    expect(lenient(md('name: 技能\ndescription: d'), 'data-tool').id).toBe('data-tool');
    const none = lenient(md('name: 技能\ndescription: d'), '数据');
    expect(none.frontmatter).toBeUndefined();
    expect(none.problems.filter((p) => p.severity === 'error').map((p) => p.code)).toEqual(['ENAMECHARS']);
  });

  it('still refuses what an agent cannot load: no name, no description, not YAML', () => {
    expect(lenient(md('description: d')).problems.map((p) => p.code)).toEqual(['ENAMEMISSING']);
    expect(lenient(md('name: a')).problems.map((p) => p.code)).toEqual(['EDESCRIPTIONMISSING']);
    expect(lenient('---\nname: [x\n---\n').problems.map((p) => p.code)).toEqual(['EFRONTMATTERYAML']);
  });

  it('a name that differs from its folder by case only: warned, installed under the lower-case name', () => {
    const parsed = lenient(md('name: PDF\ndescription: d'), 'pdf');
    expect(parsed.id).toBe('pdf');
    expect(summary(md('name: PDF\ndescription: d'), 'pdf').map(([, code]) => code).sort()).toEqual(['WNAMECASE', 'WNAMEFOLDER']);
  });

  it('hostile keys: __proto__ and constructor are plain unknown keys, never object plumbing', () => {
    const parsed = lenient(md('name: a\ndescription: d\n__proto__:\n  polluted: yes\nconstructor: x\nmetadata:\n  __proto__: "y"'));
    expect(parsed.unknownKeys).toEqual(['__proto__', 'constructor']);
    expect(parsed.frontmatter?.metadata).toEqual(Object.fromEntries([['__proto__', 'y']]));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(parsed.frontmatter)).toBe(Object.prototype);
  });

  it('hostile size: 10,000 unknown keys make one bounded warning', () => {
    const keys = Array.from({ length: 10_000 }, (_, i) => `key-${i}: v`).join('\n');
    const parsed = lenient(md(`name: a\ndescription: d\n${keys}`));
    expect(parsed.problems.map((p) => p.code)).toEqual(['WFRONTMATTERKEY']);
    expect(parsed.problems[0]?.message).toContain('and 9990 more');
    expect(parsed.problems[0]?.message.length).toBeLessThan(600);
    expect(parsed.frontmatter).toBeDefined();
  });

  it('hostile size: a key holding 1 MiB is kept unread, and its name is cut short in the warning', () => {
    const big = 'x'.repeat(1024 * 1024);
    const parsed = lenient(md(`name: a\ndescription: d\nnotes: ${big}\n${'k'.repeat(1000)}: 1`));
    expect(parsed.frontmatter).toEqual({ name: 'a', description: 'd' });
    expect(parsed.problems[0]?.message.length).toBeLessThan(600);
  });
});
