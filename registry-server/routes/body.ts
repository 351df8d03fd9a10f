/** JSON request bodies, checked against a schema from schema/registry.ts. */
import type { z } from 'zod';
import { SkillsError } from '../../schema/errors';
import type { Ctx } from '../context';

export async function jsonBody<S extends z.ZodType>(c: Ctx, schema: S): Promise<z.infer<S>> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw new SkillsError('EBODYJSON', 'the request body is not JSON', { status: 400 });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SkillsError('EBODYINVALID', `invalid request body${issue ? `: ${issue.path.join('.') || '(root)'} ${issue.message}` : ''}`, {
      status: 400,
      details: { issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
    });
  }
  return parsed.data;
}
