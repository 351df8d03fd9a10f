/** Reading skills: packuments, versions, tarballs and SKILL.md. */
import type { Hono } from 'hono';
import semver from 'semver';
import { INSTALL_PACKUMENT_TYPE } from '../../schema/registry';
import { notFound, origin, readableSkill, type Env } from '../context';
import { routeName, routeVersion } from '../names';

const SKILL = '/v1/skills/:scope{@[^/]+}/:name';

export function readRoutes(app: Hono<Env>): void {
  app.get(SKILL, (c) => {
    const name = routeName(c);
    const { skill, scope } = readableSkill(c, name);
    const form = (c.req.header('Accept') ?? '').includes(INSTALL_PACKUMENT_TYPE) ? 'install' : 'full';
    const { body, etag } = c.var.services.store.packumentJson(skill, origin(c), scope.private === 1, form);
    c.header('ETag', etag);
    c.header('Cache-Control', scope.private === 1 ? 'private, no-cache' : 'public, no-cache');
    c.header('Vary', 'Authorization, Accept');
    if (c.req.header('If-None-Match') === etag) return c.body(null, 304);
    return c.body(body, 200, { 'Content-Type': form === 'install' ? `${INSTALL_PACKUMENT_TYPE}; charset=utf-8` : 'application/json; charset=utf-8' });
  });

  app.get(`${SKILL}/versions/:version`, (c) => {
    const name = routeName(c);
    const version = routeVersion(c);
    const { skill, scope } = readableSkill(c, name);
    const doc = c.var.services.store.version(skill, version, origin(c));
    if (!doc) throw notFound(`${name}@${version}`);
    // The content of a version never changes; yanked/deprecated are current as of this response
    // and authoritative in the packument.
    c.header('Cache-Control', scope.private === 1 ? 'private, max-age=31536000, immutable' : 'public, max-age=31536000, immutable');
    return c.json(doc);
  });

  app.get(`${SKILL}/versions/:version/skill.md`, (c) => {
    const name = routeName(c);
    const version = routeVersion(c);
    const { skill, scope } = readableSkill(c, name);
    const text = c.var.services.store.skillMd(skill, version);
    if (text === undefined) throw notFound(`${name}@${version}`);
    c.header('Cache-Control', scope.private === 1 ? 'private, max-age=31536000, immutable' : 'public, max-age=31536000, immutable');
    return c.body(text, 200, { 'Content-Type': 'text/markdown; charset=utf-8' });
  });

  app.get(`${SKILL}/-/:file`, (c) => {
    const name = routeName(c);
    const bare = name.slice(name.indexOf('/') + 1);
    const file = c.req.param('file');
    const version = file.startsWith(`${bare}-`) && file.endsWith('.tgz') ? file.slice(bare.length + 1, -4) : '';
    if (semver.valid(version) !== version) throw notFound(`${name} tarball ${file.slice(0, 100)}`);
    const { skill, scope } = readableSkill(c, name);
    const bytes = c.var.services.store.tarball(skill, version);
    if (!bytes) throw notFound(`${name}@${version}`);
    if (c.req.method === 'GET') c.var.services.downloads.count(skill, version);
    return c.body(new Uint8Array(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength), 200, {
      'Content-Type': 'application/gzip',
      'Content-Length': String(bytes.byteLength),
      'Cache-Control': scope.private === 1 ? 'private, max-age=31536000, immutable' : 'public, max-age=31536000, immutable',
    });
  });
}
