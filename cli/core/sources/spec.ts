/**
 * What a user may name as a skill to install or publish, parsed without I/O: a registry name
 * (`@scope/name[@range]`), a git repository (`github:owner/repo[/path][#ref]`,
 * `git+https|ssh|file://...[#ref][&path:dir]`), a local folder (`./path`, `../path`, `/abs`), or a
 * host's discovery index (`https://host[/base][#name]`). Everything here is user input that ends up
 * on a git command line or in a URL, so it is validated narrowly: no credentials in URLs, no
 * leading `-`, refs and paths from a small alphabet, only the https, ssh and file transports.
 */
import semver from 'semver';
import { SkillsError } from '../../../schema/errors';
import { parsePackageSpec, SKILL_NAME_MAX, SKILL_NAME_RE } from '../../../schema/names';

export const DEFAULT_GITHUB_BASE = 'https://github.com';
export const WELL_KNOWN_INDEX = '/.well-known/agent-skills/index.json';
const MAX_SPEC = 4096;

export type GitProtocol = 'https' | 'http' | 'ssh' | 'file';

export interface RegistrySpec {
  type: 'registry';
  raw: string;
  name: string;
  range: string | undefined;
}

export interface GitSpec {
  type: 'git';
  raw: string;
  /** What git is given: `https://host/path`, `ssh://user@host/path`, `user@host:path`, `file:///abs`. */
  url: string;
  protocol: GitProtocol;
  /** A branch, tag or commit; undefined: the remote's HEAD. */
  ref: string | undefined;
  /** `#semver:<range>`: the newest tag inside the range. */
  semverRange: string | undefined;
  /** The skill's folder in the repository ('' for the root); undefined: not given (discover). */
  path: string | undefined;
  /** `github:owner/repo` when written that way (kept for the spec recorded in skills.json). */
  github: { owner: string; repo: string } | undefined;
  /** `owner/repo@skill`: the skill chosen by name, as `--skill` would. */
  skill?: string | undefined;
}

export interface FolderSpec {
  type: 'folder';
  raw: string;
  /** As written (relative to the workspace, or absolute). */
  path: string;
}

export interface WellKnownSpec {
  type: 'well-known';
  raw: string;
  /** The discovery index URL. */
  index: string;
  /** `#name`: one skill of the index. */
  name: string | undefined;
}

export type SourceSpec = RegistrySpec | GitSpec | FolderSpec | WellKnownSpec;

export interface SpecEnv {
  /** Where `github:` points (default https://github.com); `$SKILLS_GITHUB_BASE`. */
  githubBase?: string | undefined;
}

export function specEnv(env: NodeJS.ProcessEnv): SpecEnv {
  return { githubBase: env.SKILLS_GITHUB_BASE === '' ? undefined : env.SKILLS_GITHUB_BASE };
}

function invalid(spec: string, why: string, hint?: string): SkillsError {
  return new SkillsError('ESPECINVALID', `"${shown(spec)}" is not a skill to install: ${why}`, {
    hint: hint ?? 'use @scope/name[@range], owner/repo[/path][@skill][#ref] or github:owner/repo[/path][#ref] (GitHub), git+https://host/repo[#ref], git+ssh://..., git+file:///abs/repo, ./folder or https://host',
  });
}

/** A spec as shown in messages: bounded, and without any password a URL might carry. */
export function shown(spec: string): string {
  const clean = spec.replace(/\/\/([^/@\s]*)@/, (_m, userinfo: string) => `//${userinfo.includes(':') ? `${userinfo.slice(0, userinfo.indexOf(':'))}:***` : userinfo}@`);
  return clean.length > 200 ? `${clean.slice(0, 200)}...` : clean;
}

export function isLocalPath(spec: string): boolean {
  return spec === '.' || spec === '..' || spec.startsWith('./') || spec.startsWith('../') || spec.startsWith('/');
}

export function parseSourceSpec(spec: string, env: SpecEnv = {}): SourceSpec {
  if (spec.length === 0 || spec.length > MAX_SPEC) throw invalid(spec.slice(0, 80), `it is ${spec.length === 0 ? 'empty' : `longer than ${MAX_SPEC} characters`}`);
  if (/[\u0000-\u001f\u007f\s]/.test(spec)) throw invalid(spec, 'it contains a space or a control character');
  if (spec.startsWith('@')) {
    const parsed = parsePackageSpec(spec);
    if (!parsed) throw invalid(spec, 'it is not @scope/name or @scope/name@range', 'e.g. @acme/csv-export or @acme/csv-export@^1.2.0');
    return { type: 'registry', raw: spec, name: parsed.name, range: parsed.range };
  }
  if (isLocalPath(spec)) return { type: 'folder', raw: spec, path: spec };
  if (spec.startsWith('github:')) return parseGithub(spec, env);
  if (spec.startsWith('git+')) return parseGitUrl(spec);
  if (spec.startsWith('https://') || spec.startsWith('http://')) return parseWellKnown(spec);
  if (spec.startsWith('git://') || spec.startsWith('ext::') || spec.startsWith('git+ext')) throw invalid(spec, 'only the https, ssh and file git transports are used');
  const shorthand = parseGithubShorthand(spec, env);
  if (shorthand) return shorthand;
  throw invalid(spec, 'it is none of the forms below');
}

/**
 * `owner/repo`, `owner/repo/path` and `owner/repo@skill` (each with an optional `#ref`) mean
 * GitHub, as they do for `npx skills` and `gh skill`; a folder is written `./owner/repo`.
 */
function parseGithubShorthand(spec: string, env: SpecEnv): GitSpec | undefined {
  const [body, fragment] = splitFragment(spec);
  const match = /^([A-Za-z0-9][A-Za-z0-9-]{0,38})\/([A-Za-z0-9._-]{1,100})((?:\/[^@#]+)?)(?:@([^/@#]+))?$/.exec(body);
  if (!match) return undefined;
  const [, owner, repo, rest, skill] = match as unknown as [string, string, string, string, string | undefined];
  if (skill !== undefined && (skill.length > SKILL_NAME_MAX * 2 || !/^[A-Za-z0-9._-]+$/.test(skill))) throw invalid(spec, `"${shown(skill)}" is not a skill name`);
  const parsed = parseGithub(`github:${owner}/${repo}${rest}${fragment === undefined ? '' : `#${fragment}`}`, env);
  return { ...parsed, raw: spec, ...(skill === undefined ? {} : { skill }) };
}

const OWNER_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const REPO_RE = /^[A-Za-z0-9._-]{1,100}$/;
/** A git ref as this tool accepts it: a small alphabet, no `..`, no leading `-` or `/`, no `@{`. */
const REF_RE = /^(?!-)(?!\/)(?!.*\.\.)(?!.*\/\/)(?!.*\/$)(?!.*\.lock$)(?!.*@\{)[A-Za-z0-9._/+-]{1,255}$/;
const PATH_SEGMENT_RE = /^[A-Za-z0-9._@+-]{1,255}$/;

function checkRepoPath(spec: string, value: string): string {
  const trimmed = value.replace(/^\/+|\/+$/g, '');
  if (trimmed === '') return '';
  const segments = trimmed.split('/');
  if (segments.length > 32 || segments.some((s) => s === '.' || s === '..' || !PATH_SEGMENT_RE.test(s))) throw invalid(spec, `"${shown(value)}" is not a folder path inside the repository`);
  return segments.join('/');
}

/** `#ref`, `#semver:^1.2`, `#path:skills/pdf`, joined with `&`. */
function parseFragment(spec: string, fragment: string | undefined): { ref: string | undefined; semverRange: string | undefined; path: string | undefined } {
  let ref: string | undefined;
  let semverRange: string | undefined;
  let path: string | undefined;
  if (fragment === undefined || fragment === '') return { ref, semverRange, path };
  for (const part of fragment.split('&')) {
    if (part.startsWith('path:')) {
      if (path !== undefined) throw invalid(spec, 'it names path: twice');
      path = checkRepoPath(spec, part.slice('path:'.length));
    } else if (part.startsWith('semver:')) {
      const range = decodeURIComponent(part.slice('semver:'.length));
      if (semver.validRange(range) === null) throw invalid(spec, `"${shown(range)}" is not a semver range`, 'e.g. #semver:^1.2.0');
      if (ref !== undefined || semverRange !== undefined) throw invalid(spec, 'it names more than one ref');
      semverRange = range;
    } else {
      if (!REF_RE.test(part)) throw invalid(spec, `"${shown(part)}" is not a branch, tag or commit name`);
      if (ref !== undefined || semverRange !== undefined) throw invalid(spec, 'it names more than one ref');
      ref = part;
    }
  }
  return { ref, semverRange, path };
}

function splitFragment(spec: string): [string, string | undefined] {
  const hash = spec.indexOf('#');
  return hash === -1 ? [spec, undefined] : [spec.slice(0, hash), spec.slice(hash + 1)];
}

function parseGithub(spec: string, env: SpecEnv): GitSpec {
  const [body, fragment] = splitFragment(spec.slice('github:'.length));
  const [owner, repo, ...rest] = body.split('/');
  if (owner === undefined || !OWNER_RE.test(owner) || repo === undefined || !REPO_RE.test(repo) || repo === '.' || repo === '..') {
    throw invalid(spec, 'it is not github:owner/repo[/path][#ref]');
  }
  const cleanRepo = repo.endsWith('.git') ? repo.slice(0, -4) : repo;
  const parsed = parseFragment(spec, fragment);
  const inBody = rest.length > 0 ? checkRepoPath(spec, rest.join('/')) : undefined;
  if (inBody !== undefined && parsed.path !== undefined) throw invalid(spec, 'it gives the folder twice (in the path and as path:)');
  const base = gitBase(env.githubBase);
  return {
    type: 'git',
    raw: spec,
    url: `${base.url}/${owner}/${cleanRepo}`,
    protocol: base.protocol,
    ref: parsed.ref,
    semverRange: parsed.semverRange,
    path: inBody ?? parsed.path,
    github: { owner, repo: cleanRepo },
  };
}

/** `$SKILLS_GITHUB_BASE`: an https or file URL that `owner/repo` is appended to. */
function gitBase(value: string | undefined): { url: string; protocol: GitProtocol } {
  const raw = (value ?? DEFAULT_GITHUB_BASE).replace(/\/+$/, '');
  const parsed = URL.canParse(raw) ? new URL(raw) : undefined;
  if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'file:') || parsed.username !== '' || parsed.password !== '' || parsed.search !== '' || parsed.hash !== '') {
    throw new SkillsError('EGITURL', `$SKILLS_GITHUB_BASE "${shown(raw)}" is not an https:// or file:// URL without credentials`, { hint: 'e.g. https://github.com or https://git.example.com' });
  }
  return { url: raw, protocol: parsed.protocol === 'file:' ? 'file' : 'https' };
}

function parseGitUrl(spec: string): GitSpec {
  const [body, fragment] = splitFragment(spec.slice('git+'.length));
  const parsed = parseFragment(spec, fragment);
  const base = { type: 'git' as const, raw: spec, ref: parsed.ref, semverRange: parsed.semverRange, path: parsed.path, github: undefined };
  if (body.startsWith('ssh://')) {
    // The scp-like form npm also takes: git+ssh://git@host:owner/repo.git
    const scp = /^ssh:\/\/([A-Za-z0-9._-]{1,64})@([A-Za-z0-9.-]{1,253}):(?!\d+\/)([A-Za-z0-9._~/-]{1,1024})$/.exec(body);
    if (scp) {
      const [, user, host, repoPath] = scp as unknown as [string, string, string, string];
      if (host.startsWith('-') || repoPath.startsWith('-') || repoPath.split('/').includes('..')) throw invalid(spec, 'its host or path is not allowed');
      return { ...base, url: `${user}@${host}:${repoPath}`, protocol: 'ssh' };
    }
    return { ...base, url: checkedUrl(spec, body, 'ssh:'), protocol: 'ssh' };
  }
  if (body.startsWith('https://')) return { ...base, url: checkedUrl(spec, body, 'https:'), protocol: 'https' };
  if (body.startsWith('http://')) {
    const url = checkedUrl(spec, body, 'http:');
    if (!LOOPBACK.has(new URL(url).hostname)) throw insecure(spec);
    return { ...base, url, protocol: 'http' };
  }
  if (body.startsWith('file://')) return { ...base, url: checkedUrl(spec, body, 'file:'), protocol: 'file' };
  throw invalid(spec, 'git sources are git+https://, git+ssh:// or git+file:///');
}

function checkedUrl(spec: string, raw: string, protocol: 'https:' | 'http:' | 'ssh:' | 'file:'): string {
  if (!URL.canParse(raw)) throw invalid(spec, 'its URL cannot be parsed');
  const url = new URL(raw);
  if (url.protocol !== protocol) throw invalid(spec, `its URL is not ${protocol}`);
  if (url.password !== '' || ((protocol === 'https:' || protocol === 'http:') && url.username !== '')) {
    throw new SkillsError('EGITURL', `${shown(spec)} carries credentials in its URL; skills.json and the lockfile would record them`, {
      hint: 'leave them out: git asks your credential helper (or ssh agent) for access to private repositories',
    });
  }
  if (url.search !== '') throw invalid(spec, 'its URL has a query string');
  if (protocol === 'file:') {
    if (url.host !== '' && url.host !== 'localhost') throw invalid(spec, 'a file URL names no host: git+file:///absolute/path');
    return `file://${url.pathname}`;
  }
  if (url.hostname.startsWith('-') || url.pathname.split('/').includes('..') || url.pathname.length < 2) throw invalid(spec, 'its host or path is not allowed');
  return `${url.protocol}//${url.username === '' ? '' : `${url.username}@`}${url.host}${url.pathname}`;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

function insecure(spec: string): SkillsError {
  return new SkillsError('EINSECURESOURCE', `${shown(spec)} is plain http: anyone on the way could change what it serves, digests included`, { hint: 'use https:// (plain http is accepted only for 127.0.0.1, localhost and [::1])' });
}

function parseWellKnown(spec: string): WellKnownSpec {
  const [body, fragment] = splitFragment(spec);
  if (!URL.canParse(body)) throw invalid(spec, 'its URL cannot be parsed');
  const url = new URL(body);
  if (url.username !== '' || url.password !== '') throw invalid(spec, 'its URL carries credentials');
  if (url.search !== '') throw invalid(spec, 'its URL has a query string');
  if (url.protocol === 'http:' && !LOOPBACK.has(url.hostname)) throw insecure(spec);
  if (fragment !== undefined && (!SKILL_NAME_RE.test(fragment) || fragment.length > SKILL_NAME_MAX)) throw invalid(spec, `"#${shown(fragment)}" is not a skill name`);
  const pathname = url.pathname.replace(/\/+$/, '');
  const index = pathname.endsWith('.json') ? `${url.origin}${pathname}` : `${url.origin}${pathname}${WELL_KNOWN_INDEX}`;
  return { type: 'well-known', raw: spec, index, name: fragment === '' ? undefined : fragment };
}

/** The spec recorded in skills.json for one skill of a source: it names that skill alone. */
export function pinnedSpec(spec: SourceSpec, skill: { path?: string; name: string }): string {
  switch (spec.type) {
    case 'registry':
      return spec.raw;
    case 'folder':
      return skill.path === undefined || skill.path === '' ? spec.raw : `${spec.raw.replace(/\/+$/, '')}/${skill.path}`;
    case 'well-known':
      return `${spec.raw.replace(/#.*$/, '')}#${skill.name}`;
    case 'git': {
      const folder = skill.path ?? spec.path ?? '';
      const refPart = spec.semverRange !== undefined ? `semver:${spec.semverRange}` : spec.ref;
      if (spec.github) {
        const fragment = refPart === undefined ? '' : `#${refPart}`;
        return `github:${spec.github.owner}/${spec.github.repo}${folder === '' ? '' : `/${folder}`}${fragment}`;
      }
      const parts = [...(refPart === undefined ? [] : [refPart]), ...(folder === '' ? [] : [`path:${folder}`])];
      return `${spec.raw.replace(/#.*$/, '')}${parts.length > 0 ? `#${parts.join('&')}` : ''}`;
    }
  }
}
