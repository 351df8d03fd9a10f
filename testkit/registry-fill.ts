/**
 * A registry on a real SQLite file and a real port, filled with a bit of everything its tables
 * hold, for tests that copy or move whole registries (`skills registry migrate`): users, a team, a
 * public and a private scope, tokens (one revoked), code skills with dependencies and an MCP
 * server, plain skills, a prerelease, a yanked and a deprecated version, dist-tags, downloads, an
 * audit allowance, a web session and the audit log.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startRegistry, type RunningRegistry } from '../registry-server/index';
import type { PackageFile } from '../schema/package-files';
import { pack } from '../tarball/pack';
import { echoSkill } from './registry';
import { registryApi, type ApiOptions } from './http';
import { chainSkills } from './skill-files';

/** The origin every filled registry (and every registry a test starts on a copy) writes into its answers. */
export const FILL_PUBLIC_URL = 'http://registry.example.test';

const enc = new TextEncoder();

export interface FilledRegistry {
  file: string;
  registry: RunningRegistry;
  admin: string;
  /** A publish token of alice, owner of team acme (which owns @acme and the private @secret). */
  alice: string;
  bobRead: string;
  /** A token of carol that was revoked. */
  revoked: string;
  /** A web catalog session of bob (the `skills_session` cookie's value). */
  session: string;
  /** Every skill published, by full name. */
  skills: string[];
  api(method: string, url: string, options?: ApiOptions): Promise<Response>;
  /** Stops the registry (pending download counts are written); the file stays. */
  close(): Promise<void>;
}

/** A registry on `file` (a path in a folder of the test's), with `options.blobs` for an S3 bucket. */
export async function registryOn(file: string, options: { blobs?: string; database?: string } = {}): Promise<{ registry: RunningRegistry; api: FilledRegistry['api'] }> {
  const registry = await startRegistry({ port: 0, db: file, blobs: options.blobs, database: options.database, workers: 1, config: { publicUrl: FILL_PUBLIC_URL, publishesPerMinute: 100_000 } });
  // Answers name FILL_PUBLIC_URL: a URL from one is asked of this registry by its path.
  const api = registryApi(() => registry.url, (url) => (url.startsWith(FILL_PUBLIC_URL) ? url.slice(FILL_PUBLIC_URL.length) : url));
  return { registry, api };
}

export async function fillRegistry(file: string): Promise<FilledRegistry> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const { registry, api } = await registryOn(file);
  const admin = registry.adminToken ?? '';
  const ok = async (res: Promise<Response>): Promise<Record<string, unknown>> => {
    const r = await res;
    const text = await r.text();
    if (r.status >= 300) throw new Error(`filling the registry failed: ${r.status} ${text}`);
    return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  };
  const as = (token: string) => ({
    post: (url: string, body: unknown) => ok(api('POST', url, { token, body })),
    put: (url: string, body: unknown) => ok(api('PUT', url, { token, body })),
  });
  const root = as(admin);
  for (const name of ['alice', 'bob', 'carol']) await root.post('/v1/users', { name });
  await root.post('/v1/teams', { name: 'acme' });
  await root.post('/v1/teams/acme/members', { user: 'alice', role: 'owner' });
  await root.post('/v1/scopes', { name: '@acme', team: 'acme' });
  await root.post('/v1/scopes', { name: '@secret', team: 'acme', private: true });
  const token = async (user: string, permission: string) => (await root.post('/v1/tokens', { user, permission, description: `${user} ${permission}` })).token as string;
  const alice = await token('alice', 'publish');
  const bobRead = await token('bob', 'read');
  const revoked = await token('carol', 'read');
  const revokedId = /^skr_([A-Za-z0-9]{16})_/.exec(revoked)?.[1] ?? '';
  await ok(api('DELETE', `/v1/tokens/${revokedId}`, { token: admin }));

  const skills: string[] = [];
  const publish = async (name: string, files: PackageFile[], query = '') => {
    await ok(api('PUT', `/v1/skills/${name}${query}`, { token: alice, body: (await pack(files)).bytes }));
    if (!skills.includes(name)) skills.push(name);
  };
  // Code skills: a chain with dependencies (skill_dependencies) and an MCP server (skill_servers).
  const chain = chainSkills('@acme');
  await publish('@acme/base', chain.base);
  await publish('@acme/mid', chain.mid);
  await publish('@acme/top', chain.top);
  await publish('@acme/hello', echoSkill('@acme/hello', '1.0.0'));
  await publish('@acme/hello', echoSkill('@acme/hello', '1.1.0'));
  // Plain skills, one private, one with a prerelease (tag next).
  await publish('@acme/notes', plainSkill('notes', 'Take meeting notes in a shared format.'), '?version=1.0.0');
  await publish('@acme/notes', plainSkill('notes', 'Take meeting notes in a shared format, with action items.'), '?version=2.0.0-beta.1');
  await publish('@secret/vault', plainSkill('vault', 'Rotate the vault credentials every quarter.'), '?version=1.0.0');

  await root.post('/v1/skills/@acme/hello/versions/1.0.0/yank', {});
  await root.post('/v1/skills/@acme/notes/versions/1.0.0/deprecate', { message: 'use 2.x' });
  await root.put('/v1/skills/@acme/hello/dist-tags/stable', { version: '1.0.0' });
  await ok(api('POST', '/v1/skills/@acme/top/audit-allowances', { token: alice, body: { rule: 'script-pipe-to-shell', reason: 'the vendor installer' } }));

  // Downloads: tarballs read through the API (counted per version and day).
  for (const [name, times] of [['@acme/hello', 3], ['@acme/notes', 2], ['@secret/vault', 1]] as const) {
    const packument = (await (await api('GET', `/v1/skills/${name}`, { token: alice })).json()) as { versions: Record<string, { dist: { tarball: string } }>; distTags: Record<string, string> };
    const latest = Object.values(packument.versions).at(-1);
    for (let i = 0; i < times && latest; i++) await (await api('GET', latest.dist.tarball, { token: alice })).arrayBuffer();
  }

  const session = await signIn(api, bobRead);
  return {
    file,
    registry,
    admin,
    alice,
    bobRead,
    revoked,
    session,
    skills,
    api,
    close: () => registry.close(),
  };
}

/** Signs in to the web catalog with `token` through its form; returns the session cookie's value. */
export async function signIn(api: FilledRegistry['api'], token: string): Promise<string> {
  const form = await api('GET', '/sign-in', { headers: { Accept: 'text/html' } });
  const anon = /skills_csrf=([^;]+)/.exec(form.headers.getSetCookie().join('\n'))?.[1] ?? '';
  const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
  const res = await api('POST', '/sign-in', {
    headers: { Accept: 'text/html', 'Content-Type': 'application/x-www-form-urlencoded', Cookie: `skills_csrf=${anon}` },
    body: new URLSearchParams({ csrf, next: '/', token }).toString(),
  });
  if (res.status !== 303) throw new Error(`signing in failed: ${res.status} ${await res.text()}`);
  const session = /skills_session=([^;]+)/.exec(res.headers.getSetCookie().join('\n'))?.[1];
  if (session === undefined) throw new Error('signing in set no session cookie');
  return session;
}

export function plainSkill(name: string, description: string): PackageFile[] {
  return [{ path: 'SKILL.md', bytes: enc.encode(`---\nname: ${name}\ndescription: ${description}\n---\n\n# ${name}\n\n${description}\n`) }];
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
