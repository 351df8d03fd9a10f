/** The catalog's static files (CSS, the copy-button script): content-hashed names, cached for a year. */
import type { Hono } from 'hono';
import type { Env } from '../../context';
import { ASSETS } from '../assets';

export function assetRoutes(app: Hono<Env>): void {
  for (const asset of ASSETS) {
    app.get(asset.path, (c) => {
      c.header('X-Content-Type-Options', 'nosniff');
      c.header('Cache-Control', 'public, max-age=31536000, immutable');
      return c.body(asset.body, 200, { 'Content-Type': asset.type });
    });
  }
}
