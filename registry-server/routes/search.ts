/** Search and the public discovery index. */
import type { Hono } from 'hono';
import { SkillsError } from '../../schema/errors';
import { SCOPE_RE, SERVER_NAME_RE } from '../../schema/names';
import { DISCOVERY_INDEX_PATH } from '../../schema/registry';
import { TRUST_LEVELS, type TrustLevel } from '../../schema/trust';
import { origin, type Ctx, type Env } from '../context';
import { acceptsGzip, bytesOf, etagMatches } from '../http-cache';

function intParam(value: string | undefined, fallback: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > max) throw new SkillsError('EQUERYINVALID', `expected a whole number from 0 to ${max}, got "${value.slice(0, 20)}"`, { status: 400 });
  return n;
}

/** `trust=verified,instructions` (also repeatable): the levels to keep; undefined when absent. */
function trustParam(c: Ctx): TrustLevel[] | undefined {
  const values = c.req.queries('trust');
  if (values === undefined) return undefined;
  const joined = values.join(',');
  const levels = joined.split(',');
  const known: readonly string[] = TRUST_LEVELS;
  if (joined.length > 100 || levels.some((l) => !known.includes(l))) {
    throw new SkillsError('EQUERYINVALID', `trust must be a comma-separated list of ${TRUST_LEVELS.join(', ')}; got "${joined.slice(0, 40)}"`, { status: 400 });
  }
  return levels as TrustLevel[];
}

export function searchRoutes(app: Hono<Env>): void {
  app.get('/v1/search', async (c) => {
    const q = c.req.query('q') ?? '';
    if (q.length > 256) throw new SkillsError('EQUERYINVALID', 'the search text is over 256 characters', { status: 400 });
    const scope = c.req.query('scope');
    if (scope !== undefined && !SCOPE_RE.test(scope)) throw new SkillsError('EQUERYINVALID', 'scope must look like @acme', { status: 400 });
    const server = c.req.query('server');
    if (server !== undefined && !SERVER_NAME_RE.test(server)) throw new SkillsError('EQUERYINVALID', 'server must be an MCP server name such as google-drive', { status: 400 });
    const trust = trustParam(c);
    const limit = intParam(c.req.query('limit'), 20, 100);
    const offset = intParam(c.req.query('offset'), 0, 100_000);
    const { auth, store } = c.get('services');
    const readable = await auth.readablePrivateScopes(c.get('caller'));
    return c.json(await store.search({ query: q, scope, server, trust, limit, offset, readablePrivate: readable }));
  });

  // The Agent Skills discovery index (v0.2.0): public skills only, whoever asks. Kept built and
  // compressed between writes (discovery-index.ts).
  app.get(DISCOVERY_INDEX_PATH, async (c) => {
    const gzip = acceptsGzip(c.req.header('Accept-Encoding'));
    const index = await c.get('services').store.discoveryBody(origin(c), gzip);
    c.header('Cache-Control', 'public, max-age=60');
    c.header('Access-Control-Allow-Origin', '*');
    c.header('Vary', 'Accept-Encoding');
    c.header('ETag', index.etag);
    if (etagMatches(c.req.header('If-None-Match'), index.etag.replace(/-gzip"$/, '"'))) return c.body(null, 304);
    return c.body(bytesOf(index.body), 200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(index.body.byteLength), ...(index.encoding === 'gzip' ? { 'Content-Encoding': 'gzip' } : {}) });
  });
}
