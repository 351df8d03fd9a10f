/** `/`: the search box, the filters and the recently published skills. */
import type { Hono } from 'hono';
import type { Env } from '../../context';
import type { WebDeps } from '../deps';
import { homePage } from '../pages/lists';

const RECENT = 12;

export function homeRoutes(app: Hono<Env>, web: WebDeps): void {
  const { catalog, page, readable, respond, frame, visibleScopes } = web;
  app.get('/', page, async (c) => {
    const r = await readable(c);
    return respond(
      c,
      homePage(frame(c), {
        count: await catalog.skillCount(r),
        recent: await catalog.recent(r, RECENT),
        choices: { scopes: await visibleScopes(c), servers: await catalog.publicServers() },
      }),
    );
  });
}
