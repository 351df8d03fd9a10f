/** Search and the public discovery index. */
import type { Hono } from 'hono';
import { SkillsError } from '../../schema/errors';
import { SCOPE_RE, SERVER_NAME_RE } from '../../schema/names';
import { origin, type Env } from '../context';

function intParam(value: string | undefined, fallback: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > max) throw new SkillsError('EQUERYINVALID', `expected a whole number from 0 to ${max}, got "${value.slice(0, 20)}"`, { status: 400 });
  return n;
}

export function searchRoutes(app: Hono<Env>): void {
  app.get('/v1/search', (c) => {
    const q = c.req.query('q') ?? '';
    if (q.length > 256) throw new SkillsError('EQUERYINVALID', 'the search text is over 256 characters', { status: 400 });
    const scope = c.req.query('scope');
    if (scope !== undefined && !SCOPE_RE.test(scope)) throw new SkillsError('EQUERYINVALID', 'scope must look like @acme', { status: 400 });
    const server = c.req.query('server');
    if (server !== undefined && !SERVER_NAME_RE.test(server)) throw new SkillsError('EQUERYINVALID', 'server must be an MCP server name such as google-drive', { status: 400 });
    const limit = intParam(c.req.query('limit'), 20, 100);
    const offset = intParam(c.req.query('offset'), 0, 100_000);
    const { auth, store } = c.var.services;
    const readable = auth.readablePrivateScopes(c.var.caller);
    return c.json(store.search({ query: q, scope, server, limit, offset, readablePrivate: readable }));
  });

  app.get('/.well-known/agent-skills/index.json', (c) => {
    const skills = c.var.services.store.catalog(origin(c));
    c.header('Cache-Control', 'public, max-age=60');
    return c.json({ skills: skills.map(({ name, description, url, digest }) => ({ name, description, url, digest })) });
  });
}
