/**
 * Deeply nested JSON: a few hundred bytes of `[[[[...]]]]` overflow any recursive walker and
 * structured clone. Fixtures and manifests are refused past 64 levels, every walker over
 * untrusted JSON is iterative or bounded, and the registry survives the 800-byte upload.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffJson, jsonEqual } from '../sandbox/diff';
import { InProcessRunner } from '../sandbox/pool';
import { verifySkill } from '../sandbox/verify';
import { canonicalJson } from '../schema/canonical-json';
import { findJsonDepthExcess, MAX_JSON_DEPTH } from '../schema/json-depth';
import { schemaToTs } from '../schema/schema-to-ts';
import { validatePackage } from '../schema/package';
import { tarballOf } from '../testkit/registry';
import { serveRegistry, type ServedRegistry } from '../testkit/serve';
import { skillFiles, textResult } from '../testkit/skill-files';

const nested = (depth: number, inner = '') => `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`;
const deep = (depth: number) => JSON.parse(nested(depth)) as unknown;
const enc = new TextEncoder();

/** A skill whose one fixture is the given raw JSON text. */
function withFixtureText(text: string) {
  const files = skillFiles({ name: 'deep', scope: '@acme', code: 'export function run(x: unknown) { return 1; }', fixtures: {} });
  files.push({ path: 'fixtures/deep.json', bytes: enc.encode(text) });
  return files;
}

describe('JSON nesting depth', () => {
  it('counts depth without recursion, and names where the limit is passed', () => {
    expect(findJsonDepthExcess(deep(MAX_JSON_DEPTH))).toBeUndefined();
    expect(findJsonDepthExcess(deep(MAX_JSON_DEPTH + 1))).toEqual({ path: Array(MAX_JSON_DEPTH).fill(0), max: MAX_JSON_DEPTH });
    expect(findJsonDepthExcess({ a: [{ b: deep(100_000) }] })?.path.slice(0, 4)).toEqual(['a', 0, 'b', 0]);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(findJsonDepthExcess(cycle)).toBeDefined();
  });

  it('refuses a fixture nested 100,000 deep (args, returns, a recorded result) with EJSONDEPTH', () => {
    const cases = [
      `{"call":{"export":"run","args":[${nested(100_000)}]},"expect":{"returns":1}}`,
      `{"call":{"export":"run","args":[]},"expect":{"returns":${nested(100_000)}}}`,
      `{"call":{"export":"run","args":[]},"mcp":[{"server":"s","tool":"t","arguments":{"a":${nested(100_000)}},"result":{"content":[]}}],"expect":{"returns":1}}`,
      `{"call":{"export":"run","args":[]},"mcp":[{"server":"s","tool":"t","result":{"content":[],"structuredContent":{"x":${nested(100_000)}}}}],"expect":{"returns":1}}`,
    ];
    for (const text of cases) {
      const validation = validatePackage(withFixtureText(text));
      expect(validation.ok).toBe(false);
      expect(validation.problems.find((p) => p.code === 'EJSONDEPTH'), JSON.stringify(validation.problems)).toMatchObject({
        path: expect.stringMatching(/^fixtures\/deep\.json#/),
        message: expect.stringMatching(/nested deeper than 64 levels/),
      });
    }
  });

  it('accepts a fixture exactly at the limit and refuses one level more', () => {
    // The fixture object, call and args take 3 levels.
    const at = validatePackage(withFixtureText(`{"call":{"export":"run","args":[${nested(MAX_JSON_DEPTH - 3)}]},"expect":{"returns":1}}`));
    expect(at.problems.filter((p) => p.severity === 'error')).toEqual([]);
    const over = validatePackage(withFixtureText(`{"call":{"export":"run","args":[${nested(MAX_JSON_DEPTH - 2)}]},"expect":{"returns":1}}`));
    expect(over.problems.map((p) => p.code)).toContain('EJSONDEPTH');
  });

  it('canonical JSON, equality and the diff handle values 100,000 deep', () => {
    const a = deep(100_000);
    const b = JSON.parse(nested(100_000, '1')) as unknown;
    expect(canonicalJson(a)).toBe(nested(100_000));
    expect(jsonEqual(a, deep(100_000))).toBe(true);
    expect(jsonEqual(a, b)).toBe(false);
    const diff = diffJson(a, b);
    expect(diff.split('\n')).toHaveLength(1);
    expect(diff).toMatch(/^\$(\[0\]){64}: expected /);
  });

  it('rejects the call when a recorded text result parses to JSON nested too deep, in the sandbox, not the host', async () => {
    const runner = new InProcessRunner();
    try {
      const files = skillFiles({
        code: `import { t } from '../../servers/s';
export async function run() { try { await t({}); return 'no'; } catch (e) { return (e as Error).message; } }`,
        mcp: { s: ['t'] },
        fixtures: {
          c: {
            call: { export: 'run', args: [] },
            mcp: [{ server: 's', tool: 't', arguments: {}, result: textResult(nested(100_000)) }],
            expect: { returns: 'the MCP tool result text is JSON nested deeper than 64 levels; flatten the data' },
          },
        },
      });
      const report = await verifySkill({ files }, { runner });
      expect(report.cases[0], JSON.stringify(report.cases[0])).toMatchObject({ status: 'passed' });
    } finally {
      await runner.close();
    }
  });
});

describe('tool schemas from an MCP server', () => {
  it('a few hundred bytes of branching $refs convert to bounded TypeScript, not an exponential expansion', () => {
    const branches = Array.from({ length: 8 }, (_, i) => ({ type: 'object', properties: { [`k${i}`]: { $ref: '#/$defs/a' } } }));
    const schema = { $defs: { a: { anyOf: branches } }, $ref: '#/$defs/a' };
    expect(JSON.stringify(schema).length).toBeLessThan(600);
    const text = schemaToTs(schema);
    expect(text.length).toBeLessThan(1024 * 1024);
    expect(text).toContain('k0?: ');
  });
});

describe('the registry and an 800-byte upload nested 100,000 deep (real skills serve)', () => {
  let registry: ServedRegistry;
  const api = (method: string, url: string, body?: Uint8Array | object) =>
    fetch(`${registry.url}${url}`, {
      method,
      headers: { Authorization: `Bearer ${registry.adminToken}`, ...(body instanceof Uint8Array || body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      ...(body === undefined ? {} : { body: body instanceof Uint8Array ? body : JSON.stringify(body) }),
    });
  beforeAll(async () => {
    registry = await serveRegistry();
    expect((await api('POST', '/v1/teams', { name: 'acme' })).status).toBe(201);
    expect((await api('POST', '/v1/scopes', { name: '@acme', team: 'acme' })).status).toBe(201);
  });
  afterAll(async () => {
    await registry.stop();
  });

  it('refuses it with EJSONDEPTH, stays up, and still verifies and accepts a normal skill', async () => {
    const fixture = `{"call":{"export":"run","args":[${nested(100_000)}]},"expect":{"returns":1}}`;
    const files = withFixtureText(fixture);
    // A second case, so verification would use the worker pool even for a small package.
    files.push({ path: 'fixtures/other.json', bytes: enc.encode(fixture) });
    const tarball = await tarballOf(files);
    expect(tarball.byteLength).toBeLessThan(1024);
    for (let i = 0; i < 3; i++) {
      const res = await api('PUT', '/v1/skills/@acme/deep', tarball);
      const body = (await res.json()) as { error: { code: string; details?: { problems?: { code: string }[] } } };
      expect(res.status, JSON.stringify(body).slice(0, 500)).toBe(400);
      expect(body.error.code).toBe('EVALIDATION');
      expect(body.error.details?.problems?.map((p) => p.code)).toContain('EJSONDEPTH');
    }
    const normal = skillFiles({
      name: 'fine',
      scope: '@acme',
      code: 'export function double(n: number) { return n * 2; }',
      fixtures: { a: { call: { export: 'double', args: [1] }, expect: { returns: 2 } }, b: { call: { export: 'double', args: [2] }, expect: { returns: 4 } } },
    });
    const res = await api('PUT', '/v1/skills/@acme/fine', await tarballOf(normal));
    expect(res.status, await res.clone().text()).toBe(201);
    expect(registry.child.exitCode).toBeNull();
  });
});
