/**
 * Nothing of the user's is lost from skills.json: every command that changes it edits the keys it
 * means to, in the text as it is at commit time, and keeps the rest byte for byte (order,
 * indentation, CRLF, a BOM, comments, keys skills does not know). Hostile files are refused with
 * where and what, changing nothing. Real files, a real registry, real `skills` processes; the
 * concurrent hand edit goes through a real HTTP seam (a proxy that holds the registry's answer).
 */
import http from 'node:http';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { install, type InstallRequest } from '../cli/core/install/install';
import { JOURNAL, sealJournal, sha256 } from '../cli/core/install/journal';
import { journalKey } from '../cli/core/install/journal-key';
import { applyWorkspaceEdits, parseWorkspaceText, unknownKeyWarning, workspaceEdits } from '../cli/core/workspace/text';
import { nearest } from '../schema/suggest';
import type { Workspace } from '../schema/workspace';
import { runCli } from '../testkit/cli';
import { recordingServer } from '../testkit/recording-server';
import { skillFiles } from '../testkit/skill-files';
import { STAGING, TRASH } from '../testkit/journal';
import { tempDir } from '../testkit/temp';
import { expectNothingWritten, tree } from '../testkit/tree';
import { liveRegistry, type LiveRegistry } from '../testkit/workspace';

let live: LiveRegistry;
let base: string;
let ws: string;
let counter = 0;

function skill(name: string) {
  return skillFiles({ name, scope: '@acme', code: 'export function f() { return 1; }', fixtures: { c: { call: { export: 'f', args: [] }, expect: { returns: 1 } } } });
}

beforeAll(async () => {
  live = await liveRegistry(['@acme']);
  for (const name of ['alpha', 'beta', 'gamma']) expect((await live.publish(skill(name))).status).toBe(201);
  base = await tempDir('json');
}, 120_000);
afterAll(async () => {
  await live.close();
  await fs.rm(base, { recursive: true, force: true });
});
beforeEach(async () => {
  ws = path.join(base, `ws-${++counter}`);
  await fs.mkdir(ws);
});

// One cache for the file: the sandbox verifies each skill once.
const env = () => ({ SKILLS_CACHE_DIR: path.join(base, 'cache'), SKILLS_CONFIG_DIR: path.join(base, 'config') });

function req(extra: Partial<InstallRequest> = {}, warnings: string[] = []): InstallRequest {
  return { root: ws, env: env(), registry: live.registry.url, progress: () => {}, warn: (w) => warnings.push(w), ...extra };
}

const file = () => path.join(ws, 'skills.json');
const read = () => fs.readFile(file(), 'utf8');
const write = (text: string) => fs.writeFile(file(), text);

/** A skills.json a person keeps: BOM, CRLF, tabs, comments, keys skills ignores or does not know. */
const HOSTILE = [
  '\uFEFF{',
  '\t// the skills of this repo',
  '\t"$schema": "https://example.com/skills.schema.json",',
  '\t"name": "demo",',
  '\t"dependencies": {},',
  '\t/* a misspelling */',
  '\t"dependencis": { "@acme/beta": "^1.0.0" },',
  '\t"__proto__": { "polluted": true },',
  '\t"constructor": { "prototype": { "polluted": true } },',
  '\t"privacy": { "tokenizePII": true }',
  '}',
  '',
].join('\r\n');

describe('reading skills.json', () => {
  it('accepts comments, a BOM and CRLF, and reports unknown keys once each with a did-you-mean', () => {
    const { workspace, unknownKeys } = parseWorkspaceText(HOSTILE, 'skills.json');
    expect(workspace).toMatchObject({ $schema: 'https://example.com/skills.schema.json', name: 'demo', dependencies: {} });
    expect(unknownKeys.map((k) => [k.path.join('.'), k.line, k.suggestion])).toEqual([
      ['dependencis', 7, 'dependencies'],
      ['__proto__', 8, undefined],
      ['constructor', 9, undefined],
      ['privacy.tokenizePII', 10, 'tokenizePii'],
    ]);
    expect(unknownKeyWarning('skills.json', unknownKeys[0] as (typeof unknownKeys)[number])).toBe('skills.json line 7: unknown key "dependencis", kept as written; did you mean "dependencies"?');
    expect(unknownKeyWarning('skills.json', unknownKeys[3] as (typeof unknownKeys)[number])).toContain('did you mean "privacy.tokenizePii"?');
    expect(nearest('registery', ['registry', 'scope'])).toBe('registry');
    expect(nearest('Dependencies', ['dependencies'])).toBe('dependencies');
    expect(nearest('zzz', ['dependencies', 'alias'])).toBeUndefined();
  });

  it('never lets __proto__ or constructor reach a prototype', () => {
    const text = '{ "__proto__": { "polluted": 1 }, "constructor": { "prototype": { "polluted": 1 } }, "dependencies": {} }';
    const { workspace } = parseWorkspaceText(text, 'skills.json');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(workspace)).toBe(Object.prototype);
    expect((workspace as Record<string, unknown>).polluted).toBeUndefined();
    // As a dependency name it is not a skill name.
    expect(() => parseWorkspaceText('{ "dependencies": { "__proto__": "^1.0.0" } }', 'skills.json')).toThrow(expect.objectContaining({ code: 'EWORKSPACE', message: expect.stringContaining('line 1') }));
  });

  it('gives line and column for a syntax error, says what to fix, and names a trailing comma', () => {
    const at = (text: string) => {
      try {
        parseWorkspaceText(text, 'skills.json');
      } catch (error) {
        return error as { code: string; message: string; hint: string; details: unknown };
      }
      throw new Error('parsed');
    };
    const missingComma = at('{\n  "dependencies": {\n    "@acme/a": "^1.0.0"\n    "@acme/b": "^1.0.0"\n  }\n}\n');
    expect(missingComma).toMatchObject({ code: 'EWORKSPACE', details: { line: 4, column: 5 } });
    expect(missingComma.message).toBe('skills.json is not valid JSON: line 4, column 5: expected a comma');
    expect(missingComma.hint).toContain('nothing was changed');
    expect(at('{\n  "dependencies": {},\n}').message).toContain('line 3, column 1: a comma before a closing bracket (trailing commas are not allowed: remove it)');
    expect(at('\uFEFF{\r\n\t"a": tru\r\n}').message).toContain('line 2, column 7');
    expect(at('').message).toContain('the file is empty');
    expect(at('{ /* never closed').message).toContain('line 1, column 3: a comment is not closed');
    expect(at('{}{}').message).toContain('line 1, column 3: unexpected text after the end');
    // Deep nesting is refused before anything recurses.
    expect(at(`{"x": ${'['.repeat(100_000)}`).message).toContain('deeper than 64');
  });

  it('refuses a key written twice, naming it and both lines, at any depth', () => {
    const twice = '{\n  "dependencies": {\n    "@acme/a": "^1.0.0",\n    "@acme/a": "^2.0.0"\n  }\n}\n';
    expect(() => parseWorkspaceText(twice, 'skills.json')).toThrow(
      expect.objectContaining({ code: 'EWORKSPACEDUPKEY', message: 'skills.json line 4: the key "dependencies.@acme/a" is written twice (first on line 3); which one counts is ambiguous' }),
    );
    expect(() => parseWorkspaceText('{ "registry": "http://a", /* again */ "registry": "http://b" }', 'skills.json')).toThrow(expect.objectContaining({ code: 'EWORKSPACEDUPKEY' }));
  });

  it('reads and edits a 10,000-key skills.json in bounded time', () => {
    const keys = Array.from({ length: 10_000 }, (_, i) => `  "x-${i}": ${i}`);
    const deps = Array.from({ length: 10_000 }, (_, i) => `    "@acme/s${String(i).padStart(5, '0')}": "^1.0.0"`);
    const text = `{\n${keys.join(',\n')},\n  "dependencies": {\n${deps.join(',\n')}\n  }\n}\n`;
    const started = performance.now();
    const { workspace, unknownKeys } = parseWorkspaceText(text, 'skills.json');
    expect(unknownKeys).toHaveLength(10_000);
    const after: Workspace = { ...workspace, dependencies: { ...workspace.dependencies, '@acme/s05000a': '^2.0.0' } };
    const edited = applyWorkspaceEdits(text, workspaceEdits(workspace, after));
    // Linear work (a second or so here); a quadratic step took 20 s on this file.
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(edited).toBe(text.replace('    "@acme/s05001": "^1.0.0"', '    "@acme/s05000a": "^2.0.0",\n    "@acme/s05001": "^1.0.0"'));
  });
});

describe('editing skills.json', () => {
  it('keeps tabs, CRLF, a BOM, comments and unknown keys; a removal returns the original bytes', () => {
    const { workspace } = parseWorkspaceText(HOSTILE, 'skills.json');
    const added = applyWorkspaceEdits(HOSTILE, workspaceEdits(workspace, { ...workspace, dependencies: { '@acme/alpha': '^1.0.0' } }));
    expect(added).toBe(HOSTILE.replace('\t"dependencies": {},', '\t"dependencies": {\r\n\t\t"@acme/alpha": "^1.0.0"\r\n\t},'));
    const back = applyWorkspaceEdits(added, workspaceEdits({ ...workspace, dependencies: { '@acme/alpha': '^1.0.0' } }, workspace));
    expect(back).toBe(HOSTILE);
  });

  it('detects the indentation width, keeps a sorted record sorted, and appends new top-level keys', () => {
    const text = '{\n    "dependencies": {\n        "@acme/a": "1",\n        "@acme/c": "1"\n    }\n}';
    const before: Workspace = { dependencies: { '@acme/a': '1', '@acme/c': '1' }, servers: {} };
    const after: Workspace = { ...before, dependencies: { ...before.dependencies, '@acme/b': '1' }, link: 'copy', trust: { allowUnverified: ['@acme/b'] } };
    expect(applyWorkspaceEdits(text, workspaceEdits(before, after))).toBe(
      '{\n    "dependencies": {\n        "@acme/a": "1",\n        "@acme/b": "1",\n        "@acme/c": "1"\n    },\n    "link": "copy",\n    "trust": {\n        "allowUnverified": [\n            "@acme/b"\n        ]\n    }\n}',
    );
  });

  it('adds to and removes from arrays item by item', () => {
    const text = '{\n  "trust": {\n    "allowUnverified": [\n      "@acme/a", // reviewed\n      "@acme/b"\n    ]\n  }\n}\n';
    const before: Workspace = { dependencies: {}, servers: {}, trust: { allowUnverified: ['@acme/a', '@acme/b'] } };
    const appended = applyWorkspaceEdits(text, workspaceEdits(before, { ...before, trust: { allowUnverified: ['@acme/a', '@acme/b', '@acme/c'] } }));
    expect(appended).toBe(text.replace('      "@acme/b"\n', '      "@acme/b",\n      "@acme/c"\n'));
    const removed = applyWorkspaceEdits(text, workspaceEdits(before, { ...before, trust: { allowUnverified: ['@acme/a'] } }));
    expect(removed).toBe('{\n  "trust": {\n    "allowUnverified": [\n      "@acme/a" // reviewed\n    ]\n  }\n}\n');
  });

  it('a removed entry takes its own line (and the comment ending it) and keeps every other comment', () => {
    const text = [
      '{',
      '  "dependencies": {',
      '    // registry skills',
      '    "@acme/a": "^1.0.0", // the PDF one',
      '    "@acme/b": "^1.0.0", // goes',
      '    "@acme/c": "^1.0.0" // goes too',
      '  },',
      '  "alias": { "@acme/a": "pdf", "@acme/b": "b2" }',
      '}',
    ].join('\n');
    const before: Workspace = { dependencies: { '@acme/a': '^1.0.0', '@acme/b': '^1.0.0', '@acme/c': '^1.0.0' }, servers: {}, alias: { '@acme/a': 'pdf', '@acme/b': 'b2' } };
    const after: Workspace = { dependencies: { '@acme/a': '^1.0.0' }, servers: {}, alias: { '@acme/a': 'pdf' } };
    expect(applyWorkspaceEdits(text, workspaceEdits(before, after))).toBe(
      ['{', '  "dependencies": {', '    // registry skills', '    "@acme/a": "^1.0.0" // the PDF one', '  },', '  "alias": { "@acme/a": "pdf" }', '}'].join('\n'),
    );
    const none: Workspace = { dependencies: {}, servers: {}, alias: {} };
    expect(applyWorkspaceEdits(text, workspaceEdits(before, none))).toBe(['{', '  "dependencies": {', '    // registry skills', '  },', '  "alias": {}', '}'].join('\n'));
  });
});

describe('install, uninstall and ci keep skills.json', () => {
  it('a hostile skills.json: one warning per unknown key, only the dependency line changes, and uninstall restores the exact bytes', async () => {
    await write(HOSTILE);
    const warnings: string[] = [];
    const result = await install(req({ add: ['@acme/alpha'] }, warnings));
    expect(result.workspaceFile).toEqual({ file: file(), created: false, changed: true });
    expect(warnings.filter((w) => w.includes('unknown key'))).toEqual([
      'skills.json line 7: unknown key "dependencis", kept as written; did you mean "dependencies"?',
      'skills.json line 8: unknown key "__proto__", kept as written and ignored',
      'skills.json line 9: unknown key "constructor", kept as written and ignored',
      'skills.json line 10: unknown key "privacy.tokenizePII", kept as written; did you mean "privacy.tokenizePii"?',
    ]);
    expect(await read()).toBe(HOSTILE.replace('\t"dependencies": {},', '\t"dependencies": {\r\n\t\t"@acme/alpha": "^1.0.0"\r\n\t},'));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();

    // Nothing to do: the file is not touched at all.
    const edited = await fs.stat(file());
    const again = await install(req());
    expect(again.workspaceFile).toMatchObject({ created: false, changed: false });
    expect((await fs.stat(file())).mtimeMs).toBe(edited.mtimeMs);

    await install(req({ remove: ['@acme/alpha'] }));
    expect(await read()).toBe(HOSTILE);
  });

  it('--copy and --allow-unverified style edits land as keys, the rest untouched', async () => {
    const text = '{\n  "name": "x", // kept\n  "dependencies": {\n    "@acme/alpha": "^1.0.0"\n  }\n}\n';
    await write(text);
    await install(req({ copy: true }));
    expect(await read()).toBe('{\n  "name": "x", // kept\n  "dependencies": {\n    "@acme/alpha": "^1.0.0"\n  },\n  "link": "copy"\n}\n');
  });

  it('update --latest rewrites only the range, in place, its comment kept', async () => {
    await write('{\n  "dependencies": {\n    "@acme/alpha": "latest" // follow the tag\n  }\n}\n');
    await install(req({ update: { names: 'all', latest: true } }));
    expect(await read()).toBe('{\n  "dependencies": {\n    "@acme/alpha": "^1.0.0" // follow the tag\n  }\n}\n');
  });

  it('an install killed after its journal was written is completed with the commented skills.json it computed', async () => {
    const ref = path.join(base, `ref-${counter}`);
    await fs.mkdir(ref);
    await fs.writeFile(path.join(ref, 'skills.json'), HOSTILE);
    await install(req({ root: ref, add: ['@acme/alpha'] }));
    // The same install, stopped after the journal: staged, sealed, nothing moved or written.
    await write(HOSTILE);
    await fs.mkdir(path.join(ws, 'skills', STAGING), { recursive: true });
    await fs.cp(path.join(ref, 'skills', 'alpha'), path.join(ws, 'skills', STAGING, 'alpha'), { recursive: true });
    const key = await journalKey(env(), { create: true });
    if (!key) throw new Error('no journal key');
    const journal = {
      staging: STAGING,
      trash: TRASH,
      install: ['alpha'],
      remove: [],
      files: [
        { path: 'skills.json' as const, before: sha256(HOSTILE), content: await fs.readFile(path.join(ref, 'skills.json'), 'utf8') },
        { path: 'skills-lock.json' as const, before: null, content: await fs.readFile(path.join(ref, 'skills-lock.json'), 'utf8') },
      ],
    };
    await fs.writeFile(path.join(ws, 'skills', JOURNAL), sealJournal(journal, key));
    expect((await install(req())).recovered).toBe('completed');
    expect(await read()).toBe(await fs.readFile(path.join(ref, 'skills.json'), 'utf8'));
    expect(await read()).toContain('// the skills of this repo');
  });

  it('creates skills.json in the house format when there is none, and says so', async () => {
    const result = await install(req({ add: ['@acme/alpha'] }));
    expect(result.workspaceFile).toEqual({ file: file(), created: true, changed: true });
    expect(await read()).toBe('{\n  "dependencies": {\n    "@acme/alpha": "^1.0.0"\n  }\n}\n');
    expect((await install(req({ add: ['@acme/beta'] }))).workspaceFile.created).toBe(false);
  });

  it('a syntax error or a duplicate key fails with where and what, writing nothing', async () => {
    await write('{\n  "dependencies": {\n    "@acme/alpha": "^1.0.0",\n  }\n}\n');
    const syntax = await expectNothingWritten(ws, () => install(req({ add: ['@acme/beta'] })), 'EWORKSPACE');
    expect(syntax.message).toContain('line 4, column 3');
    await write('{\n  "dependencies": {},\n  "dependencies": { "@acme/alpha": "^1.0.0" }\n}\n');
    const dup = await expectNothingWritten(ws, () => install(req({ add: ['@acme/beta'] })), 'EWORKSPACEDUPKEY');
    expect(dup.message).toContain('"dependencies" is written twice (first on line 2)');
  });
});

/**
 * A proxy in front of the registry that holds its first answer until `edit` has run: the install
 * has read skills.json and planned, and has not committed.
 */
async function heldRegistry(edit: () => Promise<void>) {
  let held: Promise<void> | undefined;
  const upstream = new URL(live.registry.url);
  return recordingServer(async (req, res, url) => {
    held ??= edit();
    await held;
    await new Promise<void>((resolve, reject) => {
      const out = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: url.pathname + url.search, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on('end', resolve);
      });
      out.on('error', reject);
      out.end();
    });
  });
}

describe('a hand edit while an install runs', () => {
  it('is kept: the install applies its edit to the text as it is at commit time', async () => {
    await write('{\n  "dependencies": {\n    "@acme/alpha": "^1.0.0"\n  }\n}\n');
    await install(req());
    const handEdited = '{\n  // added by hand during the install\n  "name": "mine",\n  "dependencies": {\n    "@acme/alpha": "^1.0.0"\n  },\n  "agents": []\n}\n';
    const proxy = await heldRegistry(() => write(handEdited));
    try {
      await install(req({ add: ['@acme/beta'], registry: proxy.url }));
    } finally {
      await proxy.close();
    }
    expect(await read()).toBe('{\n  // added by hand during the install\n  "name": "mine",\n  "dependencies": {\n    "@acme/alpha": "^1.0.0",\n    "@acme/beta": "^1.0.0"\n  },\n  "agents": []\n}\n');
  });

  it('that breaks the file fails the install with line and column, and leaves everything else as it was', async () => {
    await write('{\n  "dependencies": {\n    "@acme/alpha": "^1.0.0"\n  }\n}\n');
    await install(req());
    const broken = '{\n  "dependencies": {\n    "@acme/alpha": "^1.0.0"\n  \n}\n';
    const before = await tree(ws, { ignore: (p) => p === 'skills.json' });
    const proxy = await heldRegistry(() => write(broken));
    let error: { code?: string; message?: string } | undefined;
    try {
      await install(req({ add: ['@acme/beta'], registry: proxy.url })).catch((e: unknown) => (error = e as typeof error));
    } finally {
      await proxy.close();
    }
    expect(error?.code).toBe('EWORKSPACE');
    expect(error?.message).toContain('line 6, column 1');
    expect(await read()).toBe(broken);
    expect(await tree(ws, { ignore: (p) => p === 'skills.json' })).toEqual(before);
  });
});

describe('the skills CLI', () => {
  const cliEnv = () => ({ ...env(), HOME: path.join(base, 'home'), XDG_DATA_HOME: '', XDG_CONFIG_HOME: '', SKILLS_REGISTRY: live.registry.url });

  it('two installs at once are serialised by the workspace lock, and both keep the comments', async () => {
    const text = '{\n\t// ours\n\t"dependencies": {}\n}\n';
    await write(text);
    const [a, b] = await Promise.all([runCli(['install', '@acme/alpha', '--json'], { cwd: ws, env: cliEnv() }), runCli(['install', '@acme/gamma', '--json'], { cwd: ws, env: cliEnv() })]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    // Whichever committed second inserted its key in order, into the text the first one wrote.
    expect(await read()).toBe('{\n\t// ours\n\t"dependencies": {\n\t\t"@acme/alpha": "^1.0.0",\n\t\t"@acme/gamma": "^1.0.0"\n\t}\n}\n');
  });

  it('install says it created skills.json (human and --json); ci without a lockfile says to run install', async () => {
    const ci = await runCli(['ci', '--json'], { cwd: ws, env: cliEnv() });
    expect(ci.code).toBe(1);
    expect(ci.json<{ error: { code: string; hint: string } }>().error).toMatchObject({ code: 'ELOCKMISSING', hint: expect.stringContaining('skills install') });
    expect(await fs.readdir(ws)).toEqual([]);

    const human = await runCli(['install', '@acme/alpha'], { cwd: ws, env: cliEnv() });
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain(`created ${path.join(ws, 'skills.json')}`);
    await fs.rm(path.join(ws, 'skills.json'));
    await fs.rm(path.join(ws, 'skills-lock.json'));
    const json = await runCli(['install', '--json'], { cwd: ws, env: cliEnv() });
    expect(json.code, json.stderr).toBe(0);
    expect(json.json<{ workspaceFile: unknown }>().workspaceFile).toEqual({ file: path.join(ws, 'skills.json'), created: true, changed: true });
  });

  it('install -g edits the global store\'s skills.json in place', async () => {
    const store = path.join(base, 'home', '.local', 'share', 'skills');
    await fs.mkdir(store, { recursive: true });
    const text = '{\n   "name": "my global skills", /* three spaces */\n   "dependencies": {}\n}';
    await fs.writeFile(path.join(store, 'skills.json'), text);
    const run = await runCli(['install', '-g', '@acme/beta', '--json'], { cwd: ws, env: cliEnv() });
    expect(run.code, run.stderr).toBe(0);
    expect(await fs.readFile(path.join(store, 'skills.json'), 'utf8')).toBe('{\n   "name": "my global skills", /* three spaces */\n   "dependencies": {\n      "@acme/beta": "^1.0.0"\n   }\n}');
  });
});
