/** Builds in-memory skill packages for sandbox tests. */
import type { FixtureInput } from '../schema/fixture';
import type { McpDeclaration } from '../schema/manifest';
import type { PackageFile } from '../schema/package-files';

export interface SkillSpec {
  name?: string;
  scope?: string;
  version?: string;
  code: string;
  mcp?: McpDeclaration;
  fixtures: Record<string, FixtureInput>;
  extraFiles?: Record<string, string>;
  dependencies?: Record<string, string>;
}

const enc = new TextEncoder();

export function skillFiles(spec: SkillSpec): PackageFile[] {
  const name = spec.name ?? 'probe';
  const files: PackageFile[] = [
    { path: 'SKILL.md', bytes: enc.encode(`---\nname: ${name}\ndescription: A skill built by a test.\n---\n\nTest skill.\n`) },
    { path: 'skill.json', bytes: enc.encode(JSON.stringify({ name: `${spec.scope ?? '@test'}/${name}`, version: spec.version ?? '1.0.0', mcp: spec.mcp ?? {}, dependencies: spec.dependencies ?? {} })) },
    { path: 'index.ts', bytes: enc.encode(spec.code) },
  ];
  for (const [caseName, fixture] of Object.entries(spec.fixtures)) files.push({ path: `fixtures/${caseName}.json`, bytes: enc.encode(JSON.stringify(fixture)) });
  for (const [path, content] of Object.entries(spec.extraFiles ?? {})) files.push({ path, bytes: enc.encode(content) });
  return files;
}

/** A recorded MCP text result. */
export function textResult(text: string): { content: { type: 'text'; text: string }[] } {
  return { content: [{ type: 'text', text }] };
}

/** Three interdependent skills: top -> mid -> base, top also calling the echo MCP tool. */
export function chainSkills(scope = '@acme', baseVersion = '1.0.0'): { base: PackageFile[]; mid: PackageFile[]; top: PackageFile[] } {
  const base = skillFiles({
    name: 'base',
    scope,
    version: baseVersion,
    code: `export function double(n: number): number { return n * 2; }\nexport const VERSION = '${baseVersion}';`,
    fixtures: { twenty: { call: { export: 'double', args: [21] }, expect: { returns: 42 } } },
  });
  const mid = skillFiles({
    name: 'mid',
    scope,
    dependencies: { [`${scope}/base`]: '^1.0.0' },
    code: "import { double } from '../base';\nexport function quad(n: number): number { return double(double(n)); }",
    fixtures: { five: { call: { export: 'quad', args: [5] }, expect: { returns: 20 } } },
  });
  const top = skillFiles({
    name: 'top',
    scope,
    dependencies: { [`${scope}/mid`]: '^1.0.0' },
    mcp: { everything: ['echo'] },
    code: "import { quad } from '../mid';\nimport { echo } from '../servers/everything';\nexport async function shout(n: number) { return echo({ message: String(quad(n)) }); }",
    fixtures: {
      two: {
        call: { export: 'shout', args: [2] },
        mcp: [{ server: 'everything', tool: 'echo', arguments: { message: '8' }, result: textResult('Echo: 8') }],
        expect: { returns: 'Echo: 8' },
      },
    },
  });
  return { base, mid, top };
}
