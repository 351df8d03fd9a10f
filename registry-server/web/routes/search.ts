/** `/search?q=&scope=&server=&trust=&page=`: search results, filtered and paged. */
import type { Hono } from 'hono';
import { SCOPE_RE, SERVER_NAME_RE } from '../../../schema/names';
import { TRUST_LEVELS, type TrustLevel } from '../../../schema/trust';
import type { Env } from '../../context';
import type { WebDeps } from '../deps';
import { searchPage, type FilterValues } from '../pages/lists';
import { PAGE_SIZE, pageNumber } from '../paging';

export function searchRoutes(app: Hono<Env>, web: WebDeps): void {
  const { catalog, readable, respond, frame, visibleScopes } = web;
  app.get('/search', web.page, async (c) => {
    const query = (c.req.query('q') ?? '').slice(0, 256);
    const scope = c.req.query('scope') || undefined;
    const server = c.req.query('server') || undefined;
    const trustParam = c.req.query('trust') || undefined;
    const values: FilterValues = {
      query,
      scope: scope !== undefined && SCOPE_RE.test(scope) ? scope : undefined,
      server: server !== undefined && SERVER_NAME_RE.test(server) ? server : undefined,
      trust: (TRUST_LEVELS as readonly string[]).includes(trustParam ?? '') ? (trustParam as TrustLevel) : undefined,
    };
    const page = pageNumber(c.req.query('page'));
    const found = await catalog.search({ ...values, limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE, readable: await readable(c) });
    const params = new URLSearchParams();
    if (values.query) params.set('q', values.query);
    if (values.scope) params.set('scope', values.scope);
    if (values.server) params.set('server', values.server);
    if (values.trust) params.set('trust', values.trust);
    return respond(
      c,
      searchPage(frame(c, values.query), {
        values,
        choices: { scopes: await visibleScopes(c), servers: await catalog.publicServers() },
        total: found.total,
        results: found.results,
        page,
        pageSize: PAGE_SIZE,
        params,
      }),
    );
  });
}
