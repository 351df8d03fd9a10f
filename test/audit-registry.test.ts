/**
 * The registry audits every upload itself: a committed key is refused (EAUDIT) even when the
 * client skips its own check or sends a raw PUT; a team owner can allow a rule for one skill
 * (audit-logged); the report is stored with the version and shown by /v1 and `skills info`.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PackageFile } from '../schema/package-files';
import { pack } from '../tarball/pack';
import { randomish } from '../testkit/audit';
import { runCli } from '../testkit/cli';
import { echoSkill } from '../testkit/registry';
import { liveRegistry, type LiveRegistry } from '../testkit/workspace';

const AWS_ID = `AKIA${randomish(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 31)}`;
const AWS_SECRET = randomish(40, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+', 32);
const ENV = `AWS_ACCESS_KEY_ID=${AWS_ID}\nAWS_SECRET_ACCESS_KEY=${AWS_SECRET}\n`;

let live: LiveRegistry;
let work: string;
let memberToken: string;

const leaky = (version: string): PackageFile[] => echoSkill('@acme/leaky', version, { extraFiles: { '.env': ENV } });

async function api(method: string, url: string, options: { token?: string; body?: unknown; raw?: Uint8Array } = {}): Promise<Response> {
  const headers: Record<string, string> = { Authorization: `Bearer ${options.token ?? live.admin}` };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  return fetch(`${live.registry.url}${url}`, { method, headers, body: options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)) });
}

function cli(args: string[], token = live.admin) {
  return runCli(args, { cwd: work, env: { SKILLS_CONFIG_DIR: path.join(work, 'config'), SKILLS_CACHE_DIR: path.join(work, 'cache'), SKILLS_REGISTRY: live.registry.url, SKILLS_TOKEN: token } });
}

function rows<T>(sql: string): T[] {
  const db = new Database(path.join(live.dir, 'registry.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

async function writeSkill(dir: string, files: readonly PackageFile[]): Promise<string> {
  for (const f of files) {
    await fs.mkdir(path.dirname(path.join(dir, f.path)), { recursive: true });
    await fs.writeFile(path.join(dir, f.path), f.bytes);
  }
  return dir;
}

beforeAll(async () => {
  live = await liveRegistry(['@acme']);
  work = path.join(live.dir, 'work');
  await fs.mkdir(work, { recursive: true });
  expect((await api('POST', '/v1/users', { body: { name: 'mia' } })).status).toBe(201);
  expect((await api('POST', '/v1/teams/core/members', { body: { user: 'mia', role: 'member' } })).status).toBeLessThan(300);
  memberToken = ((await (await api('POST', '/v1/tokens', { body: { user: 'mia', permission: 'publish' } })).json()) as { token: string }).token;
}, 60_000);

afterAll(async () => {
  await live.close();
});

describe('the registry audit at publish', () => {
  it('refuses a raw PUT of a skill with a committed cloud key (EAUDIT, 422), shows no secret, and changes nothing', async () => {
    const before = rows<{ n: number }>('SELECT (SELECT COUNT(*) FROM versions) + (SELECT COUNT(*) FROM used_versions) + (SELECT COUNT(*) FROM version_audits) AS n')[0]?.n;
    const res = await api('PUT', '/v1/skills/@acme/leaky', { raw: (await pack(leaky('1.0.0'))).bytes });
    const text = await res.text();
    expect(res.status, text).toBe(422);
    const body = JSON.parse(text) as { error: { code: string; message: string; details: { findings: { rule: string; file: string }[] } } };
    expect(body.error.code).toBe('EAUDIT');
    expect(body.error.message).toContain('nothing was published');
    expect(body.error.details.findings.map((f) => [f.rule, f.file])).toContainEqual(['secret-cloud-key', '.env']);
    expect(text).not.toContain(AWS_SECRET);
    expect(text).not.toContain(AWS_ID);
    expect((await api('GET', '/v1/skills/@acme/leaky')).status).toBe(404);
    const after = rows<{ n: number }>('SELECT (SELECT COUNT(*) FROM versions) + (SELECT COUNT(*) FROM used_versions) + (SELECT COUNT(*) FROM version_audits) AS n')[0]?.n;
    expect(after).toBe(before);
  });

  it('skills publish refuses it locally; with --skip-audit the registry refuses it', async () => {
    const dir = await writeSkill(path.join(work, 'leaky'), leaky('1.0.0'));
    const local = await cli(['publish', dir, '--json']);
    expect(local.code).toBe(1);
    const localError = local.json<{ error: { code: string; hint: string } }>().error;
    expect(localError.code).toBe('EAUDIT');
    expect(localError.hint).toContain('--skip-audit');
    const remote = await cli(['publish', dir, '--skip-audit', '--json']);
    expect(remote.code).toBe(1);
    const remoteError = remote.json<{ error: { code: string; message: string } }>().error;
    expect(remoteError).toMatchObject({ code: 'EAUDIT' });
    expect(remoteError.message).toContain('nothing was published');
  }, 60_000);

  it('only a team owner (or admin) allows a known rule; the allowance lets the publish through, is logged, and shows in /v1 and info', async () => {
    const member = await api('POST', '/v1/skills/@acme/leaky/audit-allowances', { token: memberToken, body: { rule: 'secret-cloud-key', reason: 'test fixtures' } });
    expect(member.status).toBe(403);
    expect(((await member.json()) as { error: { code: string } }).error.code).toBe('EAUDITALLOWFORBIDDEN');
    const unknown = await api('POST', '/v1/skills/@acme/leaky/audit-allowances', { body: { rule: 'no-such-rule', reason: 'x' } });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('EAUDITRULE');
    const elsewhere = await api('POST', '/v1/skills/@acme/leaky/audit-allowances', { body: { rule: 'secret-cloud-key', reason: 'another file', file: 'config/other.env' } });
    expect(elsewhere.status).toBe(201);
    expect((await api('PUT', '/v1/skills/@acme/leaky', { raw: (await pack(leaky('1.0.0'))).bytes })).status).toBe(422);

    const allowed = await cli(['audit', 'allow', '@acme/leaky', 'secret-cloud-key', '--reason', 'revoked demo keys kept for the tutorial', '--file', '.env', '--json']);
    expect(allowed.code, allowed.stdout + allowed.stderr).toBe(0);
    expect(allowed.json()).toMatchObject({ name: '@acme/leaky', rule: 'secret-cloud-key', file: '.env', by: 'admin' });
    const logged = rows<{ action: string; target: string; details: string }>("SELECT action, target, details FROM audit_log WHERE action = 'audit-allow' ORDER BY id");
    expect(logged.map((r) => [r.target, JSON.parse(r.details).file])).toEqual([['@acme/leaky', 'config/other.env'], ['@acme/leaky', '.env']]);

    const published = await api('PUT', '/v1/skills/@acme/leaky', { raw: (await pack(leaky('1.0.0'))).bytes });
    const publishedBody = (await published.json()) as { audit: { counts: { high: number }; allowed: number } };
    expect(published.status, JSON.stringify(publishedBody)).toBe(201);
    expect(publishedBody.audit).toMatchObject({ counts: { high: 2 }, allowed: 2 });

    const packument = (await (await api('GET', '/v1/skills/@acme/leaky')).json()) as { versions: Record<string, { audit?: { allowed: number } }> };
    expect(packument.versions['1.0.0']?.audit?.allowed).toBe(2);
    const report = (await (await api('GET', '/v1/skills/@acme/leaky/versions/1.0.0/audit')).json()) as { findings: { rule: string; allowed?: boolean; excerpt: string }[]; allowances: { rule: string; file: string | null; by: string }[] };
    expect(report.findings.filter((f) => f.rule === 'secret-cloud-key').every((f) => f.allowed === true)).toBe(true);
    expect(report.allowances).toEqual([{ rule: 'secret-cloud-key', file: '.env', reason: 'revoked demo keys kept for the tutorial', by: 'admin' }]);
    expect(JSON.stringify(report)).not.toContain(AWS_SECRET);

    // The skill's page shows each allowed finding as allowed, and the owner's reason.
    const page = await (await fetch(`${live.registry.url}/@acme/leaky`, { headers: { accept: 'text/html' } })).text();
    expect(page, page.slice(page.indexOf('id="audit"'), page.indexOf('id="audit"') + 3000)).toContain('Allowed by the scope');
    expect(page).toContain('<li><code>secret-cloud-key</code> in <code>.env</code> by admin: revoked demo keys kept for the tutorial</li>');
    expect(page).toMatch(/<span class="badge passed">high · allowed<\/span><\/td><td><code>secret-cloud-key<\/code>/);
    expect(page).not.toContain(AWS_SECRET);

    const info = await cli(['info', '@acme/leaky']);
    expect(info.code, info.stderr).toBe(0);
    expect(info.stdout).toContain('audit: 2 high (2 allowed by a team owner)');
    expect(info.stdout).toContain('allowed secret-cloud-key in .env by admin: revoked demo keys kept for the tutorial');
    const infoJson = (await cli(['info', '@acme/leaky', '--json'])).json<{ version: { audit: { allowed: number } }; audit: { findings: unknown[] } }>();
    expect(infoJson.version.audit.allowed).toBe(2);
    expect(infoJson.audit.findings.length).toBeGreaterThan(0);
    const list = (await cli(['audit', 'allowances', '@acme/leaky', '--json'])).json<{ allowances: { file: string | null }[] }>();
    expect(list.allowances.map((a) => a.file)).toEqual(['.env', 'config/other.env']);
  }, 60_000);

  it("skills install honours the scope owner's allowance for a registry skill; the same files from a folder are refused (EAUDIT) unless the workspace policy says otherwise", async () => {
    const ws = path.join(work, 'install-ws');
    await fs.mkdir(ws, { recursive: true });
    const inWs = (args: string[]) => runCli(args, { cwd: ws, env: { SKILLS_CONFIG_DIR: path.join(work, 'config'), SKILLS_CACHE_DIR: path.join(work, 'cache'), SKILLS_REGISTRY: live.registry.url, SKILLS_TOKEN: live.admin } });
    const fromRegistry = await inWs(['install', '@acme/leaky@1.0.0', '--json']);
    expect(fromRegistry.code, fromRegistry.stdout + fromRegistry.stderr).toBe(0);
    const result = fromRegistry.json<{ skills: { name: string; audit?: { counts: { high: number }; allowed: number } }[]; warnings?: string[] }>();
    expect(result.skills.find((x) => x.name === '@acme/leaky')?.audit).toMatchObject({ counts: { high: 2 }, allowed: 2 });
    expect(result.warnings?.some((w) => w.includes('secret-cloud-key') && w.includes('allowed by the scope owner'))).toBe(true);
    expect(JSON.stringify(result)).not.toContain(AWS_SECRET);

    const other = path.join(work, 'folder-ws');
    await fs.mkdir(other, { recursive: true });
    await writeSkill(path.join(other, 'vendor', 'leaky'), leaky('1.0.0'));
    const run = (args: string[]) => runCli(args, { cwd: other, env: { SKILLS_CONFIG_DIR: path.join(work, 'config'), SKILLS_CACHE_DIR: path.join(work, 'cache') } });
    const refused = await run(['install', './vendor/leaky', '--json']);
    expect(refused.code).toBe(1);
    expect(refused.json<{ error: { code: string } }>().error.code).toBe('EAUDIT');
    expect((await fs.readdir(other)).sort()).toEqual(['vendor']);
    // A workspace cannot lower its own threshold: skills.json's "none" is a request the user accepts once, for this content.
    await fs.writeFile(path.join(other, 'skills.json'), JSON.stringify({ dependencies: {}, audit: { failOn: 'none' } }));
    const asked = await run(['install', './vendor/leaky', '--json']);
    expect(asked.code).toBe(1);
    expect(asked.json<{ error: { code: string; hint: string } }>().error).toMatchObject({ code: 'EAUDIT', hint: expect.stringContaining('--trust-workspace') });
    expect((await fs.readdir(other)).sort()).toEqual(['skills.json', 'vendor']);
    const accepted = await run(['install', './vendor/leaky', '--trust-workspace', '--json']);
    expect(accepted.code, accepted.stdout + accepted.stderr).toBe(0);
    expect(JSON.parse(await fs.readFile(path.join(other, 'skills.json'), 'utf8')).audit).toEqual({ failOn: 'none' });
    // Accepted for this content in the user's own trust.json: the next install needs no flag.
    await fs.rm(path.join(other, 'skills'), { recursive: true });
    expect((await run(['install', '--json'])).code).toBe(0);
  }, 60_000);

  it('a removed allowance refuses the next version again; a clean skill publishes with its report', async () => {
    const removed = await cli(['audit', 'disallow', '@acme/leaky', 'secret-cloud-key', '--file', '.env', '--json']);
    expect(removed.code, removed.stdout).toBe(0);
    expect(rows<{ n: number }>("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'audit-disallow'")[0]?.n).toBe(1);
    expect((await api('PUT', '/v1/skills/@acme/leaky', { raw: (await pack(leaky('1.0.1'))).bytes })).status).toBe(422);

    const clean = await api('PUT', '/v1/skills/@acme/clean', { raw: (await pack(echoSkill('@acme/clean'))).bytes });
    expect(clean.status).toBe(201);
    expect(((await clean.json()) as { audit: { counts: { high: number; medium: number } } }).audit.counts).toMatchObject({ high: 0, medium: 0 });
    const audited = await cli(['audit', '@acme/clean', '--json']);
    expect(audited.code, audited.stdout + audited.stderr).toBe(0);
    expect(audited.json()).toMatchObject({ target: '@acme/clean@1.0.0', failed: false });
    const leakyAudit = await cli(['audit', '@acme/leaky@1.0.0', '--json']);
    expect(leakyAudit.code).toBe(1);
  }, 60_000);
});
