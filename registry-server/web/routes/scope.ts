/** `/@scope`: a scope's skills, paged, and its team (a private scope shows only to its readers). */
import type { Hono } from 'hono';
import { scopeNotFound, type Env } from '../../context';
import { SCOPE_ROUTE, type WebDeps } from '../deps';
import { scopePage } from '../pages/lists';
import { PAGE_SIZE, pageNumber } from '../paging';

export function scopeRoutes(app: Hono<Env>, web: WebDeps): void {
  const { catalog, page, respond, frame } = web;
  const { auth } = web.services;
  app.get(SCOPE_ROUTE, page, async (c) => {
    const name = c.req.param('scope');
    const scope = await auth.scope(name);
    if (!scope || !(await auth.canRead(c.get('caller'), scope))) throw scopeNotFound(name);
    const pageNo = pageNumber(c.req.query('page'));
    const found = await catalog.scopeSkills(scope.id, scope.private === 1, PAGE_SIZE, (pageNo - 1) * PAGE_SIZE);
    return respond(c, scopePage(frame(c), { scope: name, isPrivate: scope.private === 1, team: await catalog.team(scope.team_id), total: found.total, results: found.results, page: pageNo, pageSize: PAGE_SIZE }));
  });
}
