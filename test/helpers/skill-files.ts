/** Builds in-memory skill packages for sandbox tests. */
import type { FixtureInput } from '../../schema/fixture';
import type { McpDeclaration } from '../../schema/manifest';
import type { PackageFile } from '../../schema/package-files';

export interface SkillSpec {
  name?: string;
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
    { path: 'skill.json', bytes: enc.encode(JSON.stringify({ name: `@test/${name}`, version: '1.0.0', mcp: spec.mcp ?? {}, dependencies: spec.dependencies ?? {} })) },
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
