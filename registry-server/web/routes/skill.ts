/**
 * `/@scope/name` (the latest version) and `/@scope/name/v/1.2.0`: a skill's page, with its
 * SKILL.md rendered and the MCP calls of each verification case (both cached per version, which
 * never changes once published).
 */
import type { Hono } from 'hono';
import semver from 'semver';
import { fixtureCaseName } from '../../../schema/package';
import { decodeUtf8 } from '../../../schema/utf8';
import type { PackumentVersion } from '../../../schema/registry';
import { parseSkillMd } from '../../../schema/skill-md';
import { notFound, origin, readableSkill, type Ctx, type Env } from '../../context';
import { routeName, routeVersion } from '../../names';
import type { SkillRow } from '../../skills-store';
import { SCOPE_ROUTE, type WebDeps } from '../deps';
import { auditOf, provenanceOf, trustOf } from '../extras';
import { trusted, type Html } from '../html';
import { rasterType } from '../images';
import { createMarkdownRenderer, MAX_MARKDOWN_CHARS } from '../markdown';
import type { FileMap } from '../package-files';
import { filePath, rawPath, skillPage, type CaseCalls } from '../pages/skill';
import { Recent } from '../recent';

const DEPENDENTS_SHOWN = 50;
const CACHED_RENDERS = 2000;

export function skillRoutes(app: Hono<Env>, web: WebDeps): void {
  const { catalog, packages, frame, respond, readable } = web;
  const { store, downloads } = web.services;
  const render = createMarkdownRenderer();
  const readmes = new Recent<{ html: Html; cut: boolean }>(CACHED_RENDERS);
  const caseCalls = new Recent<CaseCalls>(CACHED_RENDERS);

  async function readme(skill: SkillRow, doc: PackumentVersion, files: ReadonlySet<string>): Promise<{ html: Html; cut: boolean }> {
    const name = skill.name;
    const key = `${skill.id} ${doc.version}`;
    const cached = readmes.get(key);
    if (cached) return cached;
    const body = parseSkillMd(doc.skillMd).body;
    const images = new Set<string>();
    // Only a body that names a package image needs the package unpacked.
    if (/!\[/.test(body)) {
      const unpacked = await packages.get(skill, doc.version).catch(() => undefined);
      for (const [path, bytes] of unpacked ?? []) if (rasterType(bytes)) images.add(path);
    }
    const out = {
      html: trusted(
        render(body, {
          files,
          images,
          fileUrl: (path) => filePath(name, doc.version, path),
          imageUrl: (path) => rawPath(name, doc.version, path),
        }),
      ),
      cut: body.length > MAX_MARKDOWN_CHARS,
    };
    readmes.set(key, out);
    return out;
  }

  /** The MCP calls each case's fixture records (what a passing case made), in order of first use. */
  async function callsOf(skill: SkillRow, doc: PackumentVersion): Promise<CaseCalls | undefined> {
    if (doc.verification.cases.length === 0) return new Map();
    const key = `${skill.id} ${doc.version}`;
    const cached = caseCalls.get(key);
    if (cached) return cached;
    let files: FileMap | undefined;
    try {
      files = await packages.get(skill, doc.version);
    } catch {
      return undefined;
    }
    if (!files) return undefined;
    const out = new Map<string, { call: string; times: number }[]>();
    for (const [path, bytes] of files) {
      const name = fixtureCaseName(path);
      if (name === undefined) continue;
      try {
        const fixture = JSON.parse(decodeUtf8(bytes) ?? 'null') as { mcp?: { server?: unknown; tool?: unknown }[] } | null;
        const counted = new Map<string, number>();
        for (const call of Array.isArray(fixture?.mcp) ? fixture.mcp : []) {
          const label = `${String(call?.server).slice(0, 64)}.${String(call?.tool).slice(0, 64)}`;
          counted.set(label, (counted.get(label) ?? 0) + 1);
          if (counted.size >= 50) break;
        }
        out.set(name, [...counted].map(([call, times]) => ({ call, times })));
      } catch {
        // A fixture the registry verified is JSON; anything else just shows no calls.
      }
    }
    caseCalls.set(key, out);
    return out;
  }

  async function skillResponse(c: Ctx, versionParam: string | undefined): Promise<Response> {
    const name = routeName(c);
    const { skill, scope } = await readableSkill(c, name);
    const distTags = await store.distTags(skill.id);
    const versions = await catalog.versions(skill.id);
    const latest = distTags.latest ?? semver.rsort(versions.map((v) => v.version))[0];
    const chosen = versionParam ?? latest;
    const doc = chosen === undefined ? undefined : await store.version(skill, chosen, origin(c));
    if (!doc) throw notFound(`${name}@${chosen ?? 'latest'}`);
    const files = (await catalog.files(skill.id, doc.version)) ?? [];
    const { html: readmeHtml, cut } = await readme(skill, doc, new Set(files.map((f) => f.path)));
    const page = skillPage(frame(c), {
      name,
      scope: scope.name,
      isPrivate: scope.private === 1,
      doc,
      isLatestPage: versionParam === undefined,
      latest,
      versions,
      distTags,
      readme: readmeHtml,
      readmeCut: cut,
      files,
      calls: await callsOf(skill, doc),
      dependents: await catalog.dependents(name, await readable(c), DEPENDENTS_SHOWN),
      downloads: await downloads.stats(skill.id),
      trust: trustOf(doc) ?? versions.find((v) => v.version === doc.version)?.trust,
      provenance: provenanceOf(doc),
      audit: auditOf(doc, await web.services.audits.report(skill.id, doc.version)),
    });
    return respond(c, page);
  }

  app.get(`${SCOPE_ROUTE}/:name`, web.page, (c) => skillResponse(c, undefined));
  app.get(`${SCOPE_ROUTE}/:name/v/:version`, web.page, (c) => skillResponse(c, routeVersion(c)));
}
