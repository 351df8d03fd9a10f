/**
 * A version's files: `/@scope/name/v/1.2.0/files/<path>` shows one (text, or an image), and
 * `/@scope/name/v/1.2.0/raw/<path>` serves a package image for SKILL.md and the file viewer,
 * raster formats only, recognised by their bytes.
 */
import type { Hono } from 'hono';
import { SkillsError } from '../../../schema/errors';
import { decodeUtf8 } from '../../../schema/utf8';
import { notFound, readableSkill, type Ctx, type Env } from '../../context';
import { routeName, routeVersion } from '../../names';
import { MAX_BROWSE_BYTES, SCOPE_ROUTE, type WebDeps } from '../deps';
import { IMAGE_CSP } from '../headers';
import { rasterType } from '../images';
import type { FileMap } from '../package-files';
import { filePage, rawPath } from '../pages/skill';

/** Largest file the viewer shows (the start of longer text files is shown). */
export const MAX_VIEW_BYTES = 256 * 1024;

export function fileRoutes(app: Hono<Env>, web: WebDeps): void {
  const { packages, page, loadState, frame, respond } = web;

  /** One file of a version, found in its unpacked tarball. */
  async function packageFile(c: Ctx): Promise<{ name: string; version: string; path: string; bytes: Uint8Array; isPrivate: boolean }> {
    const name = routeName(c);
    const version = routeVersion(c);
    const path = c.req.param('path') ?? '';
    const { skill, scope } = await readableSkill(c, name);
    // The unpacked files are kept by version; a version deleted since (by any registry process)
    // is gone here too.
    if ((await web.services.store.publishedAt(skill, version)) === undefined) throw notFound(`${name}@${version}`);
    let files: FileMap | undefined;
    try {
      files = await packages.get(skill, version);
    } catch {
      throw new SkillsError('EBROWSELIMIT', `${name}@${version} unpacks to more than ${MAX_BROWSE_BYTES / 1024 / 1024} MiB, too large to browse here; download its tarball`, { status: 413 });
    }
    const bytes = files?.get(path);
    if (!files) throw notFound(`${name}@${version}`);
    if (!bytes) throw notFound(`${path.slice(0, 200)} in ${name}@${version}`);
    return { name, version, path, bytes, isPrivate: scope.private === 1 };
  }

  app.get(`${SCOPE_ROUTE}/:name/v/:version/files/:path{.+}`, page, async (c) => {
    const file = await packageFile(c);
    const { bytes } = file;
    const head = bytes.subarray(0, Math.min(bytes.byteLength, 8192));
    const raster = rasterType(bytes);
    let text: string | undefined;
    let cut = false;
    if (!raster && !head.includes(0)) {
      cut = bytes.byteLength > MAX_VIEW_BYTES;
      const shown = cut ? new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, MAX_VIEW_BYTES)).replace(/\uFFFD+$/, '') : decodeUtf8(bytes);
      text = shown;
    }
    const image = raster ? rawPath(file.name, file.version, file.path) : undefined;
    return respond(c, filePage(frame(c), { name: file.name, version: file.version, path: file.path, size: bytes.byteLength, text, image, cut }));
  });

  // No page middleware: an <img> does not ask for HTML. The session still counts for private scopes.
  app.get(`${SCOPE_ROUTE}/:name/v/:version/raw/:path{.+}`, async (c) => {
    if (!c.get('caller')) {
      const { session } = await loadState(c);
      if (session) c.set('caller', session.caller);
    }
    const file = await packageFile(c);
    const raster = rasterType(file.bytes);
    if (!raster) throw notFound(`an image at ${file.path.slice(0, 200)}`);
    c.header('Content-Security-Policy', IMAGE_CSP);
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Cross-Origin-Resource-Policy', 'same-origin');
    c.header('Cache-Control', file.isPrivate ? 'private, max-age=31536000, immutable' : 'public, max-age=31536000, immutable');
    if (file.isPrivate) c.header('Vary', 'Cookie');
    return c.body(new Uint8Array(file.bytes), 200, { 'Content-Type': raster });
  });
}
