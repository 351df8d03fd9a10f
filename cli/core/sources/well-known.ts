/**
 * A host's Agent Skills discovery index (`/.well-known/agent-skills/index.json`, schema v0.2.0):
 * each skill is one artifact, a SKILL.md (`skill-md`) or an archive (`archive`: .tar.gz or .zip),
 * at a URL resolved against the index, with the sha256 of its exact bytes. The artifact is
 * downloaded within the package limits and its digest checked before anything else is done with
 * it; archives are unpacked in memory by the same strict readers as registry tarballs. An index
 * without the v0.2.0 `$schema` (v0.1.0 has no digests) or with another one is refused.
 */
import { createHash } from 'node:crypto';
import { SkillsError } from '../../../schema/errors';
import type { PackageFile } from '../../../schema/package-files';
import { clientDiscoveryIndexSchema, DISCOVERY_SCHEMA_V0_2_0, MAX_TARBALL_BYTES, type ClientDiscoveryEntry } from '../../../schema/registry';
import { DEFAULT_PACKAGE_LIMITS } from '../../../tarball/limits';
import { unpack } from '../../../tarball/unpack';
import { isZip, unzip } from '../../../tarball/unzip';
import { parseResponse, printable, readCapped } from '../registry/client';
import { shown, type WellKnownSpec } from './spec';
import { checkDigest, once, type Candidate, type SkillSource, type SourceContext } from './types';

const MAX_INDEX_BYTES = 4 * 1024 * 1024;
const TIMEOUT_MS = 30_000;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** GETs a URL within a byte limit; only https, or http on this machine, also after redirects. */
async function download(url: string, maxBytes: number, what: string, ctx: SourceContext): Promise<Uint8Array> {
  ctx.progress(`fetching ${printable(url, 200)}`);
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(Number(ctx.env.SKILLS_FETCH_TIMEOUT_MS) || TIMEOUT_MS), headers: { Accept: 'application/json, application/gzip, application/zip, text/markdown, */*' } });
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    throw new SkillsError(name === 'TimeoutError' ? 'ETIMEDOUT' : 'ENETWORK', `cannot fetch ${what} from ${printable(url, 200)}${error instanceof Error && error.cause instanceof Error ? ` (${printable(error.cause.message, 120)})` : ''}`, { hint: 'check the URL and the network; nothing was written' });
  }
  const final = new URL(res.url || url);
  if (final.protocol !== 'https:' && !(final.protocol === 'http:' && LOOPBACK.has(final.hostname))) {
    await res.body?.cancel().catch(() => undefined);
    throw new SkillsError('EINSECURESOURCE', `${what} was redirected to ${printable(final.href, 200)}, which is not https`, { hint: 'nothing was written' });
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    throw new SkillsError(res.status === 404 ? 'ENOTFOUND' : 'EWELLKNOWN', `${printable(url, 200)} answered ${res.status} for ${what}`, { hint: res.status === 404 ? 'the host publishes no Agent Skills discovery index there' : 'nothing was written' });
  }
  const tooLarge = (over: string) => new SkillsError('EWELLKNOWNTOOLARGE', `${what} at ${printable(url, 200)} is ${over}; nothing was written`, { hint: 'skills are small; this is not one' });
  return readCapped(res, { maxBytes, tooLarge }, new URL(url).origin);
}

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

type ArtifactType = 'skill-md' | 'archive' | 'either';

/** The files of an artifact whose bytes matched its digest (`either`: an archive by its first bytes, else a SKILL.md). */
async function artifactFiles(entry: { type: ArtifactType; name: string }, bytes: Uint8Array): Promise<PackageFile[]> {
  const gzip = bytes[0] === 0x1f && bytes[1] === 0x8b;
  if (entry.type === 'skill-md' || (entry.type === 'either' && !gzip && !isZip(bytes))) return [{ path: 'SKILL.md', bytes }];
  if (isZip(bytes)) return unzip(bytes);
  if (gzip) return unpack(bytes, {}, { stripDotSlash: true });
  throw new SkillsError('EWELLKNOWN', `the archive of ${entry.name} is neither .tar.gz nor .zip`, { hint: 'nothing was written' });
}

async function fetchArtifact(entry: { type: ArtifactType; name: string; digest: string }, url: string, ctx: SourceContext): Promise<PackageFile[]> {
  const max = entry.type === 'skill-md' ? DEFAULT_PACKAGE_LIMITS.maxFileBytes : MAX_TARBALL_BYTES;
  const bytes = await download(url, max, `the ${entry.type === 'skill-md' ? 'SKILL.md' : 'archive'} of ${entry.name}`, ctx);
  // The digest first: nothing from the artifact is read before its bytes are known to be the index's.
  const actual = sha256(bytes);
  if (actual !== entry.digest) {
    throw new SkillsError('EDIGESTMISMATCH', `the ${entry.type} of ${entry.name} at ${printable(url, 200)} hashes to ${actual}, not the index's ${entry.digest}; nothing was written`, {
      hint: 'the artifact changed after the index was written, or something altered it on the way',
    });
  }
  return artifactFiles(entry, bytes);
}

async function readIndex(spec: WellKnownSpec, ctx: SourceContext): Promise<ClientDiscoveryEntry[]> {
  const bytes = await download(spec.index, MAX_INDEX_BYTES, 'the discovery index', ctx);
  const tooLarge = (over: string) => new SkillsError('EWELLKNOWNTOOLARGE', `the discovery index ${printable(spec.index, 200)} is ${over}`);
  let index;
  try {
    index = parseResponse(clientDiscoveryIndexSchema, bytes, { maxValues: 200_000, what: 'a discovery index', tooLarge });
  } catch (error) {
    if (error instanceof SkillsError && error.code === 'EBADRESPONSE') throw new SkillsError('EWELLKNOWN', `${printable(spec.index, 200)} is not an Agent Skills discovery index: ${error.message}`, { hint: 'see the v0.2.0 format: $schema, and skills of name, type, description, url, digest' });
    throw error;
  }
  if (index.$schema !== DISCOVERY_SCHEMA_V0_2_0) {
    throw new SkillsError('EWELLKNOWN', `${printable(spec.index, 200)} is ${index.$schema === undefined ? 'a v0.1.0 discovery index (no $schema), which has no digests' : `of the schema ${printable(index.$schema, 120)}, which this tool does not know`}`, {
      hint: `skills installs from indexes with "$schema": "${DISCOVERY_SCHEMA_V0_2_0}", whose digests it can check`,
    });
  }
  const names = new Set<string>();
  const entries: ClientDiscoveryEntry[] = [];
  for (const entry of index.skills) {
    if (entry.type !== 'skill-md' && entry.type !== 'archive') {
      ctx.warn(`${printable(spec.index, 200)}: skipped ${entry.name}, of the unknown type ${printable(entry.type, 40)}`);
      continue;
    }
    if (names.has(entry.name)) throw new SkillsError('EWELLKNOWN', `${printable(spec.index, 200)} lists ${entry.name} twice`);
    names.add(entry.name);
    entries.push(entry);
  }
  return entries;
}

function artifactUrl(index: string, entry: ClientDiscoveryEntry): string {
  if (!URL.canParse(entry.url, index)) throw new SkillsError('EWELLKNOWN', `the url of ${entry.name} in the index cannot be read`);
  const url = new URL(entry.url, index);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) throw new SkillsError('EINSECURESOURCE', `the index names ${printable(url.href, 200)} for ${entry.name}, which is not https`);
  if (url.username !== '' || url.password !== '') throw new SkillsError('EWELLKNOWN', `the url of ${entry.name} carries credentials`);
  return url.href;
}

export const wellKnownSource: SkillSource<WellKnownSpec> = {
  async list(spec, ctx) {
    const entries = await once(ctx, `well-known\0${spec.index}`, () => readIndex(spec, ctx));
    const chosen = spec.name === undefined ? entries : entries.filter((e) => e.name === spec.name);
    if (spec.name !== undefined && chosen.length === 0) {
      throw new SkillsError('ESKILLNOTFOUND', `${printable(spec.index, 200)} lists no skill named ${spec.name}`, { hint: `it lists: ${entries.map((e) => e.name).slice(0, 30).join(', ') || 'nothing'}` });
    }
    const candidates: Candidate[] = chosen.map((entry) => {
      let url: string | undefined;
      let error: SkillsError | undefined;
      try {
        url = artifactUrl(spec.index, entry);
      } catch (e) {
        if (!(e instanceof SkillsError)) throw e;
        error = e;
      }
      return {
        path: entry.name,
        label: entry.name,
        folderName: entry.name,
        fallbackVersion: `0.0.0-web-${entry.digest.slice('sha256:'.length, 'sha256:'.length + 12)}`,
        resolved: url ?? entry.url,
        ...(error ? { error } : {}),
        load: () => fetchArtifact({ type: entry.type === 'skill-md' ? 'skill-md' : 'archive', name: entry.name, digest: entry.digest }, url ?? '', ctx),
        lockSource: (recorded) => ({ type: 'well-known', spec: recorded, index: spec.index, url: url ?? entry.url, artifactDigest: entry.digest }),
      };
    });
    return { spec, describe: spec.index, candidates };
  },

  async files(entry, name, ctx) {
    if (entry.source.type !== 'well-known') throw new SkillsError('EINTERNAL', `${name} is not from a discovery index`);
    const cached = await ctx.cache.content(entry.digest);
    if (cached) return cached;
    const { source } = entry;
    const bare = name.slice(name.indexOf('/') + 1);
    const files = await fetchArtifact({ type: 'either', name: bare, digest: source.artifactDigest }, source.url, ctx);
    return checkDigest(files, entry.digest, `${name} from ${shown(source.url)}`, 'the artifact no longer holds what the lockfile recorded; nothing was installed');
  },
};
