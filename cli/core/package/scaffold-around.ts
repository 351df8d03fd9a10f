/**
 * `skills init --from <dir>`: wrap code an agent already wrote (and recorded fixtures for) in a
 * package: SKILL.md and skill.json, with the `mcp` declaration inferred from the recorded calls.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { fixtureSchema } from '../../../schema/fixture';
import type { McpDeclaration } from '../../../schema/manifest';
import { parsePackageName } from '../../../schema/names';
import { SkillsError } from '../../../schema/errors';

export interface AroundResult {
  files: Map<string, string>;
  entry: string;
  mcp: McpDeclaration;
  exports: string[];
  fixtures: string[];
}

export async function scaffoldAround(dir: string, options: { name: string; description?: string | undefined }): Promise<AroundResult> {
  const parsed = parsePackageName(options.name);
  if (!parsed) throw new SkillsError('ENAMEINVALID', `"${options.name}" is not a valid skill name`);
  const entries = await fs.readdir(dir).catch(() => undefined);
  if (!entries) throw new SkillsError('ENOTFOUND', `${dir} does not exist`, { hint: 'pass the folder that holds the code' });
  const code = entries.filter((f) => /\.(ts|mts|js|mjs)$/.test(f) && !f.endsWith('.d.ts')).sort();
  const entry = code.includes('index.ts') ? 'index.ts' : code.length === 1 ? (code[0] as string) : undefined;
  if (!entry) throw new SkillsError('EENTRYMISSING', `${dir} has ${code.length === 0 ? 'no code file' : `several code files (${code.join(', ')})`} and no index.ts`, { hint: 'name the entry index.ts' });
  const source = await fs.readFile(path.join(dir, entry), 'utf8');
  const exports = [...source.matchAll(/export\s+(?:async\s+)?(?:function\s*\*?|const|let)\s+([A-Za-z_$][\w$]*)/g)].map((m) => m[1] as string);

  const mcp: Record<string, Set<string>> = {};
  const fixtureNames: string[] = [];
  const fixtureFiles = (await fs.readdir(path.join(dir, 'fixtures')).catch(() => [] as string[])).filter((f) => f.endsWith('.json')).sort();
  for (const file of fixtureFiles) {
    const parsedFixture = fixtureSchema.safeParse(JSON.parse(await fs.readFile(path.join(dir, 'fixtures', file), 'utf8')));
    if (!parsedFixture.success) continue;
    fixtureNames.push(file.slice(0, -5));
    for (const call of parsedFixture.data.mcp) (mcp[call.server] ??= new Set()).add(call.tool);
  }
  const declaration: McpDeclaration = Object.fromEntries(Object.entries(mcp).sort(([a], [b]) => (a < b ? -1 : 1)).map(([s, tools]) => [s, [...tools].sort()]));
  const description = options.description ?? `Runs ${exports.length > 0 ? exports.join(', ') : 'its code'}${Object.keys(declaration).length > 0 ? ` against the ${Object.keys(declaration).join(', ')} MCP server${Object.keys(declaration).length === 1 ? '' : 's'}` : ''}. Written by an agent; describe when to use it.`;
  const skillMd = `---
name: ${parsed.name}
description: ${JSON.stringify(description.replace(/[<>]/g, ''))}
---

# ${parsed.name}

${description}

## How to use

\`\`\`ts
import { ${exports.join(', ') || '/* exports */'} } from './skills/${parsed.name}';
\`\`\`

${Object.keys(declaration).length > 0 ? `MCP tools it calls: ${Object.entries(declaration).map(([s, t]) => `${s} (${t.join(', ')})`).join('; ')}.` : 'It calls no MCP tools.'}
Recorded cases in \`fixtures/\`: ${fixtureNames.length > 0 ? fixtureNames.join(', ') : 'none yet (record one with `skills run --live --record <case>`)'}.
`;
  const manifest = { name: options.name, version: '0.1.0', entry, ...(Object.keys(declaration).length > 0 ? { mcp: declaration } : {}) };
  return {
    files: new Map([
      ['SKILL.md', skillMd],
      ['skill.json', `${JSON.stringify(manifest, null, 2)}\n`],
    ]),
    entry,
    mcp: declaration,
    exports,
    fixtures: fixtureNames,
  };
}
