/**
 * `/admin/log`: the admin log for people, for unscoped admins only (the same rule as the API's
 * `/v1/admin/log`). Not signed in: the sign-in form, back here after; signed in without that
 * permission: the catalog's 403 page.
 */
import type { Hono } from 'hono';
import { parseLogQuery, readAdminLog } from '../../admin-log';
import { requireGlobalAdmin, type Env } from '../../context';
import type { WebDeps } from '../deps';
import { pageHeaders } from '../headers';
import { adminLogPage } from '../pages/admin';

export const ADMIN_LOG_PAGE = '/admin/log';
const PAGE_ENTRIES = 50;

export function adminRoutes(app: Hono<Env>, web: WebDeps): void {
  const { page, respond, frame } = web;
  app.get(ADMIN_LOG_PAGE, page, async (c) => {
    if (!c.get('caller')) {
      pageHeaders(c, 'no-store');
      return c.redirect(`/sign-in?next=${encodeURIComponent(`${ADMIN_LOG_PAGE}${new URL(c.req.url).search}`)}`, 303);
    }
    requireGlobalAdmin(c);
    const query = parseLogQuery({ since: c.req.query('since'), before: c.req.query('before'), limit: String(PAGE_ENTRIES) });
    const log = await readAdminLog(web.services.deps.storage.db, query);
    return respond(c, adminLogPage(frame(c), { log, since: query.since, paged: query.before !== undefined, base: ADMIN_LOG_PAGE }), 200, 'no-store');
  });
}
