/** Source specs and git trees as pure functions: what is accepted, what is refused, and how a git tree becomes a skill's files. */
import { describe, expect, it } from 'vitest';
import { blobsToPlan, findSkillFolders, parseLsTree, planCandidate, type TreeEntry } from '../cli/core/sources/git-tree';
import { parseSourceSpec, pinnedSpec, shown } from '../cli/core/sources/spec';

describe('parseSourceSpec', () => {
  it.each([
    ['@acme/pdf', { type: 'registry', name: '@acme/pdf', range: undefined }],
    ['@acme/pdf@^1.2.0', { type: 'registry', name: '@acme/pdf', range: '^1.2.0' }],
    ['./skills-src/pdf', { type: 'folder', path: './skills-src/pdf' }],
    ['/abs/pdf', { type: 'folder', path: '/abs/pdf' }],
    ['github:anthropics/skills', { type: 'git', url: 'https://github.com/anthropics/skills', protocol: 'https', ref: undefined, path: undefined, github: { owner: 'anthropics', repo: 'skills' } }],
    ['github:anthropics/skills/skills/pdf#main', { type: 'git', url: 'https://github.com/anthropics/skills', ref: 'main', path: 'skills/pdf' }],
    ['github:o/r#semver:^1.2', { type: 'git', semverRange: '^1.2', ref: undefined }],
    ['git+https://git.example.com/team/skills.git#v1.0.0&path:skills/pdf', { type: 'git', url: 'https://git.example.com/team/skills.git', protocol: 'https', ref: 'v1.0.0', path: 'skills/pdf' }],
    ['git+ssh://git@github.com/o/r.git', { type: 'git', url: 'ssh://git@github.com/o/r.git', protocol: 'ssh' }],
    ['git+ssh://git@github.com:o/r.git#main', { type: 'git', url: 'git@github.com:o/r.git', protocol: 'ssh', ref: 'main' }],
    ['git+file:///tmp/repo#0123456789abcdef0123456789abcdef01234567', { type: 'git', url: 'file:///tmp/repo', protocol: 'file', ref: '0123456789abcdef0123456789abcdef01234567' }],
    ['git+http://127.0.0.1:8080/r', { type: 'git', protocol: 'http' }],
    ['https://skills.example.com', { type: 'well-known', index: 'https://skills.example.com/.well-known/agent-skills/index.json', name: undefined }],
    ['https://example.com/docs/#pdf', { type: 'well-known', index: 'https://example.com/docs/.well-known/agent-skills/index.json', name: 'pdf' }],
    ['http://127.0.0.1:4873/.well-known/agent-skills/index.json', { type: 'well-known', index: 'http://127.0.0.1:4873/.well-known/agent-skills/index.json' }],
  ])('reads %s', (spec, expected) => {
    expect(parseSourceSpec(spec)).toMatchObject(expected);
  });

  it('points github: at $SKILLS_GITHUB_BASE', () => {
    expect(parseSourceSpec('github:o/r', { githubBase: 'file:///srv/git/' })).toMatchObject({ url: 'file:///srv/git/o/r', protocol: 'file' });
    expect(() => parseSourceSpec('github:o/r', { githubBase: 'ext::sh -c touch' })).toThrow(expect.objectContaining({ code: 'EGITURL' }));
  });

  it.each([
    ['git+https://user:token@github.com/o/r', 'EGITURL'],
    ['git+https://token@github.com/o/r', 'EGITURL'],
    ['git+http://example.com/o/r', 'EINSECURESOURCE'],
    ['http://example.com', 'EINSECURESOURCE'],
    ['git://github.com/o/r', 'ESPECINVALID'],
    ['ext::sh -c touch% /tmp/pwned', 'ESPECINVALID'],
    ['git+ext::sh', 'ESPECINVALID'],
    ['git+ssh://-oProxyCommand=x/y', 'ESPECINVALID'],
    ['git+file:///repo#--upload-pack=x', 'ESPECINVALID'],
    ['git+file:///repo#a..b', 'ESPECINVALID'],
    ['git+file:///repo#main&path:../../etc', 'ESPECINVALID'],
    ['github:o/r/../x', 'ESPECINVALID'],
    ['github:-o/r', 'ESPECINVALID'],
    ['github:o/r#semver:not a range', 'ESPECINVALID'],
    ['git+https://h/r#v1&v2', 'ESPECINVALID'],
    ['https://example.com/?q=1', 'ESPECINVALID'],
    ['https://example.com#Not_A_Name', 'ESPECINVALID'],
    ['pdf', 'ESPECINVALID'],
    ['', 'ESPECINVALID'],
  ])('refuses %s (%s)', (spec, code) => {
    expect(() => parseSourceSpec(spec)).toThrow(expect.objectContaining({ code }));
  });

  it('pins a spec to one skill, and the pinned spec reads back to the same place', () => {
    const git = parseSourceSpec('git+file:///repo#v1.0.0');
    const pinned = pinnedSpec(git, { path: 'skills/pdf', name: 'skills/pdf' });
    expect(pinned).toBe('git+file:///repo#v1.0.0&path:skills/pdf');
    expect(parseSourceSpec(pinned)).toMatchObject({ ref: 'v1.0.0', path: 'skills/pdf' });
    expect(pinnedSpec(parseSourceSpec('github:o/r#main'), { path: 'skills/pdf', name: '' })).toBe('github:o/r/skills/pdf#main');
    expect(pinnedSpec(parseSourceSpec('https://h.example'), { path: 'pdf', name: 'pdf' })).toBe('https://h.example#pdf');
    expect(pinnedSpec(parseSourceSpec('./many'), { path: 'pdf', name: 'pdf' })).toBe('./many/pdf');
  });

  it('never shows a password', () => {
    expect(shown('git+https://me:hunter2@h/r')).toBe('git+https://me:***@h/r');
  });
});

const enc = new TextEncoder();
const oid = (n: number) => n.toString(16).padStart(40, '0');
const file = (p: string, n: number, size = 10, mode = '100644'): TreeEntry => ({ mode, oid: oid(n), size, path: p });

describe('git trees', () => {
  it('reads ls-tree -z -l output, names with tabs and newlines included', () => {
    const out = enc.encode(`100644 blob ${oid(1)}      12\tskills/a/SKILL.md\0` + `160000 commit ${oid(2)}       -\tvendor/sub\0` + `100755 blob ${oid(3)}       5\tskills/a/odd\tname\n.sh\0`);
    expect(parseLsTree(out)).toEqual([
      { mode: '100644', oid: oid(1), size: 12, path: 'skills/a/SKILL.md' },
      { mode: '160000', oid: oid(2), size: null, path: 'vendor/sub' },
      { mode: '100755', oid: oid(3), size: 5, path: 'skills/a/odd\tname\n.sh' },
    ]);
    expect(() => parseLsTree(enc.encode('garbage\0'))).toThrow(expect.objectContaining({ code: 'EGITFETCH' }));
  });

  it('finds SKILL.md folders anywhere, skipping node_modules', () => {
    expect(findSkillFolders([file('SKILL.md', 1), file('skills/a/SKILL.md', 2), file('.claude/skills/b/SKILL.md', 3), file('node_modules/x/SKILL.md', 4), file('skills/a/ref.md', 5)])).toEqual(['', '.claude/skills/b', 'skills/a']);
  });

  it('plans a folder: ignores, executable bits, links carried as copies, and every refusal', () => {
    const entries = [
      file('skills/a/SKILL.md', 1),
      file('skills/a/run.sh', 2, 10, '100755'),
      file('skills/a/.skillsignore', 3),
      file('skills/a/drafts/x.md', 4),
      file('skills/a/node_modules/y.js', 5),
      file('skills/a/shared.md', 6, 20, '120000'),
      file('docs/shared.md', 7, 99),
    ];
    const blobs = new Map([
      [oid(3), enc.encode('drafts/\n')],
      [oid(6), enc.encode('../../docs/shared.md')],
    ]);
    expect(blobsToPlan(entries, 'skills/a').sort()).toEqual([oid(3), oid(6)]);
    const plan = planCandidate(entries, 'skills/a', (o) => blobs.get(o));
    expect(plan.error).toBeNull();
    expect(plan.files).toEqual([
      { path: '.skillsignore', oid: oid(3), size: 10, executable: false },
      { path: 'SKILL.md', oid: oid(1), size: 10, executable: false },
      { path: 'run.sh', oid: oid(2), size: 10, executable: true },
      { path: 'shared.md', oid: oid(7), size: 99, executable: false },
    ]);

    const link = (target: string) => {
      const es = [file('s/SKILL.md', 1), file('s/l', 9, target.length, '120000'), file('s/dir/x', 8), ...(target === 'loop' ? [file('s/loop', 10, 4, '120000')] : [])];
      const bs = new Map([
        [oid(9), enc.encode(target)],
        [oid(10), enc.encode('loop')],
      ]);
      return planCandidate(es, 's', (o) => bs.get(o)).error?.code;
    };
    expect(link('/etc/passwd')).toBe('EGITSYMLINK');
    expect(link('../../outside')).toBe('EGITSYMLINK');
    expect(link('dir')).toBe('EGITSYMLINK');
    expect(link('missing')).toBe('EGITSYMLINK');
    expect(link('loop')).toBe('EGITSYMLINK');
    expect(link('dir/x')).toBeUndefined();

    expect(planCandidate([file('s/SKILL.md', 1), { mode: '160000', oid: oid(2), size: null, path: 's/vendor' }], 's', () => undefined).error?.code).toBe('EGITSUBMODULE');
    expect(planCandidate([file('s/SKILL.md', 1), file('s/big.bin', 2, 200 * 1024 * 1024)], 's', () => undefined).error?.code).toBe('EPACKFILETOOBIG');
    expect(planCandidate([file('s/SKILL.md', 1), ...Array.from({ length: 6 }, (_, i) => file(`s/f${i}`, i + 2, 9 * 1024 * 1024))], 's', () => undefined).error?.code).toBe('EPACKTOOBIG');
    expect(planCandidate([file('s/SKILL.md', 1), file('s/a\\b', 2)], 's', () => undefined).error?.code).toBe('ETARBACKSLASH');
    expect(planCandidate([file('s/SKILL.md', 1), file('s/README', 2), file('s/readme', 3)], 's', () => undefined).error?.code).toBe('ETARCASECOLLISION');
  });
});
