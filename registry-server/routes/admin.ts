/**
 * `GET /v1/admin/log?since=<ISO time>&before=<id>&limit=<n>`: the admin log (admin-log.ts), newest
 * first, a page at a time; for unscoped admin tokens only, as every account-wide route.
 */
import type { Hono } from 'hono';
import { parseLogQuery, readAdminLog } from '../admin-log';
import { requireGlobalAdmin, type Env } from '../context';

export const ADMIN_LOG_PATH = '/v1/admin/log';

export function adminRoutes(app: Hono<Env>): void {
  app.get(ADMIN_LOG_PATH, async (c) => {
    requireGlobalAdmin(c);
    const query = parseLogQuery({ since: c.req.query('since'), before: c.req.query('before'), limit: c.req.query('limit') });
    c.header('Cache-Control', 'private, no-store');
    return c.json(await readAdminLog(c.get('services').deps.storage.db, query));
  });
}
