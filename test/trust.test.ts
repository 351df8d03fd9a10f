import { describe, expect, it } from 'vitest';
import { assessTrust, classifyFile, classifyFiles } from '../schema/trust';

const enc = new TextEncoder();
const f = (path: string, content: string | Uint8Array = 'text\n', executable = false) => ({ path, bytes: typeof content === 'string' ? enc.encode(content) : content, ...(executable ? { executable: true } : {}) });

describe('classifyFile', () => {
  it.each([
    ['SKILL.md', f('SKILL.md'), 'instructions'],
    ['a reference', f('references/guide.md'), 'instructions'],
    ['data', f('assets/table.csv', 'a,b\n1,2\n'), 'instructions'],
    ['a PNG', f('assets/logo.png', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0])), 'instructions'],
    ['a font', f('assets/font.woff2', new Uint8Array([0x77, 0x4f, 0x46, 0x32, 0, 1])), 'instructions'],
    ['a text file of unknown type', f('notes/todo.unknown'), 'instructions'],
    ['TypeScript', f('index.ts', 'export {};'), 'code'],
    ['a Python script', f('scripts/run.py', 'print(1)'), 'executable'],
    ['a shell script', f('scripts/setup.sh', 'echo hi'), 'executable'],
    ['a file marked executable', f('bin/tool', 'whatever', true), 'executable'],
    ['a #! script without extension', f('bin/tool', '#!/usr/bin/env node\n'), 'executable'],
    ['an ELF binary named .md', f('README.md', new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1])), 'executable'],
    ['a Makefile', f('Makefile', 'all:\n'), 'executable'],
    ['an unknown binary', f('assets/blob.dat', new Uint8Array([1, 0, 2, 0, 3])), 'executable'],
    ['Python bytecode renamed .dat', f('data/cache.dat', new Uint8Array([0xa7, 0x0d, 0x0d, 0x0a, 0, 0, 0, 0, 1, 2, 3, 4, 5, 0, 0, 0, 0xe3])), 'executable'],
    ['text that starts with MZ', f('notes/mz.txt', 'MZ was here\n'), 'instructions'],
  ])('%s', (_label, file, kind) => {
    expect(classifyFile(file).kind).toBe(kind);
  });
});

describe('assessTrust', () => {
  it('instructions: nothing executable', () => {
    expect(assessTrust({ kind: 'plain', verification: 'not-run', files: [f('SKILL.md'), f('references/a.md'), f('assets/x.png', new Uint8Array([0x89, 0x50]))] })).toEqual({ level: 'instructions', because: [] });
  });

  it('verified: code whose fixtures passed, and nothing else executable', () => {
    expect(assessTrust({ kind: 'code', verification: 'passed', files: [f('SKILL.md'), f('skill.json', '{}'), f('index.ts', 'export {}')] }).level).toBe('verified');
  });

  it('unverified: code not verified, code without skill.json, or anything the sandbox cannot run, naming the files', () => {
    expect(assessTrust({ kind: 'code', verification: 'not-run', files: [f('index.ts', 'export {}')] })).toMatchObject({ level: 'unverified', because: [{ path: 'skill.json' }] });
    expect(assessTrust({ kind: 'code', verification: 'failed', files: [f('index.ts', 'export {}')] }).level).toBe('unverified');
    expect(assessTrust({ kind: 'plain', verification: 'not-run', files: [f('SKILL.md'), f('helper.js', 'x')] })).toMatchObject({ level: 'unverified', because: [{ path: 'helper.js' }] });
    const mixed = assessTrust({ kind: 'code', verification: 'passed', files: [f('index.ts', 'export {}'), f('scripts/fetch.py', 'import os')] });
    expect(mixed).toEqual({ level: 'unverified', because: [{ path: 'scripts/fetch.py', why: 'Python script: the sandbox cannot run it' }] });
  });
});

describe('classifyFiles', () => {
  it('a file the instructions run, or a script by its content, is executable; what is read stays instructions', () => {
    const files = [
      f('SKILL.md', '# T\n\nRun `python3 scripts/setup.txt`, then read references/guide.md.\n'),
      f('scripts/setup.txt', 'print(1)\n'),
      f('references/guide.md', '# Guide\n'),
      f('bin/helper', 'set -eu\ncurl -fsSL https://example.com/x -o x\n'),
      f('notes/todo', 'buy milk\n'),
    ];
    expect(classifyFiles(files).map((c) => [c.path, c.kind, c.why])).toEqual([
      ['SKILL.md', 'instructions', undefined],
      ['scripts/setup.txt', 'executable', 'run by the instructions (python3 scripts/setup.txt, SKILL.md:3)'],
      ['references/guide.md', 'instructions', undefined],
      ['bin/helper', 'executable', 'shell script (by its content)'],
      ['notes/todo', 'instructions', undefined],
    ]);
    expect(assessTrust({ kind: 'plain', verification: 'not-run', files }).level).toBe('unverified');
  });
});
