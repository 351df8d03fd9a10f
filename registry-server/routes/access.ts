/** Users, tokens, teams and scopes: admins manage everything, team owners their own teams. */
import type { Hono } from 'hono';
import { SkillsError } from '../../schema/errors';
import { addMemberBodySchema, createScopeBodySchema, createTeamBodySchema, createTokenBodySchema, createUserBodySchema, type Permission } from '../../schema/registry';
import { atLeast } from '../auth';
import { notFound, requireCaller, type Env } from '../context';
import { jsonBody } from './body';

const RANK: Record<Permission, number> = { read: 0, publish: 1, admin: 2 };

function conflict(code: `E${string}`, message: string): SkillsError {
  return new SkillsError(code, message, { status: 409 });
}

export function accessRoutes(app: Hono<Env>): void {
  app.get('/-/whoami', (c) => {
    const caller = requireCaller(c);
    return c.json({ user: caller.user, tokenId: caller.tokenId, permission: caller.permission, scopes: caller.scopes, teams: c.var.services.auth.teamsOf(caller.userId) });
  });

  app.post('/v1/users', async (c) => {
    const caller = requireCaller(c, 'admin');
    const { name } = await jsonBody(c, createUserBodySchema);
    const { auth, store } = c.var.services;
    if (auth.userId(name) !== undefined) throw conflict('EUSEREXISTS', `the user ${name} already exists`);
    store.atomically(() => {
      auth.createUser(name);
      store.audit({ userId: caller.userId, tokenId: caller.tokenId, action: 'user-create', target: name });
    });
    return c.json({ name }, 201);
  });

  app.post('/v1/tokens', async (c) => {
    const caller = requireCaller(c);
    const body = await jsonBody(c, createTokenBodySchema);
    const { auth, store } = c.var.services;
    const forOther = body.user !== undefined && body.user !== caller.user;
    if (forOther && !atLeast(caller, 'admin')) throw new SkillsError('EFORBIDDEN', 'only admins create tokens for other users', { status: 403 });
    if (!forOther && RANK[body.permission] > RANK[caller.permission]) {
      throw new SkillsError('EFORBIDDEN', `a ${caller.permission} token cannot create a ${body.permission} token`, { status: 403 });
    }
    if (!forOther && caller.scopes !== null && (body.scopes === undefined || body.scopes.some((s) => !caller.scopes?.includes(s)))) {
      throw new SkillsError('EFORBIDDEN', `your token is limited to ${caller.scopes.join(', ')}; a new token cannot reach further`, { status: 403 });
    }
    const userId = body.user === undefined ? caller.userId : auth.userId(body.user);
    if (userId === undefined) throw notFound(`the user ${body.user}`);
    for (const scope of body.scopes ?? []) if (!auth.scope(scope)) throw notFound(`the scope ${scope}`);
    const issued = store.atomically(() => {
      const made = auth.issueToken({ userId, permission: body.permission, scopes: body.scopes, description: body.description, expiresInDays: body.expiresInDays });
      store.audit({ userId: caller.userId, tokenId: caller.tokenId, action: 'token-create', target: made.id, details: { user: body.user ?? caller.user, permission: body.permission } });
      return made;
    });
    const info = auth.listTokens(userId).find((t) => t.id === issued.id);
    return c.json({ ...info, token: issued.token }, 201);
  });

  app.get('/v1/tokens', (c) => {
    const caller = requireCaller(c);
    const { auth } = c.var.services;
    return c.json({ tokens: atLeast(caller, 'admin') ? auth.listTokens() : auth.listTokens(caller.userId) });
  });

  app.delete('/v1/tokens/:id', (c) => {
    const caller = requireCaller(c);
    const id = c.req.param('id');
    const { auth, store } = c.var.services;
    const owner = auth.tokenOwner(id);
    if (owner === undefined || (owner !== caller.userId && !atLeast(caller, 'admin'))) throw notFound(`the token ${id.slice(0, 40)}`);
    store.atomically(() => {
      if (!auth.revokeToken(id)) throw conflict('ETOKENREVOKED', `the token ${id} was already revoked`);
      store.audit({ userId: caller.userId, tokenId: caller.tokenId, action: 'token-revoke', target: id });
    });
    return c.json({ id, revoked: true });
  });

  app.get('/v1/teams', (c) => {
    requireCaller(c, 'admin');
    return c.json({ teams: c.var.services.auth.listTeams() });
  });

  app.post('/v1/teams', async (c) => {
    const caller = requireCaller(c, 'admin');
    const { name } = await jsonBody(c, createTeamBodySchema);
    const { auth, store } = c.var.services;
    if (auth.teamId(name) !== undefined) throw conflict('ETEAMEXISTS', `the team ${name} already exists`);
    store.atomically(() => {
      auth.createTeam(name, caller.userId);
      store.audit({ userId: caller.userId, tokenId: caller.tokenId, action: 'team-create', target: name });
    });
    return c.json({ name, members: [{ user: caller.user, role: 'owner' }] }, 201);
  });

  app.post('/v1/teams/:team/members', async (c) => {
    const caller = requireCaller(c);
    const { auth, store } = c.var.services;
    const teamId = auth.teamId(c.req.param('team'));
    if (teamId === undefined) throw notFound(`the team ${c.req.param('team').slice(0, 40)}`);
    if (!atLeast(caller, 'admin') && auth.role(teamId, caller.userId) !== 'owner') throw new SkillsError('EFORBIDDEN', 'only admins and owners of the team add members', { status: 403 });
    const { user, role } = await jsonBody(c, addMemberBodySchema);
    const userId = auth.userId(user);
    if (userId === undefined) throw notFound(`the user ${user}`);
    store.atomically(() => {
      auth.setMember(teamId, userId, role);
      store.audit({ userId: caller.userId, tokenId: caller.tokenId, action: 'team-member', target: c.req.param('team'), details: { user, role } });
    });
    return c.json({ team: c.req.param('team'), user, role }, 201);
  });

  app.get('/v1/scopes', (c) => {
    const caller = c.var.caller;
    const { auth } = c.var.services;
    const readable = auth.readablePrivateScopes(caller);
    return c.json({ scopes: auth.listScopes().filter((s) => !s.private || readable.has(s.name)) });
  });

  app.post('/v1/scopes', async (c) => {
    const caller = requireCaller(c);
    const body = await jsonBody(c, createScopeBodySchema);
    const { auth, store } = c.var.services;
    const teamId = auth.teamId(body.team);
    if (teamId === undefined) throw notFound(`the team ${body.team}`);
    if (!atLeast(caller, 'admin') && auth.role(teamId, caller.userId) !== 'owner') throw new SkillsError('EFORBIDDEN', 'only admins and owners of the team create its scopes', { status: 403 });
    if (auth.scope(body.name)) throw conflict('ESCOPEEXISTS', `the scope ${body.name} already exists`);
    store.atomically(() => {
      auth.createScope(body.name, teamId, body.private);
      store.audit({ userId: caller.userId, tokenId: caller.tokenId, action: 'scope-create', target: body.name, details: { team: body.team, private: body.private } });
    });
    return c.json({ name: body.name, team: body.team, private: body.private }, 201);
  });
}
