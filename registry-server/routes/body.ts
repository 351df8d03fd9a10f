/** JSON request bodies, size- and depth-limited, checked against a schema from schema/registry.ts. */
import type { z } from 'zod';
import { SkillsError } from '../../schema/errors';
import type { Ctx } from '../context';
import { readJson } from '../request-body';

export async function jsonBody<S extends z.ZodType>(c: Ctx, schema: S): Promise<z.infer<S>> {
  const raw = await readJson(c);
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SkillsError('EBODYINVALID', `invalid request body${issue ? `: ${issue.path.join('.') || '(root)'} ${issue.message}` : ''}`.slice(0, 300), {
      status: 400,
      details: { issues: parsed.error.issues.slice(0, 20).map((i) => ({ path: i.path.join('.').slice(0, 200), message: i.message.slice(0, 200) })) },
    });
  }
  return parsed.data;
}
