/**
 * Users, tokens, teams and scopes. Every change needs publish or admin permission:
 *
 * - users, teams, scopes, listing teams: an unscoped admin token (scopes are handed out by the
 *   operator, like npm orgs, so nobody can squat a name or learn that a private one exists);
 * - team members: an unscoped admin token, or an unscoped publish token of an owner of the team;
 * - tokens: a publish token mints for its own user, an admin token for anyone, and a new token
 *   never exceeds its creator (permission, scopes, expiry); a token revokes itself, or a token of
 *   its user it could have minted (publish or more); an unscoped admin revokes any.
 */
import type { Hono } from 'hono';
import { SkillsError, type ErrorCode } from '../../schema/errors';
import { addMemberBodySchema, createScopeBodySchema, createTeamBodySchema, createTokenBodySchema, createUserBodySchema } from '../../schema/registry';
import { atLeast, covers, isGlobalAdmin } from '../auth';
import { recordAdminAction } from '../admin-log';
import { actorOf, notFound, requireCaller, requireGlobalAdmin, scopeNotFound, type Env } from '../context';
import { jsonBody } from './body';
import type { SkillsStore } from '../skills-store';
import type { SqlTransaction } from '../storage/sql';

function conflict(code: ErrorCode, message: string): SkillsError {
  return new SkillsError(code, message, { status: 409 });
}

/** A creation in one transaction; another process creating the same name first answers as a conflict, not a failure. */
async function unique(store: SkillsStore, exists: () => SkillsError, fn: (tx: SqlTransaction) => Promise<void>): Promise<void> {
  try {
    await store.atomically(fn);
  } catch (error) {
    if (store.db.isUniqueViolation(error)) throw exists();
    throw error;
  }
}

export function accessRoutes(app: Hono<Env>): void {
  app.get('/-/whoami', async (c) => {
    const caller = requireCaller(c);
    return c.json({ user: caller.user, tokenId: caller.tokenId, permission: caller.permission, scopes: caller.scopes, teams: await c.get('services').auth.teamsOf(caller.userId) });
  });

  app.post('/v1/users', async (c) => {
    const caller = requireGlobalAdmin(c);
    const { name } = await jsonBody(c, createUserBodySchema);
    const { auth, store } = c.get('services');
    const exists = () => conflict('EUSEREXISTS', `the user ${name} already exists`);
    if ((await auth.userId(name)) !== undefined) throw exists();
    await unique(store, exists, async (tx) => {
      await auth.createUser(name, tx);
      await recordAdminAction(tx, actorOf(c, caller), { action: 'user-create', target: name });
    });
    return c.json({ name }, 201);
  });

  app.post('/v1/tokens', async (c) => {
    const caller = requireCaller(c, 'publish');
    const body = await jsonBody(c, createTokenBodySchema);
    const { auth, store } = c.get('services');
    const forOther = body.user !== undefined && body.user !== caller.user;
    if (forOther && !atLeast(caller, 'admin')) throw new SkillsError('EFORBIDDEN', 'only admins create tokens for other users', { status: 403 });
    const scopes = body.scopes ?? null;
    if (!covers(caller, body.permission, scopes)) {
      const limit = caller.scopes === null ? '' : ` limited to ${caller.scopes.join(', ')}`;
      throw new SkillsError('EFORBIDDEN', `a ${caller.permission} token${limit} cannot create a ${body.permission} token${scopes ? ` for ${scopes.join(', ')}` : ' without scope limits'}`, {
        status: 403,
        hint: 'a new token never has more permission or reach than the token that creates it',
      });
    }
    const userId = body.user === undefined ? caller.userId : await auth.userId(body.user);
    if (userId === undefined) throw notFound(`the user ${body.user}`);
    for (const scope of scopes ?? []) {
      const row = await auth.scope(scope);
      if (!row || !(await auth.canRead(caller, row))) throw scopeNotFound(scope);
    }
    // Never outlive the token that creates it.
    let expiresAt = body.expiresInDays === undefined ? null : new Date(Date.now() + body.expiresInDays * 86400_000).toISOString();
    if (caller.expiresAt !== null && (expiresAt === null || expiresAt > caller.expiresAt)) expiresAt = caller.expiresAt;
    const issued = await store.atomically(async (tx) => {
      const made = await auth.issueToken({ userId, permission: body.permission, scopes: body.scopes, description: body.description, expiresAt }, tx);
      await recordAdminAction(tx, actorOf(c, caller), { action: 'token-create', target: made.id, details: { user: body.user ?? caller.user, permission: body.permission, scopes, expiresAt } });
      return made;
    });
    const info = (await auth.listTokens(userId)).find((t) => t.id === issued.id);
    return c.json({ ...info, token: issued.token }, 201);
  });

  app.get('/v1/tokens', async (c) => {
    const caller = requireCaller(c);
    const { auth } = c.get('services');
    return c.json({ tokens: isGlobalAdmin(caller) ? await auth.listTokens() : await auth.listTokens(caller.userId) });
  });

  app.delete('/v1/tokens/:id', async (c) => {
    const caller = requireCaller(c);
    const id = c.req.param('id');
    const { auth, store } = c.get('services');
    const grant = await auth.tokenGrant(id);
    // Another user's token is invisible unless the caller is an unscoped admin.
    if (grant === undefined || (grant.userId !== caller.userId && !isGlobalAdmin(caller))) throw notFound(`the token ${id.slice(0, 40)}`);
    const self = id === caller.tokenId;
    if (!self && !isGlobalAdmin(caller) && !(atLeast(caller, 'publish') && covers(caller, grant.permission, grant.scopes))) {
      throw new SkillsError('EFORBIDDEN', 'a token revokes itself, or a token of its user that it could have created (publish permission or more, within its scopes)', { status: 403 });
    }
    await store.atomically(async (tx) => {
      if (!(await auth.revokeToken(id, tx))) throw conflict('ETOKENREVOKED', `the token ${id} was already revoked`);
      await recordAdminAction(tx, actorOf(c, caller), { action: 'token-revoke', target: id });
    });
    return c.json({ id, revoked: true });
  });

  app.get('/v1/teams', async (c) => {
    requireGlobalAdmin(c);
    return c.json({ teams: await c.get('services').auth.listTeams() });
  });

  app.post('/v1/teams', async (c) => {
    const caller = requireGlobalAdmin(c);
    const { name } = await jsonBody(c, createTeamBodySchema);
    const { auth, store } = c.get('services');
    const exists = () => conflict('ETEAMEXISTS', `the team ${name} already exists`);
    if ((await auth.teamId(name)) !== undefined) throw exists();
    await unique(store, exists, async (tx) => {
      await auth.createTeam(name, caller.userId, tx);
      await recordAdminAction(tx, actorOf(c, caller), { action: 'team-create', target: name });
    });
    return c.json({ name, members: [{ user: caller.user, role: 'owner' }] }, 201);
  });

  app.post('/v1/teams/:team/members', async (c) => {
    const caller = requireCaller(c, 'publish');
    const team = c.req.param('team');
    const { auth, store } = c.get('services');
    const teamId = await auth.teamId(team);
    const owner = teamId !== undefined && caller.scopes === null && (await auth.role(teamId, caller.userId)) === 'owner';
    // A missing team and someone else's team answer alike to non-admins.
    if (!isGlobalAdmin(caller) && !owner) {
      throw new SkillsError('EFORBIDDEN', 'only admins and owners of the team (with an unscoped publish token) add members', { status: 403 });
    }
    if (teamId === undefined) throw notFound(`the team ${team.slice(0, 40)}`);
    const { user, role } = await jsonBody(c, addMemberBodySchema);
    const userId = await auth.userId(user);
    if (userId === undefined) throw notFound(`the user ${user}`);
    await store.atomically(async (tx) => {
      await auth.setMember(teamId, userId, role, tx);
      await recordAdminAction(tx, actorOf(c, caller), { action: 'team-member', target: team, details: { user, role } });
    });
    return c.json({ team, user, role }, 201);
  });

  app.get('/v1/scopes', async (c) => {
    const caller = c.get('caller');
    const { auth } = c.get('services');
    const readable = await auth.readablePrivateScopes(caller);
    return c.json({ scopes: (await auth.listScopes()).filter((s) => !s.private || readable === 'all' || readable.has(s.name)) });
  });

  app.post('/v1/scopes', async (c) => {
    const caller = requireGlobalAdmin(c);
    const body = await jsonBody(c, createScopeBodySchema);
    const { auth, store } = c.get('services');
    const teamId = await auth.teamId(body.team);
    if (teamId === undefined) throw notFound(`the team ${body.team}`);
    const exists = () => conflict('ESCOPEEXISTS', `the scope ${body.name} already exists`);
    if (await auth.scope(body.name)) throw exists();
    await unique(store, exists, async (tx) => {
      await auth.createScope(body.name, teamId, body.private, tx);
      await recordAdminAction(tx, actorOf(c, caller), { action: 'scope-create', target: body.name, details: { team: body.team, private: body.private } });
    });
    return c.json({ name: body.name, team: body.team, private: body.private }, 201);
  });
}
