/**
 * The web catalog, served by the registry process itself: pages rendered on the server for
 * people with a browser, at addresses they can type (`/`, `/search?q=csv`, `/@scope`,
 * `/@scope/name`, `/@scope/name/v/1.2.0`; `/admin/log` for admins). A page route answers only a client that asks for HTML;
 * any other client gets the JSON API's own 404, so nothing an API client sees changes. Sessions
 * come from signing in with a token (sessions.ts); private scopes show only to their readers.
 * Each page's routes are in routes/<page>.ts, registered here in order; what they share (the
 * session, the page frame, the data) is made once per app in deps.ts.
 */
import type { Hono } from 'hono';
import { isSkillsError } from '../../schema/errors';
import { answeredError } from '../error-response';
import type { Ctx, Env, Services } from '../context';
import { createWebDeps } from './deps';
import { isApiPath, wantsHtml } from './headers';
import { notFoundPage } from './pages/lists';
import { adminRoutes } from './routes/admin';
import { assetRoutes } from './routes/assets';
import { fileRoutes } from './routes/files';
import { homeRoutes } from './routes/home';
import { scopeRoutes } from './routes/scope';
import { searchRoutes } from './routes/search';
import { signInRoutes } from './routes/sign-in';
import { skillRoutes } from './routes/skill';

export interface WebCatalog {
  /** The error page for a browser's request of a page (undefined: answer in JSON as before). */
  errorPage(c: Ctx, error: unknown): Response | undefined;
}

export function webCatalog(app: Hono<Env>, services: Services): WebCatalog {
  const web = createWebDeps(services);
  // Hono tries routes in the order they were added.
  assetRoutes(app);
  homeRoutes(app, web);
  searchRoutes(app, web);
  signInRoutes(app, web);
  adminRoutes(app, web);
  scopeRoutes(app, web);
  skillRoutes(app, web);
  fileRoutes(app, web);

  const { state, frame, respond } = web;
  return {
    errorPage(c, error) {
      if (!wantsHtml(c) || isApiPath(c.req.path)) return undefined;
      if (!c.get('caller')) {
        try {
          const { session } = state(c);
          if (session) c.set('caller', session.caller);
        } catch {
          // The error page never fails on account of the session.
        }
      }
      const status = answeredError(error).status;
      let message = 'The registry failed to show this page.';
      if (isSkillsError(error)) {
        if (status === 404) message = error.code === 'ENOTFOUND' && error.message === 'no such route' ? 'There is no page at this address.' : `${error.message.charAt(0).toUpperCase()}${error.message.slice(1)}.`;
        else message = error.message;
      }
      const shown = status >= 400 && status < 600 ? status : 500;
      return respond(c, notFoundPage(frame(c), shown, message), shown, c.get('caller') ? 'private' : 'no-store');
    },
  };
}
