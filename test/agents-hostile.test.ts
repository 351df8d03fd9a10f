/**
 * Agent folders are hostile ground: whatever is there may be a user's own work, another
 * installer's, or planted. Each case builds one such state, runs the real install (in process,
 * or the `skills` CLI where the exit code and message matter) and checks that nothing skills did
 * not create was replaced, removed or written through, and that a refusal changed nothing at all.
 * Skills come from local folders, so no registry is needed.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { install, type InstallRequest } from '../cli/core/install/install';
import { runCli } from '../testkit/cli';
import { tempDir } from '../testkit/temp';
import { tree } from '../testkit/tree';

let base: string;
let env: NodeJS.ProcessEnv;
let counter = 0;
const src = (name: string) => path.join(base, 'src', name);

async function makeSkill(name: string, body: string): Promise<void> {
  await fs.mkdir(src(name), { recursive: true });
  await fs.writeFile(path.join(src(name), 'SKILL.md'), `---\nname: ${name}\ndescription: The ${name} skill.\nmetadata:\n  version: 1.0.0\n---\n${body}\n`);
}

async function workspace(...dirs: string[]): Promise<string> {
  const ws = path.join(base, `ws-${counter++}`);
  await fs.mkdir(ws);
  for (const d of dirs) await fs.mkdir(path.join(ws, d), { recursive: true });
  return ws;
}

function req(root: string, extra: Partial<InstallRequest> = {}, warnings: string[] = []): InstallRequest {
  return { root, env, scope: '@me', progress: () => {}, warn: (m) => warnings.push(m), ...extra };
}

const add = (root: string, ...names: string[]) => install(req(root, { add: names.map(src) }));

async function cli(args: string[], cwd: string, extra: NodeJS.ProcessEnv = {}) {
  return runCli([...args, '--json'], { cwd, env: { ...env, ...extra } });
}

async function expectRefused(root: string, action: () => Promise<unknown>, code: string, also: string[] = []): Promise<Record<string, unknown>> {
  const watched = [root, ...also];
  const before = await Promise.all(watched.map((d) => tree(d)));
  let error: Record<string, unknown> = {};
  await action().then(
    () => expect.fail(`expected ${code}`),
    (e: unknown) => {
      error = e as Record<string, unknown>;
    },
  );
  expect(error.code, String(error.message)).toBe(code);
  expect(await Promise.all(watched.map((d) => tree(d)))).toEqual(before);
  return error;
}

beforeAll(async () => {
  base = await tempDir('agents-hostile');
  env = { HOME: path.join(base, 'home'), SKILLS_CONFIG_DIR: path.join(base, 'config'), SKILLS_CACHE_DIR: path.join(base, 'cache'), XDG_DATA_HOME: '', XDG_CONFIG_HOME: '' };
  await fs.mkdir(env.HOME as string);
  await makeSkill('pdf', 'Reads PDFs.');
  await makeSkill('csv', 'Reads CSV.');
});

afterAll(async () => {
  await fs.rm(base, { recursive: true, force: true });
});

describe('target folders that cannot be used', () => {
  it('a target folder that is a file: EAGENTTARGET, nothing changed', async () => {
    const ws = await workspace('.claude');
    await fs.writeFile(path.join(ws, '.claude/skills'), 'not a folder');
    const error = await expectRefused(ws, () => add(ws, 'pdf'), 'EAGENTTARGET');
    expect(error.message).toContain('.claude/skills is not a folder');
  });

  it('a read-only target (a link to a folder elsewhere): EAGENTTARGET, nothing written through it', async () => {
    const ws = await workspace('.cursor');
    const elsewhere = path.join(base, `elsewhere-${counter++}`);
    await fs.mkdir(elsewhere);
    await fs.symlink(elsewhere, path.join(ws, '.cursor/skills'));
    const error = await expectRefused(ws, () => add(ws, 'pdf'), 'EAGENTTARGET', [elsewhere]);
    expect(error.message).toContain('.cursor/skills is a symbolic link');
    expect(await fs.readdir(elsewhere)).toEqual([]);
  });

  it('an agent folder that is a link: not detected; named in "agents" it is EAGENTTARGET', async () => {
    const ws = await workspace();
    const elsewhere = path.join(base, `elsewhere-${counter++}`);
    await fs.mkdir(elsewhere);
    await fs.symlink(elsewhere, path.join(ws, '.claude'));
    const result = await add(ws, 'pdf');
    expect(result.links.targets.map((t) => t.folder)).toEqual(['.agents/skills']);
    expect(await fs.readdir(elsewhere)).toEqual([]);
    const error = await expectRefused(ws, () => install(req(ws, { agents: ['claude-code'] })), 'EAGENTTARGET', [elsewhere]);
    expect(error.message).toContain('.claude is a symbolic link');
  });

  it('--agent unknown-agent: EUNKNOWNAGENT listing the known ids, exit 1, nothing changed', async () => {
    const ws = await workspace();
    const run = await cli(['install', '--agent', 'unknown-agent', src('pdf'), '--scope', '@me'], ws);
    expect(run.code).toBe(1);
    const error = run.json<{ error: { code: string; message: string; hint: string } }>().error;
    expect(error.code).toBe('EUNKNOWNAGENT');
    expect(error.message).toContain('unknown-agent');
    for (const id of ['claude-code', 'codex', 'cursor', 'windsurf', 'augment']) expect(error.hint).toContain(id);
    expect(await fs.readdir(ws)).toEqual([]);
    // An unknown id in skills.json is refused the same way.
    await fs.writeFile(path.join(ws, 'skills.json'), JSON.stringify({ dependencies: {}, agents: ['claude-code', 'nope'] }));
    await expectRefused(ws, () => install(req(ws)), 'EUNKNOWNAGENT');
  });
});

describe('what is in a target folder and was not made by skills', () => {
  it('a skill name colliding with a user\'s own folder in .claude/skills: ECONFLICT naming it, nothing changed', async () => {
    const ws = await workspace('.claude/skills/pdf');
    await fs.writeFile(path.join(ws, '.claude/skills/pdf/SKILL.md'), 'my own pdf skill\n');
    const error = await expectRefused(ws, () => add(ws, 'pdf'), 'ECONFLICT');
    expect(error.message).toContain('.claude/skills/pdf is a folder skills did not make');
    expect(String(error.hint)).toContain('alias');
  });

  it('local skills in ./skills are linked too; one colliding with a user\'s folder is said, not a refusal', async () => {
    const ws = await workspace('.claude/skills/mine', 'skills/mine', 'skills/draft');
    await fs.writeFile(path.join(ws, '.claude/skills/mine/SKILL.md'), 'the user\'s own\n');
    for (const name of ['mine', 'draft']) await fs.writeFile(path.join(ws, 'skills', name, 'SKILL.md'), `---\nname: ${name}\ndescription: Local.\n---\nLocal.\n`);
    const mine = await tree(path.join(ws, '.claude/skills/mine'));
    const warnings: string[] = [];
    await install(req(ws, { add: [src('pdf')] }, warnings));
    expect(await fs.readlink(path.join(ws, '.claude/skills/draft'))).toBe('../../skills/draft');
    expect(await fs.readlink(path.join(ws, '.agents/skills/mine'))).toBe('../../skills/mine');
    expect(await tree(path.join(ws, '.claude/skills/mine'))).toEqual(mine);
    expect(warnings).toContain('.claude/skills/mine is a folder skills did not make; the local skill skills/mine is not linked there');
  });

  it('a link of someone else\'s into ./skills is left alone (doctor warns); under a skill\'s own name it is ECONFLICT', async () => {
    const ws = await workspace('.claude/skills');
    await add(ws, 'pdf');
    await fs.symlink(path.join(ws, 'skills/pdf'), path.join(ws, '.claude/skills/other'));
    await add(ws, 'csv');
    expect(await fs.readlink(path.join(ws, '.claude/skills/other'))).toBe(path.join(ws, 'skills/pdf'));
    const doctor = await cli(['doctor'], ws);
    expect(doctor.code, doctor.stdout).toBe(0);
    expect(doctor.json<{ links: { problems: { code: string; severity: string; path: string }[] } }>().links.problems).toEqual([
      expect.objectContaining({ code: 'ELINKFOREIGN', severity: 'warning', path: '.claude/skills/other' }),
    ]);
    await install(req(ws, { remove: ['@me/pdf'] }));
    expect(await fs.readlink(path.join(ws, '.claude/skills/other'))).toBe(path.join(ws, 'skills/pdf'));
    // The same link under the skill's own name is not ours (its text differs): never replaced.
    await fs.symlink(path.join(ws, 'skills/pdf'), path.join(ws, '.claude/skills/pdf'));
    const error = await expectRefused(ws, () => add(ws, 'pdf'), 'ECONFLICT');
    expect(error.message).toContain('.claude/skills/pdf is a link skills did not make');
  });

  it('hostile link text in messages: cut to 200 characters, escape sequences never reach the terminal', async () => {
    const ws = await workspace('.claude/skills');
    const text = `\u001b]0;pwned\u0007\u001b[31m${'x/'.repeat(1500)}end`;
    await fs.symlink(text, path.join(ws, '.claude/skills/pdf'));
    const error = await expectRefused(ws, () => add(ws, 'pdf'), 'ECONFLICT');
    const quotedText = /\(to (.*)\)/s.exec(String(error.message))?.[1] ?? '';
    expect(quotedText.length).toBe(203);
    expect(quotedText.endsWith('...')).toBe(true);
    expect(String(error.message)).not.toContain('end');
    const human = await runCli(['install', src('pdf'), '--scope', '@me'], { cwd: ws, env });
    expect(human.code).toBe(1);
    expect(human.stderr).toContain('ECONFLICT');
    expect(human.stderr).not.toMatch(/\u001b\]|\u0007/);
    expect(human.stderr.length).toBeLessThan(1500);
  });

  it('uninstalling a skill whose link a user replaced with a folder: done, the folder left as it is, and said', async () => {
    const ws = await workspace('.claude');
    await add(ws, 'pdf');
    await fs.rm(path.join(ws, '.claude/skills/pdf'));
    await fs.mkdir(path.join(ws, '.claude/skills/pdf'));
    await fs.writeFile(path.join(ws, '.claude/skills/pdf/SKILL.md'), 'now mine\n');
    const mine = await tree(path.join(ws, '.claude/skills/pdf'));
    const warnings: string[] = [];
    const result = await install(req(ws, { remove: ['@me/pdf'] }, warnings));
    expect(result.changes).toEqual([{ name: '@me/pdf', from: '1.0.0', to: null }]);
    expect(await tree(path.join(ws, '.claude/skills/pdf'))).toEqual(mine);
    expect(warnings).toContain('.claude/skills/pdf was not made by skills; it is left as it is');
    await expect(fs.lstat(path.join(ws, '.agents/skills/pdf'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a dangling link of ours: doctor reports it, install restores its skill; a stale one --fix removes', async () => {
    const ws = await workspace('.claude');
    await add(ws, 'pdf');
    await fs.rm(path.join(ws, 'skills/pdf'), { recursive: true });
    await fs.symlink('../../skills/gone', path.join(ws, '.claude/skills/gone'));
    const doctor = await cli(['doctor'], ws);
    expect(doctor.code).toBe(1);
    const problems = doctor.json<{ links: { problems: { code: string; path: string; fixable: boolean }[] } }>().links.problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'ELINKDANGLING', path: '.claude/skills/pdf', fixable: false }),
        expect.objectContaining({ code: 'ELINKDANGLING', path: '.agents/skills/pdf', fixable: false }),
        expect.objectContaining({ code: 'ELINKSTALE', path: '.claude/skills/gone', fixable: true }),
      ]),
    );
    const fixed = await cli(['doctor', '--fix'], ws);
    expect(fixed.json<{ links: { fixed: { code: string; path: string }[] } }>().links.fixed).toEqual([expect.objectContaining({ code: 'ELINKSTALE', path: '.claude/skills/gone' })]);
    await expect(fs.lstat(path.join(ws, '.claude/skills/gone'))).rejects.toMatchObject({ code: 'ENOENT' });
    await install(req(ws));
    expect(await fs.readFile(path.join(ws, '.claude/skills/pdf/SKILL.md'), 'utf8')).toContain('Reads PDFs.');
    const again = await cli(['doctor'], ws);
    expect(again.code, again.stdout).toBe(0);
  });

  it('doctor --fix relinks what is missing and repairs only what skills made', async () => {
    const ws = await workspace('.claude', '.cursor');
    await add(ws, 'pdf', 'csv');
    await fs.rm(path.join(ws, '.cursor/skills/pdf'));
    await fs.rm(path.join(ws, '.claude/skills/csv'));
    await fs.mkdir(path.join(ws, '.claude/skills/csv'));
    const doctor = await cli(['doctor', '--fix'], ws);
    expect(doctor.code).toBe(1);
    const links = doctor.json<{ links: { fixed: { code: string; path: string }[]; problems: { code: string; path: string }[] } }>().links;
    expect(links.fixed).toEqual([expect.objectContaining({ code: 'ELINKMISSING', path: '.cursor/skills/pdf' })]);
    expect(links.problems).toEqual([expect.objectContaining({ code: 'ECONFLICT', path: '.claude/skills/csv' })]);
    expect(await fs.readlink(path.join(ws, '.cursor/skills/pdf'))).toBe('../../skills/pdf');
    expect(await fs.readdir(path.join(ws, '.claude/skills/csv'))).toEqual([]);
  });
});

describe('copies', () => {
  it('--copy makes marked copies; an edited copy is the user\'s: left on uninstall, never replaced', async () => {
    const ws = await workspace('.claude');
    const own = path.join(base, `copysrc-${counter++}`, 'doc');
    await fs.mkdir(own, { recursive: true });
    const writeDoc = (version: string) => fs.writeFile(path.join(own, 'SKILL.md'), `---\nname: doc\ndescription: Docs.\nmetadata:\n  version: ${version}\n---\nDocs ${version}.\n`);
    await writeDoc('1.0.0');
    const result = await install(req(ws, { add: [own, src('csv')], copy: true }));
    expect(result.links.mode).toBe('copy');
    expect(JSON.parse(await fs.readFile(path.join(ws, 'skills.json'), 'utf8')).link).toBe('copy');
    const copy = path.join(ws, '.claude/skills/doc');
    expect((await fs.lstat(copy)).isDirectory()).toBe(true);
    expect((await fs.readdir(copy)).sort()).toEqual(['.skills-copy.json', 'SKILL.md']);
    await fs.appendFile(path.join(copy, 'SKILL.md'), 'my note\n');
    const edited = await tree(copy);
    // The same version again: the edited copy stays as it is.
    await install(req(ws));
    expect(await tree(copy)).toEqual(edited);
    // A new version would replace it: refused, nothing changed.
    await writeDoc('1.0.1');
    await expectRefused(ws, () => install(req(ws)), 'ECONFLICT');
    const warnings: string[] = [];
    await install(req(ws, { remove: ['@me/doc', '@me/csv'] }, warnings));
    expect(await tree(copy)).toEqual(edited);
    expect(warnings.join('\n')).toContain('.claude/skills/doc is a copy skills made that was edited since');
    await expect(fs.lstat(path.join(ws, '.claude/skills/csv'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('switching back to links replaces our own copies', async () => {
    const ws = await workspace('.claude');
    await install(req(ws, { add: [src('pdf')], copy: true }));
    const json = JSON.parse(await fs.readFile(path.join(ws, 'skills.json'), 'utf8')) as Record<string, unknown>;
    delete json.link;
    await fs.writeFile(path.join(ws, 'skills.json'), JSON.stringify(json));
    await install(req(ws));
    expect(await fs.readlink(path.join(ws, '.claude/skills/pdf'))).toBe('../../skills/pdf');
  });
});

describe('alias', () => {
  it('two skills with one name from different scopes: ENAMECONFLICT with a hint; "alias" installs both', async () => {
    const ws = await workspace('.claude');
    await add(ws, 'pdf');
    const other = path.join(base, 'other', 'pdf');
    await fs.mkdir(other, { recursive: true });
    await fs.writeFile(path.join(other, 'SKILL.md'), '---\nname: pdf\ndescription: Another pdf.\nmetadata:\n  version: 2.0.0\n---\nOther.\n');
    const error = await expectRefused(ws, () => install(req(ws, { add: [other], scope: '@other' })), 'ENAMECONFLICT');
    expect(String(error.hint)).toContain('"alias": { "@other/pdf": "pdf-other" }');
    const json = JSON.parse(await fs.readFile(path.join(ws, 'skills.json'), 'utf8')) as Record<string, unknown>;
    await fs.writeFile(path.join(ws, 'skills.json'), JSON.stringify({ ...json, alias: { '@other/pdf': 'pdf-other' } }));
    await install(req(ws, { add: [other], scope: '@other' }));
    expect(await fs.readlink(path.join(ws, '.claude/skills/pdf-other'))).toBe('../../skills/pdf-other');
    expect(await fs.readFile(path.join(ws, '.claude/skills/pdf-other/SKILL.md'), 'utf8')).toContain('Other.');
    expect(await fs.readFile(path.join(ws, '.claude/skills/pdf/SKILL.md'), 'utf8')).toContain('Reads PDFs.');
    const lock = JSON.parse(await fs.readFile(path.join(ws, 'skills-lock.json'), 'utf8')) as { skills: Record<string, { folder?: string }> };
    expect(lock.skills['@other/pdf']?.folder).toBe('pdf-other');
    const list = await cli(['list'], ws);
    expect(list.json<{ skills: { packageName: string; location: string }[] }>().skills.map((s) => [s.packageName, s.location])).toEqual([
      ['@me/pdf', 'skills/pdf/SKILL.md'],
      ['@other/pdf', 'skills/pdf-other/SKILL.md'],
    ]);
  });
});

describe('-g when the home folder cannot be written', () => {
  it('a file where the global store must go: EWRITE, the home folder unchanged', async () => {
    const home = path.join(base, `home-${counter++}`);
    await fs.mkdir(home);
    await fs.writeFile(path.join(home, '.local'), 'in the way');
    const before = await tree(home);
    const run = await cli(['install', '-g', src('pdf'), '--scope', '@me'], base, { HOME: home });
    expect(run.code).toBe(1);
    expect(run.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'EWRITE' });
    expect(await tree(home)).toEqual(before);
  });

  it('a file where an agent\'s home folder must go: EAGENTTARGET, and the store this run created is gone again', async () => {
    const home = path.join(base, `home-${counter++}`);
    await fs.mkdir(path.join(home, '.claude'), { recursive: true });
    await fs.writeFile(path.join(home, '.agents'), 'in the way');
    const before = await tree(home);
    const run = await cli(['install', '-g', src('pdf'), '--scope', '@me'], base, { HOME: home });
    expect(run.code).toBe(1);
    expect(run.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'EAGENTTARGET', message: expect.stringContaining('~/.agents is not a folder') });
    expect(await tree(home)).toEqual(before);
  });
});

describe('-g through a link in the home folder (one rule: no folder below the home folder on the way is a link)', () => {
  type Refusal = { error: { code: string; message: string; hint: string } };

  /** A fresh home folder and a folder elsewhere that a link in it points at; both must end as they began. */
  async function homeWithElsewhere(): Promise<{ home: string; elsewhere: string }> {
    const home = path.join(base, `home-${counter++}`);
    const elsewhere = path.join(base, `elsewhere-${counter++}`);
    await fs.mkdir(home);
    await fs.mkdir(elsewhere);
    return { home, elsewhere };
  }

  async function expectHomeLink(home: string, elsewhere: string, extra: NodeJS.ProcessEnv, link: string): Promise<void> {
    const before = [await tree(home), await tree(elsewhere)];
    for (const args of [['install', '-g', src('pdf'), '--scope', '@me'], ['list', '-g'], ['uninstall', '-g', 'pdf'], ['update', '-g'], ['ci', '-g'], ['doctor', '-g', '--fix'], ['agents', '-g']]) {
      const run = await cli(args, base, { HOME: home, ...extra });
      expect(run.code, `${args.join(' ')}: ${run.stdout}${run.stderr}`).toBe(1);
      const error = run.json<Refusal>().error;
      expect(error.code, args.join(' ')).toBe('EHOMELINK');
      expect(error.message).toContain(link);
      expect(error.hint).toContain('XDG_DATA_HOME=');
      expect([await tree(home), await tree(elsewhere)], args.join(' ')).toEqual(before);
    }
  }

  it('~/.local/share/skills a link: EHOMELINK, nothing written here or where it points', async () => {
    const { home, elsewhere } = await homeWithElsewhere();
    await fs.mkdir(path.join(home, '.local/share'), { recursive: true });
    await fs.symlink(elsewhere, path.join(home, '.local/share/skills'));
    await expectHomeLink(home, elsewhere, {}, path.join(home, '.local/share/skills'));
  });

  it('~/.local a link: EHOMELINK, nothing written', async () => {
    const { home, elsewhere } = await homeWithElsewhere();
    await fs.mkdir(path.join(elsewhere, 'share'));
    await fs.symlink(elsewhere, path.join(home, '.local'));
    await expectHomeLink(home, elsewhere, {}, path.join(home, '.local'));
  });

  it('~/.local/share a link (to an empty folder): EHOMELINK, nothing written', async () => {
    const { home, elsewhere } = await homeWithElsewhere();
    await fs.mkdir(path.join(home, '.local'));
    await fs.symlink(elsewhere, path.join(home, '.local/share'));
    await expectHomeLink(home, elsewhere, {}, path.join(home, '.local/share'));
  });

  it('XDG_DATA_HOME inside the home folder going through a link: EHOMELINK, nothing written', async () => {
    const { home, elsewhere } = await homeWithElsewhere();
    await fs.symlink(elsewhere, path.join(home, 'dotfiles'));
    await expectHomeLink(home, elsewhere, { XDG_DATA_HOME: path.join(home, 'dotfiles/share') }, path.join(home, 'dotfiles'));
  });

  it('the explicit choice: XDG_DATA_HOME naming the real folder (outside the home folder) installs there', async () => {
    const { home, elsewhere } = await homeWithElsewhere();
    await fs.symlink(elsewhere, path.join(home, '.local'));
    const run = await cli(['install', '-g', src('pdf'), '--scope', '@me'], base, { HOME: home, XDG_DATA_HOME: path.join(elsewhere, 'share') });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(await fs.readFile(path.join(elsewhere, 'share/skills/skills/pdf/SKILL.md'), 'utf8')).toContain('Reads PDFs.');
    // a link below the explicit folder is refused all the same
    const other = await homeWithElsewhere();
    await fs.mkdir(path.join(other.elsewhere, 'share'));
    const target = path.join(base, `target-${counter++}`);
    await fs.mkdir(target);
    await fs.symlink(target, path.join(other.elsewhere, 'share/skills'));
    const refused = await cli(['install', '-g', src('pdf'), '--scope', '@me'], base, { HOME: other.home, XDG_DATA_HOME: path.join(other.elsewhere, 'share') });
    expect(refused.json<Refusal>().error.code).toBe('EHOMELINK');
    expect(await fs.readdir(target)).toEqual([]);
  });

  it('an agent folder under XDG_CONFIG_HOME inside the home folder through a link: EAGENTTARGET, the store this run made is gone', async () => {
    const { home, elsewhere } = await homeWithElsewhere();
    await fs.symlink(elsewhere, path.join(home, 'dotconfig'));
    const before = [await tree(home), await tree(elsewhere)];
    const run = await cli(['install', '-g', src('pdf'), '--scope', '@me', '--agent', 'opencode'], base, { HOME: home, XDG_CONFIG_HOME: path.join(home, 'dotconfig') });
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.json<Refusal>().error).toMatchObject({ code: 'EAGENTTARGET', message: expect.stringContaining('link') });
    expect([await tree(home), await tree(elsewhere)]).toEqual(before);
  });
});
