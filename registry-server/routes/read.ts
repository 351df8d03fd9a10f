/** Reading skills: packuments, versions, tarballs and SKILL.md. */
import type { Hono } from 'hono';
import semver from 'semver';
import { INSTALL_PACKUMENT_TYPE } from '../../schema/registry';
import { notFound, origin, readableScopeOf, readableSkill, type Ctx, type Env } from '../context';
import type { SkillRow } from '../skills-store';
import { acceptsGzip, bytesOf, etagMatches, gzipEtag } from '../http-cache';
import { routeName, routeVersion } from '../names';

const SKILL = '/v1/skills/:scope{@[^/]+}/:name';
/** Content never changes once published: any cache may keep a public one for a year. */
const IMMUTABLE_PUBLIC = 'public, max-age=31536000, immutable';
/** A private scope's: only the reader's own client may keep it, never a shared cache. */
const IMMUTABLE_PRIVATE = 'private, max-age=31536000, immutable';

/** The skill `name` (its scope already found readable), or 404. */
async function existing(c: Ctx, name: string): Promise<SkillRow> {
  const skill = await c.get('services').store.skill(name);
  if (!skill) throw notFound(name);
  return skill;
}

export function readRoutes(app: Hono<Env>): void {
  app.get(SKILL, async (c) => {
    const name = routeName(c);
    // Access first; then a cached body needs no lookup of the skill.
    const scope = await readableScopeOf(c, name);
    const form = (c.req.header('Accept') ?? '').includes(INSTALL_PACKUMENT_TYPE) ? 'install' : 'full';
    const { store } = c.get('services');
    const at = origin(c);
    const cached = (await store.cachedPackument(name, at, scope.private === 1, form)) ?? (await store.packumentBody(await existing(c, name), at, scope.private === 1, form));
    const gzip = cached.gzip !== undefined && acceptsGzip(c.req.header('Accept-Encoding'));
    c.header('ETag', gzip ? gzipEtag(cached.etag) : cached.etag);
    c.header('Cache-Control', scope.private === 1 ? 'private, no-cache' : 'public, no-cache');
    c.header('Vary', 'Authorization, Accept, Accept-Encoding');
    if (etagMatches(c.req.header('If-None-Match'), cached.etag)) return c.body(null, 304);
    const contentType = form === 'install' ? `${INSTALL_PACKUMENT_TYPE}; charset=utf-8` : 'application/json; charset=utf-8';
    // A Content-Length spares the chunked framing (one write per response, not two).
    if (gzip && cached.gzip) return c.body(bytesOf(cached.gzip), 200, { 'Content-Type': contentType, 'Content-Encoding': 'gzip', 'Content-Length': String(cached.gzip.byteLength) });
    return c.body(bytesOf(cached.body), 200, { 'Content-Type': contentType, 'Content-Length': String(cached.body.byteLength) });
  });

  app.get(`${SKILL}/versions/:version`, async (c) => {
    const name = routeName(c);
    const version = routeVersion(c);
    const { skill, scope } = await readableSkill(c, name);
    const doc = await c.get('services').store.version(skill, version, origin(c));
    if (!doc) throw notFound(`${name}@${version}`);
    // The content of a version never changes; yanked/deprecated are current as of this response
    // and authoritative in the packument.
    c.header('Cache-Control', scope.private === 1 ? IMMUTABLE_PRIVATE : IMMUTABLE_PUBLIC);
    if (scope.private === 1) c.header('Vary', 'Authorization');
    return c.json(doc);
  });

  app.get(`${SKILL}/versions/:version/skill.md`, async (c) => {
    const name = routeName(c);
    const version = routeVersion(c);
    const { skill, scope } = await readableSkill(c, name);
    const text = await c.get('services').store.skillMd(skill, version);
    if (text === undefined) throw notFound(`${name}@${version}`);
    c.header('Cache-Control', scope.private === 1 ? IMMUTABLE_PRIVATE : IMMUTABLE_PUBLIC);
    if (scope.private === 1) c.header('Vary', 'Authorization');
    return c.body(text, 200, { 'Content-Type': 'text/markdown; charset=utf-8' });
  });

  app.get(`${SKILL}/-/:file`, async (c) => {
    const name = routeName(c);
    const bare = name.slice(name.indexOf('/') + 1);
    const file = c.req.param('file');
    const version = file.startsWith(`${bare}-`) && file.endsWith('.tgz') ? file.slice(bare.length + 1, -4) : '';
    if (semver.valid(version) !== version) throw notFound(`${name} tarball ${file.slice(0, 100)}`);
    const scope = await readableScopeOf(c, name);
    const { store } = c.get('services');
    const tarball = (await store.cachedTarball(name, version)) ?? (await store.tarballBody(await existing(c, name), version));
    if (!tarball) throw notFound(`${name}@${version}`);
    // The ETag is the tarball's sha512 integrity: strong, and the same wherever it is served.
    c.header('ETag', tarball.etag);
    c.header('Cache-Control', scope.private === 1 ? IMMUTABLE_PRIVATE : IMMUTABLE_PUBLIC);
    if (scope.private === 1) c.header('Vary', 'Authorization');
    // A revalidation moves no bytes and is not counted as a download.
    if (etagMatches(c.req.header('If-None-Match'), tarball.etag)) return c.body(null, 304);
    if (c.req.method === 'GET') c.get('services').downloads.count(tarball.skill, version);
    return c.body(bytesOf(tarball.bytes), 200, { 'Content-Type': 'application/gzip', 'Content-Length': String(tarball.bytes.byteLength) });
  });
}
