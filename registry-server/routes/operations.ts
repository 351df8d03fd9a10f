/**
 * What an operator's machines call: liveness and readiness for a load balancer, and the metrics for
 * Prometheus. Registered before the middleware that reads tokens: no route here reads the
 * database for a caller, and a metrics token is never taken for a registry token (or counted as a
 * failed one).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Hono } from 'hono';
import { SkillsError } from '../../schema/errors';
import { clientAddress, type Env } from '../context';
import type { Health } from '../health';
import type { RegistryMetrics } from '../metrics';

export const LIVE_PATH = '/-/health/live';
export const READY_PATH = '/-/health/ready';
export const METRICS_PATH = '/-/metrics';

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Whether an Authorization header carries `token` as its bearer token, compared in constant time
 * (digests of both, so neither the length nor any prefix of the token leaks through timing).
 */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const given = header !== undefined && header.startsWith('Bearer ') ? header.slice(7).trim() : '';
  return timingSafeEqual(digest(given), digest(token)) && given.length > 0;
}

export function metricsTokenError(): SkillsError {
  return new SkillsError('EMETRICSTOKEN', 'the metrics need the metrics token', { status: 401, hint: 'scrape with Authorization: Bearer <metrics.token>' });
}

export function operationRoutes(app: Hono<Env>, health: Health, metrics: { registry: RegistryMetrics; token: string } | undefined): void {
  app.get(LIVE_PATH, (c) => {
    c.header('Cache-Control', 'no-store');
    return c.json({ live: true });
  });

  app.get(READY_PATH, async (c) => {
    const readiness = await health.ready();
    c.header('Cache-Control', 'no-store');
    return c.json(readiness, readiness.ready ? 200 : 503);
  });

  if (!metrics) return;
  app.get(METRICS_PATH, async (c) => {
    const limiter = c.get('services').authFailureLimiter;
    const ip = clientAddress(c) ?? 'local';
    if (limiter.blocked(ip)) {
      c.header('Retry-After', String(limiter.retryAfterSeconds(ip)));
      throw new SkillsError('ERATELIMITED', 'too many failed authentications from this address; try again shortly', { status: 429 });
    }
    if (!bearerMatches(c.req.header('Authorization'), metrics.token)) {
      limiter.hit(ip);
      c.header('WWW-Authenticate', 'Bearer realm="metrics"');
      throw metricsTokenError();
    }
    const text = await metrics.registry.text();
    return c.body(text, 200, { 'Content-Type': metrics.registry.contentType, 'Cache-Control': 'no-store' });
  });
}
