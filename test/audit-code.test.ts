/**
 * The code side of the audit (issue 22): what is binary, code read as code (constants folded, data
 * followed from a source to a sink), files the instructions run, and no blind spot by budget.
 * Every evasion family has at least three variants, each high with its source and sink lines; the
 * benign look-alikes stay below high.
 */
import { describe, expect, it } from 'vitest';
import { auditFiles } from '../audit/audit';
import { assessTrust, classifyFile } from '../schema/trust';
import { audit, elf, highs, pkg, worst } from './helpers/audit';

/** Python 3.11 bytecode: magic a7 0d 0d 0a, flags, mtime, size, then a marshalled code object. */
function pyc(): Uint8Array {
  const bytes = new Uint8Array(64);
  bytes.set([0xa7, 0x0d, 0x0d, 0x0a, 0, 0, 0, 0, 0x10, 0x20, 0x30, 0x40, 0x22, 0, 0, 0, 0xe3]);
  return bytes;
}

describe('what is binary (issue 22.1)', () => {
  it('a text script marked executable without #! is a script, not a disguised binary', () => {
    for (const path of ['scripts/office/unpack.py', 'scripts/pack', 'ooxml/scripts/validate.py', 'scripts/run.sh']) {
      const r = auditFiles(pkg({ [path]: 'import sys\n\ndef main():\n    print(sys.argv)\n' }, { executable: [path] }));
      expect(worst(r, 'binary-disguised'), path).toBeUndefined();
      expect(r.findings.some((f) => /an? marked executable/.test(f.message))).toBe(false);
      expect(highs(r)).toEqual([]);
      expect(classifyFile({ path, bytes: new TextEncoder().encode('print(1)\n'), executable: true })).toMatchObject({ kind: 'executable' });
    }
  });

  it('real binary content behind any name is high: ELF, NUL bytes, Python bytecode renamed .dat/.md/no extension', () => {
    const r = audit({ 'data/cache.dat': pyc(), 'references/notes.md': pyc(), 'bin/helper': pyc(), 'assets/font.txt': elf(), 'scripts/x.py': new Uint8Array([0x70, 0x72, 0, 0x69]) });
    for (const file of ['data/cache.dat', 'references/notes.md', 'bin/helper', 'assets/font.txt', 'scripts/x.py']) expect(worst(r, 'binary-disguised', file)?.severity, file).toBe('high');
    expect(worst(r, 'binary-disguised', 'data/cache.dat')?.message).toContain('holds Python bytecode');
    expect(worst(r, 'binary-disguised', 'assets/font.txt')?.message).toContain('an ELF binary');
    expect(classifyFile({ path: 'data/cache.dat', bytes: pyc() })).toMatchObject({ kind: 'executable', why: 'Python bytecode' });
  });

  it('binaries named as what they are, and text that merely starts with MZ, are not disguised', () => {
    const r = audit({ 'lib/mod.pyc': pyc(), 'bin/tool.exe': new Uint8Array([0x4d, 0x5a, 0x90, 0, 3, 0]), 'references/mz.md': 'MZ stands for Mark Zbikowski.\n' });
    expect(worst(r, 'binary-disguised')).toBeUndefined();
    expect(classifyFile({ path: 'notes/mz.txt', bytes: new TextEncoder().encode('MZ notes\n') }).kind).toBe('instructions');
  });
});
