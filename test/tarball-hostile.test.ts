import { describe, expect, it } from 'vitest';
import { isSkillsError } from '../schema/errors';
import { unpack } from '../tarball/unpack';
import { HOSTILE_ARCHIVES } from './hostile/archives';

describe('unpack rejects every hostile archive with its own code', () => {
  it('has at least 20 hostile cases and covers every rejection code', () => {
    const codes = new Set(HOSTILE_ARCHIVES.map((a) => a.code));
    expect(HOSTILE_ARCHIVES.filter((a) => a.code !== 'ok').length).toBeGreaterThanOrEqual(20);
    for (const code of [
      'ETARABSOLUTE', 'ETARDOTDOT', 'ETARBACKSLASH', 'ETARDRIVE', 'ETARSYMLINK', 'ETARHARDLINK', 'ETARDEVICE', 'ETARFIFO',
      'ETARDUPLICATE', 'ETARCASECOLLISION', 'ETARNFCCOLLISION', 'ETARTOOMANY', 'ETARTOOBIG', 'ETARFILETOOBIG',
      'ETARTRUNCATED', 'ETARGZIP', 'ETARBOMB', 'ETARCORRUPT', 'ETARTYPE', 'ETARNAME', 'ETARPATHCONFLICT',
    ]) {
      expect(codes, code).toContain(code);
    }
  });

  for (const archive of HOSTILE_ARCHIVES) {
    it(`${archive.name}: ${archive.description} -> ${archive.code}`, async () => {
      const bytes = archive.bytes();
      if (archive.code === 'ok') {
        const files = await unpack(bytes, archive.limits);
        expect(files.map((f) => f.path)).toContain('SKILL.md');
        return;
      }
      const error = await unpack(bytes, archive.limits).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isSkillsError(error), String(error)).toBe(true);
      expect((error as { code: string }).code).toBe(archive.code);
      expect((error as { status: number }).status).toBe(400);
    });
  }

  it('stops a 1 GiB zero bomb early: fast, and without inflating it', async () => {
    const bomb = HOSTILE_ARCHIVES.find((a) => a.name === 'bomb-1-gib-of-zeros');
    if (!bomb) throw new Error('corpus lost the bomb');
    const bytes = bomb.bytes();
    expect(bytes.length).toBeLessThan(2 * 1024 * 1024);
    const before = process.memoryUsage().rss;
    const started = performance.now();
    await expect(unpack(bytes)).rejects.toMatchObject({ code: 'ETARBOMB' });
    const ms = performance.now() - started;
    const grown = process.memoryUsage().rss - before;
    expect(ms).toBeLessThan(1000);
    expect(grown).toBeLessThan(64 * 1024 * 1024);
  });
});
