/** JSON Schemas generated from the zod schemas, for editors and other tools (`schema/json/`). */
import { z } from 'zod';
import { fixtureSchema } from './fixture';
import { manifestSchema } from './manifest';
import { lockfileSchema, workspaceSchema } from './workspace';

const schemas = {
  'skill.schema.json': { schema: manifestSchema, title: 'skill.json: the manifest of an agent skill package' },
  'skills.schema.json': { schema: workspaceSchema, title: 'skills.json: the skills and MCP servers a workspace wants' },
  'skills-lock.schema.json': { schema: lockfileSchema, title: 'skills-lock.json: the exact skills a workspace has' },
  'fixture.schema.json': { schema: fixtureSchema, title: 'fixtures/<case>.json: one recorded verification case of a skill' },
} as const;

/** File name -> JSON Schema text (stable, pretty-printed, newline-terminated). */
export function jsonSchemaFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const [file, { schema, title }] of Object.entries(schemas)) {
    const json = { title, ...z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) };
    files[file] = `${JSON.stringify(json, null, 2)}\n`;
  }
  return files;
}
