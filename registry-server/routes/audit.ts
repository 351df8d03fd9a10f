/**
 * Audit reports and allowances:
 *
 * - `GET /v1/skills/@scope/name/versions/:version/audit`: the report the registry made at publish;
 * - `GET /v1/skills/@scope/name/audit-allowances`: the rules allowed for the skill (readers);
 * - `POST /v1/skills/@scope/name/audit-allowances` `{ rule, reason, file? }`: allow a rule's
 *   findings at publish (a team owner of the scope, or an admin token for it); audit-logged;
 * - `DELETE /v1/skills/@scope/name/audit-allowances/:rule[?file=path]`: remove one; audit-logged.
 *
 * Allowances are keyed by name, so one can be recorded before the first publish.
 */
import type { Hono } from 'hono';
import { RULES } from '../../audit/rules';
import { allowanceBodySchema } from '../../schema/audit-report';
import { SkillsError } from '../../schema/errors';
import { parsePackageName } from '../../schema/names';
import { recordAdminAction } from '../admin-log';
import type { Caller, ScopeRow } from '../auth';
import { actorOf, notFound, readableSkill, requireCaller, scopeNotFound, type Ctx, type Env } from '../context';
import { routeName, routeVersion } from '../names';
import { jsonBody } from './body';

const SKILL = '/v1/skills/:scope{@[^/]+}/:name';
const KNOWN_RULES = new Set(RULES.map((r) => r.id));

async function readableScope(c: Ctx, name: string): Promise<ScopeRow> {
  const { auth } = c.get('services');
  const parsed = parsePackageName(name);
  const scope = parsed ? await auth.scope(parsed.scope) : undefined;
  if (!parsed || !scope || !(await auth.canRead(c.get('caller'), scope))) throw scopeNotFound(parsed?.scope ?? name);
  return scope;
}

/** A team owner of the scope (with a token allowed for it), or an admin token allowed for it. */
async function ownerOf(c: Ctx, name: string): Promise<Caller> {
  const caller = requireCaller(c, 'publish');
  const scope = await readableScope(c, name);
  const { auth } = c.get('services');
  const owner = auth.tokenAllows(caller, scope.name) && (caller.permission === 'admin' || (await auth.role(scope.team_id, caller.userId)) === 'owner');
  if (!owner) {
    throw new SkillsError('EAUDITALLOWFORBIDDEN', `only an owner of the team that owns ${scope.name} (or an admin) can allow audit findings`, { status: 403, hint: 'ask a team owner: skills team list shows who they are' });
  }
  return caller;
}

function knownRule(rule: string): string {
  if (!KNOWN_RULES.has(rule)) throw new SkillsError('EAUDITRULE', `"${rule.slice(0, 64)}" is not an audit rule`, { status: 400, hint: 'skills audit --rules lists them' });
  return rule;
}

export function auditRoutes(app: Hono<Env>): void {
  app.get(`${SKILL}/versions/:version/audit`, async (c) => {
    const name = routeName(c);
    const version = routeVersion(c);
    const { skill, scope } = await readableSkill(c, name);
    const report = await c.get('services').audits.report(skill.id, version);
    if (!report) throw notFound(`the audit report of ${name}@${version}`);
    c.header('Cache-Control', scope.private === 1 ? 'private, max-age=31536000, immutable' : 'public, max-age=31536000, immutable');
    return c.json(report);
  });

  app.get(`${SKILL}/audit-allowances`, async (c) => {
    const name = routeName(c);
    await readableScope(c, name);
    return c.json({ name, allowances: await c.get('services').audits.allowances(name) });
  });

  app.post(`${SKILL}/audit-allowances`, async (c) => {
    const name = routeName(c);
    const who = await ownerOf(c, name);
    const body = await jsonBody(c, allowanceBodySchema);
    const rule = knownRule(body.rule);
    const { audits, store } = c.get('services');
    const allowance = await store.atomically(async (tx) => {
      const saved = await audits.allow(tx, { skill: name, rule, file: body.file ?? null, reason: body.reason, userId: who.userId });
      await recordAdminAction(tx, actorOf(c, who), { action: 'audit-allow', target: name, details: { rule, file: body.file ?? null, reason: body.reason } });
      return saved;
    });
    return c.json(allowance, 201);
  });

  app.delete(`${SKILL}/audit-allowances/:rule`, async (c) => {
    const name = routeName(c);
    const who = await ownerOf(c, name);
    const rule = knownRule(c.req.param('rule'));
    const file = c.req.query('file') ?? null;
    const { audits, store } = c.get('services');
    await store.atomically(async (tx) => {
      if (!(await audits.disallow(tx, name, rule, file))) throw notFound(`an allowance of ${rule} for ${name}${file ? ` in ${file.slice(0, 200)}` : ''}`);
      await recordAdminAction(tx, actorOf(c, who), { action: 'audit-disallow', target: name, details: { rule, file } });
    });
    return c.json({ name, rule, file, removed: true });
  });
}
