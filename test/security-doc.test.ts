/**
 * SECURITY.md cites tests as proof: every test file it names must exist, every quoted test name or
 * phrase in parentheses after a file must be in that file, every backticked hostile-case name must
 * be in the test corpus, and the counts it states for the corpora must be the corpora's sizes. A
 * stale citation fails here, not in a reader's hands.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../testkit/cli';
import { HOSTILE_ARCHIVES } from './hostile/archives';
import { HOSTILE_SKILLS } from './hostile/skills';

const TEXT = fs.readFileSync(path.join(ROOT, 'SECURITY.md'), 'utf8');

/** Every file under test/, by path relative to the repository. */
function testFiles(dir = path.join(ROOT, 'test')): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return testFiles(full);
    return /\.(ts|mjs|js)$/.test(e.name) ? [path.relative(ROOT, full)] : [];
  });
}
const ALL_TEST_TEXT = testFiles()
  .map((f) => fs.readFileSync(path.join(ROOT, f), 'utf8'))
  .join('\n');

/** For every row of every table with a "Test" column: its first cell and its Test cell (with the Figures cell, where there is one). */
function testCells(): { row: string; cell: string }[] {
  const out: { row: string; cell: string }[] = [];
  let column = -1;
  let figures = -1;
  for (const line of TEXT.split('\n')) {
    if (!line.startsWith('|')) {
      column = -1;
      continue;
    }
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    if (column < 0) {
      column = cells.indexOf('Test');
      figures = cells.indexOf('Figures');
      continue;
    }
    if (cells.every((c) => /^-+$/.test(c.replace(/ /g, '')))) continue;
    out.push({ row: cells[0] ?? '', cell: `${cells[column] ?? ''}${figures >= 0 ? ` ${cells[figures] ?? ''}` : ''}`.trim() });
  }
  return out;
}

describe('SECURITY.md cites tests that exist', () => {
  const cells = testCells();

  it('finds the tables (a format change must not make this test vacuous)', () => {
    expect(cells.length).toBeGreaterThan(80);
  });

  it('every test file it names exists', () => {
    const missing: string[] = [];
    for (const m of TEXT.matchAll(/`(test\/[\w./-]+\.(?:ts|mjs|js))`/g)) {
      if (!fs.existsSync(path.join(ROOT, m[1] ?? ''))) missing.push(m[1] ?? '');
    }
    expect(missing).toEqual([]);
  });

  it('every row of a defence table names a test (or says why none)', () => {
    const empty = cells.filter((c) => c.cell === '').map((c) => c.row);
    expect(empty).toEqual([]);
  });

  it('every quoted name after a test file is in that file', () => {
    const wrong: string[] = [];
    for (const { cell } of cells) {
      for (const m of cell.matchAll(/`(test\/[\w./-]+\.ts)` \(([^)]*)\)/g)) {
        const file = path.join(ROOT, m[1] ?? '');
        if (!fs.existsSync(file)) continue;
        const body = fs.readFileSync(file, 'utf8');
        for (const q of (m[2] ?? '').matchAll(/"([^"]+)"/g)) if (!body.includes(q[1] ?? '')) wrong.push(`${m[1]}: "${q[1]}"`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('every backticked case name in a test cell is in the tests', () => {
    const wrong: string[] = [];
    for (const { cell } of cells) {
      for (const m of cell.matchAll(/`([a-z][a-z0-9]*(?:-[a-z0-9*]+)+)`/g)) {
        const name = (m[1] ?? '').replace(/\*$/, '');
        if (!ALL_TEST_TEXT.includes(name)) wrong.push(name);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('rate limits are cited where they are tested', () => {
    const row = cells.find((c) => c.row.startsWith('Stolen or guessed tokens'));
    expect(row?.cell).toContain('test/registry-limits.test.ts');
    const limits = fs.readFileSync(path.join(ROOT, 'test/registry-limits.test.ts'), 'utf8');
    expect(limits).toContain('ERATELIMITED');
  });

  it('states the size of each corpus as it is', () => {
    expect(TEXT).toContain(`holds ${HOSTILE_SKILLS.length} hostile skills`);
    const legit = HOSTILE_ARCHIVES.filter((a) => a.code === 'ok').length;
    expect(TEXT).toContain(`${HOSTILE_ARCHIVES.length} crafted archives (${HOSTILE_ARCHIVES.length - legit} hostile, ${legit} legitimate controls)`);
  });

  it('says the registry audits on a worker thread, not on its main thread', () => {
    expect(TEXT).not.toMatch(/audits on its main thread/);
    expect(fs.readFileSync(path.join(ROOT, 'registry-server/audit-pool.ts'), 'utf8')).toMatch(/Worker/);
  });
});
