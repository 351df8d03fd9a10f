import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { isSkillsError } from '../schema/errors';
import { validatePackage } from '../schema/package';
import { parseSkillMd } from '../schema/skill-md';
import { unpack } from '../tarball/unpack';
import { rawTar, type RawEntry } from './hostile/archives';

const enc = new TextEncoder();

describe('property-based fuzzing: parsers and the unpacker fail only with documented errors', () => {
  it('parseSkillMd never throws and reports problems with codes', () => {
    const frontmatterish = fc.oneof(
      fc.string(),
      fc.tuple(fc.string(), fc.string()).map(([a, b]) => `---\n${a}\n---\n${b}`),
      fc.record({ name: fc.string(), description: fc.string(), extra: fc.option(fc.string()) }).map((o) => `---\nname: ${o.name}\ndescription: ${o.description}\n${o.extra ? `x: ${o.extra}\n` : ''}---\nbody`),
    );
    fc.assert(
      fc.property(frontmatterish, fc.string(), (text, folder) => {
        const result = parseSkillMd(text, { folderName: folder });
        for (const p of result.problems) expect(p.code).toMatch(/^[EW][A-Z0-9]+$/);
        if (result.frontmatter === undefined) expect(result.problems.some((p) => p.severity === 'error')).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('validatePackage never throws on arbitrary files, including arbitrary skill.json and fixtures', () => {
    const json = fc.oneof(fc.json(), fc.string());
    const files = fc.record({
      skill: fc.oneof(fc.constant('---\nname: x\ndescription: d\n---\n'), fc.string()),
      manifest: fc.oneof(json, fc.record({ name: fc.string(), version: fc.string(), mcp: fc.jsonValue(), dependencies: fc.jsonValue() }).map((m) => JSON.stringify(m))),
      fixture: json,
      binary: fc.uint8Array({ maxLength: 64 }),
    });
    fc.assert(
      fc.property(files, (f) => {
        const result = validatePackage(
          [
            { path: 'SKILL.md', bytes: enc.encode(f.skill) },
            { path: 'skill.json', bytes: enc.encode(f.manifest) },
            { path: 'fixtures/a.json', bytes: enc.encode(f.fixture) },
            { path: 'index.ts', bytes: f.binary },
          ],
          { folderName: 'x', requireFixtures: true },
        );
        for (const p of result.problems) expect(p.code).toMatch(/^[EW][A-Z0-9]+$/);
      }),
      { numRuns: 2000 },
    );
  });

  it('unpack rejects arbitrary bytes and mutated tarballs only with ETAR codes', async () => {
    const base = rawTar([
      { name: 'SKILL.md', body: '---\nname: x\ndescription: d\n---\n' },
      { name: 'skill.json', body: '{"name":"@a/x","version":"1.0.0"}' },
    ]);
    const entry: fc.Arbitrary<RawEntry> = fc.record({
      name: fc.oneof(fc.string({ maxLength: 120 }), fc.constantFrom('../x', '/abs', 'a\\b', 'C:/x', 'ok.txt', 'dir/', '')),
      type: fc.constantFrom('0', '1', '2', '3', '4', '5', '6', '7', 'x', 'g', 'L', 'K', 'S', 'Z', '\0'),
      body: fc.string({ maxLength: 300 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 2048 }).map((b) => ({ bytes: b })),
          fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })).map(([at, v]) => {
            const copy = Buffer.from(base);
            copy[at] = v;
            return { bytes: new Uint8Array(gzipSync(copy)) };
          }),
          fc.array(entry, { maxLength: 5 }).map((entries) => ({ bytes: new Uint8Array(gzipSync(rawTar(entries))) })),
        ),
        async ({ bytes }) => {
          try {
            const files = await unpack(bytes);
            for (const f of files) expect(f.path.startsWith('/') || f.path.split('/').includes('..')).toBe(false);
          } catch (error) {
            expect(isSkillsError(error), String(error)).toBe(true);
            expect((error as { code: string }).code).toMatch(/^ETAR[A-Z]+$/);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
