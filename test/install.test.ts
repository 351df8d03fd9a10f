import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { install, type InstallRequest } from '../cli/core/install/install';
import { pack } from '../tarball/pack';
import { contentDigest, integrityOf } from '../tarball/digest';
import { unpack } from '../tarball/unpack';
import { HOSTILE_ARCHIVES } from './hostile/archives';
import { chainSkills, skillFiles } from '../testkit/skill-files';
import { tempDir } from '../testkit/temp';
import { tree } from '../testkit/tree';
import { liveRegistry, snapshot, type LiveRegistry } from '../testkit/workspace';

let live: LiveRegistry;
let ws: string;
let cacheDir: string;

beforeAll(async () => {
  live = await liveRegistry(['@acme', '@other']);
  const chain = chainSkills();
  for (const files of [chain.base, chain.mid, chain.top]) expect((await live.publish(files)).status).toBe(201);
  expect((await live.publish(skillFiles({ name: 'base', scope: '@other', code: 'export function f() { return 1; }', fixtures: { c: { call: { export: 'f', args: [] }, expect: { returns: 1 } } } }))).status).toBe(201);
});
afterAll(async () => {
  await live.close();
});
beforeEach(async () => {
  ws = await tempDir('ws');
  cacheDir = await tempDir('cache');
});
afterEach(async () => {
  await fs.chmod(path.join(ws, 'skills'), 0o755).catch(() => undefined);
  await fs.rm(ws, { recursive: true, force: true });
  await fs.rm(cacheDir, { recursive: true, force: true });
});

function req(extra: Partial<InstallRequest> = {}): InstallRequest {
  return {
    root: ws,
    // The config folder (and the journal key in it) is outside the workspace, as it must be.
    env: { SKILLS_CACHE_DIR: cacheDir, SKILLS_CONFIG_DIR: path.join(cacheDir, 'config') },
    registry: live.registry.url,
    progress: () => {},
    warn: () => {},
    ...extra,
  };
}

async function expectUnchanged(action: () => Promise<unknown>, code: string): Promise<void> {
  const before = await snapshot(ws);
  await expect(action()).rejects.toMatchObject({ code });
  expect(await snapshot(ws)).toEqual(before);
}

describe('install', () => {
  it('installs a skill with its dependency chain, verified, with a lockfile and catalog', async () => {
    const warnings: string[] = [];
    const result = await install(req({ add: ['@acme/top'], warn: (w) => warnings.push(w) }));
    expect(result.skills.map((s) => [s.name, s.version, s.verified])).toEqual([
      ['@acme/base', '1.0.0', 'sandbox'],
      ['@acme/mid', '1.0.0', 'sandbox'],
      ['@acme/top', '1.0.0', 'sandbox'],
    ]);
    expect(JSON.parse(await fs.readFile(path.join(ws, 'skills.json'), 'utf8'))).toEqual({ dependencies: { '@acme/top': '^1.0.0' } });
    const lock = JSON.parse(await fs.readFile(path.join(ws, 'skills-lock.json'), 'utf8')) as { skills: Record<string, { dependencies: Record<string, string> }> };
    expect(lock.skills['@acme/top']?.dependencies).toEqual({ '@acme/mid': '1.0.0' });
    expect((await fs.readdir(path.join(ws, 'skills'))).sort()).toEqual(['INDEX.md', 'base', 'mid', 'top']);
    const index = await fs.readFile(path.join(ws, 'skills', 'INDEX.md'), 'utf8');
    expect(index).toContain('skills/top/SKILL.md');
    expect(warnings.some((w) => w.includes('"everything"'))).toBe(true);

    // Again: nothing to do, and it works offline from the lockfile and cache.
    const again = await install(req({ registry: 'http://127.0.0.1:9' }));
    expect(again.changes).toEqual([]);
  });

  it('installs from the cache and lockfile with the registry down, and re-verifies from cache markers', async () => {
    await install(req({ add: ['@acme/top'] }));
    await fs.rm(path.join(ws, 'skills'), { recursive: true });
    const offline = await install(req({ registry: 'http://127.0.0.1:9', frozen: true }));
    expect(offline.skills.map((s) => s.verified)).toEqual(['cache', 'cache', 'cache']);
  });

  it('refuses a tarball altered on the server after publish (EINTEGRITY), writing nothing', async () => {
    const files = skillFiles({ name: 'altered', scope: '@acme', code: 'export function f() { return 1; }', fixtures: { c: { call: { export: 'f', args: [] }, expect: { returns: 1 } } } });
    expect((await live.publish(files)).status).toBe(201);
    const evil = (await pack(skillFiles({ name: 'altered', scope: '@acme', code: 'export function f() { return 2; }', fixtures: { c: { call: { export: 'f', args: [] }, expect: { returns: 2 } } } }))).bytes;
    const db = new Database(path.join(live.dir, 'registry.db'));
    const id = (db.prepare("SELECT v.id FROM versions v JOIN skills s ON s.id = v.skill_id WHERE s.name = '@acme/altered'").get() as { id: number }).id;
    serveBytes(db, id, evil);
    db.close();
    await expectUnchanged(() => install(req({ add: ['@acme/altered'] })), 'EINTEGRITY');
  });

  it('refuses a lockfile edited by hand to a wrong integrity', async () => {
    await install(req({ add: ['@acme/base'] }));
    const lockFile = path.join(ws, 'skills-lock.json');
    const lock = JSON.parse(await fs.readFile(lockFile, 'utf8')) as { skills: Record<string, { integrity: string }> };
    lock.skills['@acme/base']!.integrity = `sha512-${createHash('sha512').update('something else').digest('base64')}`;
    await fs.writeFile(lockFile, JSON.stringify(lock));
    await fs.rm(path.join(ws, 'skills', 'base'), { recursive: true });
    await expectUnchanged(() => install(req({ frozen: true })), 'EINTEGRITY');
    await expectUnchanged(() => install(req({ update: { names: 'all', latest: false } })), 'EINTEGRITY');
  });

  it('refuses a skill whose fixtures fail once fetched (a registry serving a liar), writing nothing', async () => {
    const honest = skillFiles({ name: 'liar', scope: '@acme', code: 'export function f() { return 1; }', fixtures: { c: { call: { export: 'f', args: [] }, expect: { returns: 1 } } } });
    expect((await live.publish(honest)).status).toBe(201);
    const liar = skillFiles({ name: 'liar', scope: '@acme', code: 'export function f() { return 666; }', fixtures: { c: { call: { export: 'f', args: [] }, expect: { returns: 1 } } } });
    const packed = await pack(liar);
    const db = new Database(path.join(live.dir, 'registry.db'));
    const id = (db.prepare("SELECT v.id FROM versions v JOIN skills s ON s.id = v.skill_id WHERE s.name = '@acme/liar'").get() as { id: number }).id;
    serveBytes(db, id, packed.bytes);
    db.prepare('UPDATE versions SET integrity = ?, digest = ? WHERE id = ?').run(packed.integrity, packed.digest, id);
    db.close();
    await expectUnchanged(() => install(req({ add: ['@acme/liar'] })), 'EVERIFY');
  });

  it('fails clearly for a 404 name, an unsatisfiable range, and two scopes with the same skill name', async () => {
    await expectUnchanged(() => install(req({ add: ['@acme/does-not-exist'] })), 'ENOTFOUND');
    await expectUnchanged(() => install(req({ add: ['@acme/base@^9.0.0'] })), 'ERESOLVE');
    await expectUnchanged(() => install(req({ add: ['@acme/base', '@other/base'] })), 'ENAMECONFLICT');
  });

  it('never overwrites a local skill in the way (ECONFLICT)', async () => {
    await fs.mkdir(path.join(ws, 'skills', 'base'), { recursive: true });
    await fs.writeFile(path.join(ws, 'skills', 'base', 'SKILL.md'), 'my own skill');
    await expectUnchanged(() => install(req({ add: ['@acme/base'] })), 'ECONFLICT');
  });

  it('gives ENETWORK after retries when the registry is down or too slow', async () => {
    await expectUnchanged(() => install(req({ add: ['@acme/base'], registry: 'http://127.0.0.1:9' })), 'ENETWORK');
    const slow = http.createServer(() => {
      // never answers
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    const port = (slow.address() as { port: number }).port;
    try {
      const started = Date.now();
      await expectUnchanged(() => install(req({ add: ['@acme/base'], registry: `http://127.0.0.1:${port}`, timeoutMs: 200 })), 'ETIMEDOUT');
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      slow.closeAllConnections();
      await new Promise((r) => slow.close(r));
    }
  });

  it('leaves everything as it was when ./skills cannot be written', async () => {
    await install(req({ add: ['@acme/base'] }));
    const skills = path.join(ws, 'skills');
    await fs.chmod(skills, 0o555);
    const probe = path.join(skills, '.probe');
    const writable = await fs.writeFile(probe, 'x').then(
      () => true,
      () => false,
    );
    if (writable) {
      // Running as root ignores modes: make ./skills unwritable another way (a file where a folder must go).
      await fs.rm(probe);
      await fs.chmod(skills, 0o755);
      await fs.rename(skills, `${skills}.moved`);
      await fs.writeFile(skills, 'not a folder');
      await expectUnchanged(() => install(req({ add: ['@acme/mid'] })), 'EWRITE');
      await fs.rm(skills);
      await fs.rename(`${skills}.moved`, skills);
    } else {
      await expectUnchanged(() => install(req({ add: ['@acme/mid'] })), 'EWRITE');
    }
  });

  it('updates, removes and reports changes; frozen installs refuse a disagreeing skills.json', async () => {
    await install(req({ add: ['@acme/mid'] }));
    const chain = chainSkills('@acme', '1.1.0');
    expect((await live.publish(chain.base)).status).toBe(201);
    const update = await install(req({ update: { names: 'all', latest: false } }));
    expect(update.changes).toEqual([{ name: '@acme/base', from: '1.0.0', to: '1.1.0' }]);
    const ws2 = JSON.parse(await fs.readFile(path.join(ws, 'skills.json'), 'utf8')) as { dependencies: Record<string, string> };
    ws2.dependencies['@acme/top'] = '^1.0.0';
    await fs.writeFile(path.join(ws, 'skills.json'), JSON.stringify(ws2));
    await expect(install(req({ frozen: true }))).rejects.toMatchObject({ code: 'ELOCKMISMATCH' });
    const removed = await install(req({ remove: ['@acme/top'] }));
    expect(removed.changes).toEqual([]);
    const gone = await install(req({ remove: ['@acme/mid'] }));
    expect(gone.changes.map((c) => [c.name, c.to])).toEqual([
      ['@acme/base', null],
      ['@acme/mid', null],
    ]);
    expect(await fs.readdir(path.join(ws, 'skills'))).toEqual(['INDEX.md']);
  });
});

describe('install refuses every hostile archive a registry could serve', () => {
  const archives = HOSTILE_ARCHIVES.filter((a) => a.code !== 'ok' && a.limits === undefined);
  it(`refuses ${archives.length} crafted tarballs with their ETAR codes, writing nothing`, async () => {
    for (const [i, archive] of archives.entries()) {
      const name = `hostile-${i}`;
      const files = skillFiles({ name, scope: '@acme', code: 'export function f() { return 1; }', fixtures: { c: { call: { export: 'f', args: [] }, expect: { returns: 1 } } } });
      expect((await live.publish(files)).status).toBe(201);
      const bytes = archive.bytes();
      const db = new Database(path.join(live.dir, 'registry.db'));
      const id = (db.prepare('SELECT v.id FROM versions v JOIN skills s ON s.id = v.skill_id WHERE s.name = ?').get(`@acme/${name}`) as { id: number }).id;
      serveBytes(db, id, bytes);
      db.prepare('UPDATE versions SET integrity = ? WHERE id = ?').run(integrityOf(bytes), id);
      db.close();
      const before = await snapshot(ws);
      const error = await install(req({ add: [`@acme/${name}`] })).then(
        () => undefined,
        (e: unknown) => e as { code: string },
      );
      expect(error?.code, archive.name).toBe(archive.code);
      expect(await snapshot(ws)).toEqual(before);
    }
  }, 120_000);
});

describe('install warnings and --skip-verify', () => {
  it('warns about deprecated versions, and records --skip-verify in the lockfile with a warning', async () => {
    const files = skillFiles({ name: 'old', scope: '@acme', code: 'export function f() { return 1; }', fixtures: { c: { call: { export: 'f', args: [] }, expect: { returns: 1 } } } });
    expect((await live.publish(files)).status).toBe(201);
    const res = await fetch(`${live.registry.url}/v1/skills/@acme/old/versions/1.0.0/deprecate`, { method: 'POST', headers: { Authorization: `Bearer ${live.admin}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ message: 'use @acme/new' }) });
    expect(res.status).toBe(200);
    const warnings: string[] = [];
    const result = await install(req({ add: ['@acme/old'], skipVerify: true, warn: (w) => warnings.push(w) }));
    expect(result.skills[0]?.verified).toBe('skipped');
    expect(warnings.some((w) => w.includes('--skip-verify'))).toBe(true);
    expect(warnings.some((w) => w.includes('deprecated: use @acme/new'))).toBe(true);
    const lock = JSON.parse(await fs.readFile(path.join(ws, 'skills-lock.json'), 'utf8')) as { skills: Record<string, { skipVerify?: boolean }> };
    expect(lock.skills['@acme/old']?.skipVerify).toBe(true);
  });
});

describe('damaged workspace files fail with their codes and change nothing', () => {
  it('refuses an invalid lockfile, an invalid skills.json and a damaged journal', async () => {
    await fs.writeFile(path.join(ws, 'skills-lock.json'), '{ not json');
    await expectUnchanged(() => install(req({ add: ['@acme/base'] })), 'ELOCKFILE');
    await fs.rm(path.join(ws, 'skills-lock.json'));
    await fs.writeFile(path.join(ws, 'skills.json'), JSON.stringify({ dependencies: { 'not a name': '^1.0.0' } }));
    await expectUnchanged(() => install(req()), 'EWORKSPACE');
    await fs.rm(path.join(ws, 'skills.json'));
    await fs.mkdir(path.join(ws, 'skills'), { recursive: true });
    await fs.writeFile(path.join(ws, 'skills', '.skills-journal.json'), '{ half written');
    await expectUnchanged(() => install(req({ add: ['@acme/base'] })), 'EJOURNAL');
  });
});

/**
 * Publishes @acme/<name> honestly, then makes the registry serve the tarball of `served` for it,
 * recording its integrity and the digest the registry computes (over the unpacked files) unless
 * told to keep the honest ones.
 */
/**
 * A registry that lies: the version now names other bytes (stored under their own digest, so the
 * registry serves them; bytes altered in place under the old digest are refused by the registry itself).
 */
function serveBytes(db: Database.Database, versionId: number, bytes: Uint8Array): void {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  db.prepare('INSERT OR IGNORE INTO blobs (sha256, bytes) VALUES (?, ?)').run(sha256, Buffer.from(bytes));
  db.prepare('UPDATE versions SET tarball_sha256 = ? WHERE id = ?').run(sha256, versionId);
}

async function serveInstead(name: string, served: ReturnType<typeof skillFiles>, keep: { integrity?: boolean; digest?: boolean } = {}): Promise<void> {
  const honest = skillFiles({ name, scope: '@acme', code: 'export function f() { return 1; }', fixtures: { c: { call: { export: 'f', args: [] }, expect: { returns: 1 } } } });
  expect((await live.publish(honest)).status).toBe(201);
  const packed = await pack(served);
  const digest = contentDigest(await unpack(packed.bytes));
  const db = new Database(path.join(live.dir, 'registry.db'));
  const id = (db.prepare('SELECT v.id FROM versions v JOIN skills s ON s.id = v.skill_id WHERE s.name = ?').get(`@acme/${name}`) as { id: number }).id;
  serveBytes(db, id, packed.bytes);
  if (!keep.integrity) db.prepare('UPDATE versions SET integrity = ? WHERE id = ?').run(packed.integrity, id);
  if (!keep.digest) db.prepare('UPDATE versions SET digest = ? WHERE id = ?').run(digest, id);
  db.close();
}

describe('a failed install leaves the workspace byte for byte as it was', () => {
  it('a skill that cannot be written (no room left under PATH_MAX) leaves no new ./skills, staging folder or lock file', async () => {
    // Every path in the package is valid (segments under 255 bytes, paths under 512), but the
    // workspace sits so deep that the staged file's absolute path passes Linux's 4096 bytes, so
    // the write itself fails after ./skills was created.
    const segment = 'w'.repeat(200);
    const deep = path.join(ws, ...Array.from({ length: 19 }, () => segment));
    await fs.mkdir(deep, { recursive: true });
    const files = skillFiles({ name: 'longname', scope: '@acme', code: 'export function f() { return 1; }', fixtures: { c: { call: { export: 'f', args: [] }, expect: { returns: 1 } } }, extraFiles: { [`assets/${'x'.repeat(200)}/${'y'.repeat(200)}.txt`]: 'long' } });
    await serveInstead('longname', files);
    const before = await tree(deep);
    expect(before).toEqual({});
    await expect(install(req({ root: deep, add: ['@acme/longname'] }))).rejects.toMatchObject({ code: 'EWRITE' });
    expect(await tree(deep)).toEqual(before);
    // With ./skills there already, it stays, and only it.
    await install(req({ root: deep, add: ['@acme/base'] }));
    const installed = await tree(deep);
    await expect(install(req({ root: deep, add: ['@acme/longname'] }))).rejects.toMatchObject({ code: 'EWRITE' });
    expect(await tree(deep)).toEqual(installed);
  });
});

describe('--skip-verify skips the sandbox only', () => {
  it('still refuses a package that does not validate (EVALIDATION), a wrong integrity and a wrong digest (EINTEGRITY)', async () => {
    const invalid = skillFiles({ name: 'noentry', scope: '@acme', code: '', fixtures: { c: { call: { export: 'f', args: [] }, expect: { returns: 1 } } } }).filter((f) => f.path !== 'index.ts');
    await serveInstead('noentry', invalid);
    const before = await tree(ws);
    await expect(install(req({ add: ['@acme/noentry'], skipVerify: true }))).rejects.toMatchObject({ code: 'EVALIDATION', message: expect.stringContaining('EENTRYMISSING') });
    expect(await tree(ws)).toEqual(before);

    const evil = skillFiles({ name: 'x', scope: '@acme', code: 'export function f() { return 2; }', fixtures: { c: { call: { export: 'f', args: [] }, expect: { returns: 2 } } } });
    const as = (name: string) => evil.map((f) => (f.path === 'SKILL.md' || f.path === 'skill.json' ? { ...f, bytes: new TextEncoder().encode(new TextDecoder().decode(f.bytes).replace(/\bx\b/g, name)) } : f));
    await serveInstead('bad-integrity', as('bad-integrity'), { integrity: true, digest: true });
    await expect(install(req({ add: ['@acme/bad-integrity'], skipVerify: true }))).rejects.toMatchObject({ code: 'EINTEGRITY', message: expect.stringContaining('does not match its integrity') });
    expect(await tree(ws)).toEqual(before);
    // The integrity matches the served bytes, the recorded digest does not.
    await serveInstead('bad-digest', as('bad-digest'), { digest: true });
    await expect(install(req({ add: ['@acme/bad-digest'], skipVerify: true }))).rejects.toMatchObject({ code: 'EINTEGRITY', message: expect.stringContaining('content digest') });
    expect(await tree(ws)).toEqual(before);
  });
});

describe('cached audit reports', () => {
  it('reuses the report of the same content, applies the workspace policy afresh, and recomputes a damaged one', async () => {
    const files = skillFiles({ name: 'elevated', scope: '@acme', code: "export function f() { return 'sudo ls'; }", fixtures: { c: { call: { export: 'f', args: [] }, expect: { returns: 'sudo ls' } } } });
    expect((await live.publish(files)).status).toBe(201);
    const warnings: string[] = [];
    await install(req({ add: ['@acme/elevated'], warn: (w) => warnings.push(w) }));
    expect(warnings.some((w) => w.includes('script-privilege-escalation'))).toBe(true);
    const auditsDir = path.join(cacheDir, 'audits');
    const [report] = await fs.readdir(auditsDir);
    if (!report) throw new Error('no cached audit report');
    expect(JSON.parse(await fs.readFile(path.join(auditsDir, report), 'utf8'))).toMatchObject({ auditor: expect.any(String), findings: expect.arrayContaining([expect.objectContaining({ rule: 'script-privilege-escalation' })]) });

    // A stricter policy refuses the same cached report: nothing changes on disk.
    await fs.rm(path.join(ws, 'skills', 'elevated'), { recursive: true });
    const workspace = JSON.parse(await fs.readFile(path.join(ws, 'skills.json'), 'utf8')) as Record<string, unknown>;
    await fs.writeFile(path.join(ws, 'skills.json'), JSON.stringify({ ...workspace, audit: { failOn: 'medium' } }));
    await expectUnchanged(() => install(req()), 'EAUDIT');

    // A damaged report (not valid JSON, or not a report) is recomputed, never trusted as clean.
    for (const damaged of ['{', JSON.stringify({ auditor: 'audit-1', findings: [] })]) {
      await fs.writeFile(path.join(auditsDir, report), damaged);
      await expectUnchanged(() => install(req()), 'EAUDIT');
    }

    // And the cached report is what a warm install reads (the cache is as trusted as the user's
    // home, see SECURITY.md): a valid report without the finding lets the same content in.
    const real = JSON.parse(await fs.readFile(path.join(auditsDir, report), 'utf8')) as { findings: { rule: string }[]; counts: Record<string, number> };
    await fs.writeFile(path.join(auditsDir, report), JSON.stringify({ ...real, counts: { ...real.counts, medium: 0 }, findings: real.findings.filter((f) => f.rule !== 'script-privilege-escalation') }));
    await install(req());
    expect(await fs.readdir(path.join(ws, 'skills'))).toContain('elevated');
  });
});
