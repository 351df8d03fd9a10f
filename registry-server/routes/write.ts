/** Changing skills: publish, dist-tags, yank/unyank, deprecate, delete (within the window). */
import type { Hono } from 'hono';
import { SkillsError } from '../../schema/errors';
import { deprecateBodySchema, distTagBodySchema, distTagSchema, PROVENANCE_HEADER } from '../../schema/registry';
import type { Caller, ScopeRow } from '../auth';
import { recordAdminAction } from '../admin-log';
import { actorOf, clientAddress, notFound, origin, readableSkill, requireCaller, type Ctx, type Env } from '../context';
import { logError } from '../log';
import { queryVersion, routeName, routeVersion } from '../names';
import { parseProvenance } from '../provenance';
import { publish, publishTarget } from '../publish';
import { readBody, payloadTooLarge } from '../request-body';
import { jsonBody } from './body';
import type { SkillRow } from '../skills-store';

/** A skill's route (PUT publishes); metrics.ts tells publishes by it. */
export const SKILL = '/v1/skills/:scope{@[^/]+}/:name';

async function writable(c: Ctx, name: string): Promise<{ caller: Caller; skill: SkillRow; scope: ScopeRow }> {
  const caller = requireCaller(c, 'publish');
  const { skill, scope } = await readableSkill(c, name);
  if (!(await c.get('services').auth.canPublish(caller, scope))) throw new SkillsError('ESCOPEFORBIDDEN', `your token cannot change skills in ${scope.name}`, { status: 403 });
  return { caller, skill, scope };
}

async function existingVersion(c: Ctx, skill: SkillRow, version: string): Promise<void> {
  if ((await c.get('services').store.publishedAt(skill, version)) === undefined) throw notFound(`${skill.name}@${version}`);
}

/** The publish route's path (PUT), for the body limit that applies before routing. */
export const PUBLISH_PATH = /^\/v1\/skills\/@[^/]+\/[^/]+$/;
export const TARBALL_HINT = 'leave large files out with .skillsignore';

export function writeRoutes(app: Hono<Env>): void {
  app.put(SKILL, async (c) => {
    const name = routeName(c);
    const caller = requireCaller(c, 'publish');
    const { publishLimiter, deps } = c.get('services');
    if (!publishLimiter.hit(caller.tokenId)) {
      c.header('Retry-After', String(publishLimiter.retryAfterSeconds(caller.tokenId)));
      throw new SkillsError('ERATELIMITED', 'too many publishes with this token; try again shortly', { status: 429 });
    }
    const tag = c.req.query('tag');
    if (tag !== undefined && !distTagSchema.safeParse(tag).success) throw new SkillsError('ETAGINVALID', `"${tag.slice(0, 40)}" is not a dist-tag`, { status: 400 });
    const version = queryVersion(c);
    const provenance = parseProvenance(c.req.header(PROVENANCE_HEADER));
    // Who may publish here is settled before a byte of the upload is read.
    const scope = await publishTarget(c.get('services'), caller, name);
    const limit = deps.config.maxTarballBytes;
    const body = await readBody(c, limit, () => payloadTooLarge(c, limit, 'the tarball', TARBALL_HINT));
    if (body.byteLength === 0) throw new SkillsError('EBODY', 'the request body is empty; send the .tgz as the body', { status: 400 });
    const result = await publish(c.get('services'), { name, scope, tarball: body, tag, version, provenance, caller, address: clientAddress(c) ?? null, origin: origin(c) });
    return c.json(result, 201);
  });

  app.put(`${SKILL}/dist-tags/:tag`, async (c) => {
    const name = routeName(c);
    const { caller, skill } = await writable(c, name);
    const tag = distTagSchema.safeParse(c.req.param('tag'));
    if (!tag.success) throw new SkillsError('ETAGINVALID', 'dist-tags are lower-case words, e.g. latest, next, beta', { status: 400 });
    const { version } = await jsonBody(c, distTagBodySchema);
    await existingVersion(c, skill, version);
    const { store } = c.get('services');
    await store.atomically(async (tx) => {
      await store.setDistTag(tx, skill, tag.data, version);
      await recordAdminAction(tx, actorOf(c, caller), { action: 'dist-tag', target: name, details: { tag: tag.data, version } });
    });
    return c.json({ name, distTags: await c.get('services').store.distTags(skill.id) });
  });

  app.delete(`${SKILL}/dist-tags/:tag`, async (c) => {
    const name = routeName(c);
    const { caller, skill } = await writable(c, name);
    const tag = c.req.param('tag');
    if (tag === 'latest') throw new SkillsError('ETAGLATEST', 'the latest tag cannot be removed; point it at another version instead', { status: 400 });
    const missing = () => notFound(`dist-tag ${tag.slice(0, 40)} of ${name}`);
    // A tag of another shape was never set (and may hold what the database cannot take).
    if (!distTagSchema.safeParse(tag).success) throw missing();
    const { store } = c.get('services');
    await store.atomically(async (tx) => {
      if (!(await store.removeDistTag(tx, skill, tag))) throw missing();
      await recordAdminAction(tx, actorOf(c, caller), { action: 'dist-tag-rm', target: name, details: { tag } });
    });
    return c.json({ name, distTags: await c.get('services').store.distTags(skill.id) });
  });

  for (const [action, yanked] of [['yank', true], ['unyank', false]] as const) {
    app.post(`${SKILL}/versions/:version/${action}`, async (c) => {
      const name = routeName(c);
      const version = routeVersion(c);
      const { caller, skill } = await writable(c, name);
      await existingVersion(c, skill, version);
      const { store } = c.get('services');
      await store.atomically(async (tx) => {
        await store.setYanked(tx, skill, version, yanked);
        await recordAdminAction(tx, actorOf(c, caller), { action, target: `${name}@${version}` });
      });
      return c.json({ name, version, yanked });
    });
  }

  app.post(`${SKILL}/versions/:version/deprecate`, async (c) => {
    const name = routeName(c);
    const version = routeVersion(c);
    const { caller, skill } = await writable(c, name);
    const { message } = await jsonBody(c, deprecateBodySchema);
    await existingVersion(c, skill, version);
    const { store } = c.get('services');
    await store.atomically(async (tx) => {
      await store.setDeprecated(tx, skill, version, message === '' ? null : message);
      await recordAdminAction(tx, actorOf(c, caller), { action: 'deprecate', target: `${name}@${version}`, details: { message } });
    });
    return c.json({ name, version, deprecated: message === '' ? null : message });
  });

  app.delete(`${SKILL}/versions/:version`, async (c) => {
    const name = routeName(c);
    const version = routeVersion(c);
    const { caller, skill } = await writable(c, name);
    const publishedAt = await c.get('services').store.publishedAt(skill, version);
    if (publishedAt === undefined) throw notFound(`${name}@${version}`);
    const hours = c.get('services').deps.config.deleteWindowHours;
    if (Date.now() - Date.parse(publishedAt) > hours * 3600_000) {
      throw new SkillsError('EDELETEWINDOW', `${name}@${version} was published more than ${hours} hours ago and can no longer be deleted`, { status: 409, hint: 'yank it instead: skills yank' });
    }
    const { store } = c.get('services');
    const unnamed = await store.atomically(async (tx) => {
      const digest = await store.deleteVersion(tx, skill, version);
      await recordAdminAction(tx, actorOf(c, caller), { action: 'delete', target: `${name}@${version}` });
      return digest;
    });
    // The bytes go once nothing names them; if that fails they stay, unnamed and harmless.
    if (unnamed !== undefined) {
      await store.dropBlob(unnamed).catch((error: unknown) => logError(c.get('services').deps.log, 'removing an unnamed tarball failed', error, c.get('requestId')));
    }
    return c.json({ name, version, deleted: true });
  });
}
